//! Mail and page templates: embedded in the binary, each replaceable by a file of the same name
//! in `mail.template_dir`, so an office can change the wording without a rebuild.

use std::path::{Path, PathBuf};

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

macro_rules! embedded {
    ($($name:literal),+ $(,)?) => {
        &[$(($name, include_str!(concat!("templates/", $name)))),+]
    };
}

/// (name, built-in text). One folder per mail: subject, plain text and HTML; reminders
/// also as a 企业微信 message (`chat.txt`), an SMS (`sms.txt`) and a robot's lines
/// (`robot.txt`).
const EMBEDDED: &[(&str, &str)] = embedded!(
    "base.html",
    "escalation/subject.txt",
    "escalation/body.txt",
    "escalation/body.html",
    "escalation/chat.txt",
    "escalation/sms.txt",
    "escalation/robot.txt",
    "new_major/subject.txt",
    "new_major/body.txt",
    "new_major/body.html",
    "new_major/chat.txt",
    "new_major/sms.txt",
    "new_major/robot.txt",
    "daily_digest/subject.txt",
    "daily_digest/body.txt",
    "daily_digest/body.html",
    "weekly_summary/subject.txt",
    "weekly_summary/body.txt",
    "weekly_summary/body.html",
    "pages/base.html",
    "pages/ack_confirm.html",
    "pages/ack_done.html",
    "pages/ack_invalid.html",
);

pub struct Templates {
    env: Environment<'static>,
}

pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Templates {
    /// Loads every template now, so a broken override stops start-up instead of a send.
    pub fn new(override_dir: Option<&Path>) -> Result<Self, String> {
        let dir: Option<PathBuf> = override_dir.map(Path::to_path_buf);
        let mut env = Environment::new();
        // A misspelt variable is an error, not empty text; `specimens::check` renders
        // every template at start-up, so an override with a typo stops the service.
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_loader(move |name| {
            if let Some(dir) = &dir {
                let path = dir.join(name);
                if path.is_file() {
                    return std::fs::read_to_string(&path).map(Some).map_err(|e| {
                        minijinja::Error::new(
                            minijinja::ErrorKind::InvalidOperation,
                            format!("reading {}: {e}", path.display()),
                        )
                    });
                }
            }
            Ok(EMBEDDED
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, text)| (*text).to_owned()))
        });
        for (name, _) in EMBEDDED {
            env.get_template(name)
                .map_err(|e| format!("mail template {name}: {e:#}"))?;
        }
        Ok(Self { env })
    }

    /// A web page (e.g. the acknowledgement confirm page), HTML-escaped.
    pub fn render_page(&self, page: &str, ctx: impl Serialize) -> Result<String, minijinja::Error> {
        self.env
            .get_template(&format!("pages/{page}.html"))?
            .render(minijinja::Value::from_serialize(&ctx))
    }

    /// One channel's text of a reminder (`escalation/sms.txt`), trimmed.
    pub fn render_part(
        &self,
        mail: &str,
        part: &str,
        ctx: impl Serialize,
    ) -> Result<String, minijinja::Error> {
        let text = self
            .env
            .get_template(&format!("{mail}/{part}"))?
            .render(minijinja::Value::from_serialize(&ctx))?;
        Ok(text.trim().to_owned())
    }

    pub fn render(&self, mail: &str, ctx: impl Serialize) -> Result<Rendered, minijinja::Error> {
        let ctx = minijinja::Value::from_serialize(&ctx);
        let part = |p: &str| -> Result<String, minijinja::Error> {
            self.env.get_template(&format!("{mail}/{p}"))?.render(&ctx)
        };
        Ok(Rendered {
            subject: part("subject.txt")?.trim().replace(['\r', '\n'], " "),
            text: part("body.txt")?,
            html: part("body.html")?,
        })
    }
}
