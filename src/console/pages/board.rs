//! 看板, the home page: open incidents nearest deadline first, both clocks counting down,
//! filters by unit, severity and status, and a wall-screen mode. The page's script
//! follows the timeline as server-sent events (`/board/events`, opened with the session
//! cookie) and asks for the rows again when something changes; while the stream is down
//! it asks every 10 s with the ETag it has (unchanged: one read of the change counter
//! and a 304).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::{Deserialize, Serialize};

use crate::console::error::ConsoleError;
use crate::console::present::{self, Choice, IncidentRow};
use crate::console::session::Signed;
use crate::console::views;
use crate::domain::access::Actor;
use crate::domain::incident::{IncidentFilter, Severity, Sort, Status};
use crate::domain::names::UnitCode;
use crate::error::AppError;
use crate::rule::Rule;
use crate::web::AppState;
use crate::web::conditional::{self, not_modified, unchanged};
use crate::web::stream::{self as live, Watcher};

/// A board's stream ends after this long and its browser reconnects (from the last
/// event it saw), so a session ended elsewhere stops feeding it within this time.
const STREAM_RECHECK: std::time::Duration = std::time::Duration::from_secs(300);

/// Open incidents shown at most; the list page pages through the rest.
const SHOWN: i64 = 200;

#[derive(Debug, Default, Deserialize, Serialize)]
struct BoardFilter {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    wall: String,
}

#[derive(Serialize)]
struct Rows {
    rows: Vec<IncidentRow>,
    now_local: String,
    /// More open incidents match than the board shows: the list page's query for all
    /// of them, nearest deadline first.
    more: Option<String>,
}

/// The list page's query for every open incident this board's filter matches.
fn list_query(filter: &BoardFilter) -> String {
    let query = [
        ("open", "true"),
        ("sort", "deadline"),
        ("unit", filter.unit.trim()),
        ("severity", filter.severity.as_str()),
        ("status", filter.status.as_str()),
    ];
    serde_urlencoded::to_string(query).unwrap_or_default()
}

#[derive(Serialize)]
struct BoardPage {
    filter: BoardFilter,
    query: String,
    units: Vec<Choice>,
    severities: Vec<Choice>,
    statuses: Vec<Choice>,
    board: Rows,
}

/// The filter, checked: a unit code, a severity and a status, each optional.
struct Checked {
    unit: Option<UnitCode>,
    severity: Option<Severity>,
    status: Option<Status>,
}

fn parse(filter: &BoardFilter) -> Result<Checked, AppError> {
    let unit = match filter.unit.trim() {
        "" => None,
        code => Some(UnitCode::parse("unit", code)?),
    };
    let severity = match filter.severity.as_str() {
        "" => None,
        s => Some(
            s.parse()
                .map_err(|e: Rule| AppError::invalid("severity", e))?,
        ),
    };
    let status = match filter.status.as_str() {
        "" => None,
        s => Some(
            s.parse()
                .map_err(|e: Rule| AppError::invalid("status", e))?,
        ),
    };
    Ok(Checked {
        unit,
        severity,
        status,
    })
}

/// The rows as `actor` sees them. The incidents come from the listing cache under `tag`
/// (the change counter, the query and the scope), so a board shown again before
/// anything changed costs no query; the clocks are brought to now for every answer.
async fn load_rows(
    state: &AppState,
    actor: &Actor,
    filter: &BoardFilter,
    tag: &str,
) -> Result<Rows, AppError> {
    let Checked {
        unit,
        severity,
        status,
    } = parse(filter)?;
    let now = state.now();
    let scope = actor.scope.as_ref().map(|s| s.path.clone());
    let page = state
        .listings
        .get_or_build(tag, true, async {
            let filter = IncidentFilter {
                status,
                open_only: true,
                severity,
                scope_path: scope,
                sort: Sort::Deadline,
                limit: SHOWN,
                ..Default::default()
            };
            let page = state.app.list_incidents(filter, unit).await?;
            Ok::<_, AppError>((page.items, page.next_cursor))
        })
        .await?;
    Ok(Rows {
        rows: page
            .0
            .iter()
            .map(|i| present::row(&i.at(now), state.zone()))
            .collect(),
        now_local: present::now_local(now, state.zone()),
        more: page.1.is_some().then(|| list_query(filter)),
    })
}

#[get("/")]
async fn show(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed: Signed,
    q: web::Query<BoardFilter>,
) -> Result<HttpResponse, ConsoleError> {
    let filter = q.into_inner();
    let actor = &signed.session.actor;
    let tag = conditional::view_tag(conditional::counter(&state).await?, &req, actor, "console");
    let board = load_rows(&state, actor, &filter, &tag).await?;
    let scope = actor.scope.as_ref().map(|s| s.path.clone());
    let units = state.app.units(scope).await?;
    let units = present::unit_options(units, &filter.unit);
    let page = BoardPage {
        query: req.query_string().to_owned(),
        units,
        severities: present::options::<Severity>(filter.severity.parse().ok()),
        statuses: present::options_of(
            Status::ALL.iter().copied().filter(|s| s.is_open()),
            filter.status.parse().ok(),
        ),
        filter,
        board,
    };
    Ok(views::page("board.html", &signed.chrome("board"), page)?)
}

/// The board's rows alone, for the page's script; 304 while nothing changed.
#[get("/board/rows")]
async fn rows_part(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed: Signed,
    q: web::Query<BoardFilter>,
) -> Result<HttpResponse, ConsoleError> {
    let actor = &signed.session.actor;
    let tag = conditional::view_tag(conditional::counter(&state).await?, &req, actor, "console");
    if unchanged(&req, &tag) {
        return Ok(not_modified(&tag));
    }
    let board = load_rows(&state, actor, &q, &tag).await?;
    let mut response = views::page("board_rows.html", &signed.chrome("board"), board)?;
    if let Ok(value) = header::HeaderValue::from_str(&tag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    Ok(response)
}

/// The timeline in the session's scope as server-sent events: the board's script reads
/// each as "something changed" and fetches its rows. Streams count against the
/// account's share (`server.max_event_streams_per_token`).
#[get("/board/events")]
async fn stream(
    req: HttpRequest,
    state: web::Data<AppState>,
    signed: Signed,
) -> Result<HttpResponse, ConsoleError> {
    let after = live::resume_after(&req, None)?;
    let session = signed.session;
    let watcher = Watcher {
        admit_as: format!("account:{}", session.account_id),
        scope: session.actor.scope.map(|s| s.path),
        revoked_with: None,
        ends_in: Some(STREAM_RECHECK),
        named: false,
    };
    Ok(live::open(&state, watcher, after).await?)
}
