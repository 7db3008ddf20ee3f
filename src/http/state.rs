//! What every handler can reach.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use tokio::sync::Notify;

use crate::domain::clock::ClockRules;
use crate::domain::time::TimeSource;
use crate::engine::Health;
use crate::http::cache::ViewCache;
use crate::mail::{LinkSigner, Templates};
use crate::store::Store;
use crate::store::clocks::ClockContext;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub time: Arc<dyn TimeSource>,
    pub zone: Tz,
    pub clocks: Arc<ClockRules>,
    /// Domain part of escalation Message-IDs.
    pub message_domain: Arc<str>,
    /// Wakes the engine when a write planned escalations.
    pub wake: Arc<Notify>,
    pub health: Arc<Health>,
    /// Some when this replica runs the engine: how long before it counts as stalled.
    pub engine_stall_after: Option<chrono::Duration>,
    pub signer: LinkSigner,
    pub pages: Arc<Templates>,
    pub boards: Arc<ViewCache<crate::domain::board::Board>>,
    /// Listing pages by ETag: the incidents and the next cursor.
    pub listings: Arc<ViewCache<(Vec<crate::domain::incident::Incident>, Option<String>)>>,
    pub tokens: Arc<crate::http::auth::TokenCache>,
}

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        self.time.now()
    }

    /// Owned pieces for a database closure that plans clocks.
    pub fn clock_planning(&self) -> ClockPlanning {
        ClockPlanning {
            rules: self.clocks.clone(),
            message_domain: self.message_domain.clone(),
        }
    }
}

/// `ClockContext`'s owned form, to move into a blocking closure.
pub struct ClockPlanning {
    rules: Arc<ClockRules>,
    message_domain: Arc<str>,
}

impl ClockPlanning {
    pub fn context(&self) -> ClockContext<'_> {
        ClockContext {
            rules: &self.rules,
            message_domain: &self.message_domain,
        }
    }
}
