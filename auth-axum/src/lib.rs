#![doc = include_str!("../README.md")]
//!
//! # What is here
//!
//! - [`RequireJwt<C>`]: verified [`Claims<C>`](auth_core::jwt::Claims), or a 400/401
//!   rejection; `Option<RequireJwt<C>>` and [`OptionalJwt<C>`] for optional tokens.
//! - [`ApiKey`]: a verified API key (id, name, scopes), sent in `X-API-Key`.
//! - [`AuthLayer`]: a tower layer for a whole route group: [`AuthLayer::jwt`] (a valid
//!   token) or [`AuthLayer::api_key`] (a valid API key), with optional scopes.
//! - [`Principal<C>`]: a route that takes a bearer token *or* an API key (a user or a
//!   service), neither guard rejecting the other.
//! - [`AuthRejection`]: the response; status, `WWW-Authenticate` and body come from the core
//!   unchanged, so axum and actix-web answer identically.
//! - `resource_metadata_routes` (feature `metadata`): the RFC 9728 document
//!   ([`ResourceMetadata`](auth_core::metadata::ResourceMetadata)) at its well-known path.
//! - `login_routes` (feature `login`): the sign-in routes of `auth_core::login` (OpenID,
//!   GitHub, Google; app-issued sessions with rotating refresh tokens).
//!
//! The validator is found through [`FromRef`](axum_core::extract::FromRef) on the router
//! state: use [`JwtValidator`](auth_core::jwt::JwtValidator) as the state, or a state struct
//! that derives `FromRef`.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(clippy::missing_errors_doc)]

mod apikey;
mod extract;
mod future;
mod guard;
mod jwt;
#[cfg(feature = "login")]
mod login;
#[cfg(feature = "metadata")]
mod metadata;
mod principal;
mod rejection;
mod view;

pub use apikey::ApiKey;
pub use future::ResponseFuture;
pub use guard::{AuthLayer, AuthService};
pub use jwt::{Authorized, OptionalJwt, RequireJwt};
#[cfg(feature = "login")]
#[cfg_attr(docsrs, doc(cfg(feature = "login")))]
pub use login::login_routes;
#[cfg(feature = "metadata")]
#[cfg_attr(docsrs, doc(cfg(feature = "metadata")))]
pub use metadata::resource_metadata_routes;
pub use principal::Principal;
pub use rejection::AuthRejection;
pub use view::HttpView;
