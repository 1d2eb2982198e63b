//! Sign-in with an OpenID provider, and the app's own sessions (feature `login`).
//!
//! [`Login`] holds everything the sign-in and sessions routes need; the adapters mount them
//! (`auth_axum::login_routes`, `auth_actix::login_config`):
//!
//! | route | does |
//! |---|---|
//! | `GET /auth/{provider}/login?return_to=/path` | 303 to the provider with `state`, PKCE S256 and `nonce`, sealed with `return_to` into a short-lived encrypted, HttpOnly flow cookie |
//! | `GET /auth/{provider}/callback` | checks the flow cookie and `state` (constant time, once, within 10 minutes) and RFC 9207 `iss`, exchanges the code with the PKCE verifier, checks the ID token (keys, issuer, audience, `azp`, `nonce`, `at_hash`) and userinfo's `sub`; the app's hook turns the identity into a session; 303 to `return_to` with the session cookies |
//! | `POST /auth/refresh` | rotates the refresh token (a reused one revokes its family); 200 with a new access token |
//! | `POST /auth/logout` | revokes the refresh family, clears the cookies; 204 |
//! | `GET /auth/sessions` | the caller's sessions (by the session's access token, cookie or bearer): id, provider, times, user agent, address, which is current; never a token |
//! | `DELETE /auth/sessions/{id}` | revokes one of the caller's sessions; 204, or 404 when it is not theirs |
//! | `POST /auth/logout-all` | revokes every session of the caller and records a sign-out epoch ([`SignOutStore`]): validators built with [`Login::sign_outs`] refuse every access token of theirs issued before it; 204 |
//!
//! Sessions are the app's own: a short access JWT (default 15 minutes, minted by the app's
//! [`JwtIssuer`](crate::jwt::JwtIssuer), so a provider token never passes as a session) in an HttpOnly cookie that
//! `RequireJwt` reads when its validator lists [`Login::session_cookie`] as a token source,
//! and an opaque refresh token stored hashed ([`RefreshStore`]), rotated on every use; a
//! session ends at its absolute lifetime (default 30 days from sign-in), however often it
//! is refreshed. Cookies are `__Host-`,
//! `Secure`, `HttpOnly`, `SameSite=Lax`, `Path=/` on https; plain http needs
//! [`LoginBuilder::allow_insecure_http`] (development). The cookie-authenticated `POST`s
//! refuse cross-site requests (`Origin` other than the app's, or `Sec-Fetch-Site` other
//! than `same-origin`/`none`) with 403.

mod answer;
mod builder;
mod cookies;
mod flow;
mod github;
mod identity;
mod logout;
mod memory_store;
mod oidc;
mod provider;
mod routes;
mod sessions;
mod sign_out;
mod store;

pub use answer::{Answer, LoginInput};
pub use builder::{LoginBuilder, LoginError};
pub use cookies::CookieNames;
pub use flow::is_local_path;
pub use github::GitHubProvider;
pub use identity::{Identity, SessionGrant, SessionHook};
pub use memory_store::MemoryRefreshStore;
pub use oidc::OidcProvider;
pub use provider::{ProviderConfig, ProviderError};
pub use routes::Login;
pub use sign_out::{MemorySignOutStore, SignOutStore};
pub use store::{
    RefreshHash, RefreshRecord, RefreshStore, RotateError, Rotation, Session, SessionMeta,
};
