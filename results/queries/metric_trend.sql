-- One metric across finished runs: candidate and baseline side by side, with the decision of each run.
-- Change the metric in the WHERE clause ('suite.metric').
SELECT started_at, run_id, candidate_id, decision,
       max(value) FILTER (WHERE role = 'candidate') AS candidate,
       max(value) FILTER (WHERE role = 'baseline') AS baseline
FROM metric_history
WHERE metric_ref = 'task.exact_match' AND status = 'finished'
GROUP BY ALL
ORDER BY started_at;
