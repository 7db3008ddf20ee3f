//! What every vendor stand-in shares: serving on a random port of 127.0.0.1 with its
//! state, stopping when dropped, and waiting for what it received.

use std::fmt::Debug;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::{App, HttpServer, web};

/// A running stand-in: its address and its state (shared with its handlers).
pub struct Served<S> {
    pub base: String,
    pub state: Arc<Mutex<S>>,
    server: actix_web::dev::ServerHandle,
}

/// Serves `routes` (one worker) with `state` as `web::Data<Arc<Mutex<S>>>`.
pub fn serve<S: Send + 'static>(
    state: S,
    routes: impl Fn(&mut web::ServiceConfig) + Clone + Send + 'static,
) -> Served<S> {
    let state = Arc::new(Mutex::new(state));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let data = web::Data::new(state.clone());
    let server =
        HttpServer::new(move || App::new().app_data(data.clone()).configure(routes.clone()))
            .workers(1)
            .listen(listener)
            .unwrap()
            .run();
    let handle = server.handle();
    tokio::spawn(server);
    Served {
        base: format!("http://127.0.0.1:{port}"),
        state,
        server: handle,
    }
}

impl<S> Drop for Served<S> {
    fn drop(&mut self) {
        drop(self.server.stop(false));
    }
}

/// `got()` once `done` holds of it, checked every 100 ms; panics naming `what` after
/// `within`.
pub async fn wait_until<T: Debug>(
    what: &str,
    within: Duration,
    got: impl Fn() -> T,
    done: impl Fn(&T) -> bool,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        let seen = got();
        if done(&seen) {
            return seen;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}: {seen:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
