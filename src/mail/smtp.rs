//! SMTP delivery: lettre's protocol client on sockets we open ourselves, with
//! `TCP_NODELAY`, and a small pool of idle connections.
//!
//! Why not lettre's `AsyncSmtpTransport`: lettre 0.11.23 leaves Nagle's algorithm on.
//! It writes a message's body and the closing `.` separately, so the closing five bytes
//! wait for the server's delayed ACK (40 ms on Linux) and one connection delivers about
//! 25 mails a second; with `TCP_NODELAY` the same exchange takes 1–2 ms. lettre has
//! merged the fix (lettre/lettre#1159) but not released it, and its transport has no
//! hook for the socket. Once a release sets it, this module can go back to
//! `AsyncSmtpTransport` with its pool.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use lettre::Message;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{AsyncSmtpConnection, Certificate, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use secrecy::ExposeSecret;
use tokio::net::TcpStream;

use super::SendError;
use crate::config::{SmtpSecurity, SmtpSettings};

/// A parked connection is dropped after this long unused; servers close idle sessions
/// (Postfix after 300 s), and a fresh connection is cheap next to a failed send.
const IDLE_LIMIT: Duration = Duration::from_secs(60);

pub struct SmtpClient {
    host: String,
    port: u16,
    security: SmtpSecurity,
    tls: Option<TlsParameters>,
    credentials: Option<Credentials>,
    hello: ClientId,
    idle: Mutex<Vec<(AsyncSmtpConnection, Instant)>>,
    max_idle: usize,
}

impl SmtpClient {
    pub fn new(settings: &SmtpSettings, max_idle: usize) -> Result<Self, String> {
        let tls = match settings.security {
            SmtpSecurity::None => None,
            SmtpSecurity::Starttls | SmtpSecurity::Tls => Some(tls_parameters(settings)?),
        };
        let credentials = (!settings.username.is_empty()).then(|| {
            Credentials::new(
                settings.username.clone(),
                settings.password.expose_secret().to_owned(),
            )
        });
        Ok(Self {
            host: settings.host.clone(),
            port: settings.port,
            security: settings.security,
            tls,
            credentials,
            hello: ClientId::default(),
            idle: Mutex::new(Vec::new()),
            max_idle,
        })
    }

    /// One message, on a parked connection if one still answers, else on a new one.
    /// The caller bounds the whole exchange in time.
    pub async fn send(&self, message: &Message) -> Result<(), SendError> {
        let mut conn = self.checkout().await?;
        let sent = conn.send(message.envelope(), &message.formatted()).await;
        // lettre aborts the session on any error reply, so a broken one is not parked.
        if !conn.has_broken() {
            self.park(conn);
        }
        sent.map(|_| ()).map_err(classify)
    }

    async fn checkout(&self) -> Result<AsyncSmtpConnection, SendError> {
        while let Some((mut conn, since)) = self.unpark() {
            // A NOOP proves the server still talks (as lettre's own pool does): a session
            // the server dropped while idle would otherwise fail a send and cost a retry.
            if since.elapsed() < IDLE_LIMIT && conn.test_connected().await {
                return Ok(conn);
            }
            conn.abort().await;
        }
        self.connect().await
    }

