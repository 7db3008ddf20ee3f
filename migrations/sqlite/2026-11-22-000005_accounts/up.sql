-- Personal accounts for the web console, their sessions, and sign-in throttling per client.
-- Who acted may now be a token or an account: the columns naming the actor lose their
-- token-only names and the foreign key to api_tokens. SQLite cannot drop a foreign key, so
-- incidents is rebuilt (https://sqlite.org/lang_altertable.html#otheralter): with foreign
-- keys off and outside diesel's transaction (metadata.toml).

PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

CREATE TABLE incidents_new (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    source_channel TEXT NOT NULL,
    source_url TEXT,
    discovered_at TIMESTAMP NOT NULL,
    -- The token or account that logged it.
    reported_by TEXT NOT NULL,
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
    updated_at TIMESTAMP NOT NULL,
    next_due_at TIMESTAMP
);
INSERT INTO incidents_new (id, reference, title, summary, source_channel, source_url, discovered_at, reported_by, reported_by_name,
    severity, category, special_topic, status, dismissal_reason, publication, possible_duplicate_of,
    version, created_at, updated_at, next_due_at)
SELECT id, reference, title, summary, source_channel, source_url, discovered_at, reported_by_token, reported_by_name,
    severity, category, special_topic, status, dismissal_reason, publication, possible_duplicate_of,
    version, created_at, updated_at, next_due_at FROM incidents;
DROP TABLE incidents;
ALTER TABLE incidents_new RENAME TO incidents;
CREATE INDEX incidents_created ON incidents (created_at DESC, id DESC);
CREATE INDEX incidents_source_url ON incidents (source_url);
CREATE INDEX incidents_next_due ON incidents (next_due_at, id);
CREATE INDEX incidents_updated ON incidents (updated_at);
CREATE INDEX incidents_discovered ON incidents (discovered_at);
CREATE INDEX incidents_status_severity ON incidents (status, severity);

ALTER TABLE incident_events RENAME COLUMN actor_token TO actor_id;
ALTER TABLE idempotency_keys RENAME COLUMN token_id TO actor_id;

CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    -- Lower-case; what people type to sign in.
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    -- The unit it is limited to (with the units below it); NULL: every unit.
    unit_id TEXT REFERENCES units (id),
    contact_id TEXT REFERENCES contacts (id),
    password_hash TEXT NOT NULL,
    -- Failed sign-ins since the last success or lock-out.
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMP,
    disabled_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    password_changed_at TIMESTAMP NOT NULL
);

CREATE TABLE sessions (
    -- SHA-256 of the cookie's random id: the database never holds a usable cookie.
    id_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_account ON sessions (account_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Failed sign-ins per client address, whichever login they tried.
CREATE TABLE sign_in_throttle (
    client TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_started_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP
);

COMMIT;
PRAGMA foreign_keys = ON;
