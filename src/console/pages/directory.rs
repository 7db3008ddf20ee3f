//! 机构通讯录 for admins: the unit tree and the contacts whose roles decide who gets which
//! mail. Adding, deactivating and restoring go through the directory use cases, within
//! the admin's scope.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};

use crate::console::error::{ConsoleError, shown_on_form};
use crate::console::form::{Posted, every, field};
use crate::console::present::{self, Choice};
use crate::console::session::Signed;
use crate::console::views;
use crate::domain::contact::{
    ContactChange, ContactFields, ContactFilter, ContactRole, NewContact,
};
use crate::domain::escalation::{Channel, MAX_AFTER_MINUTES, NotifyRule, NotifyRules, RoleRules};
use crate::domain::ids::ContactId;
use crate::domain::names::UnitName;
use crate::domain::quiet::QuietHours;
use crate::domain::unit::{NewUnit, UnitChange, UnitLevel};
use crate::error::AppError;
use crate::rule::Rule;
use crate::web::AppState;

#[derive(Serialize)]
struct UnitView {
    code: String,
    name: String,
    level: &'static str,
    depth: usize,
    active: bool,
    parent: Option<String>,
    /// 免打扰时段: ("22:00", "07:00").
    quiet: Option<(String, String)>,
}

#[derive(Serialize)]
struct ContactView {
    id: String,
    name: String,
    email: String,
    phone: Option<String>,
    wecom_userid: Option<String>,
    mobile: Option<String>,
    unit: String,
    unit_code: String,
    roles: String,
    /// Their own notification rule, as read (None: their roles' rules).
    own_rule: Option<String>,
    /// The rules of the roles they hold, as read.
    role_rule: String,
    /// One row per personal channel for the rule editor.
    methods: Vec<MethodView>,
    /// The methods a test message can go to: (channel, label).
    testable: Vec<(&'static str, &'static str)>,
    /// Every role, those the contact holds selected (for the edit form).
    role_options: Vec<Choice>,
    active: bool,
}

/// A channel in the rule editor: used or not, and how many minutes after.
#[derive(Serialize)]
struct MethodView {
    channel: &'static str,
    label: &'static str,
    on: bool,
    after: i64,
    /// This service does not send on it (config): shown, but noted.
    disabled: bool,
}

/// The editor's rows: the person's own rule, or else their first role's.
fn methods(rules: &NotifyRules, enabled: &[Channel]) -> Vec<MethodView> {
    Channel::ALL
        .iter()
        .filter(|c| c.is_personal())
        .map(|&c| MethodView {
            channel: c.as_str(),
            label: c.label_zh(),
            on: rules.after(c).is_some(),
            after: rules.after(c).unwrap_or(0),
            disabled: !enabled.contains(&c),
        })
        .collect()
}

/// 主要负责人：企业微信 立即、邮件 立即、短信 10分钟后未确认 (roles sharing a rule once).
fn role_rules_zh(roles: &[ContactRole], defaults: &RoleRules) -> String {
    let mut lines: Vec<(Vec<&str>, &NotifyRules)> = Vec::new();
    for &role in roles {
        let rule = defaults.for_role(role);
        match lines.iter_mut().find(|(_, r)| *r == rule) {
            Some((names, _)) => names.push(role.label_zh()),
            None => lines.push((vec![role.label_zh()], rule)),
        }
    }
    lines
        .iter()
        .map(|(names, rule)| format!("{}：{}", names.join("、"), rule.summary_zh()))
        .collect::<Vec<_>>()
        .join("；")
}

#[derive(Serialize)]
struct DirectoryPage {
    units: Vec<UnitView>,
    contacts: Vec<ContactView>,
    levels: Vec<Choice>,
    roles: Vec<Choice>,
    notice: Option<String>,
    error: Option<String>,
    /// The add form to keep open: after adding one, offices usually add the next.
    open_form: Option<&'static str>,
}

#[derive(Deserialize)]
struct Notice {
    done: Option<String>,
}

