-- Reminders and acknowledgements belong to a person (the directory contact), not to an
-- e-mail address: two contacts with one address are two people, and acknowledging one's
-- own reminder never silences another's. Rows planned before are matched to the contact
-- with their address in their unit (else any unit); one that matches none keeps a key
-- no account can hold ('legacy:' and the address), so only its mail link acknowledges it.
-- SQLite cannot change a table's UNIQUE or PRIMARY KEY: escalations and acknowledgements
-- are rebuilt (https://sqlite.org/lang_altertable.html#otheralter), with foreign keys off
-- and outside diesel's transaction (metadata.toml).
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

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
INSERT INTO escalations_new (id, clock_id, incident_id, step, rank, due_at, contact_id,
    recipient_email, recipient_name, recipient_role, recipient_unit, status, attempts,
    next_attempt_at, last_error, lease_token, lease_until, late, message_id, sent_at, context,
    created_at, updated_at)
SELECT e.id, e.clock_id, e.incident_id, e.step, e.rank, e.due_at,
    COALESCE(
        (SELECT c.id FROM contacts c JOIN units u ON u.id = c.unit_id
          WHERE c.email = e.recipient_email AND u.code = e.recipient_unit
          ORDER BY c.active DESC, c.created_at LIMIT 1),
        (SELECT c.id FROM contacts c WHERE c.email = e.recipient_email
          ORDER BY c.active DESC, c.created_at LIMIT 1),
        'legacy:' || e.recipient_email),
    e.recipient_email, e.recipient_name, e.recipient_role, e.recipient_unit, e.status, e.attempts,
    e.next_attempt_at, e.last_error, e.lease_token, e.lease_until, e.late, e.message_id, e.sent_at,
    e.context, e.created_at, e.updated_at
FROM escalations e;
DROP TABLE escalations;
ALTER TABLE escalations_new RENAME TO escalations;
-- One report per period and person, however many replicas plan it.
CREATE UNIQUE INDEX escalations_one_report ON escalations (step, contact_id) WHERE clock_id IS NULL;
CREATE INDEX escalations_due ON escalations (status, next_attempt_at);
CREATE INDEX escalations_overdue ON escalations (status, due_at);
CREATE INDEX escalations_leases ON escalations (status, lease_until);
CREATE INDEX escalations_clock ON escalations (clock_id, rank);
CREATE INDEX escalations_incident ON escalations (incident_id);

CREATE TABLE acknowledgements_new (
    clock_id TEXT NOT NULL REFERENCES clocks (id),
    contact_id TEXT NOT NULL,
    recipient_email TEXT NOT NULL,
    name TEXT NOT NULL,
    escalation_id TEXT NOT NULL REFERENCES escalations (id),
    acknowledged_at TIMESTAMP NOT NULL,
    PRIMARY KEY (clock_id, contact_id)
);
INSERT INTO acknowledgements_new (clock_id, contact_id, recipient_email, name, escalation_id, acknowledged_at)
SELECT a.clock_id, (SELECT e.contact_id FROM escalations e WHERE e.id = a.escalation_id),
    a.recipient_email, a.name, a.escalation_id, a.acknowledged_at
FROM acknowledgements a;
DROP TABLE acknowledgements;
ALTER TABLE acknowledgements_new RENAME TO acknowledgements;

-- Sign-in throttling by subject, each check reserved before its password is read: 'client:' and an address (failures from anywhere),
-- 'login:' and a login name, known or not (so an unknown login locks and reads exactly
-- like a real one), 'sign_ins:' and an address (every password check, a flood's brake).
-- Accounts lose their own counters; a lock in force moves over, a count below the limit
-- starts again.
ALTER TABLE sign_in_throttle RENAME COLUMN client TO subject;
-- Checks reserved and not settled yet, so parallel guesses stay within the limits.
ALTER TABLE sign_in_throttle ADD COLUMN in_flight INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sign_in_throttle ADD COLUMN in_flight_at TIMESTAMP;
UPDATE sign_in_throttle SET subject = 'client:' || subject;
INSERT INTO sign_in_throttle (subject, failures, window_started_at, locked_until)
    SELECT 'login:' || login, 0, locked_until, locked_until FROM accounts WHERE locked_until IS NOT NULL;
ALTER TABLE accounts DROP COLUMN failed_attempts;
ALTER TABLE accounts DROP COLUMN locked_until;

-- Console forms submitted once: a form carries a one-time token, recorded in the same
-- transaction as what the form does, so a double submit records nothing the second time.
CREATE TABLE form_submissions (
    actor_id TEXT NOT NULL,
    -- The form's path and its token.
    form_key TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (actor_id, form_key)
);

COMMIT;
PRAGMA foreign_keys = ON;
