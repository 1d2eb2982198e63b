//! The rules of API keys, JWT and OAuth 2.0 / OpenID Connect, with no web framework.
//!
//! `auth-core` holds every rule of the toolkit; `auth-axum` and `auth-actix` are thin
//! adapters that read a request through [`request::RequestView`], call the core, and copy
//! its [`error::Rejection`] into their response type.
//!
//! ```
//! use auth_core::{
//!     jwt::{Algorithm, JwtIssuer, VerifyingKey, JwtValidator, SigningKey},
//!     request::StaticRequest,
//! };
//!
//! let secret = b"a 32-byte or longer random secret!!";
//! let validator = JwtValidator::builder()
//!     .key(VerifyingKey::hmac(Algorithm::HS256, secret)?)
//!     .issuer("my-app")
//!     .audience("my-app")
//!     .realm("my-app")
//!     .build()?;
//!
//! let issuer = JwtIssuer::new(SigningKey::hmac(Algorithm::HS256, secret)?, "my-app", "my-app");
//! let token = issuer.issue("user-1", &["admin"], &())?;
//!
//! let request = StaticRequest::new().header("authorization", format!("Bearer {token}"));
//! let jwt = validator.authenticate_now(&request)?.expect("a token was sent");
//! assert!(jwt.scopes().contains("admin"));
//!
//! // Every failure is an `AuthError` with its RFC 6750 rendering computed here.
//! let err = validator.authenticate_now(&StaticRequest::new().header("authorization", "Bearer"));
//! let rejection = validator.reject(&err.unwrap_err());
//! assert_eq!(rejection.status, 400);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `test-util` | no | [`test_util`]: mint keys and tokens (valid or broken) in tests |
//! | `reqwest` | no | `remote::ReqwestFetch`: an outbound client (rustls) for JWKS and discovery |
//! | `tokio` | no | `remote::RemoteKeySet::spawn_refresher`: the background refresher on Tokio |
//! | `login` | no | `login`: sign-in with OpenID providers and app-issued sessions (implies `reqwest`, `tokio`) |
//!
//! # Modules
//!
//! - [`apikey`]: API keys: format, hashing, stores, [`apikey::ApiKeyValidator`].
//! - `login` (feature `login`): sign-in routes' logic, sessions, refresh-token rotation.
//! - [`limit`]: per-key rate limits (API keys, sign-in clients).
//! - [`principal`]: routes that take a bearer token or an API key.
//! - [`remote`]: a provider's keys through OpenID discovery or a JWKS URL, behind a
//!   lock-free snapshot, refreshed in the background, under a strict fetch policy.
//! - [`request`]: the request view adapters implement.
//! - [`credential`]: where credentials are read from; strict `Authorization` parsing.
//! - [`guard`]: the decision shared by the route-group guards (layers, middleware).
//! - [`extract`]: the decision shared by the extractors (a credential in a handler).
//! - [`error`]: [`error::AuthError`] and its rendering (status, challenge, problem+json).
//! - [`jwt`]: validation, keys, claims, issuing.
//! - [`scope`]: scopes and scope requirements.

pub mod apikey;
pub mod clock;
pub mod credential;
pub mod error;
pub mod extract;
pub mod guard;
pub mod jwt;
pub mod limit;
#[cfg(feature = "login")]
pub mod login;
pub mod principal;
mod redact;
pub mod remote;
pub mod request;
pub mod scope;
#[cfg(feature = "test-util")]
pub mod test_util;
