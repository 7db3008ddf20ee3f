//! Settings: config/default.toml (embedded) → optional file → `YUQING__…` environment
//! variables → `DATABASE_URL`. Unknown keys and invalid values stop start-up.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use config::{Config, Environment, File, FileFormat};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::domain::clock::ClockRules;

mod values;

pub use values::{CronExpr, DbTarget, Origin, PublicUrl};

const DEFAULT_TOML: &str = include_str!("../../config/default.toml");
const ENV_PREFIX: &str = "YUQING";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub mail: MailSettings,
    pub clocks: ClockRules,
    pub engine: EngineSettings,
    pub scheduler: SchedulerSettings,
    pub time: TimeSettings,
    pub log: LogSettings,
    pub console: ConsoleSettings,
    pub channels: ChannelSettings,
    /// Which methods reach a person in each role, and when (`[notification_rules]`).
    pub notification_rules: crate::domain::escalation::RoleRules,
}

/// Channels beside e-mail (config `[channels]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelSettings {
    pub wecom: WecomSettings,
    pub sms: SmsSettings,
    pub robots: RobotSettings,
}

/// Units' group robots (企业微信, 钉钉, 飞书), added in the directory (`[channels.robots]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RobotSettings {
    pub enabled: bool,
    pub timeout_seconds: u64,
}

/// A secret from `secret_file` when set (trailing newline trimmed), else `secret`.
fn secret_from(
    key: &str,
    secret: &SecretString,
    file: Option<&Path>,
) -> Result<SecretString, ConfigError> {
    match file {
        Some(path) => std::fs::read_to_string(path)
            .map(|s| SecretString::from(s.trim_end().to_owned()))
            .map_err(|e| ConfigError(format!("{key}.secret_file: {}: {e}", path.display()))),
        None => Ok(secret.clone()),
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    Get,
    Post,
}

/// How a request's fields travel: a JSON body, or form fields (`GET`: the query).
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BodyEncoding {
    Json,
    Form,
}

/// SMS through an HTTP gateway (`[channels.sms]`): an office's own SMS platform or a
/// provider's API, one request per message, described rather than coded.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsSettings {
    pub enabled: bool,
    pub method: HttpMethod,
    pub url: String,
    pub encoding: BodyEncoding,
    /// Request headers; `{secret}` in a value is replaced by the secret.
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
    /// The request's fields as a JSON object; in its string values `{mobile}`, `{text}`,
    /// `{message_id}`, `{params}` (JSON text of the template variables) and `{secret}`
    /// are replaced.
    pub body: String,
    /// Where the answer says it worked: a dotted path into its JSON (`Code`), and the
    /// value that means success (`OK`), compared as text.
    pub success_field: String,
    pub success_value: String,
    /// The answer's explanation of a failure (dotted path; "" = none).
    #[serde(default)]
    pub message_field: String,
    /// Values of `success_field` that mean "later" (flow control): retried.
    #[serde(default)]
    pub transient_codes: Vec<String>,
    /// The longest text sent, in characters (a long SMS is split by the network).
    pub text_max_chars: usize,
    /// Messages one number receives in a day (office time) before the gateway refuses;
    /// a warning is logged from four fifths of it on.
    pub daily_limit_per_number: i64,
    pub secret: SecretString,
    #[serde(default)]
    pub secret_file: Option<PathBuf>,
    pub timeout_seconds: u64,
}

impl SmsSettings {
    pub fn secret(&self) -> Result<SecretString, ConfigError> {
        secret_from("channels.sms", &self.secret, self.secret_file.as_deref())
    }

    /// The body template, read as a JSON object.
    pub fn body_template(&self) -> Result<serde_json::Map<String, serde_json::Value>, ConfigError> {
        match serde_json::from_str(&self.body) {
            Ok(serde_json::Value::Object(fields)) => Ok(fields),
            Ok(_) => Err(ConfigError(
                "channels.sms.body: must be a JSON object".into(),
            )),
            Err(e) => Err(ConfigError(format!("channels.sms.body: not JSON: {e}"))),
        }
    }
}

/// 企业微信 application messages to the people with a 企业微信 user id (`[channels.wecom]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WecomSettings {
    pub enabled: bool,
    /// https://qyapi.weixin.qq.com, or a 政务微信 / private deployment's address.
    pub api_base: String,
    pub corp_id: String,
    pub agent_id: i64,
    /// The application's secret; or `secret_file`, a file holding it.
    pub secret: SecretString,
    #[serde(default)]
    pub secret_file: Option<PathBuf>,
    pub timeout_seconds: u64,
}

