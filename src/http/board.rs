//! GET /api/v1/board: one call a wall screen renders. Built once per ETag (scope and
//! change counter), then only brought to the current time per request.

use actix_web::{HttpRequest, HttpResponse, get, web};

use crate::domain::board::Board;
use crate::error::AppError;
use crate::http::auth::Auth;
use crate::web::AppState;
use crate::web::conditional::{self, not_modified, tagged, unchanged};

#[utoipa::path(
    get, path = "/api/v1/board", operation_id = "board", tag = "dashboards",
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
    let now = state.now();
    let built = state
        .boards
        .get_or_build(&tag, true, async { state.app.board(scope).await })
        .await?;
    let current = Board {
        as_of: now,
        next_deadlines: built.next_deadlines.iter().map(|d| d.at(now)).collect(),
        breached: built.breached.iter().map(|d| d.at(now)).collect(),
        ..(*built).clone()
    };
    Ok(tagged(HttpResponse::Ok(), &tag).json(current))
}
