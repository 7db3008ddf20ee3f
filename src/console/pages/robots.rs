//! 群机器人 for admins: the units' group robots, added and switched off or on within the
//! admin's scope. Webhooks are shown masked, secrets not at all.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use crate::console::error::{ConsoleError, shown_on_form};
use crate::console::form::Posted;
use crate::console::present::{self, Choice};
use crate::console::session::Signed;
use crate::console::views;
use crate::domain::ids::RobotId;
use crate::domain::robot::{NewRobot, RobotKind};
use crate::error::AppError;
use crate::web::AppState;

#[derive(Serialize)]
struct RobotView {
    id: String,
    unit: String,
    kind: &'static str,
    name: String,
    webhook: String,
    has_secret: bool,
    active: bool,
}

/// What the add form keeps after a refusal (never the secret).
#[derive(Serialize, Default)]
struct Kept {
    name: String,
    webhook: String,
}

#[derive(Serialize)]
struct RobotsPage {
    robots: Vec<RobotView>,
    units: Vec<Choice>,
    kinds: Vec<Choice>,
    form: Kept,
    notice: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize, Default)]
struct RobotForm {
    #[serde(default)]
    unit_code: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    webhook: String,
    #[serde(default)]
    secret: String,
}

async fn render(
    state: &AppState,
    signed: &Signed,
    status: StatusCode,
    notice: Option<String>,
    refused: Option<(String, &RobotForm)>,
) -> Result<HttpResponse, ConsoleError> {
    let actor = signed.session.actor.clone();
    actor.require_admin()?;
    let scope = actor.scope.as_ref().map(|s| s.path.clone());
    let units = state.app.units(scope).await?;
    let name_of = |code: &str| {
        units
            .iter()
            .find(|u| u.code == code)
            .map_or(code.to_owned(), |u| u.name.to_string())
    };
    let robots = state
        .app
        .robots(&actor)
        .await?
        .into_iter()
        .map(|r| RobotView {
            id: r.id.to_string(),
            unit: name_of(&r.unit_code),
            kind: r.kind.label_zh(),
            name: r.name,
            webhook: r.webhook,
            has_secret: r.has_secret,
            active: r.active,
        })
        .collect();
    let (error, form) = match refused {
        Some((message, f)) => (Some(message), f),
        None => (None, &RobotForm::default()),
    };
    let page = RobotsPage {
        robots,
        units: present::unit_options(units.clone(), &form.unit_code),
        kinds: present::options::<RobotKind>(form.kind.parse().ok()),
        form: Kept {
            name: form.name.clone(),
            webhook: form.webhook.clone(),
        },
        notice,
        error,
    };
    let body = views::render("robots.html", &signed.chrome("directory"), page)?;
    Ok(views::html(status, body))
}

#[derive(Deserialize)]
struct Notice {
    done: Option<String>,
}

#[get("/directory/robots")]
async fn show(
    state: web::Data<AppState>,
    signed: Signed,
    q: web::Query<Notice>,
) -> Result<HttpResponse, ConsoleError> {
    let notice = q.done.as_deref().map(|d| match d {
        "added" => "机器人已添加。",
        _ => "已保存。",
    });
    let notice = notice.map(str::to_owned);
    render(&state, &signed, StatusCode::OK, notice, None).await
}

#[post("/directory/robots")]
async fn add(
    state: web::Data<AppState>,
    posted: Posted<RobotForm>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed, form, once } = posted;
    let result = form
        .kind
        .parse::<RobotKind>()
        .map_err(|e| AppError::invalid("kind", e))
        .and_then(|kind| {
            let secret = Some(form.secret.as_str()).filter(|s| !s.trim().is_empty());
            NewRobot::parse(&form.unit_code, kind, &form.name, &form.webhook, secret)
        });
    let result = match result {
        Ok(new) => state.app.add_robot(&signed.session.actor, new, once).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Ok(views::see_other("/directory/robots?done=added")),
        Err(e) => {
            let (status, message) = shown_on_form(e)?;
            render(&state, &signed, status, None, Some((message, &form))).await
        }
    }
}

#[derive(Deserialize)]
struct ActiveForm {
    #[serde(default)]
    active: String,
}

#[post("/directory/robots/{id}/active")]
async fn set_active(
    state: web::Data<AppState>,
    id: web::Path<String>,
    posted: Posted<ActiveForm>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed, form, .. } = posted;
    let result = state
        .app
        .set_robot_active(
            &signed.session.actor,
            RobotId::from(id.into_inner()),
            form.active == "true",
        )
        .await;
    match result {
        Ok(_) => Ok(views::see_other("/directory/robots?done=saved")),
        Err(e) => {
            let (status, message) = shown_on_form(e)?;
            render(
                &state,
                &signed,
                status,
                None,
                Some((message, &RobotForm::default())),
            )
            .await
        }
    }
}

/// 发送测试消息 to a robot: the page says at once whether the group got it.
#[post("/directory/robots/{id}/test")]
async fn test(
    state: web::Data<AppState>,
    id: web::Path<String>,
    posted: Posted<ActiveForm>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed, .. } = posted;
    let result = state
        .app
        .test_robot(&signed.session.actor, RobotId::from(id.into_inner()))
        .await;
    match result {
        Ok(outcome) if outcome.sent => {
            let notice = format!(
                "测试消息已发到{}「{}」。",
                outcome.channel.label_zh(),
                outcome.to
            );
            render(&state, &signed, StatusCode::OK, Some(notice), None).await
        }
        Ok(outcome) => {
            let error = format!(
                "测试消息未能发到「{}」：{}",
                outcome.to,
                outcome.error.unwrap_or_default()
            );
            render(
                &state,
                &signed,
                StatusCode::OK,
                None,
                Some((error, &RobotForm::default())),
            )
            .await
        }
        Err(e) => {
            let (status, message) = shown_on_form(e)?;
            render(
                &state,
                &signed,
                status,
                None,
                Some((message, &RobotForm::default())),
            )
            .await
        }
    }
}
