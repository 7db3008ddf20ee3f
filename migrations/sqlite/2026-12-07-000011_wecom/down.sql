ALTER TABLE contacts DROP COLUMN wecom_userid;
