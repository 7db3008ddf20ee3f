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
