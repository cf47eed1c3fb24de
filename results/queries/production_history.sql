-- Who held the production alias, when, and what each promote/rollback replaced.
SELECT promoted_at, action, run_id, candidate_id, previous_run_id, path
FROM promotions
WHERE alias = 'production'
ORDER BY promoted_at;