    /// Every failure here is transient, 5xx replies included: a refused greeting, TLS
    /// or login says nothing about the recipient, and the mail must wait for the relay
    /// (or its settings) to be fixed rather than be given up.
    async fn connect(&self) -> Result<AsyncSmtpConnection, SendError> {
        let session = |stage: &str, e: lettre::transport::smtp::Error| {
            SendError::Transient(format!("{stage} with {}:{}: {e}", self.host, self.port))
        };
        let tcp = TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| {
                SendError::Transient(format!("connecting to {}:{}: {e}", self.host, self.port))
            })?;
        tcp.set_nodelay(true)
            .map_err(|e| SendError::Transient(format!("TCP_NODELAY: {e}")))?;
        let mut conn = match (self.security, &self.tls) {
            (SmtpSecurity::Tls, Some(tls)) => {
                let stream = implicit_tls::wrap(tcp, tls.clone())
                    .await
                    .map_err(|e| session("TLS", e))?;
                AsyncSmtpConnection::connect_with_transport(stream, &self.hello).await
            }
            _ => AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.hello).await,
        }
        .map_err(|e| session("greeting", e))?;
        if let (SmtpSecurity::Starttls, Some(tls)) = (self.security, &self.tls) {
            // Required, never opportunistic: a server without STARTTLS is an error.
            conn.starttls(tls.clone(), &self.hello)
                .await
                .map_err(|e| session("STARTTLS", e))?;
        }
        if let Some(credentials) = &self.credentials {
            conn.auth(&[Mechanism::Plain, Mechanism::Login], credentials)
                .await
                .map_err(|e| session("login", e))?;
        }
        Ok(conn)
    }

    /// Drops sessions parked longer than the idle limit; the scheduler's sweep calls
    /// this so a quiet service does not hold sockets the server has long closed.
    pub fn close_idle(&self) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.retain(|(_, since)| since.elapsed() < IDLE_LIMIT);
        }
    }

    fn unpark(&self) -> Option<(AsyncSmtpConnection, Instant)> {
        self.idle.lock().ok()?.pop()
    }

    fn park(&self, conn: AsyncSmtpConnection) {
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < self.max_idle
        {
            idle.push((conn, Instant::now()));
        }
        // Otherwise the connection is dropped, which closes the socket.
    }
}

fn tls_parameters(settings: &SmtpSettings) -> Result<TlsParameters, String> {
    let mut builder = TlsParameters::builder(settings.host.clone());
    if let Some(path) = &settings.ca_file {
        let pem = std::fs::read(path)
            .map_err(|e| format!("mail.smtp.ca_file {}: {e}", path.display()))?;
        let ca = Certificate::from_pem(&pem)
            .map_err(|e| format!("mail.smtp.ca_file {}: {e}", path.display()))?;
        builder = builder.add_root_certificate(ca);
    }
    builder.build().map_err(|e| format!("mail.smtp: {e}"))
}

fn classify(e: lettre::transport::smtp::Error) -> SendError {
    let text = match e.status() {
        Some(code) => format!("{code}: {e}"),
        None => e.to_string(),
    };
    if e.is_permanent() {
        SendError::Permanent(text)
    } else {
        SendError::Transient(text)
    }
}

/// Implicit TLS (SMTPS, port 465): the handshake comes before the greeting, so the
/// stream is encrypted with lettre's own TLS set-up (the same roots as STARTTLS) and
/// then handed to lettre's client as a plain stream.
#[allow(deprecated)] // AsyncNetworkStream: public but "not meant to be"; it is lettre's TLS.
mod implicit_tls {
    use std::io;
    use std::net::SocketAddr;
    use std::pin::Pin;
    use std::task::{Context, Poll};

    use lettre::transport::smtp::client::{AsyncNetworkStream, AsyncTokioStream, TlsParameters};
    use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
    use tokio::net::TcpStream;
    use tokio_util::compat::{Compat, FuturesAsyncReadCompatExt};

    #[derive(Debug)]
    pub struct Encrypted(Compat<AsyncNetworkStream>);

    pub async fn wrap(
        tcp: TcpStream,
        tls: TlsParameters,
    ) -> Result<Box<dyn AsyncTokioStream>, lettre::transport::smtp::Error> {
        let mut stream = AsyncNetworkStream::use_existing_tokio1(Box::new(tcp));
        stream.upgrade_tls(tls).await?;
        Ok(Box::new(Encrypted(stream.compat())))
    }

    impl AsyncTokioStream for Encrypted {
        fn peer_addr(&self) -> io::Result<SocketAddr> {
            self.0.get_ref().peer_addr()
        }
    }

    impl AsyncRead for Encrypted {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            Pin::new(&mut self.0).poll_read(cx, buf)
        }
    }

    impl AsyncWrite for Encrypted {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            Pin::new(&mut self.0).poll_write(cx, buf)
        }

        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.0).poll_flush(cx)
        }

        fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Pin::new(&mut self.0).poll_shutdown(cx)
        }
    }
}
