//! The briefing as a printable A4 舆情快报, and the receiving unit's inbox, where its
//! officers mark briefings read (the sender sees when, and who).

use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use super::briefing_view::{BriefingView, view};
use crate::console::error::ConsoleError;
use crate::console::form::Posted;
use crate::console::session::Signed;
use crate::console::views;
use crate::domain::ids::BriefingId;
use crate::web::AppState;

#[derive(Serialize)]
struct DocumentPage {
    b: BriefingView,
    done: Option<&'static str>,
    may_mark: bool,
}

#[derive(Deserialize)]
struct DocumentQuery {
    #[serde(default)]
    done: String,
}

#[get("/briefings/{id}")]
async fn show(
    state: web::Data<AppState>,
    signed: Signed,
    id: web::Path<String>,
    q: web::Query<DocumentQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let actor = &signed.session.actor;
    let briefing = state
        .app
        .briefing(actor, BriefingId::from(id.into_inner()))
        .await?;
    let page = DocumentPage {
        may_mark: briefing.read_at.is_none()
            && actor.officer_of() == Some(briefing.to_unit.code.as_str()),
        done: match q.done.as_str() {
            "sent" => Some("快报已报送。"),
            "read" => Some("已标为已阅，报送单位可以看到阅读时间。"),
            _ => None,
        },
        b: view(&briefing, state.zone()),
    };
    Ok(views::page("briefing.html", &signed.chrome("inbox"), page)?)
}

#[derive(Deserialize)]
struct ReadForm {
    /// Where to go back to: the inbox or the document.
    #[serde(default)]
    back: String,
}

#[post("/briefings/{id}/read")]
async fn mark_read(
    state: web::Data<AppState>,
    id: web::Path<String>,
    posted: Posted<ReadForm>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed, form, .. } = posted;
    let id = BriefingId::from(id.into_inner());
    let briefing = state
        .app
        .mark_briefing_read(&signed.session.actor, id)
        .await?;
    let to = if form.back == "inbox" {
        "/inbox?done=read".to_owned()
    } else {
        format!("/briefings/{}?done=read", briefing.id)
    };
    Ok(views::see_other(&to))
}

#[derive(Serialize)]
struct InboxPage {
    items: Vec<BriefingView>,
    unread: usize,
    /// The caller belongs to no unit: it sees every unit's briefings, and marks none.
    every_unit: bool,
    may_mark: bool,
    done: bool,
}

#[derive(Deserialize)]
struct InboxQuery {
    #[serde(default)]
    done: String,
}

#[get("/inbox")]
async fn inbox(
    state: web::Data<AppState>,
    signed: Signed,
    q: web::Query<InboxQuery>,
) -> Result<HttpResponse, ConsoleError> {
    let actor = &signed.session.actor;
    let items = state.app.briefing_inbox(actor, false).await?;
    let zone = state.zone();
    let page = InboxPage {
        unread: items.iter().filter(|b| b.read_at.is_none()).count(),
        every_unit: actor.scope.is_none(),
        may_mark: actor.officer_of().is_some(),
        items: items.iter().map(|b| view(b, zone)).collect(),
        done: q.done == "read",
    };
    Ok(views::page("inbox.html", &signed.chrome("inbox"), page)?)
}
