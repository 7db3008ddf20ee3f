//! Views built once per ETag (which names the change counter, the request and the
//! scope), kept for the next request with the same tag. Time-dependent fields are
//! brought up to the moment of each answer by the caller.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Views kept at most; beyond that the cache starts afresh (old counters' views are
/// never asked for again anyway).
const KEPT: usize = 512;

pub struct ViewCache<T>(Mutex<HashMap<String, Arc<T>>>);

impl<T> Default for ViewCache<T> {
    fn default() -> Self {
        Self(Mutex::new(HashMap::new()))
    }
}

impl<T> ViewCache<T> {
    pub fn get(&self, tag: &str) -> Option<Arc<T>> {
        self.0.lock().ok()?.get(tag).cloned()
    }

    pub fn put(&self, tag: String, view: Arc<T>) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= KEPT {
                map.clear();
            }
            map.insert(tag, view);
        }
    }
}
