//! One file per page (or group of forms on one page).

mod accounts;
mod board;
mod briefing_form;
mod briefing_view;
mod briefings;
mod directory;
mod incident;
mod incident_new;
mod incidents;
mod password;
mod report;
mod robots;
mod signin;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(signin::show)
        .service(signin::submit)
        .service(signin::sign_out)
        .service(password::show)
        .service(password::submit)
        .service(board::show)
        .service(board::rows_part)
        .service(board::stream)
        .service(incidents::show)
        .service(report::show)
        .service(directory::show)
        .service(directory::add_unit)
        .service(directory::unit_active)
        .service(directory::rename_unit)
        .service(directory::edit_contact)
        .service(directory::add_contact)
        .service(directory::contact_active)
        .service(directory::test_contact)
        .service(robots::test)
        .service(robots::show)
        .service(robots::add)
        .service(robots::set_active)
        .service(accounts::show)
        .service(accounts::create)
        .service(accounts::update)
        .service(accounts::disable)
        .service(accounts::reset_password)
        .service(accounts::create_token)
        .service(accounts::revoke)
        .service(report::download)
        .service(incident_new::show)
        .service(incident_new::submit)
        .service(incident::show)
        .service(incident::change_status)
        .service(incident::milestone)
        .service(incident::referral)
        .service(incident::edit)
        .service(incident::acknowledge)
        .service(briefing_form::compose)
        .service(briefing_form::submit)
        .service(briefings::inbox)
        .service(briefings::show)
        .service(briefings::mark_read);
}
