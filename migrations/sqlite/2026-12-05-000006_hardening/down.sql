-- Back to rows and acknowledgements keyed by address (the first of two people sharing
-- an address is kept), and to counters on the accounts.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
DROP TABLE form_submissions;
CREATE TABLE escalations_old (
    id TEXT PRIMARY KEY,
    clock_id TEXT REFERENCES clocks (id),
    incident_id TEXT REFERENCES incidents (id),
    -- new_major | before_120m | breach | repeat_3 | daily_digest:… | weekly_summary:…
    step TEXT NOT NULL,
    -- Order of severity within the clock; -1 for the new-major notice, -2 for reports
    -- (neither is ever superseded).
    rank INTEGER NOT NULL,
    due_at TIMESTAMP NOT NULL,
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
    UNIQUE (clock_id, step, recipient_email)
);
-- Two people with one address become one row again: the first one kept.
INSERT OR IGNORE INTO escalations_old (id, clock_id, incident_id, step, rank, due_at, recipient_email, recipient_name, recipient_role, recipient_unit, status, attempts, next_attempt_at, last_error, lease_token, lease_until, late, message_id, sent_at, context, created_at, updated_at)
    SELECT id, clock_id, incident_id, step, rank, due_at, recipient_email, recipient_name, recipient_role, recipient_unit, status, attempts, next_attempt_at, last_error, lease_token, lease_until, late, message_id, sent_at, context, created_at, updated_at FROM escalations ORDER BY created_at;
DROP TABLE escalations;
ALTER TABLE escalations_old RENAME TO escalations;
CREATE UNIQUE INDEX escalations_one_report ON escalations (step, recipient_email) WHERE clock_id IS NULL;
CREATE INDEX escalations_due ON escalations (status, next_attempt_at);
CREATE INDEX escalations_overdue ON escalations (status, due_at);
CREATE INDEX escalations_leases ON escalations (status, lease_until);
CREATE INDEX escalations_clock ON escalations (clock_id, rank);
CREATE INDEX escalations_incident ON escalations (incident_id);


CREATE TABLE acknowledgements_old (
    clock_id TEXT NOT NULL REFERENCES clocks (id),
    recipient_email TEXT NOT NULL,
    name TEXT NOT NULL,
    escalation_id TEXT NOT NULL REFERENCES escalations (id),
    acknowledged_at TIMESTAMP NOT NULL,
    PRIMARY KEY (clock_id, recipient_email)
);
INSERT OR IGNORE INTO acknowledgements_old (clock_id, recipient_email, name, escalation_id, acknowledged_at)
    SELECT clock_id, recipient_email, name, escalation_id, acknowledged_at FROM acknowledgements ORDER BY acknowledged_at;
DROP TABLE acknowledgements;
ALTER TABLE acknowledgements_old RENAME TO acknowledgements;

ALTER TABLE accounts ADD COLUMN failed_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN locked_until TIMESTAMP;
DELETE FROM sign_in_throttle WHERE subject NOT LIKE 'client:%';
UPDATE sign_in_throttle SET subject = substr(subject, 8);
ALTER TABLE sign_in_throttle DROP COLUMN in_flight_at;
ALTER TABLE sign_in_throttle DROP COLUMN in_flight;
ALTER TABLE sign_in_throttle RENAME COLUMN subject TO client;
COMMIT;
PRAGMA foreign_keys = ON;
