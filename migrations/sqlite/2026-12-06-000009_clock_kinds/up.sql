-- Clock kinds are data (config clocks.kinds): a clock's policy snapshot now carries what
-- people read (label), what proves its milestone, its name in reports, and its
-- severities and start rule. Clocks started before get the values their kind had, so
-- they read exactly as they did. The milestones' evidence is unchanged.
UPDATE clocks SET policy = json_set(policy,
    '$.label', '发布权威信息', '$.milestone', 'publication', '$.report_as', 'statement',
    '$.severities', json_array('extremely_major', 'major'))
  WHERE kind = 'authoritative_statement' AND json_extract(policy, '$.label') IS NULL;
UPDATE clocks SET policy = json_set(policy,
    '$.label', '举行新闻发布会', '$.milestone', 'meeting', '$.report_as', 'press_conference',
    '$.severities', json_array('extremely_major', 'major'))
  WHERE kind = 'press_conference' AND json_extract(policy, '$.label') IS NULL;
