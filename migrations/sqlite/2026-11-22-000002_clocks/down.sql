DROP TABLE service_secrets;
DROP TABLE acknowledgements;
DROP TABLE escalations;
DROP TABLE milestones;
DROP TABLE clocks;
