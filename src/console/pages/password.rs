//! Changing one's own password. The account's other sessions end; this one stays.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use crate::console::error::ConsoleError;
use crate::console::form::Posted;
use crate::console::labels;
use crate::console::session::Signed;
use crate::console::views::{self, Chrome};
use crate::domain::account::{NewPassword, PASSWORD_MIN_CHARS, SignInRefused};
use crate::error::AppError;
use crate::rule::Rule;
use crate::web::AppState;

#[derive(Serialize)]
struct PasswordPage {
    min: usize,
    error: Option<(String, String)>,
    done: bool,
}

fn render(
    chrome: &Chrome,
    status: StatusCode,
    page: PasswordPage,
) -> Result<HttpResponse, ConsoleError> {
    Ok(views::html(
        status,
        views::render("password.html", chrome, page)?,
    ))
}

#[get("/account/password")]
async fn show(signed: Signed, q: web::Query<Done>) -> Result<HttpResponse, ConsoleError> {
    let page = PasswordPage {
        min: PASSWORD_MIN_CHARS,
        error: None,
        done: q.done.is_some(),
    };
    render(&signed.chrome(""), StatusCode::OK, page)
}

#[derive(Deserialize)]
struct Done {
    done: Option<String>,
}

#[derive(Deserialize)]
struct ChangePassword {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

#[post("/account/password")]
async fn submit(
    state: web::Data<AppState>,
    posted: Posted<ChangePassword>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed, form, .. } = posted;
    let checked = NewPassword::parse("new_password", &form.new_password).and_then(|new| {
        if form.new_password == form.confirm_password {
            Ok(new)
        } else {
            Err(AppError::invalid("confirm_password", Rule::EntriesDiffer))
        }
    });
    let outcome = match checked {
        Ok(new) => state
            .app
            .change_password(
                &state.console.rules.lockout,
                (&signed.session, &signed.cookie),
                &form.current_password,
                &new,
            )
            .await
            .map(|checked| {
                checked.map_err(|refused| match refused {
                    SignInRefused::AccountLocked { until } => format!(
                        "当前密码连续输错次数过多，已锁定至 {}（北京时间）。",
                        labels::local(until, state.zone())
                    ),
                    SignInRefused::Busy => "请求过多，请稍后再试。".into(),
                    _ => "当前密码不正确。".into(),
                })
            }),
        Err(e) => Err(e),
    };
    let locked = |message: String| {
        let page = PasswordPage {
            min: PASSWORD_MIN_CHARS,
            error: Some(("current_password".into(), message)),
            done: false,
        };
        render(&signed.chrome(""), StatusCode::UNPROCESSABLE_ENTITY, page)
    };
    match outcome {
        Ok(Ok(())) => Ok(views::see_other("/account/password?done=1")),
        Ok(Err(message)) => locked(message),
        Err(e @ AppError::Invalid { .. }) => {
            let page = PasswordPage {
                min: PASSWORD_MIN_CHARS,
                error: labels::field_message(&e),
                done: false,
            };
            render(&signed.chrome(""), StatusCode::UNPROCESSABLE_ENTITY, page)
        }
        Err(e) => Err(e.into()),
    }
}
