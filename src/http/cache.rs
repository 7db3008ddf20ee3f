//! Views built once per ETag (which names the change counter, the request and the
//! scope), kept for the next request with the same tag. Time-dependent fields are
//! brought up to the moment of each answer by the caller.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

/// Views kept at most; beyond that the cache starts afresh (old counters' views are
/// never asked for again anyway).
const KEPT: usize = 512;

pub struct ViewCache<T> {
    views: Mutex<HashMap<String, Arc<T>>>,
    /// One build at a time: requests arriving while a view is built wait for it instead
    /// of building it again (a wall of screens polls the same view at once).
    building: tokio::sync::Mutex<()>,
}

impl<T> Default for ViewCache<T> {
    fn default() -> Self {
        Self {
            views: Mutex::new(HashMap::new()),
            building: tokio::sync::Mutex::new(()),
        }
    }
}

impl<T> ViewCache<T> {
    fn get(&self, tag: &str) -> Option<Arc<T>> {
        self.views.lock().ok()?.get(tag).cloned()
    }

    fn put(&self, tag: String, view: Arc<T>) {
        if let Ok(mut map) = self.views.lock() {
            if map.len() >= KEPT {
                map.clear();
            }
            map.insert(tag, view);
        }
    }

    /// The view kept for `tag`, or the one `build` makes (then kept).
    pub async fn get_or_build<E, F>(&self, tag: &str, build: F) -> Result<Arc<T>, E>
    where
        F: Future<Output = Result<T, E>>,
    {
        if let Some(view) = self.get(tag) {
            return Ok(view);
        }
        let _turn = self.building.lock().await;
        if let Some(view) = self.get(tag) {
            return Ok(view);
        }
        let view = Arc::new(build.await?);
        self.put(tag.to_owned(), view.clone());
        Ok(view)
    }
}
