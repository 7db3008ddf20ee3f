//! The real binary sending on 企业微信 and SMS beside mail: killed with -9 while messages
//! go out, then restarted, every planned message arrives and a repeat happens only where
//! the gateway could not tell (counted by OutId); three replicas send each message once;
//! no secret reaches the log. A robot's group message in flight at the kill is sent again
//! (the robot cannot tell), nothing else.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde_json::json;

use crate::helpers::{Backend, TestDb, incident_body};
use crate::process::{
    Service, admin_token, create, create_city, leased, start, wait_all_sent, wait_exit,
};
use crate::robots::{DING_SECRET, TestRobots};
use crate::sms::TestSms;
use crate::smtp::TestSmtp;
use crate::wecom::{AGENT_ID, CORP_ID, SECRET as WECOM_SECRET, TestWecom};

fn channel_env(wecom: &TestWecom, sms: &TestSms) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = [
        ("ENABLED", "true".to_owned()),
        ("API_BASE", wecom.base.clone()),
        ("CORP_ID", CORP_ID.to_owned()),
        ("AGENT_ID", AGENT_ID.to_string()),
        ("SECRET", WECOM_SECRET.to_owned()),
        ("TIMEOUT_SECONDS", "3".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (format!("YUQING__CHANNELS__WECOM__{k}"), v))
    .collect();
    env.extend(sms.env());
    // Our own debug lines too: a secret must not be in them either.
    env.push((
        "YUQING__LOG__FILTER".into(),
        "info,yuqing_tracker=debug".into(),
    ));
    env
}

fn start_with(
    db: &TestDb,
    smtp: &TestSmtp,
    dir: &std::path::Path,
    env: &[(String, String)],
) -> Service {
    let pairs: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    start(db, smtp.port, dir, &pairs)
}

/// A unit with `n` principal leaders, each reached by SMS and 企业微信 at once (their own
/// rule), and a major incident: `2n` notices due at once.
async fn seed(base: &str, token: &str, n: usize) -> String {
    create_city(base, token).await;
    for i in 0..n {
        let body = json!({ "name": format!("领导{i}"), "email": format!("leader{i}@example.org"),
                           "unit_code": "4401", "roles": ["principal_leader"],
                           "wecom_userid": format!("leader{i}"), "mobile": mobile(i),
                           "notification_rules": [{ "channel": "sms", "after_minutes": 0 },
                                                  { "channel": "wecom", "after_minutes": 0 }] });
        create(base, token, "/api/v1/contacts", body).await;
    }
    let incident = create(base, token, "/api/v1/incidents", incident_body("4401")).await;
    incident["id"].as_str().unwrap().to_owned()
}

fn mobile(i: usize) -> String {
    format!("1390000{i:04}")
}

fn users(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("leader{i}")).collect()
}

fn assert_no_secret_in(dir: &std::path::Path) {
    let log = std::fs::read_to_string(dir.join("service.log")).unwrap_or_default();
    assert!(!log.is_empty(), "the service logged something");
    for secret in [WECOM_SECRET, crate::sms::SECRET] {
        assert!(!log.contains(secret), "a secret reached the log");
    }
}

