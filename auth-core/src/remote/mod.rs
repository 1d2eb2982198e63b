//! Keys and metadata from remote identity providers: the outbound HTTP policy ([`Fetch`],
//! [`FetchPolicy`]), OpenID discovery ([`discover`]) and JWK Sets ([`fetch_jwks`]).
//!
//! This is the fetching layer; keeping remote keys fresh on the request path (a lock-free
//! cache, background refresh, single-flight refetch on an unknown `kid`) builds on it.

mod discovery;
mod fetch;
#[cfg(feature = "reqwest")]
mod reqwest_fetch;

pub use discovery::{ProviderMetadata, RemoteError, discover, fetch_jwks};
pub use fetch::{Fetch, FetchError, FetchPolicy, FetchResponse, check_url, max_age};
#[cfg(feature = "reqwest")]
pub use reqwest_fetch::ReqwestFetch;
