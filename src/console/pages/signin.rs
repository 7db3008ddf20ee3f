//! Signing in and out. Failures count per account and per client address; a locked
//! account or client is told until when.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use crate::app::accounts::SignInAttempt;
use crate::console::error::ConsoleError;
use crate::console::form::{Posted, check_origin, field, fields};
use crate::console::labels;
use crate::console::session::Visitor;
use crate::console::views::{self, Chrome};
use crate::domain::account::SignInRefused;
use crate::error::AppError;
use crate::web::AppState;
use crate::web::client::client_ip;
use crate::web::session_policy::COOKIE;

#[derive(Deserialize)]
struct Next {
    next: Option<String>,
}

/// Only a path on this site: never `//evil.example` or `https://…`.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.starts_with("/\\")
                && !n.chars().any(char::is_control) =>
        {
            n.to_owned()
        }
        _ => "/".into(),
    }
}

#[derive(Serialize)]
struct SignInPage {
    next: String,
    login: String,
    error: Option<String>,
}

fn sign_in_page(status: StatusCode, page: SignInPage) -> Result<HttpResponse, ConsoleError> {
    let chrome = Chrome::new(None, String::new(), "login");
    Ok(views::html(
        status,
        views::render("signin.html", &chrome, page)?,
    ))
}

#[get("/login")]
async fn show(
    Visitor(visitor): Visitor,
    q: web::Query<Next>,
) -> Result<HttpResponse, ConsoleError> {
    let next = safe_next(q.next.as_deref());
    if visitor.is_some() {
        return Ok(views::see_other(&next));
    }
    sign_in_page(
        StatusCode::OK,
        SignInPage {
            next,
            login: String::new(),
            error: None,
        },
    )
}

fn refusal(refused: &SignInRefused, state: &AppState) -> (StatusCode, String) {
    let until = |t| labels::local(t, state.zone());
    match refused {
        SignInRefused::WrongCredentials => (StatusCode::UNAUTHORIZED, "登录名或密码错误。".into()),
        SignInRefused::AccountLocked { until: t } => (
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "该账号连续登录失败次数过多，已锁定至 {}（北京时间）。到时再试，或请管理员重设密码。",
                until(*t)
            ),
        ),
        SignInRefused::ClientLocked { until: t } => (
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "本机登录失败次数过多，已暂停登录至 {}（北京时间）。",
                until(*t)
            ),
        ),
        SignInRefused::ClientBusy { until: t } => (
            StatusCode::TOO_MANY_REQUESTS,
            format!("本机登录过于频繁，已暂停登录至 {}（北京时间）。", until(*t)),
        ),
        SignInRefused::Busy => (
            StatusCode::TOO_MANY_REQUESTS,
            "登录请求过多，请稍后再试。".into(),
        ),
        SignInRefused::Disabled => (StatusCode::FORBIDDEN, "该账号已停用，请联系管理员。".into()),
    }
}

#[post("/login")]
async fn submit(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, ConsoleError> {
    check_origin(&req)?;
    let pairs = fields(&body);
    let get = |name: &str| field(&pairs, name).to_owned();
    let (login, password, next) = (get("login"), get("password"), safe_next(Some(&get("next"))));
    if login.contains('\0') || password.contains('\0') || login.len() > 200 || password.len() > 1024
    {
        return Err(AppError::BadRequest("login or password malformed".into()).into());
    }
    let forwarded = req
        .headers()
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok());
    let client = client_ip(
        req.peer_addr().map(|a| a.ip()),
        forwarded,
        &state.trusted_proxies,
    )
    .map(|ip| ip.to_string())
    .unwrap_or_default();
    let attempt = SignInAttempt {
        login: login.clone(),
        password,
        client,
        replaces: req.cookie(COOKIE).map(|c| c.value().to_owned()),
    };
    let rules = state.console.rules;
    let outcome = state.app.sign_in(&rules, attempt).await?;
    match outcome {
        Ok(cookie) => {
            let mut response = views::see_other(&next);
            response
                .add_cookie(&state.console.cookie(cookie))
                .map_err(AppError::internal)?;
            Ok(response)
        }
        Err(refused) => {
            let (status, error) = refusal(&refused, &state);
            sign_in_page(
                status,
                SignInPage {
                    next,
                    login,
                    error: Some(error),
                },
            )
        }
    }
}

#[derive(Deserialize)]
struct Empty {}

#[post("/logout")]
async fn sign_out(
    state: web::Data<AppState>,
    posted: Posted<Empty>,
) -> Result<HttpResponse, ConsoleError> {
    let cookie = posted.signed.cookie.clone();
    state.app.sign_out(cookie).await?;
    let mut response = views::see_other("/login");
    response
        .add_cookie(&state.console.removal())
        .map_err(AppError::internal)?;
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(
            safe_next(Some("/incidents/YQ-2026-000001")),
            "/incidents/YQ-2026-000001"
        );
        for bad in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil.example",
            "evil",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad}");
        }
    }
}
