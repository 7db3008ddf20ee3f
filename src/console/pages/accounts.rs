//! 账号与令牌 for admins: console accounts (create, disable, enable, set a new password)
//! and API tokens (create, shown once; revoke), within the admin's scope.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use crate::app::tokens::TokenRequest;
use crate::console::error::{ConsoleError, shown_on_form};
use crate::console::form::Posted;
use crate::console::labels;
use crate::console::present::{self, Choice};
use crate::console::session::Signed;
use crate::console::views;
use crate::domain::access::Role;
use crate::domain::account::{AccountProfile, NewAccount, NewPassword, PASSWORD_MIN_CHARS};
use crate::domain::contact::ContactFilter;
use crate::domain::ids::{AccountId, ContactId};
use crate::error::AppError;
use crate::rule::Rule;
use crate::web::AppState;

#[derive(Serialize)]
struct AccountView {
    id: String,
    login: String,
    name: String,
    role: &'static str,
    /// What the edit form preselects.
    role_value: &'static str,
    unit_code: String,
    contact_id: String,
    unit: String,
    /// Its unit was deactivated: the edit form shows it, and saving asks for another.
    unit_inactive: bool,
    /// Its linked contact is not among the active ones listed: the edit form keeps the
    /// link rather than dropping it unseen.
    contact_unlisted: bool,
    state: &'static str,
    disabled: bool,
    myself: bool,
}

#[derive(Serialize)]
struct TokenView {
    id: String,
    name: String,
    role: &'static str,
    unit: String,
    created: String,
    expires: Option<String>,
    revoked: Option<String>,
}

#[derive(Serialize)]
struct AccountsPage {
    accounts: Vec<AccountView>,
    tokens: Vec<TokenView>,
    /// Roles for a new account (a duty officer preselected) and for a new token (a viewer);
    /// an account's edit form selects its own.
    account_roles: Vec<Choice>,
    token_roles: Vec<Choice>,
    units: Vec<Choice>,
    /// Directory contacts an account may be linked to (value: id, label: name and unit).
    contacts: Vec<Choice>,
    min: usize,
    notice: Option<&'static str>,
    error: Option<String>,
    /// A token just created: its secret, shown this once.
    secret: Option<String>,
}

async fn render(
    state: &AppState,
    signed: &Signed,
    status: StatusCode,
    notice: Option<&'static str>,
    error: Option<String>,
    secret: Option<String>,
) -> Result<HttpResponse, ConsoleError> {
    let actor = signed.session.actor.clone();
    actor.require_admin()?;
    let zone = state.zone();
    let now = state.now();
    let scope = actor.scope.as_ref().map(|s| s.path.clone());
    let me = signed.session.account_id.clone();
    let filter = ContactFilter {
        active: Some(true),
        ..Default::default()
    };
    let all_accounts = state.app.accounts(&actor).await?;
    let all_tokens = state.app.tokens(&actor).await?;
    let all_units = state.app.units(scope.clone()).await?;
    let all_contacts = state.app.contacts(filter, scope).await?;
    let units = present::unit_options(all_units, "");
    let contacts: Vec<Choice> = all_contacts
        .into_iter()
        .map(|c| Choice {
            label: format!("{}（{}，{}）", c.name, c.unit_code, c.email),
            value: c.id.into_string(),
            selected: false,
        })
        .collect();
    let page = AccountsPage {
        accounts: all_accounts
            .into_iter()
            .map(|a| AccountView {
                myself: a.id == me,
                state: if a.disabled_at.is_some() {
                    "已停用"
                } else if a.locked_until.is_some_and(|t| t > now) {
                    "登录已锁定"
                } else {
                    "正常"
                },
                disabled: a.disabled_at.is_some(),
                role: labels::role(a.role),
                role_value: a.role.as_str(),
                unit_inactive: a
                    .unit_code
                    .as_ref()
                    .is_some_and(|code| !units.iter().any(|u| &u.value == code)),
                contact_unlisted: a
                    .contact_id
                    .as_ref()
                    .is_some_and(|id| !contacts.iter().any(|c| c.value == id.as_str())),
                unit_code: a.unit_code.unwrap_or_default(),
                contact_id: a.contact_id.map(ContactId::into_string).unwrap_or_default(),
                unit: a.unit_name.unwrap_or_else(|| "全部单位".into()),
                id: a.id.into_string(),
                login: a.login,
                name: a.display_name,
            })
            .collect(),
        tokens: all_tokens
            .into_iter()
            .map(|t| TokenView {
                id: t.id,
                name: t.name,
                role: labels::role(t.role),
                unit: t.unit_code.unwrap_or_else(|| "全部单位".into()),
                created: labels::local(t.created_at, zone),
                expires: t.expires_at.map(|e| labels::local(e, zone)),
                revoked: t.revoked_at.map(|r| labels::local(r, zone)),
            })
            .collect(),
        account_roles: present::options(Some(Role::DutyOfficer)),
        token_roles: present::options(Some(Role::Viewer)),
        units,
        contacts,
        min: PASSWORD_MIN_CHARS,
        notice,
        error,
        secret,
    };
    let body = views::render("accounts.html", &signed.chrome("accounts"), page)?;
    Ok(views::html(status, body))
}

#[derive(Deserialize)]
struct Notice {
    done: Option<String>,
}