impl WecomSettings {
    pub fn secret(&self) -> Result<SecretString, ConfigError> {
        secret_from("channels.wecom", &self.secret, self.secret_file.as_deref())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub bind: SocketAddr,
    pub public_url: PublicUrl,
    pub max_body_bytes: usize,
    pub workers: usize,
    /// Origins of dashboards allowed to call the API from a browser.
    #[serde(default)]
    pub cors_origins: Vec<Origin>,
    /// Reverse proxies whose `X-Forwarded-For` names the client; from anyone else the
    /// header is ignored.
    #[serde(default)]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Event streams this replica serves at once, and per token.
    pub max_event_streams: usize,
    pub max_event_streams_per_token: usize,
}

/// The web console's sign-in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleSettings {
    /// A session ends after this long without use,
    pub session_idle_minutes: i64,
    /// and this long after sign-in in any case.
    pub session_max_days: i64,
    /// Open sessions per account; past it the oldest end.
    pub sessions_per_account: i64,
    /// Failed sign-ins that lock a login.
    pub lockout_failures: i32,
    /// Failed sign-ins from one client address (any login) that lock that client.
    pub client_lockout_failures: i32,
    /// Password checks one client address gets within `lockout_minutes`, right or wrong.
    pub client_sign_ins: i32,
    /// How long a lock lasts.
    pub lockout_minutes: i64,
}

