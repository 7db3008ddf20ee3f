-- Single-use tickets that let a browser's EventSource (which cannot send an
-- Authorization header) open /api/v1/events: minted with a token, valid for a minute,
-- deleted when used. Only a SHA-256 of each ticket is kept.
CREATE TABLE stream_tickets (
    ticket_hash TEXT PRIMARY KEY NOT NULL,
    token_id TEXT NOT NULL REFERENCES api_tokens (id),
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX stream_tickets_expiry ON stream_tickets (expires_at);
