//! `Authorization: Bearer <token>` → the calling `Actor`, or 401.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};

use super::state::AppState;
use crate::domain::access::Actor;
use crate::error::AppError;
use crate::store::tokens;

pub struct Auth(pub Actor);

impl FromRequest for Auth {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let token = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|t| t.trim().to_owned());
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let (Some(token), Some(state)) = (token, state) else {
                return Err(AppError::Unauthorized);
            };
            let actor = state
                .store
                .run(move |conn| tokens::authenticate(conn, &token))
                .await?;
            let actor = actor.ok_or(AppError::Unauthorized)?;
            Ok(Auth(actor))
        })
    }
}
