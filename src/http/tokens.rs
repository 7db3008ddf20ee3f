//! /api/v1/tokens: admins list, create and revoke API tokens within their scope.

use actix_web::{HttpResponse, delete, get, post, web};
use serde::{Deserialize, Serialize};

use super::auth::Admin;
use super::extract::JsonBody;
use crate::app::tokens::TokenRequest;
use crate::domain::access::{ApiToken, Role};
use crate::error::AppError;
use crate::http::bodies::Items;
use crate::web::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateToken {
    #[schema(min_length = 1, max_length = 100)]
    name: String,
    role: Role,
    /// Limit the token to this unit and the units below it.
    #[serde(default)]
    #[schema(pattern = "^[A-Za-z0-9_-]{1,32}$")]
    unit_code: Option<String>,
    /// Days until the token stops working; none: until revoked.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3660)]
    expires_in_days: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct CreatedToken {
    #[serde(flatten)]
    token: ApiToken,
    /// The secret, shown this once: send it as `Authorization: Bearer …`.
    secret: String,
}

#[utoipa::path(
    get, path = "/api/v1/tokens", operation_id = "listTokens", tag = "directory",
    responses((status = 200, description = "Tokens the caller may manage (never their secrets)", body = Items<ApiToken>))
)]
#[get("/tokens")]
async fn list(state: web::Data<AppState>, Admin(actor): Admin) -> Result<HttpResponse, AppError> {
    let items = state.app.tokens(&actor).await?;
    Ok(HttpResponse::Ok().json(Items { items }))
}

#[utoipa::path(
    post, path = "/api/v1/tokens", operation_id = "createToken", tag = "directory",
    request_body = CreateToken,
    responses((status = 201, description = "Created; the secret is in the body, once", body = CreatedToken))
)]
#[post("/tokens")]
async fn create(
    state: web::Data<AppState>,
    Admin(actor): Admin,
    body: JsonBody<CreateToken>,
) -> Result<HttpResponse, AppError> {
    let b = body.parse()?.value;
    let req = TokenRequest::parse(&b.name, b.role, b.unit_code.as_deref(), b.expires_in_days)?;
    let crate::app::tokens::Created { token, secret } = state.app.create_token(&actor, req).await?;
    let created = CreatedToken { token, secret };
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/tokens/{}", created.token.id)))
        .insert_header(("Cache-Control", "no-store"))
        .json(created))
}

/// Revokes the token: this replica refuses it at once, other replicas within 30 s.
#[utoipa::path(
    delete, path = "/api/v1/tokens/{id}", operation_id = "revokeToken", tag = "directory",
    params(("id" = String, Path)),
    responses((status = 200, description = "Revoked (kept for the record)", body = ApiToken))
)]
#[delete("/tokens/{id}")]
async fn revoke(
    state: web::Data<AppState>,
    Admin(actor): Admin,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = crate::web::tokens::revoke(&state, (*actor).clone(), id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(token))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list).service(create).service(revoke);
}
