//! Signing in: wrong passwords, lock-out per account and per client, sign-out, disabled
//! accounts, and the way back to the page that asked for sign-in.

use reqwest::StatusCode;
use yuqing_tracker::domain::access::Role;

use super::{Console, PASSWORD};
use crate::helpers::{Backend, spawn_app, spawn_app_with};
use crate::on_both_backends;

async fn a_wrong_password_is_refused_and_repeated_failures_lock_the_account(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.console.lockout_failures = 3).await;
    app.account("duty", "值班员甲", Role::DutyOfficer, None)
        .await;
    app.account("other", "值班员乙", Role::DutyOfficer, None)
        .await;
    let mut console = Console::new(&app);

    let page = console.sign_in("duty", "wrong password!").await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.body.contains("登录名或密码错误"), "{}", page.body);
    let page = console.sign_in("nobody", "wrong password!").await;
    assert_eq!(
        page.status,
        StatusCode::UNAUTHORIZED,
        "an unknown login reads the same"
    );
    assert!(page.body.contains("登录名或密码错误"));

    let page = console.sign_in("duty", "wrong again!!").await;
    assert_eq!(
        page.status,
        StatusCode::UNAUTHORIZED,
        "the second failure does not lock yet"
    );
    let page = console.sign_in("duty", "and again!!!").await;
    assert_eq!(
        page.status,
        StatusCode::TOO_MANY_REQUESTS,
        "third failure locks"
    );
    assert!(page.body.contains("已锁定至"), "{}", page.body);
    assert!(
        page.body.contains("北京时间"),
        "the end time is given: {}",
        page.body
    );

    let page = console.sign_in("duty", PASSWORD).await;
    assert_eq!(
        page.status,
        StatusCode::TOO_MANY_REQUESTS,
        "locked even with the right password"
    );
    assert!(page.session.is_none(), "no session for a locked account");

    let page = console.sign_in("other", PASSWORD).await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "another account is not locked"
    );
}

async fn many_failures_from_one_client_lock_that_client(backend: Backend) {
    let app = spawn_app_with(backend, |s| s.console.client_lockout_failures = 4).await;
    app.account("duty", "值班员甲", Role::DutyOfficer, None)
        .await;
    let mut console = Console::new(&app);
    for login in ["a1", "a2", "a3"] {
        let page = console.sign_in(login, "guessing123").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
    let page = console.sign_in("a4", "guessing123").await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.body.contains("本机登录失败次数过多"), "{}", page.body);
    let page = console.sign_in("duty", PASSWORD).await;
    assert_eq!(
        page.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the client stays locked"
    );
}

async fn a_signed_out_session_cannot_be_reused(backend: Backend) {
    let app = spawn_app(backend).await;
    app.account("duty", "值班员甲", Role::DutyOfficer, None)
        .await;
    let mut console = Console::signed_in(&app, "duty").await;
    assert_eq!(console.get("/").await.status, StatusCode::OK);
    // The cookie's value, kept by someone who copied it before sign-out.
    let jar_value = console.session.clone().expect("a session cookie");
    let page = console.post("/logout", &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/login"));

    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/", app.base))
        .header("Cookie", format!("yq_session={jar_value}"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        replay.status(),
        StatusCode::SEE_OTHER,
        "the old cookie signs nobody in"
    );
    assert_eq!(replay.headers()["location"], "/login?next=%2F");
}

async fn a_disabled_account_is_signed_out_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    app.account("boss", "管理员", Role::Admin, None).await;
    app.account("duty", "值班员甲", Role::DutyOfficer, None)
        .await;
    let mut duty = Console::signed_in(&app, "duty").await;
    assert_eq!(duty.get("/").await.status, StatusCode::OK);

    let id = app
        .store
        .run(|conn| yuqing_tracker::store::accounts::credentials(conn, "duty"))
        .await
        .unwrap()
        .unwrap()
        .id;
    let operator = yuqing_tracker::domain::access::Actor {
        id: "test".into(),
        name: "test".into(),
        role: Role::Admin,
        scope: None,
    };
    app.service
        .set_account_disabled(&operator, id, true)
        .await
        .unwrap();
    let page = duty.get("/").await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "the next request is signed out"
    );
    let page = duty.sign_in("duty", PASSWORD).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("已停用"), "{}", page.body);
}

async fn sign_in_returns_to_the_page_that_asked(backend: Backend) {
    let app = spawn_app(backend).await;
    app.account("leader", "领导甲", Role::Leader, None).await;
    let mut console = Console::new(&app);
    let page = console.get("/incidents/YQ-2026-000001").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let to = page.location.unwrap();
    assert_eq!(to, "/login?next=%2Fincidents%2FYQ-2026-000001");
    let page = console.get(&to).await;
    assert!(
        page.body
            .contains("value=\"&#x2f;incidents&#x2f;YQ-2026-000001\""),
        "{}",
        page.body
    );
    let base = app.base.clone();
    let page = console
        .post_raw(
            "/login",
            &[
                ("login", "LEADER"),
                ("password", PASSWORD),
                ("next", "/incidents/YQ-2026-000001"),
            ],
            Some(&base),
        )
        .await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "logins are case-insensitive"
    );
    assert_eq!(page.location.as_deref(), Some("/incidents/YQ-2026-000001"));

    // Never onwards to another site.
    let page = console
        .post_raw(
            "/login",
            &[
                ("login", "leader"),
                ("password", PASSWORD),
                ("next", "//evil.example/"),
            ],
            Some(&base),
        )
        .await;
    assert_eq!(page.location.as_deref(), Some("/"));
}

async fn a_person_changes_their_password_and_their_other_sessions_end(backend: Backend) {
    let app = spawn_app(backend).await;
    app.account("duty", "值班员甲", Role::DutyOfficer, None)
        .await;
    let mut here = Console::signed_in(&app, "duty").await;
    let mut elsewhere = Console::signed_in(&app, "duty").await;
    here.get("/account/password").await;
    let new = "新的值班密码一二三四";
    let page = here
        .post(
            "/account/password",
            &[
                ("current_password", "not it at all"),
                ("new_password", new),
                ("confirm_password", new),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("当前密码不正确"), "{}", page.body);
    let page = here
        .post(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", new),
                ("confirm_password", "different"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.body.contains("两次输入的新密码不一致"),
        "{}",
        page.body
    );
    let page = here
        .post(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "short"),
                ("confirm_password", "short"),
            ],
        )
        .await;
    assert!(page.body.contains("新密码至少 10 个字符"), "{}", page.body);
    let page = here
        .post(
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", new),
                ("confirm_password", new),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(
        here.get("/").await.status,
        StatusCode::OK,
        "this session stays"
    );
    assert_eq!(
        elsewhere.get("/").await.status,
        StatusCode::SEE_OTHER,
        "the other one ends"
    );
    let mut again = Console::new(&app);
    assert_eq!(
        again.sign_in("duty", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        again.sign_in("duty", new).await.status,
        StatusCode::SEE_OTHER
    );
}

on_both_backends!(
    a_wrong_password_is_refused_and_repeated_failures_lock_the_account,
    many_failures_from_one_client_lock_that_client,
    a_signed_out_session_cannot_be_reused,
    a_disabled_account_is_signed_out_at_once,
    sign_in_returns_to_the_page_that_asked,
    a_person_changes_their_password_and_their_other_sessions_end,
);
