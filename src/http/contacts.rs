//! /api/v1/contacts: the people who receive escalation mail, by role.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use serde::Deserialize;

use super::auth::{Admin, Auth};
use super::extract::{JsonBody, Query};
use crate::app::Once;
use crate::domain::contact::{
    Contact, ContactChange, ContactFields, ContactFilter, ContactRole, NewContact, parse_mobile,
    parse_roles, parse_wecom_userid,
};
use crate::domain::escalation::{NotifyRule, NotifyRules};
use crate::domain::ids::ContactId;
use crate::domain::names::{Email, PersonName, UnitCode};
use crate::domain::text;
use crate::error::AppError;
use crate::http::bodies::Items;
use crate::web::AppState;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateContact {
    name: String,
    #[schema(format = "email", example = "director@440106.example.org")]
    email: String,
    #[serde(default)]
    phone: Option<String>,
    /// Their 企业微信 user id: reminders reach them there too when `channels.wecom` is on.
    #[serde(default)]
    #[schema(pattern = "^[A-Za-z0-9_@.-]{1,64}$", example = "ZhangSan")]
    wecom_userid: Option<String>,
    /// A mainland mobile number (SMS): 11 digits, `+86` and spaces allowed.
    #[serde(default)]
    #[schema(example = "13800138000")]
    mobile: Option<String>,
    /// Their own notification rule; absent or `null` follows their role's rule.
    #[serde(default)]
    #[schema(min_items = 1)]
    notification_rules: Option<Vec<NotifyRule>>,
    #[schema(pattern = "^[A-Za-z0-9_-]{1,32}$", example = "440106")]
    unit_code: String,
    #[schema(min_items = 1)]
    roles: Vec<ContactRole>,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct PatchContact {
    name: Option<String>,
    email: Option<String>,
    #[serde(default, deserialize_with = "crate::domain::nullable::present")]
    phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::domain::nullable::present")]
    wecom_userid: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::domain::nullable::present")]
    mobile: Option<Option<String>>,
    /// `null`: back to the role's rule.
    #[serde(default, deserialize_with = "crate::domain::nullable::present")]
    notification_rules: Option<Option<Vec<NotifyRule>>>,
    unit_code: Option<String>,
    roles: Option<Vec<ContactRole>>,
    active: Option<bool>,
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct ListContacts {
    unit_code: Option<String>,
    role: Option<ContactRole>,
    active: Option<bool>,
}

fn phone(value: Option<&str>) -> Result<Option<String>, AppError> {
    text::optional("phone", value, 40)
}

#[utoipa::path(
    get, path = "/api/v1/contacts", operation_id = "listContacts", tag = "directory", params(ListContacts), responses((status = 200, body = Items<Contact>))
)]
#[get("/contacts")]
async fn list(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    Query(q): Query<ListContacts>,
) -> Result<HttpResponse, AppError> {
    let filter = ContactFilter {
        unit_code: q
            .unit_code
            .map(|c| UnitCode::parse("unit_code", &c))
            .transpose()?,
        role: q.role,
        active: q.active,
    };
    let scope = actor.scope.as_ref().map(|s| s.path.clone());
    let items = state.app.contacts(filter, scope).await?;
    Ok(HttpResponse::Ok().json(crate::http::bodies::Items { items }))
}

#[utoipa::path(
    get, path = "/api/v1/contacts/{id}", operation_id = "getContact", tag = "directory", params(("id" = String, Path)), responses((status = 200, body = Contact))
)]
#[get("/contacts/{id}")]
async fn get(
    state: web::Data<AppState>,
    Auth(actor): Auth,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let contact = state
        .app
        .contact(&actor, ContactId::from(id.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(contact))
}

#[utoipa::path(
    post, path = "/api/v1/contacts", operation_id = "createContact", tag = "directory", request_body = CreateContact, responses((status = 201, body = Contact))
)]
#[post("/contacts")]
async fn create(
    state: web::Data<AppState>,
    Admin(actor): Admin,
    body: JsonBody<CreateContact>,
) -> Result<HttpResponse, AppError> {
    let b = body.parse()?.value;
    let new = NewContact::parse(ContactFields {
        name: &b.name,
        email: &b.email,
        phone: b.phone.as_deref(),
        wecom_userid: b.wecom_userid.as_deref(),
        mobile: b.mobile.as_deref(),
        notification_rules: b.notification_rules,
        unit_code: &b.unit_code,
        roles: &b.roles,
    })?;
    let contact = state
        .app
        .add_contact(&actor, new, Once::none())
        .await?
        .ok_or_else(|| AppError::internal("a contact without a form token was not added"))?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/contacts/{}", contact.id)))
        .json(contact))
}