impl ConsoleSettings {
    pub fn sign_in_rules(&self) -> crate::domain::account::SignInRules {
        crate::domain::account::SignInRules {
            lockout: crate::domain::account::LockoutPolicy {
                account_failures: self.lockout_failures,
                client_failures: self.client_lockout_failures,
                client_sign_ins: self.client_sign_ins,
                lock_minutes: self.lockout_minutes,
            },
            session_idle: chrono::Duration::minutes(self.session_idle_minutes),
            session_max: chrono::Duration::days(self.session_max_days),
            sessions_per_account: self.sessions_per_account,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: DbTarget,
    pub pool_size: u32,
    pub pool_timeout_ms: u64,
    pub sqlite_busy_timeout_ms: u64,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MailTransport {
    File,
    Smtp,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub transport: MailTransport,
    pub file_dir: PathBuf,
    #[serde(deserialize_with = "values::mailbox")]
    pub from: lettre::message::Mailbox,
    pub template_dir: PathBuf,
    pub ack_link_ttl_hours: i64,
    pub signing_key: SecretString,
    pub smtp: SmtpSettings,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    None,
    Starttls,
    Tls,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: String,
    pub password: SecretString,
    /// Extra root certificate (PEM) to trust, e.g. an office's own CA for its relay.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineSettings {
    pub enabled: bool,
    pub batch_size: i64,
    pub max_concurrent_sends: usize,
    pub send_timeout_seconds: u64,
    pub lease_seconds: i64,
    pub poll_interval_ms: u64,
    pub claim_ahead_ms: u64,
    pub late_after_seconds: i64,
    pub retry_initial_seconds: i64,
    pub retry_max_seconds: i64,
    pub stall_after_seconds: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulerSettings {
    pub sweep: CronExpr,
    pub watchdog: CronExpr,
    pub daily_digest: CronExpr,
    pub weekly_summary: CronExpr,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeSettings {
    pub zone: chrono_tz::Tz,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub filter: String,
    pub format: LogFormat,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

impl Settings {
    /// Loads the layers in order; `file` is the optional `--config` path.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut builder =
            Config::builder().add_source(File::from_str(DEFAULT_TOML, FileFormat::Toml));
        if let Some(path) = file {
            builder = builder.add_source(File::from(path).required(true));
        }
        builder = builder.add_source(
            Environment::with_prefix(ENV_PREFIX)
                .prefix_separator("__")
                .separator("__")
                .try_parsing(true),
        );
        if let Ok(url) = std::env::var("DATABASE_URL") {
            builder = builder
                .set_override("database.url", url)
                .map_err(|e| ConfigError(e.to_string()))?;
        }
        let settings: Settings = builder
            .build()
            .and_then(Config::try_deserialize)
            .map_err(|e| ConfigError(e.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let fail = |key: &str, why: &str| Err(ConfigError(format!("{key}: {why}")));
        if self.server.max_body_bytes < 1024 {
            return fail("server.max_body_bytes", "must be at least 1024");
        }
        if self.database.pool_size < 2 {
            return fail("database.pool_size", "must be at least 2");
        }
        if self.database.pool_timeout_ms == 0 {
            return fail("database.pool_timeout_ms", "must be positive");
        }
        if self.console.session_idle_minutes <= 0 {
            return fail("console.session_idle_minutes", "must be positive");
        }
        if self.console.session_max_days <= 0 {
            return fail("console.session_max_days", "must be positive");
        }
        if self.console.sessions_per_account < 1 {
            return fail("console.sessions_per_account", "must be at least 1");
        }
        if self.console.client_sign_ins < 1 {
            return fail("console.client_sign_ins", "must be at least 1");
        }
        if self.console.lockout_failures < 1 || self.console.client_lockout_failures < 1 {
            return fail(
                "console.lockout_failures",
                "failure limits must be at least 1",
            );
        }
        if self.console.lockout_minutes <= 0 {
            return fail("console.lockout_minutes", "must be positive");
        }
        if self.mail.ack_link_ttl_hours <= 0 {
            return fail("mail.ack_link_ttl_hours", "must be positive");
        }
        if self.mail.transport == MailTransport::Smtp && self.mail.smtp.host.trim().is_empty() {
            return fail(
                "mail.smtp.host",
                "is required when mail.transport = \"smtp\"",
            );
        }
        if self.mail.smtp.username.is_empty() != self.mail.smtp.password.expose_secret().is_empty()
        {
            return fail(
                "mail.smtp.username",
                "set both username and password, or neither",
            );
        }
        self.clocks.validate("clocks").map_err(ConfigError)?;
        let w = &self.channels.wecom;
        if w.enabled {
            if w.corp_id.trim().is_empty() || w.agent_id <= 0 {
                return fail(
                    "channels.wecom",
                    "corp_id and agent_id are required when enabled",
                );
            }
            if w.secret()?.expose_secret().is_empty() {
                return fail(
                    "channels.wecom.secret",
                    "is required when enabled (or secret_file)",
                );
            }
            if !(w.api_base.starts_with("https://") || w.api_base.starts_with("http://")) {
                return fail("channels.wecom.api_base", "must be an http(s) URL");
            }
            if w.timeout_seconds == 0 {
                return fail("channels.wecom.timeout_seconds", "must be positive");
            }
        }
        if self.channels.robots.enabled && self.channels.robots.timeout_seconds == 0 {
            return fail("channels.robots.timeout_seconds", "must be positive");
        }
        let m = &self.channels.sms;
        if m.enabled {
            if !(m.url.starts_with("https://") || m.url.starts_with("http://")) {
                return fail("channels.sms.url", "must be an http(s) URL");
            }
            let body = m.body_template()?;
            if m.encoding == BodyEncoding::Form
                && body.values().any(|v| v.is_object() || v.is_array())
            {
                return fail("channels.sms.body", "form fields must be plain values");
            }
            if !m.body.contains("{mobile}") {
                return fail("channels.sms.body", "must carry {mobile}");
            }
            if m.success_field.trim().is_empty() {
                return fail("channels.sms.success_field", "is required when enabled");
            }
            if !(20..=1000).contains(&m.text_max_chars) {
                return fail("channels.sms.text_max_chars", "must be between 20 and 1000");
            }
            if m.daily_limit_per_number < 1 || m.timeout_seconds == 0 {
                return fail(
                    "channels.sms",
                    "daily_limit_per_number and timeout_seconds must be positive",
                );
            }
            m.secret()?;
        }
        let e = &self.engine;
        for (key, value) in [
            ("engine.batch_size", e.batch_size),
            ("engine.max_concurrent_sends", e.max_concurrent_sends as i64),
            ("engine.send_timeout_seconds", e.send_timeout_seconds as i64),
            ("engine.lease_seconds", e.lease_seconds),
            ("engine.poll_interval_ms", e.poll_interval_ms as i64),
            ("engine.retry_initial_seconds", e.retry_initial_seconds),
            ("engine.retry_max_seconds", e.retry_max_seconds),
            ("engine.stall_after_seconds", e.stall_after_seconds),
        ] {
            if value <= 0 {
                return fail(key, "must be positive");
            }
        }
        if e.lease_seconds < 3 {
            // Renewed every third of itself: shorter would renew more than once a second.
            return fail("engine.lease_seconds", "must be at least 3");
        }
        if e.claim_ahead_ms as i64 > e.lease_seconds * 500 {
            // A row claimed ahead must still be under its lease when its moment comes.
            return fail(
                "engine.claim_ahead_ms",
                "must be at most half of engine.lease_seconds",
            );
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log.filter).is_err() {
            return fail("log.filter", "is not a valid tracing filter directive");
        }
        Ok(())
    }
}
