#![doc = include_str!("../README.md")]
//!
//! # Features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `test-util` | no | [`test_util`]: mint keys and tokens (valid or broken) in tests |
//! | `reqwest` | no | `remote::ReqwestFetch`: an outbound client (rustls) for JWKS and discovery |
//! | `tokio` | no | `remote::RemoteKeySet::spawn_refresher`: the background refresher on Tokio |
//! | `login` | no | `login`: sign-in with OpenID providers and app-issued sessions (implies `reqwest`, `tokio`) |
//! | `openapi` | no | `openapi`: OpenAPI security schemes and requirements from the validators, for `utoipa` |
//!
//! # Modules
//!
//! - [`apikey`]: API keys: format, hashing, stores, [`apikey::ApiKeyValidator`].
//! - `login` (feature `login`): sign-in routes' logic, sessions, refresh-token rotation.
//! - [`limit`]: per-key rate limits (API keys, sign-in clients).
//! - [`metadata`]: RFC 9728 protected-resource metadata, built from a validator.
//! - `openapi` (feature `openapi`): OpenAPI security schemes read off the validators, and
//!   each route's `security` from the requirement its guard checks.
//! - [`principal`]: routes that take a bearer token or an API key.
//! - [`remote`]: a provider's keys through OpenID discovery or a JWKS URL, behind a
//!   lock-free snapshot, refreshed in the background, under a strict fetch policy.
//! - [`request`]: the request view adapters implement.
//! - [`credential`]: where credentials are read from; strict `Authorization` parsing.
//! - `introspect` (feature `reqwest`): opaque access tokens through RFC 7662 introspection.
//! - [`guard`]: the decision shared by the route-group guards (layers, middleware).
//! - [`extract`]: the decision shared by the extractors (a credential in a handler).
//! - [`error`]: [`error::AuthError`] and its rendering (status, challenge, problem+json).
//! - [`jwt`]: validation, keys, claims, issuing.
//! - [`scope`]: scopes and scope requirements.
//! - [`telemetry`]: metrics (through the `metrics` facade) and their closed label set; the
//!   `auth` tracing span of each decision.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(clippy::missing_errors_doc)]

pub mod apikey;
pub mod clock;
pub mod credential;
pub mod error;
pub mod extract;
pub mod guard;
#[cfg(feature = "reqwest")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
pub mod introspect;
pub mod jwt;
pub mod limit;
#[cfg(feature = "login")]
#[cfg_attr(docsrs, doc(cfg(feature = "login")))]
pub mod login;
pub mod metadata;
#[cfg(feature = "openapi")]
#[cfg_attr(docsrs, doc(cfg(feature = "openapi")))]
pub mod openapi;
pub mod principal;
mod redact;
pub mod remote;
pub mod request;
pub mod scope;
pub mod telemetry;
#[cfg(feature = "test-util")]
#[cfg_attr(docsrs, doc(cfg(feature = "test-util")))]
pub mod test_util;
