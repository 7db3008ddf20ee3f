-- Clock kinds are data (config clocks.kinds): a clock's policy snapshot now carries what
-- people read (label), what proves its milestone, its name in reports, and its
-- severities and start rule. Clocks started before get the values their kind had, so
-- they read exactly as they did. The milestones' evidence is unchanged.
UPDATE clocks SET policy = (policy::jsonb || jsonb_build_object(
    'label', '发布权威信息', 'milestone', 'publication', 'report_as', 'statement',
    'severities', jsonb_build_array('extremely_major', 'major')))::text
  WHERE kind = 'authoritative_statement' AND NOT (policy::jsonb ? 'label');
UPDATE clocks SET policy = (policy::jsonb || jsonb_build_object(
    'label', '举行新闻发布会', 'milestone', 'meeting', 'report_as', 'press_conference',
    'severities', jsonb_build_array('extremely_major', 'major')))::text
  WHERE kind = 'press_conference' AND NOT (policy::jsonb ? 'label');
