//! How the console signs people in: the session cookie and the origin forms must come
//! from. Held in the shared state (both doors read it: the console signs in, the
//! acknowledgement pages link to it).

use actix_web::cookie::{Cookie, SameSite};

use crate::config::{Origin, PublicUrl};
use crate::domain::account::SignInRules;

pub const COOKIE: &str = "yq_session";

/// How the console signs people in, from `[console]` and `server.public_url`.
#[derive(Debug, Clone)]
pub struct SessionPolicy {
    pub rules: SignInRules,
    /// Cookies carry `Secure` when the service is reached over https.
    pub secure_cookie: bool,
    /// Forms are accepted from this origin (and from the origin the request was sent to).
    pub origin: Origin,
}

impl SessionPolicy {
    pub fn new(rules: SignInRules, public_url: &PublicUrl) -> Self {
        Self {
            rules,
            secure_cookie: public_url.as_str().starts_with("https://"),
            origin: public_url.origin(),
        }
    }

    /// The session cookie: HttpOnly, SameSite=Strict, Secure over https; no Max-Age,
    /// so closing the browser ends it too (the row's expiry ends it in any case).
    pub fn cookie(&self, value: String) -> Cookie<'static> {
        Cookie::build(COOKIE, value)
            .path("/")
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(self.secure_cookie)
            .finish()
    }

    pub fn removal(&self) -> Cookie<'static> {
        let mut cookie = self.cookie(String::new());
        cookie.make_removal();
        cookie
    }
}
