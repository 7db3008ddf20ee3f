-- Briefings (舆情快报) to the parent unit: each submission is the next version of the
-- incident's briefing (首报, 续报, 终报 by its kind), with the parent's read receipt.
CREATE TABLE briefings (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    version BIGINT NOT NULL,
    -- A clock kind whose milestone is a briefing (first_report, follow_report, final_report).
    kind TEXT NOT NULL,
    from_unit_id TEXT NOT NULL REFERENCES units (id),
    to_unit_id TEXT NOT NULL REFERENCES units (id),
    -- JSON: event, location, discovered_at, spread, units_involved, actions, next_steps, contact.
    facts TEXT NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    submitted_by TEXT NOT NULL,
    submitted_by_name TEXT NOT NULL,
    read_at TIMESTAMP,
    read_by_name TEXT,
    UNIQUE (incident_id, version)
);
CREATE INDEX briefings_inbox ON briefings (to_unit_id, submitted_at);
