//! Views built once per ETag (which names the change counter, the request and the
//! scope), kept for the next request with the same tag. Time-dependent fields are
//! brought up to the moment of each answer by the caller.
//!
//! Bounded by size, not count: a view's weight is its JSON size, and the oldest views
//! go first when the budget is reached. Requests for one tag arriving while its view is
//! being built wait for that build; requests for other tags never wait for it.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex};

use serde::Serialize;

/// Bytes of views kept per cache (a view's weight is its JSON size).
pub const BUDGET_BYTES: usize = 32 * 1024 * 1024;

struct Kept<T> {
    views: HashMap<String, (Arc<T>, usize)>,
    /// Tags in the order they were kept: the oldest leaves first.
    order: VecDeque<String>,
    bytes: usize,
}

pub struct ViewCache<T> {
    kept: Mutex<Kept<T>>,
    budget: usize,
    /// One lock per tag being built.
    building: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl<T> Default for ViewCache<T> {
    fn default() -> Self {
        Self::with_budget(BUDGET_BYTES)
    }
}

impl<T> ViewCache<T> {
    pub fn with_budget(budget: usize) -> Self {
        Self {
            kept: Mutex::new(Kept {
                views: HashMap::new(),
                order: VecDeque::new(),
                bytes: 0,
            }),
            budget,
            building: Mutex::new(HashMap::new()),
        }
    }

    fn get(&self, tag: &str) -> Option<Arc<T>> {
        let kept = self.kept.lock().ok()?;
        kept.views.get(tag).map(|(view, _)| view.clone())
    }

    /// Bytes kept now.
    pub fn bytes(&self) -> usize {
        self.kept.lock().map_or(0, |k| k.bytes)
    }

    fn put(&self, tag: String, view: Arc<T>, weight: usize) {
        if weight > self.budget {
            return;
        }
        let Ok(mut kept) = self.kept.lock() else {
            return;
        };
        if kept.views.contains_key(&tag) {
            return;
        }
        while kept.bytes + weight > self.budget {
            let Some(oldest) = kept.order.pop_front() else {
                break;
            };
            if let Some((_, w)) = kept.views.remove(&oldest) {
                kept.bytes -= w;
            }
        }
        kept.bytes += weight;
        kept.order.push_back(tag.clone());
        kept.views.insert(tag, (view, weight));
    }

    fn lock_for(&self, tag: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.building
            .lock()
            .map(|mut b| b.entry(tag.to_owned()).or_default().clone())
            .unwrap_or_default()
    }

    fn done_building(&self, tag: &str) {
        if let Ok(mut b) = self.building.lock() {
            b.remove(tag);
        }
    }
}

impl<T: Serialize> ViewCache<T> {
    /// The view kept for `tag`, or the one `build` makes. Only a view others will ask
    /// for again is kept (`shared`): a search or a client's own time filter is built
    /// for its one request and dropped.
    pub async fn get_or_build<E, F>(&self, tag: &str, shared: bool, build: F) -> Result<Arc<T>, E>
    where
        F: Future<Output = Result<T, E>>,
    {
        if !shared {
            return Ok(Arc::new(build.await?));
        }
        if let Some(view) = self.get(tag) {
            return Ok(view);
        }
        let lock = self.lock_for(tag);
        let _turn = lock.lock().await;
        if let Some(view) = self.get(tag) {
            return Ok(view);
        }
        let built = build.await.map(Arc::new);
        if let Ok(view) = &built {
            let weight = serde_json::to_vec(&**view).map_or(usize::MAX, |json| json.len());
            self.put(tag.to_owned(), view.clone(), weight);
        }
        // Kept first, then unlocked: a request arriving in between finds the view.
        self.done_building(tag);
        built
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_oldest_views_leave_when_the_budget_is_reached() {
        let cache: ViewCache<String> = ViewCache::with_budget(100);
        for i in 0..10 {
            let view = "x".repeat(20);
            let got = cache
                .get_or_build(&format!("t{i}"), true, async { Ok::<_, ()>(view) })
                .await
                .unwrap();
            assert_eq!(got.len(), 20);
            assert!(cache.bytes() <= 100, "{}", cache.bytes());
        }
        assert!(cache.get("t9").is_some() && cache.get("t0").is_none());
        // Not shared: built, answered, not kept.
        cache
            .get_or_build("once", false, async { Ok::<_, ()>("y".repeat(10)) })
            .await
            .unwrap();
        assert!(cache.get("once").is_none());
    }

    #[tokio::test]
    async fn one_tag_does_not_wait_for_another_tags_build() {
        let cache: Arc<ViewCache<String>> = Arc::new(ViewCache::default());
        let (release, wait) = tokio::sync::oneshot::channel::<()>();
        let slow = {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .get_or_build("slow", true, async {
                        let _ = wait.await;
                        Ok::<_, ()>("slow".to_owned())
                    })
                    .await
            })
        };
        tokio::task::yield_now().await;
        let quick = tokio::time::timeout(
            std::time::Duration::from_secs(1),
            cache.get_or_build("quick", true, async { Ok::<_, ()>("quick".to_owned()) }),
        )
        .await;
        assert!(quick.is_ok(), "waited for another tag's build");
        let _ = release.send(());
        assert_eq!(*slow.await.unwrap().unwrap(), "slow");
    }
}
