//! The sessions routes: a user's list of sessions, revoking one, and "sign out everywhere".

use secrecy::ExposeSecret;
use serde_json::json;

use super::{Answer, Login, LoginInput, RotateError, Session};
use crate::error::{AuthError, Scheme, SignInError};

/// Who calls a sessions route: the subject, and the session of the token presented.
struct Caller {
    subject: String,
    sid: Option<String>,
}

#[derive(serde::Deserialize)]
struct Sid {
    sid: Option<String>,
}

impl Login {
    /// The caller, by the session's access token (bearer or cookie); for an `unsafe`
    /// request with the cookie, the cross-site check first (403).
    fn caller(&self, input: &LoginInput, unsafe_method: bool) -> Result<Caller, Answer> {
        let Some(token) = &input.access else {
            return Err(self.reject_auth(&AuthError::MissingCredential(Scheme::Bearer)));
        };
        if unsafe_method && input.access_from_cookie {
            self.same_site(input)?;
        }
        let claims = self
            .inner
            .validator
            .verify_claims_now::<Sid>(token.expose_secret())
            .map_err(|e| {
                tracing::info!(reason = %e, "sessions route: session token refused");
                self.reject_auth(&AuthError::from(e))
            })?;
        let subject = claims
            .registered
            .sub()
            .map(str::to_owned)
            .ok_or_else(|| self.reject_auth(&AuthError::MissingCredential(Scheme::Bearer)))?;
        Ok(Caller {
            subject,
            sid: claims.custom.sid,
        })
    }

    fn store_failed(&self, e: &RotateError) -> Answer {
        tracing::error!(error = %e, "refresh store");
        self.reject(SignInError::Unavailable(
            "sessions are unavailable; retry later",
        ))
    }

    /// `GET /auth/sessions`: the caller's active sessions, newest first, each with `id`,
    /// `provider`, `created_at`, `last_used_at` (seconds since the epoch), `user_agent`,
    /// `address` and whether it is the `current` one; never a token.
    pub async fn sessions(&self, input: &LoginInput) -> Answer {
        let caller = match self.caller(input, false) {
            Ok(caller) => caller,
            Err(answer) => return answer,
        };
        let mut sessions = match self.inner.store.sessions(&caller.subject).await {
            Ok(sessions) => sessions,
            Err(e) => return self.store_failed(&e),
        };
        sessions.sort_by(|a, b| (b.meta.created_at, &b.id).cmp(&(a.meta.created_at, &a.id)));
        let list: Vec<_> = sessions
            .iter()
            .map(|s: &Session| {
                json!({
                    "id": s.id,
                    "provider": s.meta.provider,
                    "created_at": s.meta.created_at,
                    "last_used_at": s.last_used_at,
                    "user_agent": s.meta.user_agent,
                    "address": s.meta.address,
                    "current": caller.sid.as_deref() == Some(s.id.as_str()),
                })
            })
            .collect();
        let mut answer = Answer::json(200, json!({ "sessions": list }));
        answer.headers.push(("cache-control", "no-store".into()));
        answer
    }

    /// `DELETE /auth/sessions/{id}`: revoke one of the caller's sessions (its refresh
    /// token is refused from now on); 204, or 404 when `id` is not one of the caller's.
    /// Revoking the current session also clears its cookies.
    pub async fn revoke_session(&self, id: &str, input: &LoginInput) -> Answer {
        let caller = match self.caller(input, true) {
            Ok(caller) => caller,
            Err(answer) => return answer,
        };
        match self.inner.store.revoke_session(&caller.subject, id).await {
            Ok(true) => {
                tracing::info!("a session was revoked by its user");
                let done = no_content();
                if caller.sid.as_deref() == Some(id) {
                    self.clear_session(done)
                } else {
                    done
                }
            }
            Ok(false) => self.reject(SignInError::NoSuchSession),
            Err(e) => self.store_failed(&e),
        }
    }

    /// `POST /auth/logout-all`: revoke every session of the caller and refuse every access
    /// token of theirs issued before now, on every instance that shares the
    /// [`SignOutStore`](super::SignOutStore); 204, cookies cleared.
    pub async fn logout_all(&self, input: &LoginInput) -> Answer {
        let caller = match self.caller(input, true) {
            Ok(caller) => caller,
            Err(answer) => return answer,
        };
        // Families first: a refresh racing this cannot then mint a token after the epoch.
        let revoked = match self.inner.store.revoke_subject(&caller.subject).await {
            Ok(n) => n,
            Err(e) => return self.store_failed(&e),
        };
        // Tokens of this very second are refused too; the sign-in routes issue the next
        // ones with `iat` at the epoch.
        let epoch = crate::clock::now().saturating_add(1);
        if let Err(e) = self
            .inner
            .sign_out_store
            .sign_out(&caller.subject, epoch)
            .await
        {
            return self.store_failed(&e);
        }
        tracing::info!(sessions = revoked, "a user signed out everywhere");
        self.clear_session(no_content())
    }
}

fn no_content() -> Answer {
    Answer {
        status: 204,
        headers: vec![("cache-control", "no-store".into())],
        body: None,
    }
}
