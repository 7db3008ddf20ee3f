//! Send slots against the real database: a message claimed ahead of its moment is
//! counted at the moment, so the vendor's window (counted by when messages arrive) is
//! never overrun by a slot that was taken early.

use chrono::Duration;
use yuqing_tracker::domain::escalation::RateLimit;
use yuqing_tracker::store::Store;
use yuqing_tracker::store::escalations::db_now;
use yuqing_tracker::store::slots::{Wanted, take_many};

use crate::helpers::{Backend, TestDb, test_settings};
use crate::on_both_backends;

/// Two a minute; two messages due in 30 s take their slots now; a third asked for now
/// waits until a minute after their moment, not a minute after now.
async fn a_slot_taken_ahead_counts_from_its_moment(backend: Backend) {
    let db = TestDb::create(backend);
    let files = tempfile::tempdir().unwrap();
    let store = Store::open(&test_settings(&db, files.path()).database)
        .await
        .unwrap();
    let wanted = |ahead: Duration, now| Wanted {
        key: "wecom:ZhangZhuren".into(),
        limits: vec![RateLimit {
            count: 2,
            window: Duration::seconds(60),
        }],
        at: now + ahead,
    };
    let (now, ahead, later) = store
        .write(move |c| {
            let now = db_now(c)?;
            let ahead = take_many(
                c,
                &[
                    wanted(Duration::seconds(30), now),
                    wanted(Duration::seconds(30), now),
                ],
                now,
            )?;
            let later = take_many(c, &[wanted(Duration::zero(), now)], now)?;
            Ok((now, ahead, later))
        })
        .await
        .unwrap();
    assert!(
        ahead.iter().all(|t| t.free_at.is_none()),
        "both ahead got a slot: {ahead:?}"
    );
    let free_at = later[0].free_at.expect("the third waits");
    let waits = free_at - now;
    assert!(
        waits >= Duration::seconds(89),
        "the third waits for the window after the moment (90 s), not after now: {waits}"
    );
}

on_both_backends!(a_slot_taken_ahead_counts_from_its_moment);
