-- One row per message sent to an address a vendor limits by count (企业微信 application
-- messages: 30 a minute and 1,000 an hour per member, past which it drops them silently),
-- so every replica counts the same sends.
CREATE TABLE send_slots (
    key TEXT NOT NULL,
    sent_at TIMESTAMP NOT NULL
);
CREATE INDEX send_slots_recent ON send_slots (key, sent_at);
