DROP TABLE sign_in_throttle;
DROP TABLE sessions;
DROP TABLE accounts;
ALTER TABLE idempotency_keys RENAME COLUMN actor_id TO token_id;
ALTER TABLE incident_events RENAME COLUMN actor_id TO actor_token;
ALTER TABLE incidents RENAME COLUMN reported_by TO reported_by_token;
ALTER TABLE incidents ADD CONSTRAINT incidents_reported_by_token_fkey
    FOREIGN KEY (reported_by_token) REFERENCES api_tokens (id);
