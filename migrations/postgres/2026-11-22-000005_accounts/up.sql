-- Personal accounts for the web console, their sessions, and sign-in throttling per client.
-- Who acted may now be a token or an account: the columns naming the actor lose their
-- token-only names and the foreign key to api_tokens.

ALTER TABLE incidents DROP CONSTRAINT incidents_reported_by_token_fkey;
ALTER TABLE incidents RENAME COLUMN reported_by_token TO reported_by;
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
