DROP TABLE form_submissions;
ALTER TABLE accounts ADD COLUMN failed_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN locked_until TIMESTAMP;
DELETE FROM sign_in_throttle WHERE subject NOT LIKE 'client:%';
UPDATE sign_in_throttle SET subject = substr(subject, 8);
ALTER TABLE sign_in_throttle DROP COLUMN in_flight_at;
ALTER TABLE sign_in_throttle DROP COLUMN in_flight;
ALTER TABLE sign_in_throttle RENAME COLUMN subject TO client;

ALTER TABLE acknowledgements DROP CONSTRAINT acknowledgements_pkey;
ALTER TABLE acknowledgements ADD PRIMARY KEY (clock_id, recipient_email);
ALTER TABLE acknowledgements DROP COLUMN contact_id;

DROP INDEX escalations_one_report;
CREATE UNIQUE INDEX escalations_one_report ON escalations (step, recipient_email) WHERE clock_id IS NULL;
ALTER TABLE escalations DROP CONSTRAINT escalations_one_per_person;
ALTER TABLE escalations ADD CONSTRAINT escalations_clock_id_step_recipient_email_key UNIQUE (clock_id, step, recipient_email);
ALTER TABLE escalations DROP COLUMN contact_id;