#[get("/accounts")]
async fn show(
    state: web::Data<AppState>,
    signed: Signed,
    q: web::Query<Notice>,
) -> Result<HttpResponse, ConsoleError> {
    let notice = q.done.as_deref().map(|d| match d {
        "created" => "账号已创建。请把登录名和初始密码告知本人，并提醒其登录后修改密码。",
        "password" => "密码已重设，该账号的登录已全部退出。",
        "revoked" => "令牌已吊销。",
        _ => "已保存。",
    });
    render(&state, &signed, StatusCode::OK, notice, None, None).await
}

async fn after<T>(
    state: &AppState,
    signed: &Signed,
    done: &str,
    result: Result<T, AppError>,
) -> Result<HttpResponse, ConsoleError> {
    match result {
        Ok(_) => Ok(views::see_other(&format!("/accounts?done={done}"))),
        Err(e) => {
            let (status, message) = shown_on_form(e)?;
            render(state, signed, status, None, Some(message), None).await
        }
    }
}

fn role(value: &str) -> Result<Role, AppError> {
    value.parse().map_err(|e| AppError::invalid("role", e))
}

fn optional(value: &str) -> Option<&str> {
    Some(value.trim()).filter(|v| !v.is_empty())
}

#[derive(Deserialize)]
struct ProfileForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    unit_code: String,
    #[serde(default)]
    contact_id: String,
}

impl ProfileForm {
    fn parse(&self) -> Result<AccountProfile, AppError> {
        AccountProfile::parse(
            &self.display_name,
            role(&self.role)?,
            optional(&self.unit_code),
            optional(&self.contact_id),
        )
    }
}

#[derive(Deserialize)]
struct AccountForm {
    #[serde(default)]
    login: String,
    #[serde(flatten)]
    profile: ProfileForm,
    #[serde(default)]
    password: String,
}

#[post("/accounts")]
async fn create(
    state: web::Data<AppState>,
    posted: Posted<AccountForm>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed, form, .. } = posted;
    let new = form
        .profile
        .parse()
        .and_then(|profile| NewAccount::parse(&form.login, profile, &form.password));
    let result = match new {
        Ok(new) => {
            state
                .app
                .create_account(Some(&signed.session.actor), new)
                .await
        }
        Err(e) => Err(e),
    };
    after(&state, &signed, "created", result).await
}

#[post("/accounts/{id}")]
async fn update(
    state: web::Data<AppState>,
    id: web::Path<String>,
    posted: Posted<ProfileForm>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed, form, .. } = posted;
    let result = match form.parse() {
        Ok(profile) => {
            state
                .app
                .update_account(
                    &signed.session.actor,
                    AccountId::from(id.into_inner()),
                    profile,
                )
                .await
        }
        Err(e) => Err(e),
    };
    after(&state, &signed, "saved", result).await
}

#[derive(Deserialize)]
struct DisableForm {
    #[serde(default)]
    disabled: String,
}

#[post("/accounts/{id}/disabled")]
async fn disable(
    state: web::Data<AppState>,
    id: web::Path<String>,
    posted: Posted<DisableForm>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed, form, .. } = posted;
    let disabled = form.disabled == "true";
    let result = state
        .app
        .set_account_disabled(
            &signed.session.actor,
            AccountId::from(id.into_inner()),
            disabled,
        )
        .await;
    after(&state, &signed, "saved", result).await
}

#[derive(Deserialize)]
struct PasswordForm {
    #[serde(default)]
    password: String,
}

#[post("/accounts/{id}/password")]
async fn reset_password(
    state: web::Data<AppState>,
    id: web::Path<String>,
    posted: Posted<PasswordForm>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed, form, .. } = posted;
    let result = match NewPassword::parse("password", &form.password) {
        Ok(new) => {
            state
                .app
                .reset_password(&signed.session.actor, AccountId::from(id.into_inner()), new)
                .await
        }
        Err(e) => Err(e),
    };
    after(&state, &signed, "password", result).await
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    unit_code: String,
    #[serde(default)]
    expires_in_days: String,
}

#[post("/tokens")]
async fn create_token(
    state: web::Data<AppState>,
    posted: Posted<TokenForm>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed, form, .. } = posted;
    let days = match optional(&form.expires_in_days) {
        None => Ok(None),
        Some(d) => d
            .parse::<i64>()
            .map(Some)
            .map_err(|_| AppError::invalid("expires_in_days", Rule::OutOfRange(1, 3660))),
    };
    let req = role(&form.role)
        .and_then(|r| TokenRequest::parse(&form.name, r, optional(&form.unit_code), days?));
    let created = match req {
        Ok(req) => state.app.create_token(&signed.session.actor, req).await,
        Err(e) => Err(e),
    };
    match created {
        // Shown once, on this answer only (never in a URL, never stored).
        Ok(crate::app::tokens::Created { secret, .. }) => {
            render(
                &state,
                &signed,
                StatusCode::CREATED,
                Some("令牌已创建。"),
                None,
                Some(secret),
            )
            .await
        }
        Err(e) => after::<()>(&state, &signed, "", Err(e)).await,
    }
}

#[post("/tokens/{id}/revoke")]
async fn revoke(
    state: web::Data<AppState>,
    id: web::Path<String>,
    posted: Posted<DisableForm>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed, .. } = posted;
    let result =
        crate::web::tokens::revoke(&state, signed.session.actor.clone(), id.into_inner()).await;
    after(&state, &signed, "revoked", result).await
}
