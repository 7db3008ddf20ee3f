-- Back to one row per (clock, step, person): rows on channels other than e-mail go.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
DELETE FROM acknowledgements WHERE channel <> 'email';
ALTER TABLE acknowledgements RENAME COLUMN address TO recipient_email;
ALTER TABLE acknowledgements DROP COLUMN channel;

CREATE TABLE escalations_new (
    id TEXT PRIMARY KEY,
    clock_id TEXT REFERENCES clocks (id),
    incident_id TEXT REFERENCES incidents (id),
    -- new_major | before_120m | breach | repeat_3 | daily_digest:… | weekly_summary:…
    step TEXT NOT NULL,
    -- Order of severity within the clock; -1 for the new-major notice, -2 for reports
    -- (neither is ever superseded).
    rank INTEGER NOT NULL,
    due_at TIMESTAMP NOT NULL,
    -- The person (directory contact) it is for.
    contact_id TEXT NOT NULL,
    recipient_email TEXT NOT NULL,
    recipient_name TEXT NOT NULL,
    recipient_role TEXT NOT NULL,
    recipient_unit TEXT NOT NULL,
    -- pending | sending | sent | failed | cancelled | superseded
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    lease_token TEXT,
    lease_until TIMESTAMP,
    late BOOLEAN NOT NULL,
    message_id TEXT NOT NULL,
    sent_at TIMESTAMP,
    -- JSON snapshot a report mail is rendered from.
    context TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (clock_id, step, contact_id)
);
INSERT INTO escalations_new (id, clock_id, incident_id, step, rank, due_at, contact_id, recipient_email,
    recipient_name, recipient_role, recipient_unit, status, attempts, next_attempt_at, last_error,
    lease_token, lease_until, late, message_id, sent_at, context, created_at, updated_at)
SELECT id, clock_id, incident_id, step, rank, due_at, contact_id, address,
    recipient_name, recipient_role, recipient_unit, status, attempts, next_attempt_at, last_error,
    lease_token, lease_until, late, message_id, sent_at, context, created_at, updated_at
FROM escalations WHERE channel = 'email';
DROP TABLE escalations;
ALTER TABLE escalations_new RENAME TO escalations;
CREATE UNIQUE INDEX escalations_one_report ON escalations (step, contact_id) WHERE clock_id IS NULL;
CREATE INDEX escalations_due ON escalations (status, next_attempt_at);
CREATE INDEX escalations_overdue ON escalations (status, due_at);
CREATE INDEX escalations_leases ON escalations (status, lease_until);
CREATE INDEX escalations_clock ON escalations (clock_id, rank);
CREATE INDEX escalations_incident ON escalations (incident_id);

COMMIT;
PRAGMA foreign_keys = ON;
