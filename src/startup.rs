//! Builds the application: storage, then the HTTP server on its listener. Used by
//! `main` and by the tests (which bind port 0).

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::{Server, Service};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{App, HttpMessage, HttpServer, web};
use tracing_actix_web::{RequestId, TracingLogger};

use crate::config::Settings;
use crate::domain::clock::Clock;
use crate::error::AppError;
use crate::http::{self, AppState, BodyLimit};
use crate::store::Store;

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Opens the database (applying migrations), binds `server.bind` and prepares the
    /// server; nothing is served until `run_until_stopped`.
    pub async fn build(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Self, AppError> {
        let db = settings.database.clone();
        let store = tokio::task::spawn_blocking(move || Store::open(&db))
            .await
            .map_err(AppError::internal)??;
        let listener = TcpListener::bind(settings.server.bind).map_err(AppError::internal)?;
        let port = listener.local_addr().map_err(AppError::internal)?.port();
        let state = web::Data::new(AppState {
            store,
            clock,
            zone: settings.time.zone,
        });
        let limit = settings.server.max_body_bytes;
        let mut server = HttpServer::new(move || {
            App::new()
                .wrap_fn(|req, srv| {
                    let id = req.extensions().get::<RequestId>().copied();
                    let fut = srv.call(req);
                    async move {
                        let mut res = fut.await?;
                        if let Some(id) =
                            id.and_then(|id| HeaderValue::from_str(&id.to_string()).ok())
                        {
                            res.headers_mut()
                                .insert(HeaderName::from_static("x-request-id"), id);
                        }
                        Ok(res)
                    }
                })
                .wrap(TracingLogger::default())
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(limit))
                .app_data(BodyLimit(limit))
                .configure(http::routes)
        })
        .listen(listener)
        .map_err(AppError::internal)?;
        if settings.server.workers > 0 {
            server = server.workers(settings.server.workers);
        }
        // SIGTERM and SIGINT stop accepting, then let requests in flight finish.
        let server = server.shutdown_timeout(30).run();
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle to stop the server from elsewhere (tests, the supervisor in main).
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}
