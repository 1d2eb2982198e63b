//! The four sign-in routes: begin, callback, refresh and logout.

use std::{fmt, sync::Arc, time::Duration};

use cookie::Key;
use secrecy::ExposeSecret;
use serde_json::json;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::{
    Answer, CookieNames, LoginBuilder, LoginInput, RefreshHash, RefreshRecord, RefreshStore,
    RotateError, Rotation, SessionHook,
    cookies::secs,
    flow::{self, Flow, UsedStates},
    is_local_path,
    provider::Provider,
};
use crate::{error::SignInError, jwt::JwtIssuer, remote::ReqwestFetch};

pub(super) struct Inner {
    /// Sign-in requests per client address.
    pub(super) limiter: Option<crate::limit::Limiter<std::net::IpAddr>>,
    pub(super) base: String,
    /// The cross-site check: the app's origin, and trusted origins.
    pub(super) site: crate::credential::SiteCheck,
    pub(super) secure: bool,
    pub(super) key: Key,
    /// Keys of earlier cookie secrets: flow cookies they sealed still open (a deploy that
    /// rotates the secret does not break sign-ins in progress).
    pub(super) previous_keys: Vec<Key>,
    pub(super) providers: Vec<Provider>,
    pub(super) issuer: JwtIssuer,
    pub(super) store: Arc<dyn RefreshStore>,
    pub(super) sign_out_store: Arc<dyn super::SignOutStore>,
    /// Verifies the sessions' own access tokens (the sessions routes' credential).
    pub(super) validator: crate::jwt::JwtValidator,
    pub(super) hook: Arc<SessionHook>,
    pub(super) used: UsedStates,
    /// Back-channel logout tokens already used (`jti`), until their `exp`.
    pub(super) used_logouts: UsedStates,
    /// The provider's `sub` → the app's session subject (back-channel logout).
    pub(super) provider_subjects: Arc<super::builder::ProviderSubjects>,
    pub(super) refresh_ttl: Duration,
    pub(super) refresh_grace: Duration,
    pub(super) session_lifetime: Duration,
    pub(super) flow_ttl: Duration,
    pub(super) names: CookieNames,
    pub(super) fetch: Arc<ReqwestFetch>,
    /// Renders every error answer, as the app's validators do.
    pub(super) renderer: crate::error::Renderer,
}

/// The sign-in routes' logic, shared by the adapters; cheap to clone.
#[derive(Clone)]
pub struct Login {
    pub(super) inner: Arc<Inner>,
}

