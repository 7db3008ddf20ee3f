-- A person's mobile number (SMS, and @ in group robots) and their own notification rule
-- (JSON list of {channel, after_minutes}; NULL follows their role's rule from config).
ALTER TABLE contacts ADD COLUMN mobile TEXT;
ALTER TABLE contacts ADD COLUMN notification_rules TEXT;
-- Minutes after its step a message was planned for: 0 at once, more only while the
-- person has not acknowledged.
ALTER TABLE escalations ADD COLUMN after_minutes INTEGER NOT NULL DEFAULT 0;
