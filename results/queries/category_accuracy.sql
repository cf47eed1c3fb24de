-- Per-category accuracy of candidate and baseline in each finished run (what category_floor rules judge).
SELECT s.run_id, s.suite, s.metric, coalesce(s.category, '(none)') AS category,
       avg(s.score) FILTER (WHERE s.role = 'candidate') AS candidate,
       avg(s.score) FILTER (WHERE s.role = 'baseline') AS baseline,
       count(*) FILTER (WHERE s.role = 'candidate') AS n
FROM samples s JOIN runs r ON r.id = s.run_id
WHERE r.status = 'finished'
GROUP BY ALL
ORDER BY s.run_id, s.suite, s.metric, category;
