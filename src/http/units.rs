//! /api/v1/units: the office directory's units.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::Deserialize;

use super::auth::{Admin, Auth};
use super::extract::{JsonBody, Query};
use crate::domain::names::{UnitCode, UnitName};
use crate::domain::quiet::QuietHours;
use crate::domain::unit::NewUnit;
use crate::domain::unit::Unit;
use crate::domain::unit::{UnitChange, UnitLevel};
use crate::error::AppError;
use crate::http::bodies::Items;
use crate::web::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateUnit {
    #[schema(pattern = "^[A-Za-z0-9_-]{1,32}$", example = "440106")]
    code: String,
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    level: UnitLevel,
    #[serde(default)]
    #[schema(pattern = "^[A-Za-z0-9_-]{1,32}$", example = "440106")]
    parent_code: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PatchUnit {
    name: Option<String>,
    level: Option<UnitLevel>,
    #[serde(default, deserialize_with = "crate::domain::nullable::present")]
    parent_code: Option<Option<String>>,
    active: Option<bool>,
    /// `{"from": "22:00", "to": "07:00"}` (office time), or `null` to end them.
    #[serde(default, deserialize_with = "crate::domain::nullable::present")]
    quiet_hours: Option<Option<QuietHoursBody>>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct QuietHoursBody {
    #[schema(example = "22:00")]
    from: String,
    #[schema(example = "07:00")]
    to: String,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListUnits {
    active: Option<bool>,
}

#[utoipa::path(
    get, path = "/api/v1/units", operation_id = "listUnits", tag = "directory", params(ListUnits), responses((status = 200, body = Items<Unit>))
)]
#[get("/units")]
async fn list(
    state: web::Data<AppState>,
    Auth(_actor): Auth,
    Query(q): Query<ListUnits>,
) -> Result<HttpResponse, AppError> {
    let all = state.app.units(None).await?;
    let items: Vec<_> = all
        .into_iter()
        .filter(|u| q.active.is_none_or(|a| u.active == a))
        .collect();
    Ok(HttpResponse::Ok().json(crate::http::bodies::Items { items }))
}

#[utoipa::path(
    get, path = "/api/v1/units/{code}", operation_id = "getUnit", tag = "directory", params(("code" = String, Path)), responses((status = 200, body = Unit))
)]
#[get("/units/{code}")]
async fn get(
    state: web::Data<AppState>,
    Auth(_actor): Auth,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let unit = state.app.unit(code.into_inner()).await?;
    Ok(HttpResponse::Ok().json(unit))
}

#[utoipa::path(
    post, path = "/api/v1/units", operation_id = "createUnit", tag = "directory", request_body = CreateUnit, responses((status = 201, body = Unit))
)]
#[post("/units")]
async fn create(
    state: web::Data<AppState>,
    Admin(actor): Admin,
    body: JsonBody<CreateUnit>,
) -> Result<HttpResponse, AppError> {
    let b = body.parse()?.value;
    let new = NewUnit::parse(&b.code, &b.name, b.level, b.parent_code.as_deref())?;
    let unit = state.app.add_unit(&actor, new).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/units/{}", unit.code)))
        .json(unit))
}

#[utoipa::path(
    patch, path = "/api/v1/units/{code}", operation_id = "updateUnit", tag = "directory", params(("code" = String, Path)), request_body = PatchUnit, responses((status = 200, body = Unit))
)]
#[patch("/units/{code}")]
async fn update(
    state: web::Data<AppState>,
    Admin(actor): Admin,
    code: web::Path<String>,
    body: JsonBody<PatchUnit>,
) -> Result<HttpResponse, AppError> {
    let b = body.parse()?.value;
    let change = UnitChange {
        name: b.name.map(|n| UnitName::parse("name", &n)).transpose()?,
        level: b.level,
        parent_code: b
            .parent_code
            .map(|p| p.map(|c| UnitCode::parse("parent_code", &c)).transpose())
            .transpose()?,
        active: b.active,
        quiet_hours: b
            .quiet_hours
            .map(|q| {
                q.map(|q| QuietHours::parse("quiet_hours", &q.from, &q.to))
                    .transpose()
            })
            .transpose()?,
    };
    let unit = state
        .app
        .change_unit(&actor, code.into_inner(), change)
        .await?;
    Ok(HttpResponse::Ok().json(unit))
}

/// Deactivates: incidents, contacts and tokens may refer to the unit, and history keeps
/// its name. PATCH `{"active": true}` restores it.
#[utoipa::path(
    delete, path = "/api/v1/units/{code}", operation_id = "deactivateUnit", tag = "directory", params(("code" = String, Path)), responses((status = 200, description = "Deactivated (kept for history)", body = Unit))
)]
#[delete("/units/{code}")]
async fn deactivate(
    state: web::Data<AppState>,
    Admin(actor): Admin,
    code: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let change = UnitChange {
        active: Some(false),
        ..UnitChange::default()
    };
    let unit = state
        .app
        .change_unit(&actor, code.into_inner(), change)
        .await?;
    Ok(HttpResponse::Ok().json(unit))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list)
        .service(get)
        .service(create)
        .service(update)
        .service(deactivate);
}
