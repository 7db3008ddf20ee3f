ALTER TABLE escalations DROP COLUMN held_from;
ALTER TABLE units DROP COLUMN quiet_hours;
