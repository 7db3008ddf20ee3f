-- An office's quiet hours (JSON {"from": "22:00", "to": "07:00"}, office time; NULL: none):
-- early warnings that would fall inside wait for the window's end.
ALTER TABLE units ADD COLUMN quiet_hours TEXT;
-- When a message was first due, if quiet hours held it to its due_at.
ALTER TABLE escalations ADD COLUMN held_from TIMESTAMP;
