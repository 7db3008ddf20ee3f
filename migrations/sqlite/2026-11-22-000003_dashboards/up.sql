-- What dashboards poll: one counter that moves on every visible change (so a 304 needs
-- one read), each timeline event's place in that order (resumable event stream), the
-- nearest running deadline of each incident (sort by deadline), and when a clock enters
-- its at-risk window (filters, board, the phase stamps the sweep records).

CREATE TABLE change_counter (
    id INTEGER PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO change_counter (id, value) SELECT 1, COALESCE(MAX(id), 0) FROM incident_events;

-- Taken from change_counter inside the writing transaction, so it grows in commit order.
ALTER TABLE incident_events ADD COLUMN seq BIGINT;
UPDATE incident_events SET seq = id;
CREATE UNIQUE INDEX incident_events_seq ON incident_events (seq);

ALTER TABLE incidents ADD COLUMN next_due_at TIMESTAMP;
UPDATE incidents SET next_due_at = (
    SELECT MIN(c.due_at) FROM clocks c WHERE c.incident_id = incidents.id AND c.state = 'running'
);
CREATE INDEX incidents_next_due ON incidents (next_due_at, id);
CREATE INDEX incidents_updated ON incidents (updated_at);
CREATE INDEX incidents_discovered ON incidents (discovered_at);
CREATE INDEX incidents_status_severity ON incidents (status, severity);

ALTER TABLE clocks ADD COLUMN at_risk_at TIMESTAMP;
UPDATE clocks SET at_risk_at = strftime('%Y-%m-%d %H:%M:%f', due_at, '-' || json_extract(policy, '$.at_risk_minutes') || ' minutes');
-- on_time | at_risk | breached: the last phase of a running clock recorded on the timeline.
ALTER TABLE clocks ADD COLUMN phase TEXT NOT NULL DEFAULT 'on_time';
CREATE INDEX clocks_state_due ON clocks (state, due_at);
CREATE INDEX clocks_state_risk ON clocks (state, at_risk_at);
