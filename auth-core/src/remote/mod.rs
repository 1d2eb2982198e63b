//! Keys and metadata from remote identity providers: the outbound HTTP policy ([`Fetch`],
//! [`FetchPolicy`]), OpenID discovery ([`discover`]) and JWK Sets ([`fetch_jwks`]).
//!
//! [`RemoteKeySet`] keeps a fetched key set behind a lock-free snapshot, with single-flight
//! refreshes, a cool-down for refetches caused by unknown key ids, a background refresher
//! and a stale limit. It is a [`KeySet`](crate::jwt::KeySet): give it to
//! [`JwtValidatorBuilder::remote_keys`](crate::jwt::JwtValidatorBuilder::remote_keys).

mod discovery;
mod fetch;
mod keyset;
mod policy;
mod refresher;
#[cfg(feature = "reqwest")]
mod reqwest_fetch;

pub use discovery::{ProviderMetadata, RemoteError, discover, fetch_jwks};
pub use fetch::{Fetch, FetchError, FetchPolicy, FetchResponse, check_url, max_age};
pub use keyset::{KeySnapshot, RefreshError, RemoteKeySet};
pub use policy::{KeySource, RefreshPolicy};
#[cfg(feature = "reqwest")]
#[cfg_attr(docsrs, doc(cfg(feature = "reqwest")))]
pub use reqwest_fetch::ReqwestFetch;
