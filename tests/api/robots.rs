//! Local stand-ins for the group robots over real HTTP, enforcing what
//! ../shared/reference/channels.md says. 企业微信 群机器人: a known webhook key (93000), text
//! of at most 2,048 bytes (40058), 20 messages a minute (45009). 钉钉 custom robot: a known
//! access token (300001), a timestamp within the hour and the HMAC-SHA256 signature of
//! timestamp and secret (310000), markdown with a title, 20 a minute, past which the robot
//! is throttled for ten minutes (130101). 飞书 custom bot: timestamp within the hour and
//! its signature in the body (19021), text content. Signatures are checked here with the
//! crates directly, not with the service's code.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{HttpResponse, web};
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use super::stand_in::{Served, serve, wait_until};

pub const WECOM_KEY: &str = "693a91f6-wecom-robot-key";
pub const DING_TOKEN: &str = "ding-access-token-0123";
pub const DING_SECRET: &str = "SECding-signing-secret";
pub const FEISHU_HOOK: &str = "0a1b2c3d-feishu-hook";
pub const FEISHU_SECRET: &str = "feishu-signing-secret";

#[derive(Debug, Clone)]
pub struct Received {
    /// wecom_robot, dingtalk or feishu.
    pub kind: &'static str,
    pub text: String,
    pub mentions: Vec<String>,
    pub at: Instant,
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    /// Answers refused for a limit (a correct sender never sees one).
    over_limit: usize,
    /// Answers refused for a bad signature or key.
    refused: usize,
    ding_throttled_until: Option<Instant>,
    /// How long 钉钉 takes to answer, and how many of its requests are being answered.
    ding_delay: Duration,
    ding_in_flight: usize,
}

pub struct TestRobots {
    pub base: String,
    state: Arc<Mutex<State>>,
    _served: Served<State>,
}