#[utoipa::path(
    patch, path = "/api/v1/contacts/{id}", operation_id = "updateContact", tag = "directory", params(("id" = String, Path)), request_body = PatchContact, responses((status = 200, body = Contact))
)]
#[patch("/contacts/{id}")]
async fn update(
    state: web::Data<AppState>,
    Admin(actor): Admin,
    id: web::Path<String>,
    body: JsonBody<PatchContact>,
) -> Result<HttpResponse, AppError> {
    let b = body.parse()?.value;
    let change = ContactChange {
        name: b.name.map(|n| PersonName::parse("name", &n)).transpose()?,
        email: b.email.map(|e| Email::parse("email", &e)).transpose()?,
        phone: b.phone.map(|p| phone(p.as_deref())).transpose()?,
        wecom_userid: b
            .wecom_userid
            .map(|u| parse_wecom_userid("wecom_userid", u.as_deref()))
            .transpose()?,
        mobile: b
            .mobile
            .map(|m| parse_mobile("mobile", m.as_deref()))
            .transpose()?,
        notification_rules: b
            .notification_rules
            .map(|r| {
                r.map(|r| NotifyRules::parse("notification_rules", r))
                    .transpose()
            })
            .transpose()?,
        unit_code: b
            .unit_code
            .map(|c| UnitCode::parse("unit_code", &c))
            .transpose()?,
        roles: b.roles.map(|r| parse_roles("roles", &r)).transpose()?,
        active: b.active,
    };
    save(state, actor, ContactId::from(id.into_inner()), change).await
}

/// Deactivates: the contact stops receiving mail, and past mail keeps its name.
#[utoipa::path(
    delete, path = "/api/v1/contacts/{id}", operation_id = "deactivateContact", tag = "directory", params(("id" = String, Path)), responses((status = 200, description = "Deactivated (kept for history)", body = Contact))
)]
#[delete("/contacts/{id}")]
async fn deactivate(
    state: web::Data<AppState>,
    Admin(actor): Admin,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let change = ContactChange {
        active: Some(false),
        ..ContactChange::default()
    };
    save(state, actor, ContactId::from(id.into_inner()), change).await
}

async fn save(
    state: web::Data<AppState>,
    actor: std::sync::Arc<crate::domain::access::Actor>,
    id: ContactId,
    change: ContactChange,
) -> Result<HttpResponse, AppError> {
    let contact = state.app.change_contact(&actor, id, change).await?;
    Ok(HttpResponse::Ok().json(contact))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TestMessage {
    /// The contact method to try: `email`, `wecom` or `sms`.
    channel: crate::domain::escalation::Channel,
}

/// Sends a test message to one of the contact's methods now (outside the queue) and says
/// whether the vendor took it.
#[utoipa::path(
    post, path = "/api/v1/contacts/{id}/test", operation_id = "testContactMethod", tag = "directory", params(("id" = String, Path)), request_body = TestMessage, responses((status = 200, body = crate::app::test_message::TestOutcome))
)]
#[post("/contacts/{id}/test")]
async fn test(
    state: web::Data<AppState>,
    Admin(actor): Admin,
    id: web::Path<String>,
    body: JsonBody<TestMessage>,
) -> Result<HttpResponse, AppError> {
    let b = body.parse()?.value;
    let outcome = state
        .app
        .test_contact(&actor, ContactId::from(id.into_inner()), b.channel)
        .await?;
    Ok(HttpResponse::Ok().json(outcome))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(test)
        .service(list)
        .service(get)
        .service(create)
        .service(update)
        .service(deactivate);
}
