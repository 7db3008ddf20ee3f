ALTER TABLE escalations DROP COLUMN after_minutes;
ALTER TABLE contacts DROP COLUMN notification_rules;
ALTER TABLE contacts DROP COLUMN mobile;
