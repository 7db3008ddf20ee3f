//! The one error type. Each kind has a stable snake_case code; `http::error` maps it
//! to a status and a JSON body once.

use serde_json::{Value, json};

use crate::rule::Rule;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A request field failed validation; `field` is its path in the body or query.
    #[error("{field}: {rule}")]
    Invalid { field: String, rule: Rule },
    #[error("{0}")]
    BadRequest(String),
    #[error("missing or invalid API token")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{message}")]
    Conflict {
        code: ConflictCode,
        message: String,
        details: Value,
    },
    #[error("the record has changed (current version {current}); reload and retry")]
    VersionMismatch { current: i64, precondition: bool },
    #[error("send If-Match with the record's ETag, or its version in the body")]
    PreconditionRequired,
    /// The caller holds as many of something (open event streams) as it may.
    #[error("{0}")]
    TooMany(String),
    #[error("body larger than {0} bytes")]
    PayloadTooLarge(usize),
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    /// Busy or unreachable for a moment; the request may be retried. The message is a
    /// fixed text chosen here; the cause (a database error) goes to the log only.
    #[error("{message}")]
    Unavailable {
        message: &'static str,
        #[source]
        cause: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Why a request conflicts with what is recorded; `as_str` is the API's stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictCode {
    IncidentClosed,
    InvalidTransition,
    ReferralRequired,
    IdempotencyKeyReused,
    /// Two requests with one Idempotency-Key raced; the loser replays the winner.
    IdempotencyRace,
    UnitCodeTaken,
    LoginTaken,
}

impl ConflictCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::IncidentClosed => "incident_closed",
            Self::InvalidTransition => "invalid_transition",
            Self::ReferralRequired => "referral_required",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::IdempotencyRace => "idempotency_race",
            Self::UnitCodeTaken => "unit_code_taken",
            Self::LoginTaken => "login_taken",
        }
    }
}

impl AppError {
    pub fn invalid(field: impl Into<String>, rule: impl Into<Rule>) -> Self {
        Self::Invalid {
            field: field.into(),
            rule: rule.into(),
        }
    }

    pub fn conflict(code: ConflictCode, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
            details: Value::Null,
        }
    }

    pub fn internal(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Internal(e.into())
    }

    /// The database is busy or out of reach; `cause` is logged, never shown.
    pub fn database_unavailable(
        cause: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Unavailable {
            message: "the database is busy or out of reach; retry shortly",
            cause: Some(cause.into()),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid { .. } => "validation_failed",
            Self::BadRequest(_) => "bad_request",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::Conflict { code, .. } => code.as_str(),
            Self::VersionMismatch { .. } => "version_mismatch",
            Self::PreconditionRequired => "precondition_required",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::TooMany(_) => "too_many_requests",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::Unavailable { .. } => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    /// This error and its causes, for the log (never for a response body).
    pub fn chain(&self) -> String {
        let mut out = self.to_string();
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            out.push_str(": ");
            out.push_str(&cause.to_string());
            source = cause.source();
        }
        out
    }

    pub fn details(&self) -> Value {
        match self {
            Self::Invalid { field, .. } => json!({ "field": field }),
            Self::Conflict { details, .. } => details.clone(),
            Self::VersionMismatch { current, .. } => json!({ "current_version": current }),
            _ => Value::Null,
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => Self::NotFound("record".into()),
            // SQLite's write lock not obtained within busy_timeout, a PostgreSQL
            // serialization failure or deadlock: the request may simply be retried.
            Error::DatabaseError(DatabaseErrorKind::SerializationFailure, ref info) => {
                let cause = format!("database busy: {}", info.message());
                Self::database_unavailable(cause)
            }
            Error::DatabaseError(_, ref info)
                if info.message().contains("database is locked")
                    || info.message().contains("deadlock detected") =>
            {
                let cause = format!("database busy: {}", info.message());
                Self::database_unavailable(cause)
            }
            other => Self::internal(other),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        Self::database_unavailable(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_busy_database_says_so_without_its_error_text() {
        let locked = diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::Unknown,
            Box::new("database is locked (table incidents, secret detail)".to_owned()),
        );
        let e = AppError::from(locked);
        assert_eq!(e.code(), "unavailable");
        assert!(!e.to_string().contains("secret detail"), "{e}");
        assert!(e.chain().contains("secret detail"), "the log keeps it");
    }
}
