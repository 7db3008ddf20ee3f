//! GET /api/v1/board: one call a wall screen renders. Built once per scope and change
//! (the change counter), then only brought to the current time per request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::domain::board::Board;
use crate::error::AppError;
use crate::http::auth::Auth;
use crate::http::conditional::{self, not_modified, tagged, unchanged};
use crate::http::state::AppState;
use crate::store::board;

/// Scopes kept at most; beyond that the cache starts afresh.
const CACHED_SCOPES: usize = 1024;

/// The last board built per scope, with the counter it was built at.
#[derive(Default)]
pub struct BoardCache(Mutex<HashMap<String, (i64, Arc<Board>)>>);

impl BoardCache {
    fn get(&self, scope: &str, counter: i64) -> Option<Arc<Board>> {
        let map = self.0.lock().ok()?;
        map.get(scope)
            .filter(|(at, _)| *at == counter)
            .map(|(_, board)| board.clone())
    }

    fn put(&self, scope: String, counter: i64, board: Arc<Board>) {
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= CACHED_SCOPES {
                map.clear();
            }
            map.insert(scope, (counter, board));
        }
    }
}

#[utoipa::path(
    get, path = "/api/v1/board", tag = "dashboards",
    responses((status = 200, body = Board), (status = 304, description = "Unchanged"))
)]
#[get("/board")]
async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    Auth(actor): Auth,
) -> Result<HttpResponse, AppError> {
    let counter = conditional::counter(&state).await?;
    let tag = conditional::view_tag(counter, &req, &actor, "");
    if unchanged(&req, &tag) {
        return Ok(not_modified(&tag));
    }
    let scope = actor.scope.as_ref().map(|s| s.path.clone());
    let key = scope.clone().unwrap_or_default();
    let now = state.now();
    let built = match state.boards.get(&key, counter) {
        Some(board) => board,
        None => {
            let board = Arc::new(
                state
                    .store
                    .run(move |conn| board::board(conn, scope.as_deref(), now))
                    .await?,
            );
            state.boards.put(key, counter, board.clone());
            board
        }
    };
    let current = Board {
        as_of: now,
        next_deadlines: built.next_deadlines.iter().map(|d| d.at(now)).collect(),
        breached: built.breached.iter().map(|d| d.at(now)).collect(),
        ..(*built).clone()
    };
    Ok(tagged(HttpResponse::Ok(), &tag).json(current))
}