async fn kill_9_while_sms_and_chat_go_out_loses_nothing(backend: Backend) {
    const N: usize = 20;
    let db = TestDb::create(backend);
    let dir = tempfile::tempdir().unwrap();
    let (smtp, wecom, sms) = (TestSmtp::start(), TestWecom::start(&[]), TestSms::start());
    wecom.add_users(&users(N));
    sms.slow_down(Duration::from_millis(150));
    let mut env = channel_env(&wecom, &sms);
    env.push(("YUQING__ENGINE__MAX_CONCURRENT_SENDS".into(), "3".into()));
    // A cap of one a day: each number's one SMS reaches four fifths of it.
    env.push((
        "YUQING__CHANNELS__SMS__DAILY_LIMIT_PER_NUMBER".into(),
        "1".into(),
    ));
    let mut service = start_with(&db, &smtp, dir.path(), &env);
    service.ready().await;
    let token = admin_token(&db).await;
    let incident = seed(&service.base, &token, N).await;
    sms.wait_for("the first SMS", |r| r.len() >= 3).await;
    let killed = service.signal("-KILL");
    wait_exit(killed, Duration::from_secs(10));
    // What was on its way when the process died lands (or not) first.
    sms.wait_idle().await;
    let before = sms.received().len();
    assert!(before < N, "killed while sending ({before} of {N} SMS)");
    assert!(
        leased(&db).await > 0,
        "the kill came while messages were claimed"
    );

    sms.slow_down(Duration::ZERO);
    let service = start_with(&db, &smtp, dir.path(), &env);
    service.ready().await;
    let rows = wait_all_sent(&service.base, &token, &incident, 2 * N).await;
    // Every planned SMS arrived, under the id planned for it; one the gateway took just
    // before the kill may have come again, with the same id, and no more than were in
    // flight.
    let planned: HashMap<String, String> = rows
        .iter()
        .filter(|r| r["channel"] == "sms")
        .map(|r| {
            (
                r["message_id"].as_str().unwrap().to_owned(),
                r["address"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(planned.len(), N);
    let got = sms.received();
    let ids: HashSet<&str> = got.iter().map(|r| r.out_id.as_str()).collect();
    assert_eq!(ids.len(), N, "every SMS arrived");
    for r in &got {
        assert_eq!(
            planned.get(&r.out_id),
            Some(&r.mobile),
            "an id this service planned, to its number"
        );
    }
    // A repeat is a message the gateway took before the kill whose record had not landed
    // (in flight, or waiting for the recorder's next write): once at most, never one the
    // service had recorded as sent.
    let first: HashSet<&str> = got[..before].iter().map(|r| r.out_id.as_str()).collect();
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for r in &got[before..] {
        *seen.entry(r.out_id.as_str()).or_default() += 1;
    }
    let again = seen.keys().filter(|id| first.contains(**id)).count();
    assert!(
        seen.values().all(|n| *n == 1),
        "each SMS went once after the restart"
    );
    assert_eq!(
        sms.repeated(),
        again,
        "repeats are counted by the gateway's OutId"
    );
    assert!(
        again < before,
        "{again} repeats of {before} taken before the kill"
    );
    eprintln!("SMS repeated after kill -9: {again} of {before} taken before it");
    // 企业微信: every member got the notice.
    let members: HashSet<String> = wecom.received().into_iter().map(|m| m.touser).collect();
    assert_eq!(members.len(), N);
    assert_no_secret_in(dir.path());
    // The daily cap is counted and warned of, the number masked.
    let log = std::fs::read_to_string(dir.path().join("service.log")).unwrap();
    assert!(log.contains("nears its daily cap"), "no cap warning");
    assert!(log.contains("139****0001"), "the number masked");
    assert!(!log.contains(&mobile(1)), "a whole number in the log");
}

crate::on_both_backends!(
    kill_9_while_sms_and_chat_go_out_loses_nothing,
    kill_9_while_a_robot_message_goes_out_loses_no_reminder
);

/// Three replicas on one PostgreSQL, 150 leaders reached by SMS and 企业微信 at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_send_each_sms_and_chat_once() {
    const N: usize = 150;
    let db = TestDb::create(Backend::Postgres);
    let dir = tempfile::tempdir().unwrap();
    let (smtp, wecom, sms) = (TestSmtp::start(), TestWecom::start(&[]), TestSms::start());
    wecom.add_users(&users(N));
    let mut env = channel_env(&wecom, &sms);
    env.push(("YUQING__ENGINE__BATCH_SIZE".into(), "20".into()));
    let replicas: Vec<Service> = (0..3)
        .map(|_| start_with(&db, &smtp, dir.path(), &env))
        .collect();
    for r in &replicas {
        r.ready().await;
    }
    let token = admin_token(&db).await;
    let incident = seed(&replicas[0].base, &token, N).await;
    let rows = wait_all_sent(&replicas[1].base, &token, &incident, 2 * N).await;
    // A duplicate would come from a lease taken over: wait one lease past the last send.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let got = sms.received();
    assert_eq!(got.len(), N, "each SMS once");
    assert_eq!(sms.repeated(), 0);
    assert_eq!(wecom.received().len(), N, "each 企业微信 message once");
    assert!(rows.iter().all(|r| r["attempts"] == 1));
    assert_no_secret_in(dir.path());
}

/// A unit with a principal leader and a 钉钉 robot, and `incidents` major incidents logged
/// after the statement's deadline: the notice and the breach of each are due for the
/// robot. Returns their references.
async fn seed_robot(base: &str, token: &str, robots: &TestRobots, incidents: usize) -> Vec<String> {
    create_city(base, token).await;
    let body = json!({ "name": "局长", "email": "leader@example.org", "unit_code": "4401",
                       "roles": ["principal_leader"] });
    create(base, token, "/api/v1/contacts", body).await;
    let robot = json!({ "unit_code": "4401", "kind": "dingtalk", "name": "值班群",
                        "webhook": robots.dingtalk_webhook(), "secret": DING_SECRET });
    create(base, token, "/api/v1/robots", robot).await;
    let mut references = Vec::new();
    for _ in 0..incidents {
        let mut body = incident_body("4401");
        body["discovered_at"] = json!(
            (chrono::Utc::now() - chrono::Duration::minutes(301))
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        );
        body["severity"] = json!("major");
        let incident = create(base, token, "/api/v1/incidents", body).await;
        references.push(incident["reference"].as_str().unwrap().to_owned());
    }
    references
}

/// How often the robot's messages list `reference`'s line of `kind`.
fn listed(kind: &str, reference: &str, got: &[crate::robots::Received]) -> usize {
    got.iter()
        .map(|m| {
            m.text
                .split('\n')
                .filter(|l| l.contains(kind) && l.contains(&format!("{reference} ")))
                .count()
        })
        .sum::<usize>()
}

const NOTICE: &str = "【重大涉税舆情】";
const BREACH: &str = "【舆情超时】";

/// The real binary killed with -9 while a 钉钉 robot's group message is on its way (the
/// robot took it and had not answered), then restarted: every notice and breach reaches
/// the robot; a reminder comes twice only if it was in that message, which the service
/// could not know had gone; nothing refused.
async fn kill_9_while_a_robot_message_goes_out_loses_no_reminder(backend: Backend) {
    const INCIDENTS: usize = 6;
    let db = TestDb::create(backend);
    let dir = tempfile::tempdir().unwrap();
    let (smtp, robots) = (TestSmtp::start(), TestRobots::start());
    robots.slow_down(Duration::from_secs(2));
    let env = [("YUQING__ENGINE__BATCH_SIZE".to_owned(), "4".to_owned())];
    let mut service = start_with(&db, &smtp, dir.path(), &env);
    service.ready().await;
    let token = admin_token(&db).await;
    let references = seed_robot(&service.base, &token, &robots, INCIDENTS).await;
    robots.wait_in_flight(1).await;
    let killed = service.signal("-KILL");
    wait_exit(killed, Duration::from_secs(10));
    // The message on its way when the process died lands first.
    robots.wait_in_flight(0).await;
    let before = robots.received();
    assert!(
        !before.is_empty(),
        "the robot took a message before the kill"
    );

    robots.slow_down(Duration::ZERO);
    let _service = start_with(&db, &smtp, dir.path(), &env);
    robots
        .wait_for("each notice and breach", Duration::from_secs(120), |got| {
            references
                .iter()
                .all(|r| listed(NOTICE, r, got) >= 1 && listed(BREACH, r, got) >= 1)
        })
        .await;
    // A lease taken over late would repeat more: wait one lease past the last send.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let got = robots.received();
    let mut repeated = 0;
    for r in &references {
        for kind in [NOTICE, BREACH] {
            let (all, early) = (listed(kind, r, &got), listed(kind, r, &before));
            assert!(all <= 2, "{r} {kind} listed {all} times");
            if all == 2 {
                assert_eq!(
                    early, 1,
                    "{r} {kind}: a repeat of what went before the kill"
                );
                repeated += 1;
            }
        }
    }
    assert_eq!(robots.refusals(), (0, 0), "nothing refused");
    eprintln!(
        "robot lines repeated after kill -9: {repeated}, in {} message(s) taken before it",
        before.len()
    );
}

/// Three replicas on one PostgreSQL and a unit's 钉钉 robot: thirty incidents' notices and
/// breaches, claimed by whichever replica, reach the robot each once, merged, never more
/// than 20 messages a minute among the three (the slot is taken in the database), none
/// refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_keep_a_robot_within_its_limit_and_send_each_reminder_once() {
    const INCIDENTS: usize = 30;
    let db = TestDb::create(Backend::Postgres);
    let dir = tempfile::tempdir().unwrap();
    let (smtp, robots) = (TestSmtp::start(), TestRobots::start());
    let env = [("YUQING__ENGINE__BATCH_SIZE".to_owned(), "4".to_owned())];
    let replicas: Vec<Service> = (0..3)
        .map(|_| start_with(&db, &smtp, dir.path(), &env))
        .collect();
    for r in &replicas {
        r.ready().await;
    }
    let token = admin_token(&db).await;
    let references = seed_robot(&replicas[0].base, &token, &robots, INCIDENTS).await;
    robots
        .wait_for("each notice and breach", Duration::from_secs(200), |got| {
            references
                .iter()
                .all(|r| listed(NOTICE, r, got) >= 1 && listed(BREACH, r, got) >= 1)
        })
        .await;
    // A duplicate would come from a lease taken over: wait one lease past the last send.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let got = robots
        .received()
        .into_iter()
        .chain(std::iter::empty())
        .collect::<Vec<_>>();
    for r in &references {
        assert_eq!(listed(NOTICE, r, &got), 1, "{r}: the notice once");
        assert_eq!(listed(BREACH, r, &got), 1, "{r}: the breach once");
    }
    assert_eq!(robots.refusals(), (0, 0), "nothing refused");
    for (i, first) in got.iter().enumerate() {
        let in_minute = got[i..]
            .iter()
            .filter(|m| m.at.duration_since(first.at) < Duration::from_secs(60))
            .count();
        assert!(in_minute <= 20, "{in_minute} messages in a minute");
    }
}
