//! Migrations that move rows: a database at the previous version, filled as the service
//! left it, is migrated by a starting service and every row is checked after.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use yuqing_tracker::config::DbTarget;
use yuqing_tracker::domain::escalation::Channel;
use yuqing_tracker::store::escalations::{ClaimSettings, db_now, take_due};
use yuqing_tracker::store::{Connector, Store, run_up_to, schema, write_tx};

use crate::helpers::{Backend, TestDb, test_settings};
use crate::on_both_backends;

const T: &str = "2026-11-30 08:00:00";

/// Escalations and acknowledgements keyed by address become keyed by person; account
/// lock-outs move to the throttle table.
async fn reminders_move_to_the_person_they_were_for(backend: Backend) {
    let db = TestDb::create(backend);
    let target = DbTarget::parse(&db.url()).unwrap();
    let mut conn = Connector::new(target, std::time::Duration::from_secs(5))
        .connect()
        .unwrap();
    run_up_to(&mut conn, "2026-11-22-000005").unwrap();
    let esc = "INSERT INTO escalations (id, clock_id, incident_id, step, rank, due_at, \
        recipient_email, recipient_name, recipient_role, recipient_unit, status, attempts, \
        next_attempt_at, late, message_id, sent_at, created_at, updated_at) VALUES";
    conn.batch_execute(&format!(
        "INSERT INTO units (id, code, name, level, parent_id, path, active, version, created_at, updated_at) VALUES
           ('u1', '4401', '广州市税务局', 'city_bureau', NULL, '/u1/', TRUE, 1, '{T}', '{T}'),
           ('u2', '440106', '天河区税务局', 'district_bureau', 'u1', '/u1/u2/', TRUE, 1, '{T}', '{T}');
         INSERT INTO contacts (id, name, email, phone, unit_id, roles, active, version, created_at, updated_at) VALUES
           ('c1', '市局局长', 'boss@4401.example.org', NULL, 'u1', '[\"principal_leader\"]', TRUE, 1, '{T}', '{T}'),
           ('c2', '区局联络员', 'liaison@440106.example.org', NULL, 'u2', '[\"liaison\"]', TRUE, 1, '{T}', '{T}');
         INSERT INTO incidents (id, reference, title, summary, source_channel, discovered_at, reported_by,
           reported_by_name, severity, category, status, version, created_at, updated_at) VALUES
           ('i1', 'YQ-2026-000001', '标题', '摘要', 'weibo', '{T}', 'tok', '值班', 'major', 'other', 'reported', 1, '{T}', '{T}');
         INSERT INTO clocks (id, incident_id, kind, state, started_at, due_at, policy, created_at, at_risk_at, phase) VALUES
           ('k1', 'i1', 'authoritative_statement', 'running', '{T}', '{T}', '{{}}', '{T}', '{T}', 'breached');
         {esc}
           ('e1', 'k1', 'i1', 'breach', 10, '{T}', 'boss@4401.example.org', '市局局长', 'parent:principal_leader', '4401', 'sent', 1, '{T}', FALSE, '<e1@x>', '{T}', '{T}', '{T}'),
           ('e2', 'k1', 'i1', 'repeat_1', 1001, '{T}', 'boss@4401.example.org', '市局局长', 'parent:principal_leader', '4401', 'pending', 0, '{T}', FALSE, '<e2@x>', NULL, '{T}', '{T}'),
           ('e3', 'k1', 'i1', 'new_major', -1, '{T}', 'liaison@440106.example.org', '区局联络员', 'liaison', '440106', 'sent', 1, '{T}', FALSE, '<e3@x>', '{T}', '{T}', '{T}'),
           ('e4', 'k1', 'i1', 'breach', 10, '{T}', 'gone@example.org', '已离职', 'principal_leader', '440106', 'failed', 5, '{T}', FALSE, '<e4@x>', NULL, '{T}', '{T}');
         INSERT INTO acknowledgements (clock_id, recipient_email, name, escalation_id, acknowledged_at) VALUES
           ('k1', 'boss@4401.example.org', '市局局长', 'e1', '{T}');
         INSERT INTO accounts (id, login, display_name, role, password_hash, failed_attempts, locked_until, created_at, password_changed_at) VALUES
           ('a1', 'locked', '锁定者', 'viewer', 'x', 0, '2999-01-01 00:00:00', '{T}', '{T}'),
           ('a2', 'counting', '计数者', 'viewer', 'x', 3, NULL, '{T}', '{T}');
         INSERT INTO sign_in_throttle (client, failures, window_started_at, locked_until) VALUES
           ('192.0.2.7', 4, '{T}', NULL);"
    ))
    .unwrap();
    drop(conn);

    let files = tempfile::tempdir().unwrap();
    let settings = test_settings(&db, files.path());
    let store = Store::open(&settings.database).await.unwrap();
    let (rows, acks, throttle) = store
        .run(|conn| {
            use schema::{acknowledgements as a, escalations as e, sign_in_throttle as t};
            let rows: Vec<(String, String, String, String)> = e::table
                .order(e::id)
                .select((e::id, e::contact_id, e::status, e::message_id))
                .load(conn)?;
            let acks: Vec<(String, String, String)> = a::table
                .select((a::contact_id, a::address, a::escalation_id))
                .load(conn)?;
            let throttle: Vec<(String, i32, bool)> = t::table
                .order(t::subject)
                .select((t::subject, t::failures, t::locked_until.is_not_null()))
                .load(conn)?;
            Ok((rows, acks, throttle))
        })
        .await
        .unwrap();
    let row = |id: &str, contact: &str, status: &str| {
        (
            id.to_owned(),
            contact.to_owned(),
            status.to_owned(),
            format!("<{id}@x>"),
        )
    };
    assert_eq!(
        rows,
        [
            row("e1", "c1", "sent"),
            row("e2", "c1", "pending"),
            row("e3", "c2", "sent"),
            row("e4", "legacy:gone@example.org", "failed"),
        ],
        "each row names its person; status and Message-ID kept"
    );
    assert_eq!(
        acks,
        [(
            "c1".to_owned(),
            "boss@4401.example.org".to_owned(),
            "e1".to_owned()
        )]
    );
    assert_eq!(
        throttle,
        [
            ("client:192.0.2.7".to_owned(), 4, false),
            ("login:locked".to_owned(), 0, true),
        ],
        "the client's count and the account's lock kept; a count below the limit starts again"
    );
}

