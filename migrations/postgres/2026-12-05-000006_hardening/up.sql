-- Reminders and acknowledgements belong to a person (the directory contact), not to an
-- e-mail address: two contacts with one address are two people, and acknowledging one's
-- own reminder never silences another's. Rows planned before are matched to the contact
-- with their address in their unit (else any unit); one that matches none keeps a key
-- no account can hold ('legacy:' and the address), so only its mail link acknowledges it.
ALTER TABLE escalations ADD COLUMN contact_id TEXT;
UPDATE escalations e SET contact_id = COALESCE(
    (SELECT c.id FROM contacts c JOIN units u ON u.id = c.unit_id
      WHERE c.email = e.recipient_email AND u.code = e.recipient_unit
      ORDER BY c.active DESC, c.created_at LIMIT 1),
    (SELECT c.id FROM contacts c WHERE c.email = e.recipient_email
      ORDER BY c.active DESC, c.created_at LIMIT 1),
    'legacy:' || e.recipient_email);
ALTER TABLE escalations ALTER COLUMN contact_id SET NOT NULL;
ALTER TABLE escalations DROP CONSTRAINT escalations_clock_id_step_recipient_email_key;
ALTER TABLE escalations ADD CONSTRAINT escalations_one_per_person UNIQUE (clock_id, step, contact_id);
DROP INDEX escalations_one_report;
CREATE UNIQUE INDEX escalations_one_report ON escalations (step, contact_id) WHERE clock_id IS NULL;

ALTER TABLE acknowledgements ADD COLUMN contact_id TEXT;
UPDATE acknowledgements a SET contact_id = (SELECT e.contact_id FROM escalations e WHERE e.id = a.escalation_id);
ALTER TABLE acknowledgements ALTER COLUMN contact_id SET NOT NULL;
ALTER TABLE acknowledgements DROP CONSTRAINT acknowledgements_pkey;
ALTER TABLE acknowledgements ADD PRIMARY KEY (clock_id, contact_id);

-- Sign-in throttling by subject, each check reserved before its password is read: 'client:' and an address (failures from anywhere),
-- 'login:' and a login name, known or not (so an unknown login locks and reads exactly
-- like a real one), 'sign_ins:' and an address (every password check, a flood's brake).
-- Accounts lose their own counters; a lock in force moves over, a count below the limit
-- starts again.
ALTER TABLE sign_in_throttle RENAME COLUMN client TO subject;
-- Checks reserved and not settled yet, so parallel guesses stay within the limits.
ALTER TABLE sign_in_throttle ADD COLUMN in_flight INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sign_in_throttle ADD COLUMN in_flight_at TIMESTAMP;
UPDATE sign_in_throttle SET subject = 'client:' || subject;
INSERT INTO sign_in_throttle (subject, failures, window_started_at, locked_until)
    SELECT 'login:' || login, 0, locked_until, locked_until FROM accounts WHERE locked_until IS NOT NULL;
ALTER TABLE accounts DROP COLUMN failed_attempts;
ALTER TABLE accounts DROP COLUMN locked_until;

-- Console forms submitted once: a form carries a one-time token, recorded in the same
-- transaction as what the form does, so a double submit records nothing the second time.
CREATE TABLE form_submissions (
    actor_id TEXT NOT NULL,
    -- The form's path and its token.
    form_key TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (actor_id, form_key)
);
