-- Office directory, API tokens, incidents and their append-only timeline.
-- Times are UTC (TIMESTAMP without zone); ids are UUID text so both backends agree.

CREATE TABLE units (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    parent_id TEXT REFERENCES units (id),
    -- '/root-id/…/own-id/': a scope check is one prefix match.
    path TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX units_path ON units (path);

CREATE TABLE contacts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT,
    unit_id TEXT NOT NULL REFERENCES units (id),
    -- JSON array of role names.
    roles TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX contacts_unit ON contacts (unit_id);

CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    unit_id TEXT REFERENCES units (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

CREATE TABLE reference_counters (
    year INTEGER PRIMARY KEY,
    last_value BIGINT NOT NULL
);

CREATE TABLE incidents (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    source_channel TEXT NOT NULL,
    source_url TEXT,
    discovered_at TIMESTAMP NOT NULL,
    reported_by_token TEXT NOT NULL REFERENCES api_tokens (id),
    reported_by_name TEXT NOT NULL,
    severity TEXT NOT NULL,
    category TEXT NOT NULL,
    special_topic TEXT,
    status TEXT NOT NULL,
    dismissal_reason TEXT,
    -- JSON: what was published on closing, and where.
    publication TEXT,
    possible_duplicate_of TEXT,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX incidents_created ON incidents (created_at DESC, id DESC);
CREATE INDEX incidents_source_url ON incidents (source_url);

CREATE TABLE incident_units (
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    unit_id TEXT NOT NULL REFERENCES units (id),
    first_responsible BOOLEAN NOT NULL,
    PRIMARY KEY (incident_id, unit_id)
);
CREATE INDEX incident_units_unit ON incident_units (unit_id);

CREATE TABLE incident_referrals (
    id TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    authority TEXT NOT NULL,
    referred_at TIMESTAMP NOT NULL,
    their_reference TEXT,
    note TEXT,
    recorded_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX incident_referrals_incident ON incident_referrals (incident_id);

CREATE TABLE incident_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    at TIMESTAMP NOT NULL,
    actor_token TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    -- JSON object: field → {"before": …, "after": …}, or the event's payload.
    changes TEXT NOT NULL,
    note TEXT
);
CREATE INDEX incident_events_incident ON incident_events (incident_id, id);

CREATE TABLE idempotency_keys (
    token_id TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (token_id, key)
);
