-- Going back keeps incidents without the foreign key to api_tokens (a rebuild for nothing).
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
DROP TABLE sign_in_throttle;
DROP TABLE sessions;
DROP TABLE accounts;
ALTER TABLE idempotency_keys RENAME COLUMN actor_id TO token_id;
ALTER TABLE incident_events RENAME COLUMN actor_id TO actor_token;
ALTER TABLE incidents RENAME COLUMN reported_by TO reported_by_token;
COMMIT;
PRAGMA foreign_keys = ON;
