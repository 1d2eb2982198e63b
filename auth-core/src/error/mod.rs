//! One error for the whole toolkit, and its framework-free rendering.
//!
//! Every rejection the toolkit makes is an [`AuthError`]. The RFC 6750 mapping
//! (`invalid_request` → 400, `invalid_token` → 401, `insufficient_scope` → 403) is data
//! here, computed once: adapters copy the resulting [`Rejection`] into their own response
//! type and add nothing. An app that wants its own body shape installs a
//! [`RenderRejection`] hook on its validator.
//!
//! # Security
//!
//! Descriptions are fixed strings chosen by the toolkit. Nothing a client sent (the token,
//! a key id from the token, a claim value) is ever copied into a challenge or a body. By
//! default the description is one generic text per error code
//! ([`description`](AuthError::description)): a client cannot tell an unknown key id from
//! a bad signature, a refused algorithm or an expired token, and so cannot map the
//! configuration. The reason ([`detail`](AuthError::detail)) goes to the logs (a `debug`
//! event per rejection); [`Renderer::with_detail`] puts it in responses too, for
//! development.

mod auth;
mod config;
mod kinds;
mod render;
mod sign_in;

pub use auth::AuthError;
pub use config::ConfigError;
pub use kinds::{DpopError, InvalidRequest, KeyError, Scheme, TokenError};
pub use render::{Rejection, RenderRejection, Renderer, problem_json, problem_json_with};
pub use sign_in::SignInError;