/// Reminders keyed by person become keyed by person and channel: every row, pending or
/// sent, is an e-mail row with its address, status, attempts, error and Message-ID as
/// they were; a pending one is claimed and sent as before; acknowledgements record the
/// channel. The new key lets one step reach a person on a second channel, once.
async fn reminders_become_rows_per_person_and_channel(backend: Backend) {
    let db = TestDb::create(backend);
    let target = DbTarget::parse(&db.url()).unwrap();
    let mut conn = Connector::new(target, std::time::Duration::from_secs(5))
        .connect()
        .unwrap();
    run_up_to(&mut conn, "2026-12-06-000007").unwrap();
    let esc = "INSERT INTO escalations (id, clock_id, incident_id, step, rank, due_at, contact_id, \
        recipient_email, recipient_name, recipient_role, recipient_unit, status, attempts, \
        next_attempt_at, last_error, late, message_id, sent_at, context, created_at, updated_at) VALUES";
    conn.batch_execute(&format!(
        "INSERT INTO units (id, code, name, level, parent_id, path, active, version, created_at, updated_at) VALUES
           ('u1', '4401', '广州市税务局', 'city_bureau', NULL, '/u1/', TRUE, 1, '{T}', '{T}');
         INSERT INTO contacts (id, name, email, phone, unit_id, roles, active, version, created_at, updated_at) VALUES
           ('c1', '市局局长', 'boss@4401.example.org', NULL, 'u1', '[\"principal_leader\"]', TRUE, 1, '{T}', '{T}'),
           ('c2', '办公室主任', 'director@4401.example.org', NULL, 'u1', '[\"office_director\"]', TRUE, 1, '{T}', '{T}');
         INSERT INTO incidents (id, reference, title, summary, source_channel, discovered_at, reported_by,
           reported_by_name, severity, category, status, version, created_at, updated_at) VALUES
           ('i1', 'YQ-2026-000001', '标题', '摘要', 'weibo', '{T}', 'tok', '值班', 'major', 'other', 'reported', 1, '{T}', '{T}');
         INSERT INTO clocks (id, incident_id, kind, state, started_at, due_at, policy, created_at, at_risk_at, phase) VALUES
           ('k1', 'i1', 'authoritative_statement', 'running', '{T}', '{T}', '{{}}', '{T}', '{T}', 'breached');
         {esc}
           ('e1', 'k1', 'i1', 'breach', 10, '{T}', 'c1', 'boss@4401.example.org', '市局局长', 'principal_leader', '4401', 'sent', 1, '{T}', NULL, TRUE, '<e1@x>', '{T}', NULL, '{T}', '{T}'),
           ('e2', 'k1', 'i1', 'repeat_1', 1001, '{T}', 'c1', 'boss@4401.example.org', '市局局长', 'principal_leader', '4401', 'pending', 2, '{T}', '451 try later', FALSE, '<e2@x>', NULL, NULL, '{T}', '{T}'),
           ('e3', 'k1', 'i1', 'breach', 10, '{T}', 'c2', 'director@4401.example.org', '办公室主任', 'office_director', '4401', 'failed', 5, '{T}', '550 no such user', FALSE, '<e3@x>', NULL, NULL, '{T}', '{T}'),
           ('e4', NULL, NULL, 'daily_digest:2026-11-30', -2, '{T}', 'c1', 'boss@4401.example.org', '市局局长', 'principal_leader', '4401', 'pending', 0, '{T}', NULL, FALSE, '<e4@x>', NULL, '{{}}', '{T}', '{T}');
         INSERT INTO acknowledgements (clock_id, contact_id, recipient_email, name, escalation_id, acknowledged_at) VALUES
           ('k1', 'c1', 'boss@4401.example.org', '市局局长', 'e1', '{T}');"
    ))
    .unwrap();
    drop(conn);

    let files = tempfile::tempdir().unwrap();
    let settings = test_settings(&db, files.path());
    let store = Store::open(&settings.database).await.unwrap();
    type Row = (
        String,
        String,
        String,
        String,
        String,
        i32,
        Option<String>,
        String,
        bool,
    );
    let (rows, acks): (Vec<Row>, Vec<(String, String, String)>) = store
        .run(|conn| {
            use schema::{acknowledgements as a, escalations as e};
            let rows = e::table
                .order(e::id)
                .select((
                    e::id,
                    e::contact_id,
                    e::channel,
                    e::address,
                    e::status,
                    e::attempts,
                    e::last_error,
                    e::message_id,
                    e::sent_at.is_not_null(),
                ))
                .load(conn)?;
            let acks = a::table
                .select((a::contact_id, a::channel, a::address))
                .load(conn)?;
            Ok((rows, acks))
        })
        .await
        .unwrap();
    let row = |id: &str,
               contact: &str,
               address: &str,
               status: &str,
               attempts,
               error: Option<&str>,
               sent| {
        (
            id.to_owned(),
            contact.to_owned(),
            "email".to_owned(),
            address.to_owned(),
            status.to_owned(),
            attempts,
            error.map(str::to_owned),
            format!("<{id}@x>"),
            sent,
        )
    };
    assert_eq!(
        rows,
        [
            row("e1", "c1", "boss@4401.example.org", "sent", 1, None, true),
            row(
                "e2",
                "c1",
                "boss@4401.example.org",
                "pending",
                2,
                Some("451 try later"),
                false
            ),
            row(
                "e3",
                "c2",
                "director@4401.example.org",
                "failed",
                5,
                Some("550 no such user"),
                false
            ),
            row(
                "e4",
                "c1",
                "boss@4401.example.org",
                "pending",
                0,
                None,
                false
            ),
        ],
        "every row is an e-mail row with its history"
    );
    assert_eq!(
        acks,
        [(
            "c1".to_owned(),
            "email".to_owned(),
            "boss@4401.example.org".to_owned()
        )]
    );

    // The pending ones are claimed as e-mail to their address, as before.
    let claimed = store
        .run(|conn| {
            write_tx(conn, |conn| {
                let settings = ClaimSettings {
                    batch_size: 10,
                    lease: chrono::Duration::seconds(10),
                    late_after: chrono::Duration::seconds(60),
                    ahead: chrono::Duration::zero(),
                };
                let now = db_now(conn)?;
                take_due(conn, &settings, now)
            })
        })
        .await
        .unwrap();
    let mut claimed: Vec<(String, Channel, String, String)> = claimed
        .into_iter()
        .map(|c| (c.id.to_string(), c.channel, c.address, c.message_id))
        .collect();
    claimed.sort();
    assert_eq!(
        claimed,
        [
            (
                "e2".to_owned(),
                Channel::Email,
                "boss@4401.example.org".to_owned(),
                "<e2@x>".to_owned()
            ),
            (
                "e4".to_owned(),
                Channel::Email,
                "boss@4401.example.org".to_owned(),
                "<e4@x>".to_owned()
            ),
        ]
    );

    // One step may reach the person on another channel, but on each channel once.
    let insert = |id: &str, channel: &str, clock: &str| {
        let clock = if clock.is_empty() {
            "NULL".to_owned()
        } else {
            format!("'{clock}'")
        };
        let step = if clock == "NULL" {
            "daily_digest:2026-11-30"
        } else {
            "breach"
        };
        format!(
            "INSERT INTO escalations (id, clock_id, incident_id, step, rank, due_at, contact_id, channel, \
             address, recipient_name, recipient_role, recipient_unit, status, attempts, next_attempt_at, \
             late, message_id, created_at, updated_at) VALUES ('{id}', {clock}, NULL, '{step}', 10, '{T}', \
             'c1', '{channel}', '13800000000', '市局局长', 'principal_leader', '4401', 'cancelled', 0, \
             '{T}', FALSE, '<{id}@x>', '{T}', '{T}')"
        )
    };
    let results = store
        .run(move |conn| {
            let mut out = Vec::new();
            for (id, channel, clock) in [
                ("s1", "sms", "k1"),
                ("s2", "sms", "k1"),
                ("s3", "email", "k1"),
                ("s4", "sms", ""),
                ("s5", "sms", ""),
            ] {
                out.push(conn.batch_execute(&insert(id, channel, clock)).is_ok());
            }
            Ok(out)
        })
        .await
        .unwrap();
    assert_eq!(
        results,
        [true, false, false, true, false],
        "a second channel is a new row; the same channel twice is refused, for reports too"
    );
}

