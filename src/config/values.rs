//! Configuration values that are parsed once, at load, into the types the rest of the
//! service uses: a database target, a cron expression, a browser origin, a mailbox.
//! Each says what is wrong with a bad value; the loader adds which key held it.

use std::fmt;
use std::path::PathBuf;

use croner::parser::{CronParser, Seconds};
use serde::{Deserialize, Deserializer};

/// Where the database lives, from `database.url`. The scheme picks the backend; there
/// is no guessing.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum DbTarget {
    Postgres(String),
    Sqlite(PathBuf),
}

impl DbTarget {
    pub fn parse(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        if let Some(path) = url.strip_prefix("sqlite://")
            && !path.is_empty()
        {
            return Ok(Self::Sqlite(PathBuf::from(path)));
        }
        let scheme = url.split("://").next().unwrap_or_default();
        Err(format!(
            "must start with postgres://, postgresql:// or sqlite:// and name a database (got {scheme}://…)"
        ))
    }

    /// The backend's name, for messages (never the URL: it may hold a password).
    pub fn backend_name(&self) -> &'static str {
        match self {
            Self::Postgres(_) => "PostgreSQL",
            Self::Sqlite(_) => "SQLite",
        }
    }
}

impl TryFrom<String> for DbTarget {
    type Error = String;

    fn try_from(url: String) -> Result<Self, String> {
        Self::parse(&url)
    }
}

/// The URL can carry a password: debug output names the backend only.
impl fmt::Debug for DbTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Postgres(_) => f.write_str("Postgres(…)"),
            Self::Sqlite(path) => write!(f, "Sqlite({})", path.display()),
        }
    }
}

/// A cron expression with seconds (`0 30 8 * * *`), checked with the parser and the
/// options the scheduler uses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct CronExpr(String);

impl CronExpr {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for CronExpr {
    type Error = String;

    fn try_from(expr: String) -> Result<Self, String> {
        CronParser::builder()
            .seconds(Seconds::Required)
            .dom_and_dow(true)
            .build()
            .parse(&expr)
            .map_err(|e| format!("not a cron expression with seconds ({e})"))?;
        Ok(Self(expr))
    }
}

/// A browser origin, `scheme://host[:port]` with nothing after it, as sent in `Origin`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Origin(String);

impl Origin {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The origin part of a URL (`https://a.example.org/x` → `https://a.example.org`).
    pub fn of_url(url: &str) -> Result<Self, String> {
        let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        Self::try_from(format!("{scheme}://{host}"))
    }
}

impl TryFrom<String> for Origin {
    type Error = String;

    fn try_from(origin: String) -> Result<Self, String> {
        let rest = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"))
            .ok_or("must start with http:// or https://")?;
        if rest.is_empty() || rest.contains(['/', '?', '#', ' ', '*']) {
            return Err("must be an origin: scheme://host[:port], no path or wildcard".into());
        }
        Ok(Self(origin))
    }
}

/// The service's address as people reach it (links in mail), without a trailing slash.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct PublicUrl(String);

impl PublicUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn origin(&self) -> Origin {
        // Checked at parse time: an http(s) URL always has an origin.
        Origin::of_url(&self.0).unwrap_or_else(|_| Origin(self.0.clone()))
    }
}

impl TryFrom<String> for PublicUrl {
    type Error = String;

    fn try_from(url: String) -> Result<Self, String> {
        Origin::of_url(&url).map_err(|_| "must be an http:// or https:// URL".to_owned())?;
        Ok(Self(url.trim_end_matches('/').to_owned()))
    }
}

/// A mailbox such as `名称 <user@example.org>`.
pub fn mailbox<'de, D: Deserializer<'de>>(d: D) -> Result<lettre::message::Mailbox, D::Error> {
    let text = String::deserialize(d)?;
    text.parse().map_err(|_| {
        serde::de::Error::custom(format!(
            "must be a mailbox such as 名称 <user@example.org> (got {text:?})"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_name_their_backend() {
        assert_eq!(
            DbTarget::parse("sqlite://data/y.db"),
            Ok(DbTarget::Sqlite("data/y.db".into()))
        );
        assert!(matches!(
            DbTarget::parse("postgresql://u:secret@h/db"),
            Ok(DbTarget::Postgres(_))
        ));
        for bad in ["sqlite://", "mysql://h/db", "data/y.db"] {
            assert!(DbTarget::parse(bad).is_err(), "{bad}");
        }
        let debug = format!("{:?}", DbTarget::parse("postgres://u:secret@h/db"));
        assert!(!debug.contains("secret"), "{debug}");
    }

    #[test]
    fn cron_needs_seconds() {
        assert!(CronExpr::try_from("0 30 8 * * *".to_owned()).is_ok());
        assert!(CronExpr::try_from("30 8 * * *".to_owned()).is_err());
        assert!(CronExpr::try_from("every morning".to_owned()).is_err());
    }

    #[test]
    fn origins_are_scheme_host_and_port_only() {
        let origin = |s: &str| Origin::try_from(s.to_owned());
        assert!(origin("https://screen.example.org").is_ok());
        assert!(origin("http://10.0.0.5:3000").is_ok());
        for bad in [
            "screen.example.org",
            "https://a.org/",
            "https://*.a.org",
            "https://",
        ] {
            assert!(origin(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Origin::of_url("https://a.org:8443/ack?x=1").map(|o| o.0),
            Ok("https://a.org:8443".to_owned())
        );
    }
}