async fn render(
    state: &AppState,
    signed: &Signed,
    status: StatusCode,
    notice: Option<String>,
    error: Option<String>,
    open_form: Option<&'static str>,
) -> Result<HttpResponse, ConsoleError> {
    let actor = signed.session.actor.clone();
    actor.require_admin()?;
    let scope = actor.scope.as_ref().map(|s| s.path.clone());
    let all_units = state.app.units(scope.clone()).await?;
    let all_contacts = state.app.contacts(ContactFilter::default(), scope).await?;
    let base = all_units
        .iter()
        .map(|u| u.path.matches('/').count())
        .min()
        .unwrap_or(0);
    let name_of = |code: &str| {
        all_units
            .iter()
            .find(|u| u.code == code)
            .map_or(code.to_owned(), |u| u.name.to_string())
    };
    let (defaults, enabled) = state.app.notification_defaults();
    let contacts = all_contacts
        .iter()
        .map(|c| ContactView {
            testable: [
                (Channel::Email, true),
                (Channel::Wecom, c.wecom_userid.is_some()),
                (Channel::Sms, c.mobile.is_some()),
            ]
            .into_iter()
            .filter(|(channel, has)| *has && enabled.contains(channel))
            .map(|(channel, _)| (channel.as_str(), channel.label_zh()))
            .collect(),
            mobile: c.mobile.clone(),
            own_rule: c.notification_rules.as_ref().map(NotifyRules::summary_zh),
            role_rule: role_rules_zh(&c.roles, defaults),
            methods: methods(
                c.notification_rules
                    .as_ref()
                    .or_else(|| c.roles.first().map(|&r| defaults.for_role(r)))
                    .unwrap_or(&defaults.default),
                enabled,
            ),
            id: c.id.to_string(),
            name: c.name.to_string(),
            email: c.email.to_string(),
            phone: c.phone.clone(),
            wecom_userid: c.wecom_userid.clone(),
            unit: name_of(&c.unit_code),
            unit_code: c.unit_code.to_string(),
            role_options: present::options_of(ContactRole::ALL.iter().copied(), None)
                .into_iter()
                .map(|mut o| {
                    o.selected = c.roles.iter().any(|r| r.as_str() == o.value);
                    o
                })
                .collect(),
            roles: c
                .roles
                .iter()
                .map(|r| r.label_zh())
                .collect::<Vec<_>>()
                .join("、"),
            active: c.active,
        })
        .collect();
    let units = all_units
        .iter()
        .map(|u| UnitView {
            code: u.code.to_string(),
            name: u.name.to_string(),
            level: u.level.label_zh(),
            depth: (u.path.matches('/').count() - base).min(4),
            active: u.active,
            parent: u.parent_code.as_ref().map(ToString::to_string),
            quiet: u.quiet_hours.map(|q| {
                (
                    q.from.format("%H:%M").to_string(),
                    q.to.format("%H:%M").to_string(),
                )
            }),
        })
        .collect();
    let page = DirectoryPage {
        units,
        contacts,
        levels: present::options::<UnitLevel>(None),
        roles: present::options::<ContactRole>(None),
        notice,
        error,
        open_form,
    };
    let body = views::render("directory.html", &signed.chrome("directory"), page)?;
    Ok(views::html(status, body))
}

#[get("/directory")]
async fn show(
    state: web::Data<AppState>,
    signed: Signed,
    q: web::Query<Notice>,
) -> Result<HttpResponse, ConsoleError> {
    let done = q.done.as_deref();
    let notice = done.map(|d| match d {
        "unit_added" => "单位已添加，可继续添加下一个。",
        "contact_added" => "联系人已添加，可继续添加下一位。",
        "unit" => "单位已保存。",
        "contact" => "联系人已保存。",
        _ => "已保存。",
    });
    let notice = notice.map(str::to_owned);
    let open_form = done.and_then(add_form_of);
    render(&state, &signed, StatusCode::OK, notice, None, open_form).await
}

/// The add form an action's `done` key belongs to, kept open after it.
fn add_form_of(done: &str) -> Option<&'static str> {
    match done {
        "unit_added" => Some("unit"),
        "contact_added" => Some("contact"),
        _ => None,
    }
}

