//! Logout that starts elsewhere: OpenID Connect Back-Channel Logout 1.0 (the provider tells
//! the app a session ended), and RP-Initiated Logout 1.0 (the app's logout ends the
//! provider's session too).

use secrecy::ExposeSecret;
use serde_json::{Map, Value};

use super::{
    Answer, Login, LoginInput, is_local_path, oidc::OidcProvider, provider::ProviderConfig,
};
use crate::error::SignInError;

/// The `events` member a logout token must carry.
const BACKCHANNEL_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// What a valid logout token names.
pub(super) struct LogoutToken {
    pub(super) sub: Option<String>,
    pub(super) sid: Option<String>,
    pub(super) jti: String,
    pub(super) exp: i64,
}

impl OidcProvider {
    /// Check a back-channel logout token (§2.6): signature, issuer, audience, `iat`, `exp`
    /// and `jti` as the validator requires, no `nonce`, the back-channel `events` member
    /// (an object), and a `sub` or a `sid`.
    pub(super) async fn check_logout_token(&self, token: &str) -> Result<LogoutToken, String> {
        let claims = self
            .logout_tokens
            .verify_claims::<Map<String, Value>>(token)
            .await
            .map_err(|e| e.to_string())?;
        let custom = &claims.custom;
        let event = custom
            .get("events")
            .and_then(Value::as_object)
            .and_then(|events| events.get(BACKCHANNEL_EVENT));
        if !event.is_some_and(Value::is_object) {
            return Err("no back-channel logout event".into());
        }
        let text = |name: &str| match custom.get(name) {
            None => Ok(None),
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
            Some(_) => Err(format!("{name} is not a string")),
        };
        let (sub, sid) = (text("sub")?, text("sid")?);
        if sub.is_none() && sid.is_none() {
            return Err("neither sub nor sid".into());
        }
        Ok(LogoutToken {
            sub,
            sid,
            jti: claims.registered.jti().unwrap_or_default().to_owned(),
            exp: claims.registered.exp().unwrap_or(0),
        })
    }
}

impl Login {
    fn oidc(&self, provider: &str) -> Option<&OidcProvider> {
        match &self
            .inner
            .providers
            .iter()
            .find(|p| p.name() == provider)?
            .config
        {
            ProviderConfig::Oidc(p) => Some(p),
            ProviderConfig::GitHub(_) => None,
        }
    }

    /// `POST /auth/{provider}/backchannel-logout`: the provider's `logout_token` (form
    /// field) ends the sessions it names: by `sid` (the provider's session) when it has
    /// one, else every session of its `sub` from this provider. 200 (`Cache-Control:
    /// no-store`) once they are revoked, in the shared store when there is one (every
    /// instance then refuses their refresh tokens); 400, changing nothing, for a token that
    /// is not valid or was seen before; 503 when the store cannot be reached (the provider
    /// may retry). The session's subject is the provider's `sub` unless
    /// [`LoginBuilder::provider_subjects`](super::LoginBuilder::provider_subjects) maps it.
    pub async fn backchannel_logout(&self, provider: &str, input: &LoginInput) -> Answer {
        let Some(p) = self.oidc(provider) else {
            return self.reject(SignInError::UnknownProvider);
        };
        let token = input.form.as_deref().and_then(|form| {
            url::form_urlencoded::parse(form.as_bytes())
                .find(|(k, _)| k == "logout_token")
                .map(|(_, v)| v.into_owned())
        });
        let Some(token) = token else {
            return self.reject(SignInError::BadRequest("no logout_token"));
        };
        let logout = match p.check_logout_token(&token).await {
            Ok(logout) => logout,
            Err(reason) => {
                tracing::info!(provider, reason, "back-channel logout token refused");
                return self.reject(SignInError::BadRequest("the logout token is not valid"));
            }
        };
        // A token is used once: a replay within its life changes nothing.
        if !self
            .inner
            .used_logouts
            .first_use(&format!("{provider}\0{}", logout.jti), logout.exp)
        {
            tracing::info!(provider, "back-channel logout token replayed");
            return self.reject(SignInError::BadRequest("the logout token is not valid"));
        }
        let Some(sub) = &logout.sub else {
            // Sessions are found through their subject; a provider that names only its
            // session (`sid`) is answered so, and nothing changes.
            tracing::warn!(provider, "back-channel logout without sub: not supported");
            return self.reject(SignInError::BadRequest(
                "a logout token without sub is not supported",
            ));
        };
        let Some(subject) = (self.inner.provider_subjects)(provider, sub) else {
            return logged_out();
        };
        let sessions = match self.inner.store.sessions(&subject).await {
            Ok(sessions) => sessions,
            Err(e) => return self.store_unavailable(&e),
        };
        let mut revoked = 0usize;
        for session in sessions.iter().filter(|s| {
            let m = &s.meta;
            m.provider == provider
                && m.provider_subject.as_deref().is_none_or(|ps| ps == sub)
                && logout
                    .sid
                    .as_deref()
                    .is_none_or(|sid| m.provider_sid.as_deref() == Some(sid))
        }) {
            match self.inner.store.revoke_session(&subject, &session.id).await {
                Ok(true) => revoked += 1,
                Ok(false) => {}
                Err(e) => return self.store_unavailable(&e),
            }
        }
        tracing::info!(provider, revoked, "back-channel logout");
        logged_out()
    }

