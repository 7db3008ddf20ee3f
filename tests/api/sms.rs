//! A local stand-in for an SMS gateway over real HTTP, shaped like 阿里云 SendSms and
//! enforcing what ../shared/reference/channels.md says: the caller's key (here a bearer
//! secret), PhoneNumbers a mainland number (isv.MOBILE_NUMBER_ILLEGAL), a known
//! SignName and TemplateCode (isv.SMS_TEMPLATE_ILLEGAL), TemplateParam as JSON text with
//! every variable of the template (isv.TEMPLATE_MISSING_PARAMETERS), the caller's OutId,
//! and the per-number daily cap (isv.BUSINESS_LIMIT_CONTROL). Success: `Code = "OK"`
//! with a BizId. Not idempotent, as the vendor: a repeated OutId is counted, not
//! refused. It can be told to answer the next sends with a code or an HTTP status.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use actix_web::{HttpRequest, HttpResponse, web};

use super::stand_in::{Served, serve, wait_until};
use serde_json::{Value, json};

pub const SECRET: &str = "sms-key-do-not-log";
pub const SIGN_NAME: &str = "税务舆情";
pub const TEMPLATE_CODE: &str = "SMS_900001";
/// The template's variables.
const VARIABLES: [&str; 4] = ["reference", "step", "deadline", "link"];

/// What this service sends it: the 阿里云 shape, as the configuration's body template.
pub const BODY: &str = r#"{"PhoneNumbers": "{mobile}", "SignName": "税务舆情", "TemplateCode": "SMS_900001", "TemplateParam": "{params}", "OutId": "{message_id}"}"#;

#[derive(Debug, Clone)]
pub struct Received {
    pub mobile: String,
    pub out_id: String,
    pub params: Value,
    /// When it arrived.
    pub at: chrono::DateTime<chrono::Utc>,
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    /// (HTTP status, Code) to answer the next sends with, in order.
    scripted: VecDeque<(u16, String)>,
    daily_cap: usize,
    /// How long each answer takes (a slow gateway, to be killed mid-send).
    delay: std::time::Duration,
    /// Requests being answered.
    in_flight: usize,
}

pub struct TestSms {
    pub url: String,
    state: Arc<Mutex<State>>,
    _served: Served<State>,
}

fn answer(status: u16, code: &str, message: &str) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).json(json!({
        "Code": code, "Message": message, "RequestId": uuid::Uuid::new_v4().to_string()
    }))
}

fn is_mobile(number: &str) -> bool {
    let b = number.as_bytes();
    b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
}

async fn send(
    state: web::Data<Arc<Mutex<State>>>,
    req: HttpRequest,
    body: web::Json<Value>,
) -> HttpResponse {
    let delay = {
        let mut s = state.lock().unwrap();
        s.in_flight += 1;
        s.delay
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut s = state.lock().unwrap();
    s.in_flight -= 1;
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok());
    if auth != Some(&format!("Bearer {SECRET}")) {
        return answer(
            403,
            "InvalidAccessKeyId.NotFound",
            "Specified access key is not found.",
        );
    }
    let mobile = body["PhoneNumbers"].as_str().unwrap_or_default().to_owned();
    if !is_mobile(&mobile) {
        return answer(200, "isv.MOBILE_NUMBER_ILLEGAL", "非法手机号");
    }
    if body["SignName"] != SIGN_NAME || body["TemplateCode"] != TEMPLATE_CODE {
        return answer(200, "isv.SMS_TEMPLATE_ILLEGAL", "模板不合法");
    }
    let params: Value = body["TemplateParam"]
        .as_str()
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or(Value::Null);
    if VARIABLES.iter().any(|v| !params[v].is_string()) {
        return answer(200, "isv.TEMPLATE_MISSING_PARAMETERS", "模板缺少变量");
    }
    let out_id = body["OutId"].as_str().unwrap_or_default().to_owned();
    if out_id.is_empty() || out_id.len() > 64 {
        return answer(200, "isv.INVALID_PARAMETERS", "OutId");
    }
    if let Some((status, code)) = s.scripted.pop_front() {
        return answer(status, &code, "scripted");
    }
    if s.received.iter().filter(|r| r.mobile == mobile).count() >= s.daily_cap {
        return answer(200, "isv.BUSINESS_LIMIT_CONTROL", "触发天级流控Permits:50");
    }
    s.received.push(Received {
        mobile,
        out_id,
        params,
        at: chrono::Utc::now(),
    });
    HttpResponse::Ok().json(json!({
        "Code": "OK", "Message": "OK", "BizId": format!("{}^0", uuid::Uuid::new_v4().simple()),
        "RequestId": uuid::Uuid::new_v4().to_string()
    }))
}