/// Clocks started before kinds were data carry the policy of their time, without a
/// label: they are given their kind's label, milestone form, report name and
/// severities, and read exactly as before.
async fn clocks_started_before_kinds_were_data_keep_their_words(backend: Backend) {
    let db = TestDb::create(backend);
    let target = DbTarget::parse(&db.url()).unwrap();
    let mut conn = Connector::new(target, std::time::Duration::from_secs(5))
        .connect()
        .unwrap();
    run_up_to(&mut conn, "2026-12-06-000008").unwrap();
    let policy = |due: i64| {
        format!(
            r#"{{"due_after_minutes":{due},"at_risk_minutes":60,"steps":[{{"at_minutes":0,"to":["principal_leader"]}}],"repeat_every_minutes":0,"repeat_to":[]}}"#
        )
    };
    let (statement, press) = (policy(300), policy(1440));
    conn.batch_execute(&format!(
        "INSERT INTO incidents (id, reference, title, summary, source_channel, discovered_at, reported_by,
           reported_by_name, severity, category, status, version, created_at, updated_at) VALUES
           ('i1', 'YQ-2026-000001', '标题', '摘要', 'weibo', '{T}', 'tok', '值班', 'major', 'other', 'reported', 1, '{T}', '{T}');
         INSERT INTO clocks (id, incident_id, kind, state, started_at, due_at, policy, created_at, at_risk_at, phase) VALUES
           ('k1', 'i1', 'authoritative_statement', 'met', '{T}', '{T}', '{statement}', '{T}', '{T}', 'on_time'),
           ('k2', 'i1', 'press_conference', 'running', '{T}', '{T}', '{press}', '{T}', '{T}', 'breached');"
    ))
    .unwrap();
    drop(conn);

    let files = tempfile::tempdir().unwrap();
    let settings = test_settings(&db, files.path());
    let store = Store::open(&settings.database).await.unwrap();
    let views = store
        .run(|conn| yuqing_tracker::store::clocks::views(conn, &["i1".into()], chrono::Utc::now()))
        .await
        .unwrap();
    let incident: yuqing_tracker::domain::ids::IncidentId = "i1".into();
    let mut clocks: Vec<(String, String, String)> = views[&incident]
        .iter()
        .map(|c| (c.kind.to_string(), c.label.clone(), c.milestone.to_string()))
        .collect();
    clocks.sort();
    assert_eq!(
        clocks,
        [
            (
                "authoritative_statement".to_owned(),
                "发布权威信息".to_owned(),
                "publication".to_owned()
            ),
            (
                "press_conference".to_owned(),
                "举行新闻发布会".to_owned(),
                "meeting".to_owned()
            ),
        ]
    );
    let policies: Vec<String> = store
        .run(|conn| {
            use schema::clocks as c;
            Ok(c::table.order(c::id).select(c::policy).load(conn)?)
        })
        .await
        .unwrap();
    for (policy, (report_as, due)) in policies
        .iter()
        .zip([("statement", 300), ("press_conference", 1440)])
    {
        let policy: serde_json::Value = serde_json::from_str(policy).unwrap();
        assert_eq!(policy["report_as"], report_as);
        assert_eq!(
            policy["severities"],
            serde_json::json!(["extremely_major", "major"])
        );
        assert_eq!(policy["due_after_minutes"], due, "the rest as it was");
    }
}

on_both_backends!(
    reminders_move_to_the_person_they_were_for,
    reminders_become_rows_per_person_and_channel,
    clocks_started_before_kinds_were_data_keep_their_words,
);
