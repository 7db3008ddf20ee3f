DROP TABLE send_slots;
