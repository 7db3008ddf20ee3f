//! SMS through an HTTP gateway described in config (`[channels.sms]`): method, URL,
//! headers, a JSON body template and a success rule, enough for an office's own SMS
//! platform or a provider's API. Each message carries this service's own id
//! (`{message_id}`, fixed when it was planned), so a resend after a crash is
//! recognisable at the gateway. SMS is not idempotent: what the gateway accepted is never
//! sent again by this service, but a crash between its answer and the record can repeat
//! one (counted by the stand-in in tests).

use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

use super::{Outgoing, SendError, http_client, no_answer};
use crate::config::{BodyEncoding, HttpMethod, SmsSettings};
use crate::mail::Composer;

pub struct Sms {
    http: reqwest::Client,
    method: HttpMethod,
    url: String,
    encoding: BodyEncoding,
    headers: Vec<(String, String)>,
    body: Map<String, Value>,
    success_field: String,
    success_value: String,
    message_field: String,
    transient_codes: Vec<String>,
    text_max_chars: usize,
    daily_limit: i64,
    secret: SecretString,
    composer: std::sync::Arc<Composer>,
}

/// Replaces each `{name}` of `vars` in `template`, once: a value that itself holds
/// `{mobile}` is not replaced again.
fn fill(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    'scan: while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let tail = &rest[open..];
        for (name, value) in vars {
            if let Some(after) = tail
                .strip_prefix('{')
                .and_then(|t| t.strip_prefix(name))
                .and_then(|t| t.strip_prefix('}'))
            {
                out.push_str(value);
                rest = after;
                continue 'scan;
            }
        }
        out.push('{');
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

/// The template's fields with every string value filled.
fn fill_value(value: &Value, vars: &[(&str, &str)]) -> Value {
    match value {
        Value::String(s) => Value::String(fill(s, vars)),
        Value::Array(items) => Value::Array(items.iter().map(|v| fill_value(v, vars)).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), fill_value(v, vars)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A field of the answer by dotted path, as text (`"OK"`, `0` → "0").
fn field_text(answer: &Value, path: &str) -> Option<String> {
    let found = path.split('.').try_fold(answer, |v, key| v.get(key))?;
    match found {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

impl Sms {
    pub fn new(
        settings: &SmsSettings,
        secret: SecretString,
        composer: std::sync::Arc<Composer>,
    ) -> Result<Self, String> {
        let http = http_client("SMS", settings.timeout_seconds)?;
        Ok(Self {
            http,
            method: settings.method,
            url: settings.url.clone(),
            encoding: settings.encoding,
            headers: settings
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            body: settings.body_template().map_err(|e| e.to_string())?,
            success_field: settings.success_field.clone(),
            success_value: settings.success_value.clone(),
            message_field: settings.message_field.clone(),
            transient_codes: settings.transient_codes.clone(),
            text_max_chars: settings.text_max_chars,
            daily_limit: settings.daily_limit_per_number,
            secret,
            composer,
        })
    }

    pub(super) fn daily_limit(&self) -> i64 {
        self.daily_limit
    }

    /// The text of a reminder and the template's variables, within the configured length.
    pub(super) fn compose(&self, out: &Outgoing<'_>) -> Result<(String, Value), SendError> {
        let Some(context) = out.reminder() else {
            return Err(SendError::Permanent("reports go by e-mail, not SMS".into()));
        };
        self.composer
            .sms_text(&context, self.text_max_chars)
            .map_err(SendError::Permanent)
    }

    /// Sends `text` (and the template variables `params`) to `mobile`, carrying this
    /// service's id of the message.
    pub(super) async fn send_text(
        &self,
        mobile: &str,
        text: &str,
        params: &Value,
        message_id: &str,
    ) -> Result<(), SendError> {
        let params = params.to_string();
        let vars = [
            ("mobile", mobile),
            ("text", text),
            ("message_id", message_id),
            ("params", params.as_str()),
            ("secret", self.secret.expose_secret()),
        ];
        let fields: Map<String, Value> = self
            .body
            .iter()
            .map(|(k, v)| (k.clone(), fill_value(v, &vars)))
            .collect();
        let mut request = match self.method {
            HttpMethod::Get => self.http.get(&self.url),
            HttpMethod::Post => self.http.post(&self.url),
        };
        for (name, value) in &self.headers {
            request = request.header(name, fill(value, &vars[4..]));
        }
        let form = || -> Vec<(String, String)> {
            fields
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => (k.clone(), s.clone()),
                    other => (k.clone(), other.to_string()),
                })
                .collect()
        };
        request = match (self.method, self.encoding) {
            (_, BodyEncoding::Json) => request.json(&fields),
            (HttpMethod::Get, BodyEncoding::Form) => request.query(&form()),
            (HttpMethod::Post, BodyEncoding::Form) => request.form(&form()),
        };
        let response = request
            .send()
            .await
            .map_err(|e| no_answer("SMS gateway", e))?;
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        self.verdict(status, &answer)
    }

    /// Whether the gateway took it: its success field, else the HTTP status decides
    /// (5xx and 429 later, other failures never as they are).
    fn verdict(&self, status: reqwest::StatusCode, answer: &Value) -> Result<(), SendError> {
        let code = field_text(answer, &self.success_field);
        if status.is_success() && code.as_deref() == Some(self.success_value.as_str()) {
            return Ok(());
        }
        let words = if self.message_field.is_empty() {
            None
        } else {
            field_text(answer, &self.message_field)
        };
        let said = format!(
            "SMS gateway {}: {}{}",
            status.as_u16(),
            code.as_deref().unwrap_or("no answer code"),
            words.map(|w| format!(" {w}")).unwrap_or_default()
        );
        let later = status.is_server_error()
            || status == reqwest::StatusCode::TOO_MANY_REQUESTS
            || code.is_some_and(|c| self.transient_codes.contains(&c));
        Err(if later {
            SendError::Transient(said)
        } else {
            SendError::Permanent(said)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_once() {
        let vars = [("mobile", "13800138000"), ("text", "见{mobile}")];
        assert_eq!(
            fill("to {mobile}: {text} {other}", &vars),
            "to 13800138000: 见{mobile} {other}"
        );
        assert_eq!(fill("{", &vars), "{");
        assert_eq!(fill("{mobile", &vars), "{mobile");
    }

    #[test]
    fn answer_fields_read_as_text() {
        let answer = serde_json::json!({"Code": "OK", "result": {"code": 0}});
        assert_eq!(field_text(&answer, "Code").as_deref(), Some("OK"));
        assert_eq!(field_text(&answer, "result.code").as_deref(), Some("0"));
        assert_eq!(field_text(&answer, "missing"), None);
    }
}
