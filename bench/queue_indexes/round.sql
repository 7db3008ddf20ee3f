-- One round: the engine's claim statement for 1,000 due rows (timed), their recording as
-- sent in statements of 50 (timed), then the rows reset to pending (not timed).
CREATE TEMP TABLE ids AS SELECT id, (row_number() OVER ()) / 50 AS b FROM escalations WHERE id LIKE 'due-%';
CREATE TEMP TABLE stmts AS SELECT format('UPDATE escalations SET status = %L, last_error = NULL, sent_at = now(), lease_token = NULL, lease_until = NULL, updated_at = now() WHERE id = ANY(%L) AND lease_token = %L AND status = %L', 'sent', array_agg(id), 'tok', 'sending') AS q FROM ids GROUP BY b;
\echo CLAIM
\timing on
UPDATE escalations SET status = 'sending', lease_token = 'tok', lease_until = now() + interval '10 seconds', attempts = attempts + 1, updated_at = now(), late = (late OR due_at < now() - interval '60 seconds')
 WHERE id IN (SELECT id FROM escalations WHERE status = 'pending' AND next_attempt_at <= now() + interval '2 hours'
   AND NOT (rank >= 0 AND EXISTS (SELECT 1 FROM escalations h WHERE h.clock_id = escalations.clock_id AND h.contact_id = escalations.contact_id AND h.rank > escalations.rank AND h.due_at <= now() + interval '2 hours' AND h.status IN ('pending','sending','sent','failed')))
   ORDER BY next_attempt_at LIMIT 1000 FOR UPDATE SKIP LOCKED)
 RETURNING id \g /dev/null
\timing off
\echo RECORD
\timing on
SELECT q FROM stmts \gexec
\timing off
\echo END
UPDATE escalations SET status = 'pending', sent_at = NULL, attempts = 0 WHERE id LIKE 'due-%';
