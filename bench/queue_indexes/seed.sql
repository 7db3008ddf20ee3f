-- 100,000 running clocks with four future reminders each, and 1,000 rows due in an hour
-- (the escalation benchmark's queue), for bench/queue_indexes/run.sh.
INSERT INTO api_tokens VALUES ('bench', '基准', 'admin', NULL, 'x', now(), NULL, NULL);
INSERT INTO units (id, code, name, level, parent_id, path, active, version, created_at, updated_at)
  VALUES ('u1', '4401', '广州市税务局', 'city_bureau', NULL, '/u1/', TRUE, 1, now(), now());
INSERT INTO incidents SELECT 'inc-' || g, 'YQ-BENCH-' || g, '基准测试舆情 ' || g, '摘要', 'weibo', NULL,
  now(), 'bench', '基准', 'major', 'other', NULL, 'reported', NULL, NULL, NULL, 1, now(), now(), now() + interval '4 hours' FROM generate_series(1,100000) g;
INSERT INTO clocks SELECT 'clk-' || g, 'inc-' || g, 'authoritative_statement', 'running', now(), now() + interval '4 hours',
  '{}', NULL, NULL, now(), now() + interval '2 hours', 'on_time' FROM generate_series(1,100000) g;
INSERT INTO escalations (id, clock_id, incident_id, step, rank, due_at, contact_id, channel, address, recipient_name, recipient_role, recipient_unit, status, attempts, next_attempt_at, last_error, lease_token, lease_until, late, message_id, sent_at, context, created_at, updated_at)
  SELECT 'esc-' || g || '-' || k, 'clk-' || g, 'inc-' || g, 'before_' || k || 'm', k - 1, now() + (60 + 10*k) * interval '1 minute',
   'leader' || g, 'email', 'leader' || g || '@example.org', '领导', 'principal_leader', '4401', 'pending', 0, now() + (60 + 10*k) * interval '1 minute',
   NULL, NULL, NULL, FALSE, '<esc-' || g || '-' || k || '@bench>', NULL, NULL, now(), now() FROM generate_series(1,100000) g, generate_series(1,4) k;
INSERT INTO escalations (id, clock_id, incident_id, step, rank, due_at, contact_id, channel, address, recipient_name, recipient_role, recipient_unit, status, attempts, next_attempt_at, last_error, lease_token, lease_until, late, message_id, sent_at, context, created_at, updated_at)
  SELECT 'due-' || g, 'clk-' || g, 'inc-' || g, 'before_30m', 10, now() + interval '1 hour',
   'r' || g, 'email', 'r' || g || '@example.org', '领导', 'principal_leader', '4401', 'pending', 0, now() + interval '1 hour',
   NULL, NULL, NULL, FALSE, '<due-' || g || '@bench>', NULL, NULL, now(), now() FROM generate_series(1,1000) g;
