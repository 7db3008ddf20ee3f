-- A person's 企业微信 user id: reminders reach them as 企业微信 application messages too.
ALTER TABLE contacts ADD COLUMN wecom_userid TEXT;
