//! /api/v1/robots: units' group robots (企业微信, 钉钉, 飞书). Webhooks come back masked and
//! secrets never: they are credentials.

use actix_web::{HttpResponse, get, patch, post, web};
use serde::Deserialize;

use super::auth::{Admin, Auth};
use super::extract::JsonBody;
use crate::app::Once;
use crate::domain::ids::RobotId;
use crate::domain::robot::{NewRobot, Robot, RobotKind};
use crate::error::AppError;
use crate::http::bodies::Items;
use crate::web::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateRobot {
    #[schema(pattern = "^[A-Za-z0-9_-]{1,32}$", example = "440106")]
    unit_code: String,
    kind: RobotKind,
    #[schema(min_length = 1, max_length = 100, example = "天河区局舆情值班群")]
    name: String,
    /// The robot's webhook address, with its key or access token.
    #[schema(
        format = "uri",
        example = "https://oapi.dingtalk.com/robot/send?access_token=…"
    )]
    webhook: String,
    /// The signing secret (加签), required for `dingtalk` and `feishu`.
    #[serde(default)]
    secret: Option<String>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PatchRobot {
    active: bool,
}

#[utoipa::path(
    get, path = "/api/v1/robots", operation_id = "listRobots", tag = "directory", responses((status = 200, body = Items<Robot>))
)]
#[get("/robots")]
async fn list(state: web::Data<AppState>, Auth(actor): Auth) -> Result<HttpResponse, AppError> {
    let items = state.app.robots(&actor).await?;
    Ok(HttpResponse::Ok().json(Items { items }))
}

#[utoipa::path(
    post, path = "/api/v1/robots", operation_id = "createRobot", tag = "directory", request_body = CreateRobot, responses((status = 201, body = Robot))
)]
#[post("/robots")]
async fn create(
    state: web::Data<AppState>,
    Admin(actor): Admin,
    body: JsonBody<CreateRobot>,
) -> Result<HttpResponse, AppError> {
    let b = body.parse()?.value;
    let new = NewRobot::parse(
        &b.unit_code,
        b.kind,
        &b.name,
        &b.webhook,
        b.secret.as_deref(),
    )?;
    let robot = state
        .app
        .add_robot(&actor, new, Once::none())
        .await?
        .ok_or_else(|| AppError::internal("a robot without a form token was not added"))?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/robots/{}", robot.id)))
        .json(robot))
}

/// Switches a robot off (`active: false`) or on again.
#[utoipa::path(
    patch, path = "/api/v1/robots/{id}", operation_id = "updateRobot", tag = "directory", params(("id" = String, Path)), request_body = PatchRobot, responses((status = 200, body = Robot))
)]
#[patch("/robots/{id}")]
async fn update(
    state: web::Data<AppState>,
    Admin(actor): Admin,
    id: web::Path<String>,
    body: JsonBody<PatchRobot>,
) -> Result<HttpResponse, AppError> {
    let b = body.parse()?.value;
    let robot = state
        .app
        .set_robot_active(&actor, RobotId::from(id.into_inner()), b.active)
        .await?;
    Ok(HttpResponse::Ok().json(robot))
}

/// Sends a test message to the robot now (outside the queue) and says whether the vendor
/// took it.
#[utoipa::path(
    post, path = "/api/v1/robots/{id}/test", operation_id = "testRobot", tag = "directory", params(("id" = String, Path)), responses((status = 200, body = crate::app::test_message::TestOutcome))
)]
#[post("/robots/{id}/test")]
async fn test(
    state: web::Data<AppState>,
    Admin(actor): Admin,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let outcome = state
        .app
        .test_robot(&actor, RobotId::from(id.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(outcome))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(test)
        .service(list)
        .service(create)
        .service(update);
}
