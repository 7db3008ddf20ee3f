//! Sign-in under attack: parallel guessing, unknown logins, floods of correct sign-ins,
//! spoofed addresses, and sessions that must end (signed in again, too many, too old, a
//! unit deactivated). Every figure is read back from answers or the database.

use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::json;
use yuqing_tracker::domain::access::Role;

use super::{Console, PASSWORD, Page};
use crate::helpers::{Backend, TestApp, spawn_app, spawn_app_with};
use crate::on_both_backends;

/// `n` sign-ins at once, `at_once` in flight, each from its own cookie-less browser.
async fn sign_ins(app: &TestApp, logins: &[String], password: &str, at_once: usize) -> Vec<Page> {
    let mut pages = Vec::new();
    for chunk in logins.chunks(at_once) {
        let batch = chunk.iter().map(|login| async move {
            let mut console = Console::new(app);
            console.sign_in(login, password).await
        });
        pages.extend(join_all(batch).await);
    }
    pages
}

fn count(pages: &[Page], status: StatusCode) -> usize {
    pages.iter().filter(|p| p.status == status).count()
}

async fn parallel_guesses_at_one_account_get_no_more_checks_than_the_limit(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.console.lockout_failures = 5).await;
    app.account("duty", "值班员甲", Role::DutyOfficer, None)
        .await;
    let logins = vec!["duty".to_owned(); 40];
    let pages = sign_ins(&app, &logins, "wrong password!", 40).await;
    // The fifth check is the last and answers with the lock it set.
    assert_eq!(
        count(&pages, StatusCode::UNAUTHORIZED),
        4,
        "four plain refusals"
    );
    assert_eq!(count(&pages, StatusCode::TOO_MANY_REQUESTS), 36);
    assert!(pages.iter().all(|p| p.session.is_none()));
    let mut console = Console::new(&app);
    let page = console.sign_in("duty", PASSWORD).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS, "locked");
}

async fn parallel_failures_from_one_client_lock_it_and_never_fail(backend: Backend) {
    let app = spawn_app(backend).await;
    app.account("duty", "值班员甲", Role::DutyOfficer, None)
        .await;
    let logins: Vec<String> = (0..200).map(|i| format!("guess{i}")).collect();
    let pages = sign_ins(&app, &logins, "guessing123", 50).await;
    let statuses: Vec<u16> = pages.iter().map(|p| p.status.as_u16()).collect();
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    assert_eq!(
        count(&pages, StatusCode::UNAUTHORIZED),
        19,
        "the twentieth check locks the client (console.client_lockout_failures = 20)"
    );
    let mut console = Console::new(&app);
    let page = console.sign_in("duty", PASSWORD).await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.body.contains("本机登录失败次数过多"), "{}", page.body);
}

/// The page's message with the lock's end time taken out.
fn message(page: &Page) -> String {
    let at = page.body.find("id=\"signin-error\"").unwrap_or(0);
    let text = &page.body[at..];
    let end = text.find("</").unwrap_or(text.len());
    text[..end]
        .chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect()
}

async fn an_unknown_login_reads_and_locks_exactly_like_a_real_one(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.console.lockout_failures = 3).await;
    app.account("duty", "值班员甲", Role::DutyOfficer, None)
        .await;
    let mut real = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..4 {
        let page = Console::new(&app).sign_in("duty", "wrong password!").await;
        real.push((page.status, message(&page)));
        let page = Console::new(&app).sign_in("ghost", "wrong password!").await;
        unknown.push((page.status, message(&page)));
    }
    assert_eq!(real, unknown);
    assert_eq!(real[2].0, StatusCode::TOO_MANY_REQUESTS, "{real:?}");
    assert!(real[3].1.contains("已锁定至"), "{real:?}");
}

