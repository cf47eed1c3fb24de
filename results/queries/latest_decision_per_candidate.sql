-- The most recent gate decision of every candidate, newest first, with how many required rules blocked it.
-- tunegate sql "$(cat results/queries/latest_decision_per_candidate.sql)"
SELECT candidate_id, run_id, decision, failed_rules, undecided_rules, decided_at
FROM latest_decisions
WHERE latest_for_candidate
ORDER BY decided_at DESC;
