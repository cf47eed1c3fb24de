-- Why the most recent decided run was not promoted: every required rule that did not pass, with its numbers
-- and, for undecided rules, the number of paired examples that would decide it.
SELECT v.rule, v.status, v.candidate, v.baseline, v.delta, v.ci_low, v.ci_high, v.n, v.needed_n, v.reason
FROM rule_verdicts v
WHERE v.run_id = (SELECT run_id FROM decisions ORDER BY decided_at DESC LIMIT 1)
  AND v.required AND v.status <> 'pass'
ORDER BY v.status, v.rule;
