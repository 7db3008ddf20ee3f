-- A reminder goes to a person on a channel: the row names the person (contact_id), the
-- channel ('email' for every row so far) and the address on that channel, and is unique
-- per (clock, step, person, channel), so one step may reach a person on several
-- channels, each once. Acknowledgements stay one per person and clock, and record the
-- channel and address they came through.
ALTER TABLE escalations ADD COLUMN channel TEXT NOT NULL DEFAULT 'email';
ALTER TABLE escalations ALTER COLUMN channel DROP DEFAULT;
ALTER TABLE escalations RENAME COLUMN recipient_email TO address;
ALTER TABLE escalations DROP CONSTRAINT escalations_one_per_person;
ALTER TABLE escalations ADD CONSTRAINT escalations_one_per_channel UNIQUE (clock_id, step, contact_id, channel);
DROP INDEX escalations_one_report;
CREATE UNIQUE INDEX escalations_one_report ON escalations (step, contact_id, channel) WHERE clock_id IS NULL;

ALTER TABLE acknowledgements ADD COLUMN channel TEXT NOT NULL DEFAULT 'email';
ALTER TABLE acknowledgements ALTER COLUMN channel DROP DEFAULT;
ALTER TABLE acknowledgements RENAME COLUMN recipient_email TO address;
