DROP INDEX escalations_overdue;
CREATE INDEX escalations_overdue ON escalations (status, due_at);
DROP INDEX escalations_leases;
CREATE INDEX escalations_leases ON escalations (status, lease_until);
CREATE INDEX escalations_clock ON escalations (clock_id, rank);