async fn a_lock_ends_a_success_resets_the_count_and_a_password_reset_unlocks(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.console.lockout_failures = 3).await;
    app.account("boss", "管理员", Role::Admin, None).await;
    app.account("duty", "值班员甲", Role::DutyOfficer, None)
        .await;
    let attempt = |password: &'static str| {
        let app = &app;
        async move { Console::new(app).sign_in("duty", password).await.status }
    };
    assert_eq!(attempt("wrong one!!").await, StatusCode::UNAUTHORIZED);
    assert_eq!(attempt("wrong two!!").await, StatusCode::UNAUTHORIZED);
    assert_eq!(attempt(PASSWORD).await, StatusCode::SEE_OTHER);
    assert_eq!(
        attempt("wrong one!!").await,
        StatusCode::UNAUTHORIZED,
        "the success reset the count"
    );
    assert_eq!(attempt("wrong two!!").await, StatusCode::UNAUTHORIZED);
    assert_eq!(attempt("wrong three").await, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(attempt(PASSWORD).await, StatusCode::TOO_MANY_REQUESTS);
    app.clock.advance(chrono::Duration::minutes(15));
    assert_eq!(
        attempt(PASSWORD).await,
        StatusCode::SEE_OTHER,
        "the lock ended"
    );

    for _ in 0..3 {
        attempt("wrong again").await;
    }
    assert_eq!(attempt(PASSWORD).await, StatusCode::TOO_MANY_REQUESTS);
    let mut admin = Console::signed_in(&app, "boss").await;
    admin.get("/accounts").await;
    let id = app.account_id("duty").await;
    let page = admin
        .post(
            &format!("/accounts/{id}/password"),
            &[("password", "一个新的密码0123")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(
        attempt("一个新的密码0123").await,
        StatusCode::SEE_OTHER,
        "a reset unlocks"
    );
}

async fn a_forged_forwarding_header_does_not_dodge_the_client_lock(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.console.client_lockout_failures = 3).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut statuses = Vec::new();
    for i in 0..5 {
        let res = http
            .post(format!("{}/login", app.base))
            .header("Origin", &app.base)
            .header("X-Forwarded-For", format!("203.0.113.{i}"))
            .form(&[
                ("login", format!("u{i}")),
                ("password", "guessing123".into()),
            ])
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
    }
    assert_eq!(statuses, [401, 401, 429, 429, 429]);
}

async fn a_flood_of_correct_sign_ins_is_braked_and_sessions_are_bounded(backend: Backend) {
    let app = spawn_app_with(backend, |s| {
        s.console.client_sign_ins = 12;
        s.console.sessions_per_account = 3;
    })
    .await;
    app.account("duty", "值班员甲", Role::DutyOfficer, None)
        .await;
    // Eight at a time, more than the login's failure limit (5) lets be checked at once:
    // the rest wait their turn, nobody is locked, only the client's brake refuses.
    let logins = vec!["duty".to_owned(); 20];
    let pages = sign_ins(&app, &logins, PASSWORD, 8).await;
    assert_eq!(count(&pages, StatusCode::SEE_OTHER), 12, "the brake holds");
    let braked: Vec<&Page> = pages
        .iter()
        .filter(|p| p.status == StatusCode::TOO_MANY_REQUESTS)
        .collect();
    assert_eq!(braked.len(), 8);
    assert!(
        braked[0].body.contains("本机登录过于频繁"),
        "{}",
        braked[0].body
    );
    let id = app.account_id("duty").await;
    let open = app
        .store
        .run(move |conn| {
            use diesel::prelude::*;
            use yuqing_tracker::store::schema::sessions;
            Ok(sessions::table
                .filter(sessions::account_id.eq(id))
                .count()
                .get_result::<i64>(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(open, 3, "the oldest sessions ended");
    app.clock.advance(chrono::Duration::minutes(15));
    assert_eq!(
        Console::new(&app).sign_in("duty", PASSWORD).await.status,
        StatusCode::SEE_OTHER,
        "the brake lets go"
    );
}

async fn signing_in_again_ends_the_browsers_old_session(backend: Backend) {
    let app = spawn_app(backend).await;
    app.account("duty", "值班员甲", Role::DutyOfficer, None)
        .await;
    let mut console = Console::signed_in(&app, "duty").await;
    let old = console.session.clone().unwrap();
    let page = console.sign_in("duty", PASSWORD).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_ne!(console.session.as_deref(), Some(old.as_str()));
    assert_eq!(console.get("/").await.status, StatusCode::OK);
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/", app.base))
        .header("Cookie", format!("yq_session={old}"))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::SEE_OTHER, "the old one ended");
}

async fn a_session_ends_at_its_maximum_age_however_much_it_is_used(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.console.session_max_days = 1).await;
    app.account("duty", "值班员甲", Role::DutyOfficer, None)
        .await;
    let mut console = Console::signed_in(&app, "duty").await;
    for _ in 0..2 {
        app.clock.advance(chrono::Duration::hours(11));
        assert_eq!(console.get("/").await.status, StatusCode::OK);
    }
    app.clock
        .advance(chrono::Duration::hours(2) + chrono::Duration::minutes(1));
    assert_eq!(
        console.get("/").await.status,
        StatusCode::SEE_OTHER,
        "a day after sign-in it ends"
    );
}

async fn a_deactivated_units_sessions_do_not_come_back_with_it(backend: Backend) {
    let app = spawn_app(backend).await;
    app.seed_units().await;
    app.account("duty", "值班员甲", Role::DutyOfficer, Some("440106"))
        .await;
    let mut console = Console::signed_in(&app, "duty").await;
    for active in [false, true] {
        let res = app
            .patch(
                "/api/v1/units/440106",
                &app.admin,
                &json!({ "active": active }),
            )
            .await;
        assert_eq!(res.status(), 200, "active = {active}");
    }
    assert_eq!(
        console.get("/").await.status,
        StatusCode::SEE_OTHER,
        "signed out for good"
    );
    Console::signed_in(&app, "duty").await;
}

async fn an_admin_resets_others_passwords_never_its_own(backend: Backend) {
    let app = spawn_app(backend).await;
    app.account("boss", "管理员", Role::Admin, None).await;
    let mut admin = Console::signed_in(&app, "boss").await;
    admin.get("/accounts").await;
    let id = app.account_id("boss").await;
    let page = admin
        .post(
            &format!("/accounts/{id}/password"),
            &[("password", "一个新的密码0123")],
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    assert_eq!(
        Console::new(&app).sign_in("boss", PASSWORD).await.status,
        StatusCode::SEE_OTHER,
        "the password did not change"
    );
    assert_eq!(
        Console::new(&app)
            .sign_in("boss", "一个新的密码0123")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

async fn wrong_current_passwords_lock_the_change_form(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.console.lockout_failures = 3).await;
    app.account("duty", "值班员甲", Role::DutyOfficer, None)
        .await;
    let mut console = Console::signed_in(&app, "duty").await;
    console.get("/account/password").await;
    let change = |current: &'static str| {
        [
            ("current_password", current),
            ("new_password", "一个新的密码0123"),
            ("confirm_password", "一个新的密码0123"),
        ]
    };
    for i in 0..3 {
        let page = console
            .post("/account/password", &change("not my password"))
            .await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        let locked = page.body.contains("已锁定至");
        assert_eq!(locked, i == 2, "attempt {i}: {}", page.body);
    }
    let page = console.post("/account/password", &change(PASSWORD)).await;
    assert!(page.body.contains("已锁定至"), "{}", page.body);
    assert_eq!(
        Console::new(&app)
            .sign_in("duty", "一个新的密码0123")
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS,
        "not changed, and the login is locked for sign-in too"
    );
}

/// A whole office behind one address signs in at 9:00: forty people at once, more than
/// the client's failure limit, all get in and nobody is locked.
async fn an_office_signing_in_together_locks_nobody(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.console.client_lockout_failures = 5).await;
    let logins: Vec<String> = (0..40).map(|i| format!("staff{i}")).collect();
    for login in &logins {
        app.account(login, "值班员", Role::DutyOfficer, None).await;
    }
    let pages = sign_ins(&app, &logins, PASSWORD, 40).await;
    let statuses: Vec<u16> = pages.iter().map(|p| p.status.as_u16()).collect();
    assert!(statuses.iter().all(|s| *s == 303), "{statuses:?}");
    let page = Console::new(&app)
        .sign_in("staff0", "wrong password!")
        .await;
    assert_eq!(
        page.status,
        StatusCode::UNAUTHORIZED,
        "the client is not locked"
    );
}

on_both_backends!(
    an_office_signing_in_together_locks_nobody,
    parallel_guesses_at_one_account_get_no_more_checks_than_the_limit,
    parallel_failures_from_one_client_lock_it_and_never_fail,
    an_unknown_login_reads_and_locks_exactly_like_a_real_one,
    a_lock_ends_a_success_resets_the_count_and_a_password_reset_unlocks,
    a_forged_forwarding_header_does_not_dodge_the_client_lock,
    a_flood_of_correct_sign_ins_is_braked_and_sessions_are_bounded,
    signing_in_again_ends_the_browsers_old_session,
    a_session_ends_at_its_maximum_age_however_much_it_is_used,
    a_deactivated_units_sessions_do_not_come_back_with_it,
    an_admin_resets_others_passwords_never_its_own,
    wrong_current_passwords_lock_the_change_form,
);
