//! A local stand-in for 企业微信's application-message API over real HTTP, enforcing
//! what ../shared/reference/channels.md says: an access token from `gettoken` with the
//! corp id and the application's secret (7,200 s), `message/send` with a valid token
//! (42001 expired, 40014 unknown), the agent id, a text of at most 2,048 bytes, known
//! users (81013 when none is). It can be told to expire its tokens and to answer the
//! next sends with an error code.

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use actix_web::{HttpResponse, web};

use super::stand_in::{Served, serve, wait_until};
use serde_json::{Value, json};

pub const CORP_ID: &str = "ww-test-corp";
pub const SECRET: &str = "wecom-secret-do-not-log";
pub const AGENT_ID: i64 = 1000002;

#[derive(Debug, Clone)]
pub struct Received {
    pub touser: String,
    pub content: String,
    /// When it arrived.
    pub at: chrono::DateTime<chrono::Utc>,
}

#[derive(Default)]
struct State {
    /// Tokens handed out, and whether each still holds.
    tokens: Vec<(String, bool)>,
    token_requests: usize,
    users: HashSet<String>,
    received: Vec<Received>,
    /// Error codes to answer the next sends with, in order.
    scripted: VecDeque<i64>,
    /// Messages past a member's 30 a minute: answered 0 and dropped, as the vendor does.
    dropped: usize,
}

pub struct TestWecom {
    pub base: String,
    state: Arc<Mutex<State>>,
    _served: Served<State>,
}

async fn gettoken(
    state: web::Data<Arc<Mutex<State>>>,
    q: web::Query<std::collections::HashMap<String, String>>,
) -> HttpResponse {
    let mut s = state.lock().unwrap();
    s.token_requests += 1;
    if q.get("corpid").map(String::as_str) != Some(CORP_ID) {
        return HttpResponse::Ok().json(json!({ "errcode": 40013, "errmsg": "invalid corpid" }));
    }
    if q.get("corpsecret").map(String::as_str) != Some(SECRET) {
        return HttpResponse::Ok()
            .json(json!({ "errcode": 40001, "errmsg": "invalid credential" }));
    }
    let token = format!("tok-{}", uuid::Uuid::new_v4().simple());
    s.tokens.push((token.clone(), true));
    HttpResponse::Ok().json(json!({
        "errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200
    }))
}

async fn send(
    state: web::Data<Arc<Mutex<State>>>,
    q: web::Query<std::collections::HashMap<String, String>>,
    body: web::Json<Value>,
) -> HttpResponse {
    let mut s = state.lock().unwrap();
    let answer =
        |code: i64, msg: &str| HttpResponse::Ok().json(json!({ "errcode": code, "errmsg": msg }));
    let token = q.get("access_token").cloned().unwrap_or_default();
    match s.tokens.iter().find(|(t, _)| *t == token) {
        None => return answer(40014, "invalid access_token"),
        Some((_, false)) => return answer(42001, "access_token expired"),
        Some(_) => {}
    }
    if body["agentid"].as_i64() != Some(AGENT_ID) {
        return answer(40056, "invalid agentid");
    }
    if body["msgtype"] != "text" {
        return answer(40008, "invalid message type");
    }
    let content = body["text"]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if content.is_empty() {
        return answer(44004, "empty content");
    }
    if content.len() > 2048 {
        return answer(45002, "content size out of limit");
    }
    if let Some(code) = s.scripted.pop_front() {
        return answer(code, "scripted");
    }
    let touser = body["touser"].as_str().unwrap_or_default().to_owned();
    let (known, unknown): (Vec<&str>, Vec<&str>) =
        touser.split('|').partition(|u| s.users.contains(*u));
    if known.is_empty() {
        return answer(81013, "user & party & tag all invalid");
    }
    let now = chrono::Utc::now();
    let in_last_minute = s
        .received
        .iter()
        .filter(|r| r.touser == touser && now - r.at < chrono::Duration::seconds(60))
        .count();
    if in_last_minute >= 30 {
        s.dropped += 1;
        return HttpResponse::Ok().json(json!({ "errcode": 0, "errmsg": "ok" }));
    }
    s.received.push(Received {
        touser: touser.clone(),
        content,
        at: chrono::Utc::now(),
    });
    HttpResponse::Ok().json(json!({
        "errcode": 0, "errmsg": "ok", "invaliduser": unknown.join("|"), "msgid": uuid::Uuid::new_v4().to_string()
    }))
}

impl TestWecom {
    /// Serves on a random port; `users` are the members it knows.
    pub fn start(users: &[&str]) -> Self {
        let state = State {
            users: users.iter().map(|u| u.to_string()).collect(),
            ..State::default()
        };
        let served = serve(state, |cfg| {
            cfg.route("/cgi-bin/gettoken", web::get().to(gettoken))
                .route("/cgi-bin/message/send", web::post().to(send));
        });
        Self {
            base: served.base.clone(),
            state: served.state.clone(),
            _served: served,
        }
    }

    /// Members it knows from now on, beside those it started with.
    pub fn add_users(&self, users: &[String]) {
        self.state
            .lock()
            .unwrap()
            .users
            .extend(users.iter().cloned());
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    /// Messages dropped silently for a member's limit (a careful sender causes none).
    pub fn dropped(&self) -> usize {
        self.state.lock().unwrap().dropped
    }

    pub fn token_requests(&self) -> usize {
        self.state.lock().unwrap().token_requests
    }

    /// Every token handed out lapses (the next send with one answers 42001).
    pub fn expire_tokens(&self) {
        for t in &mut self.state.lock().unwrap().tokens {
            t.1 = false;
        }
    }

    /// The next sends answer with these codes, in order.
    pub fn answer_next(&self, codes: &[i64]) {
        self.state.lock().unwrap().scripted.extend(codes);
    }

    /// What was received once `done` holds (30 s at most).
    pub async fn wait_for(&self, what: &str, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        self.wait_for_within(what, std::time::Duration::from_secs(30), done)
            .await
    }

    /// What was received once `done` holds (`within` at most).
    pub async fn wait_for_within(
        &self,
        what: &str,
        within: std::time::Duration,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        wait_until(what, within, || self.received(), |got| done(got)).await
    }
}