impl fmt::Debug for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Login")
            .field("base", &self.inner.base)
            .field("secure", &self.inner.secure)
            .field(
                "providers",
                &self
                    .inner
                    .providers
                    .iter()
                    .map(Provider::name)
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Login {
    /// Start configuring: the app's external base URL (redirect URIs are
    /// `{public_url}/auth/{provider}/callback`) and the issuer of its session tokens.
    pub fn builder(public_url: impl Into<String>, sessions: JwtIssuer) -> LoginBuilder {
        LoginBuilder::new(public_url.into(), sessions)
    }

    /// The cookie names; give `session` to the validator as a
    /// [`TokenSource::Cookie`](crate::credential::TokenSource::Cookie).
    pub fn cookie_names(&self) -> &CookieNames {
        &self.inner.names
    }

    /// The sign-out epochs to give the app's validators
    /// ([`JwtValidatorBuilder::sign_outs`](crate::jwt::JwtValidatorBuilder::sign_outs)), so
    /// that `POST /auth/logout-all` ends the access tokens already issued.
    pub fn sign_outs(&self) -> Arc<crate::jwt::SignOuts> {
        self.inner.sign_out_store.sign_outs()
    }

    /// The session cookie's name.
    pub fn session_cookie(&self) -> &str {
        &self.inner.names.session
    }

    /// The providers' names.
    pub fn providers(&self) -> impl Iterator<Item = &str> {
        self.inner.providers.iter().map(Provider::name)
    }

    /// The login URL of `provider`.
    pub fn login_url(&self, provider: &str) -> String {
        format!("{}/auth/{provider}/login", self.inner.base)
    }

    fn provider(&self, name: &str) -> Option<&Provider> {
        self.inner.providers.iter().find(|p| p.name() == name)
    }

    /// The answer for `error`, rendered by the app's renderer.
    pub(super) fn reject(&self, error: SignInError) -> Answer {
        self.reject_auth(&crate::error::AuthError::SignIn(error))
    }

    pub(super) fn reject_auth(&self, error: &crate::error::AuthError) -> Answer {
        Answer::rejected(self.inner.renderer.render(error))
    }

    /// 429 when `input`'s client is over the rate limit.
    async fn over_limit(&self, input: &LoginInput) -> Option<Answer> {
        let (limiter, client) = (self.inner.limiter.as_ref()?, input.client?);
        let wait = match limiter.check_now(&client) {
            Some(decided) => decided.err()?,
            None => limiter.check(&client).await.err()?,
        };
        tracing::info!("sign-in rate limit exceeded");
        Some(self.reject(SignInError::RateLimited(wait)))
    }

    /// `GET /auth/{provider}/login`.
    pub async fn begin(&self, provider: &str, input: &LoginInput) -> Answer {
        if let Some(answer) = self.over_limit(input).await {
            return answer;
        }
        let Some(p) = self.provider(provider) else {
            return self.reject(SignInError::UnknownProvider);
        };
        let return_to = input.param("return_to").unwrap_or_else(|| "/".into());
        if !is_local_path(&return_to) {
            return self.reject(SignInError::BadRequest(
                "return_to must be a path on this site",
            ));
        }
        let (Some(state), Some(nonce)) = (flow::random_token(32), flow::random_token(32)) else {
            return self.reject(SignInError::Unavailable("no randomness available"));
        };
        let nonce = if p.uses_nonce() { nonce } else { String::new() };
        let (challenge, verifier) = oauth2::PkceCodeChallenge::new_random_sha256();
        let ttl = i64::try_from(self.inner.flow_ttl.as_secs()).unwrap_or(600);
        let flow = Flow {
            p: provider.to_owned(),
            s: state.clone(),
            v: verifier.secret().clone(),
            n: nonce.clone(),
            r: return_to,
            e: crate::clock::now() + ttl,
        };
        let Some(sealed) = flow::seal(&flow, &self.inner.names.flow, &self.inner.key) else {
            return self.reject(SignInError::Unavailable("the sign-in could not be started"));
        };
        Answer::see_other(p.authorize_url(&state, challenge, &nonce)).with(
            "set-cookie",
            self.cookie_with(&self.inner.names.flow, &sealed, ttl, self.flow_same_site(p)),
        )
    }

    /// `GET /auth/{provider}/callback`, or `POST` with a form body (`response_mode=form_post`,
    /// when the provider is configured for it: [`OidcProvider::form_post`](super::OidcProvider::form_post)). The parameters
    /// are read from the query for a GET and from the body for a POST, never mixed.
    pub async fn callback(&self, provider: &str, input: &LoginInput) -> Answer {
        if let Some(answer) = self.over_limit(input).await {
            return answer;
        }
        let Some(p) = self.provider(provider) else {
            return self.reject(SignInError::UnknownProvider);
        };
        if input.form.is_some() && !p.form_post() {
            return self.reject(SignInError::BadRequest(
                "this provider answers by redirect, not by POST",
            ));
        }
        let (mut flow, code) = match self.check_flow(p, provider, input) {
            Ok(checked) => checked,
            Err(answer) => {
                crate::telemetry::sign_in("invalid");
                return answer;
            }
        };
        let identity = match p
            .finish(
                &self.inner.fetch,
                code,
                std::mem::take(&mut flow.v),
                &flow.n,
            )
            .await
        {
            Ok(identity) => identity,
            Err(e) => {
                crate::telemetry::sign_in("failed");
                tracing::warn!(provider, error = %e, "sign-in failed");
                return self.reject(SignInError::BadRequest(
                    "the sign-in could not be completed",
                ));
            }
        };
        let grant = match (self.inner.hook)(&identity) {
            Ok(grant) => grant,
            Err(reason) => {
                crate::telemetry::sign_in("refused");
                tracing::info!(provider, "sign-in refused by the application");
                return self.reject(SignInError::Refused(reason));
            }
        };
        let Some(family) = flow::random_token(16) else {
            return self.reject(SignInError::Unavailable("no randomness available"));
        };
        let mut meta = super::SessionMeta::new(provider, crate::clock::now()).client(
            input.user_agent.clone(),
            input.client.map(|a| a.to_string()),
        );
        // What a logout that starts at the provider names, or one that ends there needs.
        meta.provider_subject = Some(identity.subject.clone());
        meta.provider_sid = identity
            .claims
            .get("sid")
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned);
        meta.id_token = identity.id_token.as_ref().map(|t| t.0.clone());
        let started = self.start_session(grant, family, meta).await;
        crate::telemetry::sign_in(if started.is_ok() { "ok" } else { "failed" });
        match started {
            Ok(cookies) => cookies
                .into_iter()
                .fold(Answer::see_other(std::mem::take(&mut flow.r)), |a, c| {
                    a.with("set-cookie", c)
                })
                .with(
                    "set-cookie",
                    self.cookie_with(&self.inner.names.flow, "", 0, self.flow_same_site(p)),
                ),
            Err(answer) => answer,
        }
    }

    /// The flow checks of a callback, before any call to the provider: the flow and the
    /// code. The `state` is consumed only when everything else is in order, so a forged
    /// or broken callback cannot spend a genuine login.
    fn check_flow(
        &self,
        p: &Provider,
        provider: &str,
        input: &LoginInput,
    ) -> Result<(Flow, String), Answer> {
        let bad = |detail| Err(self.reject(SignInError::BadRequest(detail)));
        let Some(sealed) = &input.flow else {
            return bad("no sign-in in progress (the flow cookie is missing)");
        };
        let name = &self.inner.names.flow;
        let opened = std::iter::once(&self.inner.key)
            .chain(&self.inner.previous_keys)
            .find_map(|key| flow::open(sealed, name, key));
        let Some(flow) = opened else {
            return bad("the flow cookie is not valid");
        };
        if flow.p != provider {
            return bad("the callback is not for the provider the sign-in started with");
        }
        if crate::clock::now() >= flow.e {
            return bad("the sign-in took too long; start again");
        }
        if let Some(error) = input.param("error") {
            // Only the code, and only if it looks like one: nothing else is echoed.
            let code = if error.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                && error.len() <= 64
            {
                error
            } else {
                "error".into()
            };
            tracing::info!(provider, error = %code, "the provider refused the sign-in");
            return bad("the provider did not complete the sign-in");
        }
        let state = input.param("state").unwrap_or_default();
        if state.is_empty() || !bool::from(state.as_bytes().ct_eq(flow.s.as_bytes())) {
            return bad("the state does not match this sign-in");
        }
        let (issuer, iss_required) = p.issuer();
        match input.param("iss") {
            Some(iss) if Some(iss.as_str()) != issuer => {
                return bad("the response comes from another issuer");
            }
            None if iss_required => return bad("the response lacks its issuer"),
            _ => {}
        }
        let Some(code) = input.param("code").filter(|c| !c.is_empty()) else {
            return bad("the callback has no code");
        };
        if !self.inner.used.first_use(&flow.s, flow.e) {
            return bad("this sign-in response was already used");
        }
        Ok((flow, code))
    }

    /// Mint the access token and a refresh token of a new family; the two cookies.
    async fn start_session(
        &self,
        grant: super::SessionGrant,
        family: String,
        meta: super::SessionMeta,
    ) -> Result<[String; 2], Answer> {
        let Some(refresh) = flow::random_token(32) else {
            return Err(self.reject(SignInError::Unavailable("no randomness available")));
        };
        let now = crate::clock::now();
        let session_expires = now.saturating_add(secs(self.inner.session_lifetime));
        let record = RefreshRecord::new(
            family,
            grant,
            now.saturating_add(self.refresh_secs()).min(session_expires),
            session_expires,
        )
        .with_meta(meta);
        let access = self.mint(&record)?;
        let expires = record.expires;
        if let Err(e) = self
            .inner
            .store
            .insert(RefreshHash::of(&refresh), record)
            .await
        {
            tracing::error!(error = %e, "refresh store");
            return Err(self.reject(SignInError::Unavailable(
                "sessions are unavailable; retry later",
            )));
        }
        Ok(self.session_cookies(&access, &refresh, expires - now))
    }

    /// The access token of the session `record` belongs to: its grant, `sid` = the
    /// session's id, and an `iat` no earlier than the subject's sign-out epoch (a sign-in
    /// in the same second as a "sign out everywhere" is not refused).
    fn mint(&self, record: &RefreshRecord) -> Result<String, Answer> {
        let grant = &record.grant;
        let scopes: Vec<&str> = grant.scopes.iter().map(String::as_str).collect();
        let mut claims = grant.claims.clone();
        claims.insert("sid".into(), json!(record.family));
        let now = crate::clock::now();
        let iat = self
            .inner
            .sign_out_store
            .sign_outs()
            .epoch(&grant.subject)
            .map_or(now, |epoch| epoch.max(now));
        self.inner
            .issuer
            .issue_at(&grant.subject, &scopes, &claims, iat)
            .map_err(|e| match e {
                crate::jwt::IssueError::ReservedClaim(_) => {
                    // The app's hook put a registered or scope claim among the grant's
                    // claims: a server bug, refused rather than merged.
                    tracing::error!(error = %e, "the sign-in hook's grant cannot be issued");
                    self.reject(SignInError::Misconfigured)
                }
                _ => self.reject(SignInError::Unavailable("the session could not be issued")),
            })
    }

    /// Refuse cookie-authenticated requests from other sites.
    pub(super) fn same_site(&self, input: &LoginInput) -> Result<(), Answer> {
        if self.inner.site.is_cross_site(
            input.origin.as_deref(),
            input.sec_fetch_site.as_deref(),
            None,
        ) {
            return Err(self.reject_auth(&crate::error::AuthError::CrossSite));
        }
        Ok(())
    }

    /// `POST /auth/refresh`.
    pub async fn refresh(&self, input: &LoginInput) -> Answer {
        if let Err(answer) = self.same_site(input) {
            return answer;
        }
        if let Some(answer) = self.over_limit(input).await {
            return answer;
        }
        let unauthorized = |detail| self.reject(SignInError::Session(detail));
        let Some(old) = &input.refresh else {
            return unauthorized("no refresh token");
        };
        let Some(new) = flow::random_token(32).map(Zeroizing::new) else {
            return self.reject(SignInError::Unavailable("no randomness available"));
        };
        let now = crate::clock::now();
        let expires = now.saturating_add(self.refresh_secs());
        match self
            .inner
            .store
            .rotate(
                &RefreshHash::of(old.expose_secret()),
                Rotation {
                    new: RefreshHash::of(&new),
                    expires,
                    grace: secs(self.inner.refresh_grace),
                },
            )
            .await
        {
            Ok(record) => match self.mint(&record) {
                Ok(access) => {
                    crate::telemetry::refresh("ok");
                    let body = json!({
                        "access_token": access,
                        "token_type": "Bearer",
                        "expires_in": self.access_secs(),
                    });
                    self.session_cookies(&access, &new, record.expires - now)
                        .into_iter()
                        .fold(Answer::json(200, body), |a, c| a.with("set-cookie", c))
                }
                Err(answer) => answer,
            },
            Err(RotateError::Store(e)) => {
                crate::telemetry::refresh("unavailable");
                tracing::error!(error = %e, "refresh store");
                self.reject(SignInError::Unavailable(
                    "sessions are unavailable; retry later",
                ))
            }
            Err(e) => {
                crate::telemetry::refresh(if matches!(e, RotateError::Reused) {
                    "reuse"
                } else {
                    "invalid"
                });
                tracing::info!(reason = %e, "refresh refused");
                self.clear_session(unauthorized("the refresh token is not valid"))
            }
        }
    }

    /// `POST /auth/logout`: revokes the session's refresh family and clears the cookies:
    /// 204. With `end_session=true` (query or form) and a session from an OpenID provider
    /// that has an `end_session_endpoint`, 303 there instead (RP-initiated logout, with
    /// the sign-in's `id_token_hint` and `post_logout_redirect_uri` = the app's URL +
    /// `return_to`, a path on this site checked as at login), so the provider's session
    /// ends too.
    pub async fn logout(&self, input: &LoginInput) -> Answer {
        if let Err(answer) = self.same_site(input) {
            return answer;
        }
        let end_session = match self.end_session_url(input).await {
            Ok(url) => url,
            Err(answer) => return answer,
        };
        if let Some(token) = &input.refresh
            && let Err(e) = self
                .inner
                .store
                .revoke_family(&RefreshHash::of(token.expose_secret()))
                .await
        {
            tracing::error!(error = %e, "refresh store");
            return self.reject(SignInError::Unavailable(
                "sessions are unavailable; retry later",
            ));
        }
        match end_session {
            Some(url) => {
                self.clear_session(Answer::see_other(url).with("cache-control", "no-store".into()))
            }
            None => self.clear_session(Answer {
                status: 204,
                headers: vec![("cache-control", "no-store".into())],
                body: None,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::{Algorithm, SigningKey};
    use crate::login::{LoginError, oidc};

    /// The redirect of `answer`, parsed.
    fn location_of(answer: &Answer) -> Result<url::Url, Box<dyn std::error::Error>> {
        let location = answer
            .headers
            .iter()
            .find(|(k, _)| *k == "location")
            .ok_or("no location")?;
        Ok(url::Url::parse(&location.1)?)
    }

    fn builder(url: &str) -> Result<LoginBuilder, Box<dyn std::error::Error>> {
        let key = SigningKey::hmac(Algorithm::HS256, b"0123456789abcdefghijklmnopqrstuv")?;
        let op = SigningKey::generate(Algorithm::RS256)?;
        Ok(Login::builder(url, JwtIssuer::new(key, "app", "app"))
            .provider(oidc::tests::config(&op)?))
    }

    #[tokio::test]
    async fn https_cookies_and_the_authorization_request() -> Result<(), Box<dyn std::error::Error>>
    {
        let login = builder("https://app.test")?.build()?;
        assert_eq!(login.session_cookie(), "__Host-auth-session");
        let answer = login.begin("op", &LoginInput::default()).await;
        assert_eq!(answer.status, 303);
        let cookie = answer.set_cookies().next().unwrap_or_default().to_owned();
        assert!(cookie.starts_with("__Host-auth-flow="), "{cookie}");
        for attr in [
            "Secure",
            "HttpOnly",
            "SameSite=Lax",
            "Path=/",
            "Max-Age=600",
        ] {
            assert!(cookie.contains(attr), "{attr} in {cookie}");
        }
        assert!(!cookie.contains("Domain"), "{cookie}");
        let location = location_of(&answer)?;
        let q = |k: &str| {
            location
                .query_pairs()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.into_owned())
        };
        assert_eq!(q("response_type").as_deref(), Some("code"));
        assert_eq!(q("code_challenge_method").as_deref(), Some("S256"));
        assert_eq!(q("code_challenge").map(|c| c.len()), Some(43));
        assert_eq!(
            q("redirect_uri").as_deref(),
            Some("https://app.test/auth/op/callback")
        );
        assert_eq!(q("state").map(|s| s.len()), Some(43));
        assert_eq!(q("nonce").map(|s| s.len()), Some(43));
        assert!(q("scope").is_some_and(|s| s.split(' ').any(|x| x == "openid")));
        Ok(())
    }

    #[tokio::test]
    async fn form_post_flows_survive_a_cross_site_post() -> Result<(), Box<dyn std::error::Error>> {
        let key = SigningKey::hmac(Algorithm::HS256, b"0123456789abcdefghijklmnopqrstuv")?;
        let op = SigningKey::generate(Algorithm::RS256)?;
        let provider = oidc::tests::config(&op)?.form_post();
        let login = Login::builder("https://app.test", JwtIssuer::new(key, "app", "app"))
            .provider(provider)
            .build()?;
        let answer = login.begin("op", &LoginInput::default()).await;
        let cookie = answer.set_cookies().next().unwrap_or_default().to_owned();
        assert!(
            cookie.contains("SameSite=None") && cookie.contains("Secure"),
            "{cookie}"
        );
        // A query-mode provider takes no POSTed response.
        let plain = builder("https://app.test")?.build()?;
        let posted = LoginInput::default().with_form(b"code=c&state=s");
        assert_eq!(plain.callback("op", &posted).await.status, 400);
        Ok(())
    }

    /// Issue 10, item 3: one response type. The app's renderer shapes the sign-in routes'
    /// errors as it shapes the guards' (and keeps the status, challenge and `Retry-After`).
    #[tokio::test]
    async fn sign_in_errors_go_through_the_apps_renderer() -> Result<(), Box<dyn std::error::Error>>
    {
        use crate::error::{AuthError, Rejection, Renderer, problem_json};
        let hook = |e: &AuthError, realm: Option<&str>| Rejection {
            content_type: "application/vnd.app+json".into(),
            body: format!(r#"{{"message":"{}"}}"#, e.description()),
            ..problem_json(e, realm)
        };
        let login = builder("https://app.test")?
            .renderer(Renderer::new(Some("app")).with_custom(hook))
            .build()?;
        let unknown = login.begin("nope", &LoginInput::default()).await;
        assert_eq!(unknown.status, 404);
        assert_eq!(
            unknown.body,
            Some((
                "application/vnd.app+json".to_owned(),
                r#"{"message":"no such sign-in provider"}"#.to_owned()
            ))
        );
        let refresh = login.refresh(&LoginInput::default()).await;
        assert_eq!(refresh.status, 401);
        assert!(refresh.headers.contains(&(
            "www-authenticate",
            r#"Bearer realm="app", error="invalid_token""#.to_owned()
        )));
        assert!(refresh.headers.iter().any(|(k, _)| *k == "cache-control"));
        // Without a renderer: problem+json, as before.
        let plain = builder("https://app.test")?.build()?;
        let body = plain.begin("nope", &LoginInput::default()).await.body;
        assert_eq!(
            body.map(|(kind, _)| kind).as_deref(),
            Some("application/problem+json")
        );
        Ok(())
    }

    /// Issue 12, item 4: a deploy that rotates the cookie secret keeps the sign-ins in
    /// progress: flow cookies sealed with the previous secret still open; without it they
    /// would not.
    #[tokio::test]
    async fn flow_cookies_survive_a_rotated_cookie_secret() -> Result<(), Box<dyn std::error::Error>>
    {
        const OLD: &[u8] = b"the cookie secret before the deploy!!";
        const NEW: &[u8] = b"the cookie secret after the deploy!!!";
        let old = builder("https://app.test")?.cookie_secret(OLD).build()?;
        let rotated = builder("https://app.test")?
            .cookie_secret(NEW)
            .previous_cookie_secret(OLD)
            .build()?;
        let forgot = builder("https://app.test")?.cookie_secret(NEW).build()?;
        for _ in 0..20 {
            let begun = old.begin("op", &LoginInput::default()).await;
            let cookie = begun.set_cookies().next().unwrap_or_default().to_owned();
            let sealed = cookie
                .split(';')
                .next()
                .and_then(|pair| pair.split_once('='))
                .map(|(_, v)| v.to_owned())
                .ok_or("no flow cookie")?;
            let location = location_of(&begun)?;
            let state = location
                .query_pairs()
                .find(|(k, _)| k == "state")
                .map(|(_, v)| v.into_owned())
                .ok_or("no state")?;
            // Sent back without the provider's `iss` and code: the flow cookie and the state
            // are checked first, so the answer says which check failed.
            let back = LoginInput {
                flow: Some(sealed),
                query: Some(format!("state={state}")),
                ..LoginInput::default()
            };
            let detail = |a: Answer| a.body.map(|(_, b)| b).unwrap_or_default();
            let after = detail(rotated.callback("op", &back).await);
            assert!(after.contains("lacks its issuer"), "{after}");
            let without = detail(forgot.callback("op", &back).await);
            assert!(without.contains("flow cookie is not valid"), "{without}");
        }
        // New flows are sealed with the new secret only.
        let begun = rotated.begin("op", &LoginInput::default()).await;
        let sealed = begun
            .set_cookies()
            .next()
            .and_then(|c| c.split(';').next())
            .and_then(|p| p.split_once('='))
            .map(|(_, v)| v.to_owned())
            .ok_or("no flow cookie")?;
        let back = LoginInput {
            flow: Some(sealed),
            ..LoginInput::default()
        };
        let answer = old.callback("op", &back).await;
        let text = answer.body.map(|(_, b)| b).unwrap_or_default();
        assert!(text.contains("flow cookie is not valid"), "{text}");
        Ok(())
    }

    #[test]
    fn configuration_errors() -> Result<(), Box<dyn std::error::Error>> {
        assert!(matches!(
            builder("http://app.test")?.build(),
            Err(LoginError::InsecureHttp)
        ));
        assert!(
            builder("http://app.test")?
                .allow_insecure_http()
                .build()
                .is_ok()
        );
        assert!(matches!(
            builder("not a url")?.build(),
            Err(LoginError::PublicUrl)
        ));
        assert!(matches!(
            builder("https://app.test")?
                .cookie_secret(&b"short"[..])
                .build(),
            Err(LoginError::CookieSecret)
        ));
        let key = SigningKey::generate(Algorithm::RS256)?;
        let twice = builder("https://app.test")?.provider(oidc::tests::config(&key)?);
        assert!(matches!(twice.build(), Err(LoginError::ProviderName)));
        Ok(())
    }

    /// The app's refresh store is the one sessions live in: a token it holds refreshes.
    #[tokio::test]
    async fn sessions_live_in_the_apps_refresh_store() -> Result<(), Box<dyn std::error::Error>> {
        let store = Arc::new(crate::login::MemoryRefreshStore::default());
        let login = builder("https://app.test")?
            .refresh_store(store.clone())
            .build()?;
        let input = LoginInput {
            refresh: Some("a-refresh-token-the-store-holds".to_owned().into()),
            ..LoginInput::default()
        };
        assert_eq!(
            login.refresh(&input).await.status,
            401,
            "not in the store yet"
        );
        let now = crate::clock::now();
        store
            .insert(
                RefreshHash::of("a-refresh-token-the-store-holds"),
                RefreshRecord::new(
                    "f",
                    crate::login::SessionGrant::new("user-1"),
                    now + 3600,
                    now + 7200,
                ),
            )
            .await?;
        assert_eq!(login.refresh(&input).await.status, 200);
        Ok(())
    }

    #[tokio::test]
    async fn cookie_posts_from_other_sites_are_refused() -> Result<(), Box<dyn std::error::Error>> {
        let login = builder("https://app.test")?.build()?;
        let input = |origin: Option<&str>, site: Option<&str>| LoginInput {
            origin: origin.map(str::to_owned),
            sec_fetch_site: site.map(str::to_owned),
            ..LoginInput::default()
        };
        for (origin, site) in [
            (Some("https://evil.test"), None),
            (Some("http://app.test"), None),
            (Some("null"), None),
            (None, Some("cross-site")),
            (None, Some("same-site")),
        ] {
            assert_eq!(
                login.refresh(&input(origin, site)).await.status,
                403,
                "{origin:?} {site:?}"
            );
            assert_eq!(
                login.logout(&input(origin, site)).await.status,
                403,
                "{origin:?} {site:?}"
            );
        }
        // A trusted origin passes, even marked cross-site (401: no refresh token).
        let two = builder("https://app.test")?
            .trusted_origin("https://admin.test")
            .build()?;
        let trusted = input(Some("https://admin.test"), Some("cross-site"));
        assert_eq!(two.refresh(&trusted).await.status, 401);
        assert_eq!(two.logout_all(&trusted).await.status, 401);
        assert_eq!(
            two.refresh(&input(Some("https://evil.test"), None))
                .await
                .status,
            403
        );
        // Same origin, or neither header (curl): the check passes (401: no refresh token).
        for (origin, site) in [
            (Some("https://app.test"), Some("same-origin")),
            (None, Some("none")),
            (None, None),
        ] {
            assert_eq!(login.refresh(&input(origin, site)).await.status, 401);
            assert_eq!(login.logout(&input(origin, site)).await.status, 204);
        }
        Ok(())
    }
}
