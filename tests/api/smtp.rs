//! A real SMTP server for the tests (mailin-embedded, over TCP on 127.0.0.1), with
//! faults that can be switched on and off: 421 at the greeting exchange, 451 or 550 at
//! RCPT, a slow DATA reply, and, separately, a listener that never greets.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use mailin_embedded::{Handler, Response, Server};

use crate::tls::TestCerts;

#[derive(Debug, Clone)]
pub struct Received {
    pub to: Vec<String>,
    pub message_id: String,
    pub subject: String,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// Replies to change on the fly; `None` means the normal reply.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    pub helo: Option<u16>,
    pub rcpt: Option<u16>,
    /// Addresses refused at RCPT with this code.
    pub refuse: Vec<(String, u16)>,
    pub data_delay: Option<Duration>,
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    faults: Mutex<Faults>,
    /// When set, AUTH PLAIN/LOGIN must name this user and password.
    login: Option<(String, String)>,
}

#[derive(Clone)]
struct Session {
    shared: Arc<Shared>,
    to: Vec<String>,
    data: Vec<u8>,
}

fn reply(code: u16) -> Response {
    Response::custom(code, format!("test server says {code}"))
}

impl Session {
    fn check_login(&self, user: &str, password: &str) -> Response {
        match &self.shared.login {
            Some((u, p)) if u == user && p == password => mailin_embedded::response::AUTH_OK,
            _ => mailin_embedded::response::INVALID_CREDENTIALS,
        }
    }
}

impl Handler for Session {
    fn auth_plain(&mut self, _authz: &str, user: &str, password: &str) -> Response {
        self.check_login(user, password)
    }

    fn auth_login(&mut self, user: &str, password: &str) -> Response {
        self.check_login(user, password)
    }

    fn helo(&mut self, _ip: std::net::IpAddr, _domain: &str) -> Response {
        let faults = self.shared.faults.lock().unwrap();
        faults.helo.map_or(mailin_embedded::response::OK, reply)
    }

    fn rcpt(&mut self, to: &str) -> Response {
        let faults = self.shared.faults.lock().unwrap();
        if let Some((_, code)) = faults.refuse.iter().find(|(a, _)| a == to) {
            return reply(*code);
        }
        faults.rcpt.map_or(mailin_embedded::response::OK, reply)
    }

    fn data_start(&mut self, _domain: &str, _from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.to = to.to_vec();
        self.data.clear();
        mailin_embedded::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let delay = self.shared.faults.lock().unwrap().data_delay;
        if let Some(delay) = delay {
            std::thread::sleep(delay);
        }
        let parsed = mailparse::parse_mail(&self.data).expect("a parseable message");
        let header = |name: &str| {
            parsed
                .headers
                .iter()
                .find(|h| h.get_key().eq_ignore_ascii_case(name))
                .map(|h| h.get_value())
                .unwrap_or_default()
        };
        let text = parsed
            .subparts
            .iter()
            .find(|p| p.ctype.mimetype == "text/plain")
            .and_then(|p| p.get_body().ok())
            .unwrap_or_default();
        self.shared.received.lock().unwrap().push(Received {
            to: self.to.clone(),
            message_id: header("Message-ID"),
            subject: header("Subject"),
            text,
            at: Utc::now(),
        });
        mailin_embedded::response::OK
    }
}

pub struct TestSmtp {
    pub port: u16,
    shared: Arc<Shared>,
}

/// A port with nothing listening on it (connections are refused).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl TestSmtp {
    pub fn start() -> Self {
        Self::start_on(free_port())
    }

    /// Serves on `port` until the test process ends.
    pub fn start_on(port: u16) -> Self {
        Self::serve(port, None, None)
    }

    /// Offers STARTTLS with `tls` and requires AUTH with `login` (which the server
    /// allows only once the session is encrypted).
    pub fn start_secured(tls: &TestCerts, login: (&str, &str)) -> Self {
        let login = (login.0.to_owned(), login.1.to_owned());
        Self::serve(free_port(), Some(tls), Some(login))
    }

    fn serve(port: u16, tls: Option<&TestCerts>, login: Option<(String, String)>) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind SMTP port");
        let shared = Arc::new(Shared {
            login: login.clone(),
            ..Shared::default()
        });
        let mut server = Server::new(Session {
            shared: shared.clone(),
            to: Vec::new(),
            data: Vec::new(),
        });
        server
            .with_name("test.smtp.local")
            .with_num_threads(128)
            .with_tcp_listener(listener);
        if let Some(tls) = tls {
            server
                .with_ssl(mailin_embedded::SslConfig::SelfSigned {
                    cert_path: tls.path("server.pem"),
                    key_path: tls.path("server.key"),
                })
                .expect("TLS for the SMTP server");
        }
        if login.is_some() {
            server
                .with_auth(mailin_embedded::AuthMechanism::Plain)
                .with_auth(mailin_embedded::AuthMechanism::Login);
        }
        std::thread::spawn(move || {
            if let Err(e) = server.serve() {
                eprintln!("test SMTP server stopped: {e}");
            }
        });
        Self { port, shared }
    }

    pub fn set_faults(&self, faults: Faults) {
        *self.shared.faults.lock().unwrap() = faults;
    }

    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().unwrap().clone()
    }

    /// Waits until `done` holds for what has arrived, or panics at the deadline.
    pub async fn wait_for(
        &self,
        what: &str,
        deadline: Duration,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let received = self.received();
            if done(&received) {
                return received;
            }
            assert!(
                start.elapsed() < deadline,
                "timed out waiting for {what}; received {} mails: {:?}",
                received.len(),
                received
                    .iter()
                    .map(|r| (&r.to, &r.subject))
                    .collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Accepts TCP connections on `port` and never sends a greeting, until dropped.
pub struct Silent {
    task: tokio::task::JoinHandle<()>,
}

impl Silent {
    pub async fn bind(port: u16) -> Self {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((stream, _)) = listener.accept().await {
                held.push(stream);
            }
        });
        Self { task }
    }
}

impl Silent {
    /// Closes the listener and every held connection; the port is free afterwards.
    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}
