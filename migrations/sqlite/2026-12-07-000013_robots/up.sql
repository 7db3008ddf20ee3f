-- Group robots of a unit (企业微信 群机器人, 钉钉 and 飞书 custom robots): each receives the
-- unit's reminders as group messages. The webhook and signing secret are credentials:
-- the API and console show them masked.
CREATE TABLE robots (
    id TEXT PRIMARY KEY,
    unit_id TEXT NOT NULL REFERENCES units (id),
    -- wecom_robot | dingtalk | feishu
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    webhook TEXT NOT NULL,
    secret TEXT,
    active BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX robots_unit ON robots (unit_id);
-- One row per message sent to a robot, to keep within its 20 a minute on every replica.
CREATE TABLE robot_sends (
    robot_id TEXT NOT NULL REFERENCES robots (id),
    sent_at TIMESTAMP NOT NULL
);
CREATE INDEX robot_sends_recent ON robot_sends (robot_id, sent_at);
