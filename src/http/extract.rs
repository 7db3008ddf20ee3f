//! Request parsing at the edge: JSON bodies and query strings become typed values or a
//! 4xx that names the offending field.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::error::AppError;

/// A JSON body, plus a hash of its canonical form (for Idempotency-Key checks).
pub struct Json<T> {
    pub value: T,
    pub canonical_hash: String,
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"));
        let limit = req.app_data::<BodyLimit>().map_or(0, |l| l.0);
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(AppError::UnsupportedMediaType);
            }
            let bytes = bytes.await.map_err(|e| {
                if e.as_response_error().status_code()
                    == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE
                {
                    AppError::PayloadTooLarge(limit)
                } else {
                    AppError::BadRequest(format!("could not read the body: {e}"))
                }
            })?;
            let raw: serde_json::Value = serde_json::from_slice(&bytes)
                .map_err(|e| AppError::BadRequest(format!("malformed JSON: {e}")))?;
            let canonical_hash = hex::encode(Sha256::digest(raw.to_string().as_bytes()));
            let value = serde_path_to_error::deserialize(raw).map_err(field_error)?;
            Ok(Json {
                value,
                canonical_hash,
            })
        })
    }
}

/// The configured body limit (also given to actix's PayloadConfig), for the message.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A query string, with `deny_unknown_fields` types catching misspelt parameters.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let pairs = form_urlencoded::parse(req.query_string().as_bytes());
        let de = serde_urlencoded::Deserializer::new(pairs);
        std::future::ready(
            serde_path_to_error::deserialize(de)
                .map(Query)
                .map_err(field_error),
        )
    }
}

fn field_error<E: std::fmt::Display>(e: serde_path_to_error::Error<E>) -> AppError {
    let message = e.inner().to_string();
    let path = e.path().to_string();
    // serde reports a missing field on the object that lacks it; name the field itself.
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    let field = match (path.as_str(), missing) {
        (".", Some(name)) => name.to_owned(),
        (".", None) => "body".to_owned(),
        (p, Some(name)) => format!("{p}.{name}"),
        (p, None) => p.to_owned(),
    };
    AppError::invalid(field, message)
}
