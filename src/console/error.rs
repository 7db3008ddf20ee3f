//! Errors of console requests, answered as pages in Chinese (never JSON): not signed in
//! → the sign-in page, then back; a refused form → why; anything else → what went wrong
//! and what to do.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use super::labels;
use super::views::{self, Chrome};
use crate::error::AppError;

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("not signed in")]
    SignIn { next: String },
    /// A form without the session's token, or posted from another origin.
    #[error("form refused: {0}")]
    Forged(&'static str),
    #[error(transparent)]
    App(#[from] AppError),
}

#[derive(Serialize)]
struct ErrorPage {
    status: u16,
    headline: &'static str,
    detail: String,
}

impl ConsoleError {
    fn page(&self) -> ErrorPage {
        let status = self.status_code().as_u16();
        match self {
            Self::SignIn { .. } => ErrorPage {
                status,
                headline: "请先登录",
                detail: String::new(),
            },
            Self::Forged(why) => ErrorPage {
                status,
                headline: "表单已失效，未执行任何操作",
                detail: (*why).to_owned(),
            },
            Self::App(e) => ErrorPage {
                status,
                headline: labels::error_headline(e),
                detail: if status >= 500 {
                    // The cause goes to the log only.
                    String::new()
                } else {
                    labels::error_message(e)
                },
            },
        }
    }
}

/// An error a form's page shows above the form, in Chinese, with its status: input that
/// does not pass, a conflict, a refusal, something gone. Anything else is the error page's.
pub fn shown_on_form(e: AppError) -> Result<(StatusCode, String), ConsoleError> {
    match e {
        AppError::Invalid { .. }
        | AppError::Conflict { .. }
        | AppError::Forbidden(_)
        | AppError::NotFound(_) => Ok((e.status_code(), labels::error_message(&e))),
        other => Err(other.into()),
    }
}

impl ResponseError for ConsoleError {
    fn status_code(&self) -> StatusCode {
        match self {
            // Answered with a redirect to the sign-in page (see error_response); 401 is what
            // it means, and what the request log's level follows (a warning, not an error).
            Self::SignIn { .. } => StatusCode::UNAUTHORIZED,
            Self::Forged(_) => StatusCode::FORBIDDEN,
            Self::App(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::SignIn { next } = self {
            let to = format!(
                "/login?next={}",
                form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            );
            return views::see_other(&to);
        }
        let status = self.status_code();
        if let Self::App(e) = self
            && status.is_server_error()
        {
            tracing::error!(error.code = e.code(), error.chain = %e.chain(), "console request failed");
        }
        let chrome = Chrome::new(None, String::new(), "");
        match views::render("error.html", &chrome, self.page()) {
            Ok(body) => views::html(status, body),
            Err(_) => HttpResponse::build(status)
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .body("出错了，请稍后重试。"),
        }
    }
}