/// After a change: back to the page, or the page with why it was refused.
async fn after<T>(
    state: &AppState,
    signed: &Signed,
    done: &str,
    result: Result<T, AppError>,
) -> Result<HttpResponse, ConsoleError> {
    match result {
        Ok(_) => Ok(views::see_other(&format!("/directory?done={done}"))),
        Err(e) => {
            let (status, message) = shown_on_form(e)?;
            // A refused addition keeps its form open, to correct and send again.
            render(
                state,
                signed,
                status,
                None,
                Some(message),
                add_form_of(done),
            )
            .await
        }
    }
}

#[derive(Deserialize)]
struct UnitForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    level: String,
    #[serde(default)]
    parent_code: String,
}

#[post("/directory/units")]
async fn add_unit(
    state: web::Data<AppState>,
    posted: Posted<UnitForm>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed, form, .. } = posted;
    let new = form
        .level
        .parse::<UnitLevel>()
        .map_err(|e| AppError::invalid("level", e))
        .and_then(|level| {
            let parent = Some(form.parent_code.trim()).filter(|p| !p.is_empty());
            NewUnit::parse(&form.code, &form.name, level, parent)
        });
    let result = match new {
        Ok(new) => state.app.add_unit(&signed.session.actor, new).await,
        Err(e) => Err(e),
    };
    after(&state, &signed, "unit_added", result).await
}

#[derive(Deserialize)]
struct ActiveForm {
    #[serde(default)]
    active: String,
}

#[post("/directory/units/{code}/active")]
async fn unit_active(
    state: web::Data<AppState>,
    code: web::Path<String>,
    posted: Posted<ActiveForm>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed, form, .. } = posted;
    let change = UnitChange {
        active: Some(form.active == "true"),
        ..Default::default()
    };
    let result = state
        .app
        .change_unit(&signed.session.actor, code.into_inner(), change)
        .await;
    after(&state, &signed, "unit", result).await
}

/// The contact form (add and edit alike), checked as the API checks a new contact.
fn contact_form(form: &[(String, String)]) -> Result<NewContact, AppError> {
    let roles = every(form, "role")
        .map(|v| v.parse().map_err(|e| AppError::invalid("roles", e)))
        .collect::<Result<Vec<ContactRole>, AppError>>()?;
    let given = |name: &str| Some(field(form, name)).filter(|p| !p.trim().is_empty());
    NewContact::parse(ContactFields {
        name: field(form, "name"),
        email: field(form, "email"),
        phone: given("phone"),
        wecom_userid: given("wecom_userid"),
        mobile: given("mobile"),
        notification_rules: own_rule(form)?,
        unit_code: field(form, "unit_code"),
        roles: &roles,
    })
}

/// The rule editor: "role" follows the roles' rules; "own" takes each ticked channel
/// with its minutes.
fn own_rule(form: &[(String, String)]) -> Result<Option<Vec<NotifyRule>>, AppError> {
    if field(form, "rule_mode") != "own" {
        return Ok(None);
    }
    let ticked: Vec<&str> = every(form, "rule_channel").collect();
    let mut rules = Vec::new();
    for (i, channel) in ticked.iter().enumerate() {
        let channel: Channel = channel
            .parse()
            .map_err(|e| AppError::invalid(format!("notification_rules[{i}].channel"), e))?;
        let after = field(form, &format!("after_{channel}"))
            .trim()
            .parse::<i64>()
            .map_err(|_| {
                AppError::invalid(
                    format!("notification_rules[{i}].after_minutes"),
                    Rule::OutOfRange(0, MAX_AFTER_MINUTES),
                )
            })?;
        rules.push(NotifyRule {
            channel,
            after_minutes: after,
        });
    }
    Ok(Some(rules))
}

#[post("/directory/contacts")]
async fn add_contact(
    state: web::Data<AppState>,
    posted: Posted<Vec<(String, String)>>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed, form, once } = posted;
    let new = contact_form(&form);
    let result = match new {
        // Posted twice (a double click), the contact is added once.
        Ok(new) => {
            state
                .app
                .add_contact(&signed.session.actor, new, once)
                .await
        }
        Err(e) => Err(e),
    };
    after(&state, &signed, "contact_added", result).await
}

