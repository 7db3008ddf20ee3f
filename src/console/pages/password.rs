//! Changing one's own password. The account's other sessions end; this one stays.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use crate::app::accounts;
use crate::console::error::ConsoleError;
use crate::console::form::Posted;
use crate::console::labels;
use crate::console::session::Signed;
use crate::console::views::{self, Chrome};
use crate::domain::account::{NewPassword, PASSWORD_MIN_CHARS};
use crate::error::AppError;
use crate::http::AppState;

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
    let Posted { signed, form } = posted;
    let checked = NewPassword::parse("new_password", &form.new_password).and_then(|new| {
        if form.new_password == form.confirm_password {
            Ok(new)
        } else {
            Err(AppError::invalid(
                "confirm_password",
                "两次输入的新密码不一致",
            ))
        }
    });
    let outcome = match checked {
        Ok(new) => {
            let (id, cookie, now) = (
                signed.session.account_id.clone(),
                signed.cookie.clone(),
                state.now(),
            );
            state
                .store
                .run(move |conn| {
                    accounts::change_password(conn, &id, &cookie, &form.current_password, &new, now)
                })
                .await
        }
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => Ok(views::see_other("/account/password?done=1")),
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
