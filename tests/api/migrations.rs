//! Migrations that move rows: a database at the previous version, filled as the service
//! left it, is migrated by a starting service and every row is checked after.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use yuqing_tracker::config::DbTarget;
use yuqing_tracker::store::{Connector, Store, run_up_to, schema};

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
           ('e2', 'k1', 'i1', 'repeat_1', 11, '{T}', 'boss@4401.example.org', '市局局长', 'parent:principal_leader', '4401', 'pending', 0, '{T}', FALSE, '<e2@x>', NULL, '{T}', '{T}'),
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
                .select((a::contact_id, a::recipient_email, a::escalation_id))
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

on_both_backends!(reminders_move_to_the_person_they_were_for);