    fn store_unavailable(&self, e: &super::RotateError) -> Answer {
        tracing::error!(error = %e, "refresh store");
        self.reject(SignInError::Unavailable(
            "sessions are unavailable; retry later",
        ))
    }

    /// Where an RP-initiated logout sends the browser after the local logout, if the
    /// caller asked for it (`end_session=true`) and the session came from a provider with
    /// an `end_session_endpoint`: that endpoint with `client_id`, the sign-in's
    /// `id_token_hint` and `post_logout_redirect_uri` = the app's URL + `return_to`.
    /// `Err` for a `return_to` that is not a path on this site.
    pub(super) async fn end_session_url(
        &self,
        input: &LoginInput,
    ) -> Result<Option<String>, Answer> {
        if !matches!(input.param("end_session").as_deref(), Some("true" | "1")) {
            return Ok(None);
        }
        let return_to = input.param("return_to").unwrap_or_else(|| "/".into());
        if !is_local_path(&return_to) {
            return Err(self.reject(SignInError::BadRequest(
                "return_to must be a path on this site",
            )));
        }
        // The session's record, through its access token (its subject and `sid`).
        let Some(access) = &input.access else {
            return Ok(None);
        };
        #[derive(serde::Deserialize)]
        struct Sid {
            sid: Option<String>,
        }
        let Ok(claims) = self
            .inner
            .validator
            .verify_claims_now::<Sid>(access.expose_secret())
        else {
            return Ok(None);
        };
        let (Some(subject), Some(sid)) = (claims.registered.sub(), claims.custom.sid) else {
            return Ok(None);
        };
        let Ok(sessions) = self.inner.store.sessions(subject).await else {
            return Ok(None);
        };
        let Some(meta) = sessions.into_iter().find(|s| s.id == sid).map(|s| s.meta) else {
            return Ok(None);
        };
        let Some(p) = self.oidc(&meta.provider) else {
            return Ok(None);
        };
        let Some(endpoint) = &p.end_session_endpoint else {
            return Ok(None);
        };
        let Ok(mut url) = url::Url::parse(endpoint) else {
            return Ok(None);
        };
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", &p.client_id);
            if let Some(hint) = &meta.id_token {
                q.append_pair("id_token_hint", hint);
            }
            q.append_pair(
                "post_logout_redirect_uri",
                &format!("{}{return_to}", self.inner.base),
            );
        }
        Ok(Some(url.to_string()))
    }
}

fn logged_out() -> Answer {
    Answer {
        status: 200,
        headers: vec![("cache-control", "no-store".into())],
        body: None,
    }
}
