//! The session and flow cookies' attributes and lifetimes.

use std::time::Duration;

use cookie::{Cookie, SameSite};

use super::{Answer, Login, provider::Provider};

/// The cookie names in use (`__Host-` prefixed on https).
#[derive(Debug, Clone)]
pub struct CookieNames {
    /// The transient flow cookie.
    pub flow: String,
    /// The access token.
    pub session: String,
    /// The refresh token.
    pub refresh: String,
}

impl Login {
    pub(super) fn cookie(&self, name: &str, value: &str, max_age: i64) -> String {
        self.cookie_with(name, value, max_age, SameSite::Lax)
    }

    pub(super) fn cookie_with(
        &self,
        name: &str,
        value: &str,
        max_age: i64,
        same_site: SameSite,
    ) -> String {
        Cookie::build((name.to_owned(), value.to_owned()))
            .path("/")
            .http_only(true)
            .secure(self.inner.secure)
            .same_site(same_site)
            .max_age(cookie::time::Duration::seconds(max_age))
            .build()
            .to_string()
    }

    /// The flow cookie's `SameSite`: `Lax` survives a query callback (a top-level GET);
    /// a `form_post` callback is a cross-site POST, which only `None` survives, and `None`
    /// needs `Secure` (browsers drop it otherwise): on plain http (development) it stays
    /// `Lax`, which browsers treating the provider as same-site still send.
    pub(super) fn flow_same_site(&self, p: &Provider) -> SameSite {
        if p.form_post() && self.inner.secure {
            SameSite::None
        } else {
            SameSite::Lax
        }
    }

    pub(super) fn refresh_secs(&self) -> i64 {
        secs(self.inner.refresh_ttl)
    }

    pub(super) fn access_secs(&self) -> i64 {
        i64::try_from(self.inner.issuer.lifetime().as_secs()).unwrap_or(900)
    }

    /// The two session cookies; the refresh cookie lives `refresh_secs` (the token's own
    /// lifetime, which the session's end may have shortened).
    pub(super) fn session_cookies(
        &self,
        access: &str,
        refresh: &str,
        refresh_secs: i64,
    ) -> [String; 2] {
        let names = &self.inner.names;
        [
            self.cookie(&names.session, access, self.access_secs()),
            self.cookie(&names.refresh, refresh, refresh_secs),
        ]
    }

    pub(super) fn clear_session(&self, answer: Answer) -> Answer {
        let names = &self.inner.names;
        answer
            .with("set-cookie", self.cookie(&names.session, "", 0))
            .with("set-cookie", self.cookie(&names.refresh, "", 0))
    }
}

/// Whole seconds of `d`, as the clock counts them.
pub(super) fn secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX / 2)
}
