#![doc = include_str!("../README.md")]
//!
//! # What is here
//!
//! - [`RequireJwt<C>`]: verified [`Claims<C>`](auth_core::jwt::Claims), or a 400/401
//!   rejection; [`OptionalJwt<C>`] for optional tokens (not actix's `Option<T>`, which
//!   hides invalid tokens).
//! - [`ApiKey`], [`OptionalApiKey`]: a verified API key (id, name, scopes), sent in
//!   `X-API-Key`.
//! - [`AuthMiddleware`]: middleware for a whole scope: [`AuthMiddleware::jwt`] (a valid
//!   token) or [`AuthMiddleware::api_key`] (a valid API key), with optional scopes.
//! - [`Principal<C>`]: a route that takes a bearer token *or* an API key (a user or a
//!   service), neither guard rejecting the other.
//! - [`AuthRejection`]: the response; status, `WWW-Authenticate` and body come from the core
//!   unchanged, so actix-web and axum answer identically.
//! - `login_config` (feature `login`): the sign-in routes of `auth_core::login` (OpenID,
//!   GitHub, Google; app-issued sessions with rotating refresh tokens).
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(clippy::missing_errors_doc)]

mod apikey;
mod extract;
mod guard;
mod jwt;
#[cfg(feature = "login")]
mod login;
mod metadata;
mod principal;
mod rejection;
mod view;

pub use apikey::{ApiKey, OptionalApiKey};
pub use guard::{AuthMiddleware, AuthMiddlewareService};
pub use jwt::{Authorized, OptionalJwt, RequireJwt};
#[cfg(feature = "login")]
#[cfg_attr(docsrs, doc(cfg(feature = "login")))]
pub use login::login_config;
pub use metadata::resource_metadata_config;
pub use principal::Principal;
pub use rejection::AuthRejection;
pub use view::ActixView;
