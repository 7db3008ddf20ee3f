-- Optional expiry of API tokens (NULL: never).
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMP;
