-- Back to one row per (clock, step, person): rows on channels other than e-mail go.
DELETE FROM acknowledgements WHERE channel <> 'email';
ALTER TABLE acknowledgements RENAME COLUMN address TO recipient_email;
ALTER TABLE acknowledgements DROP COLUMN channel;

DELETE FROM escalations WHERE channel <> 'email';
DROP INDEX escalations_one_report;
CREATE UNIQUE INDEX escalations_one_report ON escalations (step, contact_id) WHERE clock_id IS NULL;
ALTER TABLE escalations DROP CONSTRAINT escalations_one_per_channel;
ALTER TABLE escalations ADD CONSTRAINT escalations_one_per_person UNIQUE (clock_id, step, contact_id);
ALTER TABLE escalations RENAME COLUMN address TO recipient_email;
ALTER TABLE escalations DROP COLUMN channel;
