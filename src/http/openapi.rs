//! The OpenAPI 3 document, generated from the handlers and types, at
//! GET /api/v1/openapi.json. Every operation under /api/v1 takes a bearer token and may
//! answer with the common error body; both are added here once.

use actix_web::{HttpResponse, get};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use super::bodies::ErrorBody;
use super::{
    board, briefings, contacts, events, health, incidents, metrics, reports, robots, tokens, units,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "yuqing-tracker",
        description = "涉税舆情 response tracking: incidents, the 5-hour and 24-hour clocks, escalation mail, dashboards."
    ),
    paths(
        incidents::create::create,
        incidents::read::list,
        incidents::read::get,
        incidents::read::timeline,
        incidents::change::update,
        incidents::change::status,
        incidents::change::referral,
        incidents::milestones::record,
        incidents::milestones::notifications,
        briefings::submit,
        briefings::for_incident,
        briefings::inbox,
        briefings::get,
        briefings::mark_read,
        board::show,
        reports::timeliness_report,
        events::stream,
        events::ticket,
        units::list,
        units::get,
        units::create,
        units::update,
        units::deactivate,
        contacts::list,
        contacts::get,
        contacts::create,
        contacts::update,
        contacts::deactivate,
        contacts::test,
        robots::list,
        robots::create,
        robots::update,
        robots::test,
        tokens::list,
        tokens::create,
        tokens::revoke,
        health::healthz,
        health::readyz,
        metrics::metrics,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Conventions),
    security(("bearer" = [])),
)]
struct ApiDoc;

/// Errors every operation may answer with (validation and conflicts depend on the
/// operation; documenting them all keeps clients' handling uniform).
const ERRORS: &[(&str, &str)] = &[
    ("400", "Malformed request (body, header or JSON)"),
    ("401", "Missing or unknown bearer token"),
    ("403", "The token's role or unit scope does not allow this"),
    ("404", "No such resource"),
    (
        "409",
        "Conflict with the current state (stale version in the body, duplicate)",
    ),
    ("412", "If-Match names an older version"),
    ("413", "Body too large"),
    ("415", "Body is not JSON"),
    ("422", "A field is invalid; details.field names it"),
    ("428", "A change needs If-Match or a version"),
    ("500", "Internal error (details only in the log)"),
    ("503", "Database unavailable"),
];

struct Conventions;

impl Modify for Conventions {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        for item in doc.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                for (status, why) in ERRORS {
                    op.responses
                        .responses
                        .entry((*status).to_owned())
                        .or_insert_with(|| RefOr::T(error_response(why)));
                }
            }
        }
    }
}

fn error_response(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(utoipa::openapi::Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
}

/// The document as JSON.
pub fn document() -> Document {
    ApiDoc::openapi()
}

#[get("/openapi.json")]
pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(document())
}
