-- Examples the baseline answered correctly and the candidate did not, in the most recent finished run: where to look first.
SELECT c.suite, c.metric, c.example_id, c.category, c.prompt, b.output AS baseline_output,
       c.output AS candidate_output, c.reference
FROM samples c
JOIN samples b ON b.run_id = c.run_id AND b.suite = c.suite AND b.metric = c.metric
              AND b.example_id = c.example_id AND b.role = 'baseline'
WHERE c.role = 'candidate' AND b.score > c.score
  AND c.run_id = (SELECT id FROM runs WHERE status = 'finished' ORDER BY started_at DESC LIMIT 1)
ORDER BY c.suite, c.metric, c.example_id;