impl TestSms {
    /// Serves on a random port, with the vendor's daily cap of 50 per number.
    pub fn start() -> Self {
        let state = State {
            daily_cap: 50,
            ..State::default()
        };
        let served = serve(state, |cfg| {
            cfg.route("/sms/send", web::post().to(send));
        });
        Self {
            url: format!("{}/sms/send", served.base),
            state: served.state.clone(),
            _served: served,
        }
    }

    /// Points `settings` at this gateway, with the secret and the 阿里云-shaped body.
    pub fn configure(&self, settings: &mut yuqing_tracker::config::Settings) {
        use yuqing_tracker::config::{BodyEncoding, HttpMethod};
        let m = &mut settings.channels.sms;
        m.enabled = true;
        m.method = HttpMethod::Post;
        m.url = self.url.clone();
        m.encoding = BodyEncoding::Json;
        m.headers = [("Authorization".to_owned(), "Bearer {secret}".to_owned())].into();
        m.body = BODY.into();
        m.success_field = "Code".into();
        m.success_value = "OK".into();
        m.message_field = "Message".into();
        m.transient_codes = vec!["isv.BUSINESS_LIMIT_CONTROL".into()];
        m.secret = SECRET.to_owned().into();
        m.timeout_seconds = 2;
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// Once no request is being answered (30 s at most): what the gateway took is all
    /// in `received`.
    pub async fn wait_idle(&self) {
        let within = std::time::Duration::from_secs(30);
        let busy = || self.state.lock().unwrap().in_flight;
        wait_until("the gateway to be idle", within, busy, |n| *n == 0).await;
    }

    /// Each answer from now on takes `delay`.
    pub fn slow_down(&self, delay: std::time::Duration) {
        self.state.lock().unwrap().delay = delay;
    }

    /// The gateway settings as the binary's environment (`YUQING__CHANNELS__SMS__…`).
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("ENABLED", "true".to_owned()),
            ("URL", self.url.clone()),
            ("BODY", BODY.to_owned()),
            ("HEADERS__AUTHORIZATION", "Bearer {secret}".to_owned()),
            ("SUCCESS_FIELD", "Code".to_owned()),
            ("SUCCESS_VALUE", "OK".to_owned()),
            ("MESSAGE_FIELD", "Message".to_owned()),
            ("SECRET", SECRET.to_owned()),
            ("TIMEOUT_SECONDS", "3".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (format!("YUQING__CHANNELS__SMS__{k}"), v))
        .collect()
    }

    /// How many OutIds arrived more than once (a resend the vendor could not tell).
    pub fn repeated(&self) -> usize {
        let mut seen: HashMap<String, usize> = HashMap::new();
        for r in self.received() {
            *seen.entry(r.out_id).or_default() += 1;
        }
        seen.values().filter(|n| **n > 1).map(|n| n - 1).sum()
    }

    /// The next sends answer with these (HTTP status, Code), in order.
    pub fn answer_next(&self, answers: &[(u16, &str)]) {
        self.state
            .lock()
            .unwrap()
            .scripted
            .extend(answers.iter().map(|(s, c)| (*s, c.to_string())));
    }

    /// What was received once `done` holds (30 s at most).
    pub async fn wait_for(&self, what: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let within = std::time::Duration::from_secs(30);
        wait_until(what, within, || self.received(), |got| done(got)).await
    }
}
