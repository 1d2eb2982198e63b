//! Who signed in ([`Identity`]) and what the app grants them ([`SessionGrant`]).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Who signed in, whatever the provider.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Identity {
    /// The provider's name (as in the routes).
    pub provider: String,
    /// The provider's subject identifier.
    pub subject: String,
    /// The email address, if the provider shared one.
    pub email: Option<String>,
    /// Whether the provider verified that address.
    pub email_verified: bool,
    /// A display name, if any.
    pub name: Option<String>,
    /// Every claim the provider gave (ID token and userinfo).
    pub claims: Map<String, Value>,
    /// The raw ID token (OpenID providers): kept with the session for an RP-initiated
    /// logout's `id_token_hint`.
    pub(super) id_token: Option<RawIdToken>,
}

/// An ID token as received; `Debug` does not show it.
#[derive(Clone, PartialEq)]
pub(super) struct RawIdToken(pub(super) String);

impl std::fmt::Debug for RawIdToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[id token]")
    }
}

impl Identity {
    pub(super) fn from_claims(
        provider: &str,
        subject: String,
        claims: Map<String, Value>,
    ) -> Identity {
        let text = |k: &str| claims.get(k).and_then(Value::as_str).map(str::to_owned);
        Identity {
            provider: provider.to_owned(),
            email: text("email"),
            email_verified: claims
                .get("email_verified")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            name: text("name").or_else(|| text("preferred_username")),
            subject,
            claims,
            id_token: None,
        }
    }
}

/// What a session grants: the subject, scopes and extra claims of its access tokens.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionGrant {
    /// The access tokens' `sub`.
    pub subject: String,
    /// Their scopes.
    pub scopes: Vec<String>,
    /// Extra claims. The registered claims (`iss`, `sub`, `aud`, `exp`, `nbf`, `iat`,
    /// `jti`) and the scope claims (`scope`, `scp`) are the issuer's: a grant that sets one
    /// here is refused when the session is issued (500, logged), never merged.
    pub claims: Map<String, Value>,
}

impl SessionGrant {
    /// A grant for `subject` with no scopes and no extra claims.
    pub fn new(subject: impl Into<String>) -> SessionGrant {
        SessionGrant {
            subject: subject.into(),
            scopes: Vec::new(),
            claims: Map::new(),
        }
    }

    /// Add scopes.
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.scopes.extend(scopes.into_iter().map(Into::into));
        self
    }

    /// Add a claim.
    pub fn claim(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.claims.insert(name.into(), value.into());
        self
    }
}

/// The app's decision on a sign-in: a session, or a refusal whose text is shown to the
/// user (403).
pub type SessionHook = dyn Fn(&Identity) -> Result<SessionGrant, String> + Send + Sync;
