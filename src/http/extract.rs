//! Request parsing at the edge: JSON bodies and query strings become typed values or a
//! 4xx that names the offending field.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::error::AppError;
use crate::rule::Rule;

/// A JSON body, read but not yet looked at: the handler parses it after the caller's
/// rights were checked, so a refused caller learns nothing about its body (403 before
/// 415, 400 or 422).
pub struct JsonBody<T> {
    is_json: bool,
    bytes: web::Bytes,
    _type: PhantomData<T>,
}

/// A parsed JSON body, plus a hash of its canonical form (for Idempotency-Key checks).
pub struct Json<T> {
    pub value: T,
    pub canonical_hash: String,
}

impl<T: DeserializeOwned> JsonBody<T> {
    /// The body as `T`, or the 4xx that names what is wrong with it.
    pub fn parse(self) -> Result<Json<T>, AppError> {
        if !self.is_json {
            return Err(AppError::UnsupportedMediaType);
        }
        let raw: serde_json::Value = serde_json::from_slice(&self.bytes)
            .map_err(|e| AppError::BadRequest(format!("malformed JSON: {e}")))?;
        if let Some(field) = nul_at(&raw, String::new()) {
            return Err(AppError::invalid(field, Rule::NulCharacters));
        }
        let canonical_hash = hex::encode(Sha256::digest(raw.to_string().as_bytes()));
        let value = serde_path_to_error::deserialize(raw).map_err(field_error)?;
        Ok(Json {
            value,
            canonical_hash,
        })
    }
}

impl<T: 'static> FromRequest for JsonBody<T> {
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
            let bytes = bytes.await.map_err(|e| {
                if e.as_response_error().status_code()
                    == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE
                {
                    AppError::PayloadTooLarge(limit)
                } else {
                    AppError::BadRequest(format!("could not read the body: {e}"))
                }
            })?;
            Ok(JsonBody {
                is_json,
                bytes,
                _type: PhantomData,
            })
        })
    }
}

/// The path of the first string (or key) holding a NUL character: no field of the API
/// takes one, and PostgreSQL cannot store it.
fn nul_at(value: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains('\0') => Some(path),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_at(v, format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let at = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if k.contains('\0') {
                Some(at)
            } else {
                nul_at(v, at)
            }
        }),
        _ => None,
    }
}

/// The configured body limit (also given to actix's PayloadConfig), for the message.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A query string, with `deny_unknown_fields` types catching misspelt parameters.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> Query<T> {
    /// The request's query string, read into `T` (for a handler that reads it late).
    pub fn of(req: &HttpRequest) -> Result<T, AppError> {
        let pairs = form_urlencoded::parse(req.query_string().as_bytes());
        let de = serde_urlencoded::Deserializer::new(pairs);
        serde_path_to_error::deserialize(de).map_err(field_error)
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = AppError;
    type Future = std::future::Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Self::of(req).map(Query))
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
    let rule = match missing {
        Some(_) => Rule::Missing,
        None => Rule::Malformed(message),
    };
    AppError::invalid(field, rule)
}