fn sign(key: &[u8], message: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
    mac.update(message);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn within_the_hour(ts_ms: i64) -> bool {
    let now = chrono::Utc::now().timestamp_millis();
    (now - ts_ms).abs() < 3_600_000
}

/// Messages of `kind` that arrived in the last minute.
fn in_last_minute(s: &State, kind: &str) -> usize {
    s.received
        .iter()
        .filter(|r| r.kind == kind && r.at.elapsed() < Duration::from_secs(60))
        .count()
}

fn answer(code: i64, msg: &str) -> HttpResponse {
    HttpResponse::Ok().json(json!({ "errcode": code, "errmsg": msg }))
}

async fn wecom(
    state: web::Data<Arc<Mutex<State>>>,
    q: web::Query<HashMap<String, String>>,
    body: web::Json<Value>,
) -> HttpResponse {
    let mut s = state.lock().unwrap();
    if q.get("key").map(String::as_str) != Some(WECOM_KEY) {
        s.refused += 1;
        return answer(93000, "invalid webhook url");
    }
    let text = body["text"]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if body["msgtype"] != "text" || text.is_empty() {
        return answer(40008, "invalid message type");
    }
    if text.len() > 2048 {
        s.refused += 1;
        return answer(40058, "content exceed max length");
    }
    if in_last_minute(&s, "wecom_robot") >= 20 {
        s.over_limit += 1;
        return answer(45009, "api freq out of limit");
    }
    let mentions = body["text"]["mentioned_mobile_list"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|m| m.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    s.received.push(Received {
        kind: "wecom_robot",
        text,
        mentions,
        at: Instant::now(),
    });
    answer(0, "ok")
}

async fn dingtalk(
    state: web::Data<Arc<Mutex<State>>>,
    q: web::Query<HashMap<String, String>>,
    body: web::Json<Value>,
) -> HttpResponse {
    let delay = {
        let mut s = state.lock().unwrap();
        s.ding_in_flight += 1;
        s.ding_delay
    };
    // Taken, then answered late: a sender killed meanwhile never hears that it went.
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut s = state.lock().unwrap();
    s.ding_in_flight -= 1;
    if q.get("access_token").map(String::as_str) != Some(DING_TOKEN) {
        s.refused += 1;
        return answer(300001, "token is not exist");
    }
    let ts: i64 = q.get("timestamp").and_then(|t| t.parse().ok()).unwrap_or(0);
    let expected = sign(
        DING_SECRET.as_bytes(),
        format!("{ts}\n{DING_SECRET}").as_bytes(),
    );
    // actix has URL-decoded the query: compare with the plain base64.
    if !within_the_hour(ts) || q.get("sign") != Some(&expected) {
        s.refused += 1;
        return answer(310000, "sign not match");
    }
    if s.ding_throttled_until.is_some_and(|t| Instant::now() < t) {
        s.over_limit += 1;
        return answer(130101, "send too fast, exceed 20 times per minute");
    }
    if in_last_minute(&s, "dingtalk") >= 20 {
        s.over_limit += 1;
        s.ding_throttled_until = Some(Instant::now() + Duration::from_secs(600));
        return answer(130101, "send too fast, exceed 20 times per minute");
    }
    let text = body["markdown"]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if body["msgtype"] != "markdown" || text.is_empty() || !body["markdown"]["title"].is_string() {
        return answer(40035, "缺少参数 markdown");
    }
    let mentions: Vec<String> = body["at"]["atMobiles"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|m| m.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    // 钉钉 shows an @ only where the text carries it too.
    if mentions.iter().any(|m| !text.contains(&format!("@{m}"))) {
        return answer(400, "at mobiles not in text");
    }
    s.received.push(Received {
        kind: "dingtalk",
        text,
        mentions,
        at: Instant::now(),
    });
    answer(0, "ok")
}

async fn feishu(
    state: web::Data<Arc<Mutex<State>>>,
    hook: web::Path<String>,
    body: web::Json<Value>,
) -> HttpResponse {
    let mut s = state.lock().unwrap();
    let reply = |code: i64, msg: &str| {
        HttpResponse::Ok().json(json!({ "code": code, "msg": msg, "data": {} }))
    };
    if hook.as_str() != FEISHU_HOOK {
        s.refused += 1;
        return reply(
            19001,
            "param invalid: incoming webhook access token invalid",
        );
    }
    let ts: i64 = body["timestamp"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let expected = sign(format!("{ts}\n{FEISHU_SECRET}").as_bytes(), b"");
    if !within_the_hour(ts * 1000) || body["sign"].as_str() != Some(expected.as_str()) {
        s.refused += 1;
        return reply(
            19021,
            "sign match fail or timestamp is not within one hour from current time",
        );
    }
    let text = body["content"]["text"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if body["msg_type"] != "text" || text.is_empty() {
        return reply(9499, "Bad Request");
    }
    s.received.push(Received {
        kind: "feishu",
        text,
        mentions: Vec::new(),
        at: Instant::now(),
    });
    reply(0, "success")
}

impl TestRobots {
    pub fn start() -> Self {
        let served = serve(State::default(), |cfg| {
            cfg.route("/cgi-bin/webhook/send", web::post().to(wecom))
                .route("/robot/send", web::post().to(dingtalk))
                .route("/open-apis/bot/v2/hook/{hook}", web::post().to(feishu));
        });
        Self {
            base: served.base.clone(),
            state: served.state.clone(),
            _served: served,
        }
    }

    pub fn wecom_webhook(&self) -> String {
        format!("{}/cgi-bin/webhook/send?key={WECOM_KEY}", self.base)
    }

    pub fn dingtalk_webhook(&self) -> String {
        format!("{}/robot/send?access_token={DING_TOKEN}", self.base)
    }

    pub fn feishu_webhook(&self) -> String {
        format!("{}/open-apis/bot/v2/hook/{FEISHU_HOOK}", self.base)
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// 钉钉's answers from now on take `delay`.
    pub fn slow_down(&self, delay: Duration) {
        self.state.lock().unwrap().ding_delay = delay;
    }

    /// Waits until `n` requests to 钉钉 are being answered (0: until it is idle).
    pub async fn wait_in_flight(&self, n: usize) {
        let busy = || self.state.lock().unwrap().ding_in_flight;
        wait_until(
            "钉钉's requests in flight",
            Duration::from_secs(30),
            busy,
            |b| *b == n,
        )
        .await;
    }

    /// Refusals for a limit, and for a key or signature.
    pub fn refusals(&self) -> (usize, usize) {
        let s = self.state.lock().unwrap();
        (s.over_limit, s.refused)
    }

    /// What was received once `done` holds (`within` at most).
    pub async fn wait_for(
        &self,
        what: &str,
        within: Duration,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        wait_until(what, within, || self.received(), |got| done(got)).await
    }
}
