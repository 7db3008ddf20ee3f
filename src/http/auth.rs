//! `Authorization: Bearer <token>` → the calling `Actor`, or 401.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::sync::Arc;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::Either;

use crate::domain::access::Actor;
use crate::error::AppError;
use crate::web::AppState;
use crate::web::tokens::digest;

pub struct Auth(pub Arc<Actor>);

/// A caller who may log and change incidents. Checked before the body is read, so a
/// viewer's request is refused (403) whatever its body says.
pub struct Writer(pub Arc<Actor>);

/// A caller who may change the directory; checked before the body is read.
pub struct Admin(pub Arc<Actor>);

impl FromRequest for Auth {
    type Error = AppError;
    type Future = Either<
        Ready<Result<Self, AppError>>,
        Pin<Box<dyn Future<Output = Result<Self, AppError>>>>,
    >;

    /// A token found recently answers at once (the path of every poll); otherwise the
    /// database is asked.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let (Some(token), Some(state)) = (token, req.app_data::<web::Data<AppState>>()) else {
            return Either::Left(ready(Err(AppError::Unauthorized)));
        };
        let key = digest(token);
        let now = state.now();
        if let Some(actor) = state.tokens.get(&key, now) {
            return Either::Left(ready(Ok(Auth(actor))));
        }
        let (token, state) = (token.to_owned(), state.clone());
        Either::Right(Box::pin(async move {
            let found = state
                .app
                .authenticate(token)
                .await?
                .ok_or(AppError::Unauthorized)?;
            Ok(Auth(state.tokens.put(key, found)))
        }))
    }
}

/// An extractor for callers holding a role: `Auth`, then `$check` on the actor.
macro_rules! role_extractor {
    ($name:ident, $check:ident) => {
        impl FromRequest for $name {
            type Error = AppError;
            type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

            fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
                let auth = Auth::from_request(req, payload);
                Box::pin(async move {
                    let Auth(actor) = auth.await?;
                    actor.$check()?;
                    Ok($name(actor))
                })
            }
        }
    };
}

role_extractor!(Writer, require_incident_writer);
role_extractor!(Admin, require_admin);
