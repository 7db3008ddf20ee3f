//! Escalation mail: templates, message building and the transports that deliver it.

pub mod compose;
mod links;
pub mod pages;
mod smtp;
pub mod specimens;
mod templates;
mod transport;

pub use compose::{Composer, MailContext};
pub use links::LinkSigner;
pub use templates::Templates;
pub use transport::{Mailer, SendError};

use std::sync::Arc;

use chrono::Duration;

use crate::config::Settings;

/// The composer for these settings: the templates (embedded, with overrides from
/// `mail.template_dir`), each checked by rendering its specimen.
pub fn composer(settings: &Settings, signer: LinkSigner) -> Result<Composer, String> {
    let dir = &settings.mail.template_dir;
    let templates = Templates::new((!dir.as_os_str().is_empty()).then_some(dir.as_path()))?;
    let composer = Composer::new(
        Arc::new(templates),
        settings.mail.from.clone(),
        settings.server.public_url.clone(),
        settings.time.zone,
        signer,
        Duration::hours(settings.mail.ack_link_ttl_hours),
    );
    specimens::check(&composer)?;
    Ok(composer)
}
