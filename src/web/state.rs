//! What every handler can reach.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::app::App;
use crate::engine::Health;
use crate::mail::{LinkSigner, Templates};
use crate::web::cache::ViewCache;

#[derive(Clone)]
pub struct AppState {
    /// The use cases: every read and write of both doors goes through it.
    pub app: App,
    pub health: Arc<Health>,
    /// Some when this replica runs the engine: how long before it counts as stalled.
    pub engine_stall_after: Option<chrono::Duration>,
    pub signer: LinkSigner,
    pub pages: Arc<Templates>,
    pub boards: Arc<ViewCache<crate::domain::board::Board>>,
    /// Listing pages by ETag: the incidents and the next cursor.
    pub listings: Arc<ViewCache<(Vec<crate::domain::incident::Incident>, Option<String>)>>,
    pub tokens: Arc<crate::web::tokens::TokenCache>,
    /// What open event streams are fed from.
    pub feed: Arc<crate::web::feed::Feed>,
    /// The console's stylesheet URL, for the acknowledgement pages.
    pub stylesheet: String,
    /// How the web console signs people in.
    pub console: crate::web::session_policy::SessionPolicy,
    /// `server.trusted_proxies`: whose X-Forwarded-For names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        self.app.now()
    }

    pub fn zone(&self) -> chrono_tz::Tz {
        self.app.zone()
    }
}
