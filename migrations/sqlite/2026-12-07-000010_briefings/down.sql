DROP TABLE briefings;