#[post("/directory/contacts/{id}/active")]
async fn contact_active(
    state: web::Data<AppState>,
    id: web::Path<String>,
    posted: Posted<ActiveForm>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed, form, .. } = posted;
    let change = ContactChange {
        active: Some(form.active == "true"),
        ..Default::default()
    };
    let result = state
        .app
        .change_contact(
            &signed.session.actor,
            ContactId::from(id.into_inner()),
            change,
        )
        .await;
    after(&state, &signed, "contact", result).await
}

#[derive(Deserialize)]
struct RenameForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    quiet_from: String,
    #[serde(default)]
    quiet_to: String,
}

/// Both blank: none; both given: the window.
fn quiet_hours(form: &RenameForm) -> Result<Option<QuietHours>, AppError> {
    let (from, to) = (form.quiet_from.trim(), form.quiet_to.trim());
    if from.is_empty() && to.is_empty() {
        return Ok(None);
    }
    QuietHours::parse("quiet_hours", from, to).map(Some)
}

#[post("/directory/units/{code}")]
async fn rename_unit(
    state: web::Data<AppState>,
    code: web::Path<String>,
    posted: Posted<RenameForm>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed, form, .. } = posted;
    let checked =
        UnitName::parse("name", &form.name).and_then(|name| Ok((name, quiet_hours(&form)?)));
    let result = match checked {
        Ok((name, quiet)) => {
            let change = UnitChange {
                name: Some(name),
                quiet_hours: Some(quiet),
                ..Default::default()
            };
            state
                .app
                .change_unit(&signed.session.actor, code.into_inner(), change)
                .await
        }
        Err(e) => Err(e),
    };
    after(&state, &signed, "unit", result).await
}

/// Name, address, phone, unit and roles of a contact, as the form sent them.
#[post("/directory/contacts/{id}")]
async fn edit_contact(
    state: web::Data<AppState>,
    id: web::Path<String>,
    posted: Posted<Vec<(String, String)>>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed, form, .. } = posted;
    // The same checks as a new contact's.
    let checked = contact_form(&form);
    let result = match checked {
        Ok(c) => {
            let change = ContactChange {
                name: Some(c.name),
                email: Some(c.email),
                phone: Some(c.phone),
                wecom_userid: Some(c.wecom_userid),
                mobile: Some(c.mobile),
                notification_rules: Some(c.notification_rules),
                unit_code: Some(c.unit_code),
                roles: Some(c.roles),
                active: None,
            };
            state
                .app
                .change_contact(
                    &signed.session.actor,
                    ContactId::from(id.into_inner()),
                    change,
                )
                .await
        }
        Err(e) => Err(e),
    };
    after(&state, &signed, "contact", result).await
}

#[derive(Deserialize)]
struct TestForm {
    #[serde(default)]
    channel: String,
}

/// 发送测试消息 to one of a contact's methods: the page says at once whether it arrived.
#[post("/directory/contacts/{id}/test")]
async fn test_contact(
    state: web::Data<AppState>,
    id: web::Path<String>,
    posted: Posted<TestForm>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { signed, form, .. } = posted;
    let result = match form.channel.parse::<Channel>() {
        Ok(channel) => {
            state
                .app
                .test_contact(
                    &signed.session.actor,
                    ContactId::from(id.into_inner()),
                    channel,
                )
                .await
        }
        Err(e) => Err(AppError::invalid("channel", e)),
    };
    match result {
        Ok(outcome) if outcome.sent => {
            let notice = format!(
                "测试消息已发出：{} → {}",
                outcome.channel.label_zh(),
                outcome.to
            );
            render(&state, &signed, StatusCode::OK, Some(notice), None, None).await
        }
        Ok(outcome) => {
            let error = format!(
                "测试消息未能发出（{} → {}）：{}{}",
                outcome.channel.label_zh(),
                outcome.to,
                outcome.error.unwrap_or_default(),
                if outcome.transient {
                    "。可稍后再试。"
                } else {
                    "。请检查设置。"
                }
            );
            render(&state, &signed, StatusCode::OK, None, Some(error), None).await
        }
        Err(e) => after(&state, &signed, "contact", Err::<(), _>(e)).await,
    }
}
