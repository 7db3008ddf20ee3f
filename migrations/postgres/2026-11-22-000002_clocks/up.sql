-- The 5-hour and 24-hour clocks, milestones that stop them, and one row per planned
-- escalation mail (step × recipient): the engine's durable work queue.

CREATE TABLE clocks (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    kind TEXT NOT NULL,
    -- running | met | met_late | cancelled (at_risk / breached are derived from time)
    state TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    due_at TIMESTAMP NOT NULL,
    -- JSON: the policy in force when the clock started; later config changes do not touch it.
    policy TEXT NOT NULL,
    stopped_at TIMESTAMP,
    stop_reason TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX clocks_incident ON clocks (incident_id);
CREATE UNIQUE INDEX clocks_one_running ON clocks (incident_id, kind) WHERE state = 'running';

CREATE TABLE milestones (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    kind TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    -- JSON: channel/url for a statement, venue/spokesperson for a press conference.
    evidence TEXT NOT NULL,
    note TEXT,
    clock_id TEXT REFERENCES clocks (id),
    recorded_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX milestones_incident ON milestones (incident_id);

-- Also the daily digest and weekly summary: rows without a clock, whose step names the
-- period (daily_digest:2026-11-22) and whose context holds what the mail reports.
CREATE TABLE escalations (
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
-- One report per period and recipient, however many replicas plan it.
CREATE UNIQUE INDEX escalations_one_report ON escalations (step, recipient_email) WHERE clock_id IS NULL;
CREATE INDEX escalations_due ON escalations (status, next_attempt_at);
CREATE INDEX escalations_overdue ON escalations (status, due_at);
CREATE INDEX escalations_leases ON escalations (status, lease_until);
CREATE INDEX escalations_clock ON escalations (clock_id, rank);
CREATE INDEX escalations_incident ON escalations (incident_id);

CREATE TABLE acknowledgements (
    clock_id TEXT NOT NULL REFERENCES clocks (id),
    recipient_email TEXT NOT NULL,
    name TEXT NOT NULL,
    escalation_id TEXT NOT NULL REFERENCES escalations (id),
    acknowledged_at TIMESTAMP NOT NULL,
    PRIMARY KEY (clock_id, recipient_email)
);

-- Generated secrets shared by every replica (e.g. the key that signs acknowledgement links).
CREATE TABLE service_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
