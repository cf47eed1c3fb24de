-- Candidates ranked by their best value of one metric over finished runs, with their latest value and decision.
SELECT candidate_id, best, best_run, latest, latest_decision, runs
FROM leaderboard
WHERE suite = 'task' AND metric = 'exact_match'
ORDER BY best DESC;
