//! Builds the application: storage, mail, the escalation engine and the HTTP server on
//! its listener. Used by `main` and by the tests (which bind port 0).

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use secrecy::ExposeSecret;
use tokio::sync::{Notify, watch};
use tracing_actix_web::TracingLogger;

use crate::web::client::{ClientSpan, TrustedProxies};
use crate::web::feed::{Feed, StreamLimits};

use crate::app::Planning;
use crate::config::Settings;
use crate::domain::escalation::{Addressing, Channel};
use crate::domain::time::TimeSource;
use crate::engine::{Engine, Health};
use crate::error::AppError;
use crate::http::{self, BodyLimit};
use crate::mail::{Composer, LinkSigner, Mailer};
use crate::notify::{Channels, Email, Robots, Sms, Wecom};
use crate::store::{Store, secrets, write_tx};
use crate::web::AppState;

pub struct Application {
    port: u16,
    server: Server,
    feed: Arc<Feed>,
    engine: Option<Arc<Engine>>,
    settings: Settings,
    wake: Arc<Notify>,
    health: Arc<Health>,
    store: Store,
    service: crate::app::App,
}

/// The key that signs acknowledgement links: from config, or generated once and kept
/// in the database so every replica and every restart agrees.
async fn signing_key(
    settings: &Settings,
    store: &Store,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<u8>, AppError> {
    let configured = settings.mail.signing_key.expose_secret();
    if !configured.is_empty() {
        return Ok(configured.as_bytes().to_vec());
    }
    let key = store
        .run(move |conn| {
            write_tx(conn, |conn| {
                secrets::get_or_create(conn, "ack_link_key", now, || {
                    hex::encode(rand::random::<[u8; 32]>())
                })
            })
        })
        .await?;
    Ok(key.into_bytes())
}

/// The channels this service sends on and the domain of Message-IDs, from the settings.
pub fn addressing(settings: &Settings) -> Addressing {
    let mut channels = vec![Channel::Email];
    if settings.channels.wecom.enabled {
        channels.push(Channel::Wecom);
    }
    if settings.channels.sms.enabled {
        channels.push(Channel::Sms);
    }
    if settings.channels.robots.enabled {
        channels.extend([Channel::WecomRobot, Channel::Dingtalk, Channel::Feishu]);
    }
    Addressing {
        message_domain: Composer::message_domain(&settings.mail.from).into(),
        channels: channels.into(),
        rules: Arc::new(settings.notification_rules.clone()),
        zone: settings.time.zone,
    }
}

/// The sender of each channel that is on.
fn channels(
    settings: &Settings,
    mailer: Arc<Mailer>,
    composer: Arc<Composer>,
) -> Result<Channels, AppError> {
    let c = &settings.channels;
    let wecom = if c.wecom.enabled {
        let secret = c.wecom.secret().map_err(AppError::internal)?;
        Some(Wecom::new(&c.wecom, secret, composer.clone()).map_err(AppError::internal)?)
    } else {
        None
    };
    let sms = if c.sms.enabled {
        let secret = c.sms.secret().map_err(AppError::internal)?;
        Some(Sms::new(&c.sms, secret, composer.clone()).map_err(AppError::internal)?)
    } else {
        None
    };
    let robots = if c.robots.enabled {
        Some(Robots::new(c.robots.timeout_seconds, composer.clone()).map_err(AppError::internal)?)
    } else {
        None
    };
    Ok(Channels::new(
        Email::new(mailer, composer),
        wecom,
        sms,
        robots,
    ))
}

impl Application {
    /// Opens the database (applying migrations), prepares mail and the engine, binds
    /// `server.bind`; nothing runs until `run_until_stopped`.
    pub async fn build(settings: &Settings, time: Arc<dyn TimeSource>) -> Result<Self, AppError> {
        crate::console::check_templates().map_err(AppError::internal)?;
        let store = Store::open(&settings.database).await?;
        let signer = LinkSigner::new(&signing_key(settings, &store, time.now()).await?);
        let addressing = addressing(settings);
        let composer =
            Arc::new(crate::mail::composer(settings, signer.clone()).map_err(AppError::internal)?);
        let pages = composer.templates().clone();
        let engine_settings = &settings.engine;
        let mailer = Arc::new(
            Mailer::new(
                &settings.mail,
                Duration::from_secs(engine_settings.send_timeout_seconds),
                engine_settings.max_concurrent_sends as u32,
            )
            .map_err(AppError::internal)?,
        );
        let channels = Arc::new(channels(settings, mailer, composer)?);
        let wake = Arc::new(Notify::new());
        let health = Arc::new(Health::default());
        let rules = Arc::new(settings.clocks.clone());
        let engine = engine_settings.enabled.then(|| {
            Arc::new(Engine::new(
                store.clone(),
                channels.clone(),
                engine_settings.clone(),
                rules.clone(),
                (addressing.clone(), settings.time.zone),
                wake.clone(),
                health.clone(),
                time.clone(),
            ))
        });

        let feed = Feed::start(
            store.clone(),
            StreamLimits {
                total: settings.server.max_event_streams,
                per_token: settings.server.max_event_streams_per_token,
            },
        )
        .await?;
        let listener = TcpListener::bind(settings.server.bind).map_err(AppError::internal)?;
        let port = listener.local_addr().map_err(AppError::internal)?.port();
        let service = crate::app::App::new(
            store.clone(),
            Planning { rules, addressing },
            wake.clone(),
            time,
            settings.time.zone,
            crate::app::passwords::Passwords::per_core(),
        )
        .with_channels(channels);
        let state = web::Data::new(AppState {
            app: service.clone(),
            health: health.clone(),
            engine_stall_after: engine_settings
                .enabled
                .then(|| chrono::Duration::seconds(engine_settings.stall_after_seconds)),
            signer,
            pages,
            boards: Default::default(),
            listings: Default::default(),
            tokens: Default::default(),
            feed: feed.clone(),
            stylesheet: crate::console::stylesheet_url(),
            console: crate::web::session_policy::SessionPolicy::new(
                settings.console.sign_in_rules(),
                &settings.server.public_url,
            ),
            trusted_proxies: settings.server.trusted_proxies.clone(),
        });
        let limit = settings.server.max_body_bytes;
        let (origins, public_url) = (
            settings.server.cors_origins.clone(),
            settings.server.public_url.clone(),
        );
        let proxies = web::Data::new(TrustedProxies(settings.server.trusted_proxies.clone()));
        crate::metrics::init();
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap(http::cors::cors(&origins, &public_url))
                .wrap(from_fn(http::middleware::metrics))
                .wrap(from_fn(http::middleware::refuse_nul))
                .wrap(from_fn(http::middleware::request_id))
                .wrap(TracingLogger::<ClientSpan>::new())
                .app_data(state.clone())
                .app_data(proxies.clone())
                .app_data(web::PayloadConfig::new(limit))
                .app_data(BodyLimit(limit))
                // The API first: actix tries routes in order, and a dashboard's poll
                // should not be matched against every console page on its way.
                .configure(http::routes)
                .configure(crate::console::routes)
                .default_service(web::to(crate::console::not_found))
        })
        .listen(listener)
        .map_err(AppError::internal)?;
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        // `run_until_stopped` handles SIGTERM and SIGINT: it ends the event streams first,
        // so the requests left to finish are short ones.
        let server = server
            .disable_signals()
            .shutdown_timeout(STOP_GRACE.as_secs())
            .run();
        Ok(Self {
            port,
            server,
            feed,
            engine,
            settings: settings.clone(),
            wake,
            health,
            store,
            service,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server from elsewhere (tests, signals).
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// The engine, to run rounds by hand where timing is not the point.
    pub fn engine(&self) -> Option<Arc<Engine>> {
        self.engine.clone()
    }

    pub fn store(&self) -> Store {
        self.store.clone()
    }

    /// The use cases this server answers with.
    pub fn service(&self) -> crate::app::App {
        self.service.clone()
    }

    /// Serves HTTP and runs the engine and its scheduler until SIGTERM or SIGINT, a
    /// handle's stop, or the engine failing. Then, together: every event stream ends,
    /// the engine stops claiming and hands back what it has not started sending, and
    /// HTTP stops accepting and lets short requests finish; each gets `STOP_GRACE`.
    pub async fn run_until_stopped(self) -> Result<(), AppError> {
        let server_handle = self.server.handle();
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut engine_task = self.engine.clone().map(|e| tokio::spawn(e.run(stop_rx)));
        let scheduler = match &self.engine {
            Some(engine) => Some(
                crate::scheduler::start(
                    &self.settings.scheduler,
                    self.settings.time.zone,
                    engine.clone(),
                    self.wake.clone(),
                    self.health.clone(),
                )
                .await?,
            ),
            None => None,
        };
        let engine_ended = async {
            match engine_task.as_mut() {
                Some(task) => task.await,
                None => std::future::pending().await,
            }
        };
        let mut server = self.server;
        let outcome = tokio::select! {
            served = &mut server => {
                tracing::info!("HTTP server stopped");
                Some(served.map_err(AppError::internal))
            }
            ended = engine_ended => {
                tracing::error!(outcome = ?ended, "escalation engine ended; stopping");
                Some(Err(AppError::internal("the escalation engine stopped")))
            }
            signal = stop_signal() => {
                tracing::info!(signal, "stopping");
                None
            }
        };
        let started = std::time::Instant::now();
        self.feed.close();
        let _ = stop_tx.send(true);
        let http = async {
            match outcome {
                Some(done) => done,
                None => {
                    // The server future carries out the stop: both are polled together.
                    let (_, served) = tokio::join!(server_handle.stop(true), server);
                    served.map_err(AppError::internal)
                }
            }
        };
        let engine = async {
            let Some(task) = engine_task.filter(|t| !t.is_finished()) else {
                return;
            };
            let abort = task.abort_handle();
            match tokio::time::timeout(STOP_GRACE, task).await {
                Ok(_) => tracing::info!("escalation engine stopped"),
                Err(_) => {
                    // A send still waiting on its server: its row stays leased and is
                    // sent again (same Message-ID) once the lease runs out.
                    abort.abort();
                    tracing::warn!("escalation engine did not stop in time; its leases will expire")
                }
            }
        };
        let (outcome, ()) = tokio::join!(http, engine);
        if let Some(mut scheduler) = scheduler
            && let Err(e) = scheduler.shutdown().await
        {
            tracing::warn!(error = %e, "scheduler shutdown");
        }
        tracing::info!(
            duration_ms = started.elapsed().as_millis() as u64,
            "stopped"
        );
        outcome
    }
}

/// How long each part may take to stop: docker stop waits 10 s, Kubernetes 30 s.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// SIGTERM (docker stop, Kubernetes) or SIGINT (Ctrl-C); its name.
async fn stop_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = tokio::signal::ctrl_c() => "SIGINT",
        },
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGTERM; stopping on SIGINT only");
            let _ = tokio::signal::ctrl_c().await;
            "SIGINT"
        }
    }
}
