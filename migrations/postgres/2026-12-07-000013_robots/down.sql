DROP TABLE robot_sends;
DROP TABLE robots;
