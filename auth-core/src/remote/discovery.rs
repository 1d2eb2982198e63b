//! OpenID discovery and JWKS documents, fetched through a [`Fetch`].

use serde::Deserialize;

use super::fetch::{Fetch, FetchError};
use crate::jwt::{JwtKey, keys_from_jwks};

/// Why a provider's metadata or keys could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RemoteError {
    /// The fetch failed.
    #[error("fetching {url}: {source}")]
    Fetch {
        /// The URL.
        url: String,
        /// What failed.
        #[source]
        source: FetchError,
    },
    /// The document is not what it should be.
    #[error("{url}: {reason}")]
    Document {
        /// The URL.
        url: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The discovery document names another issuer (OpenID Connect Discovery §4.3).
    #[error("discovery for {configured} names another issuer")]
    IssuerMismatch {
        /// The issuer configured.
        configured: String,
    },
    /// A background task was asked for outside a Tokio runtime.
    #[error("no Tokio runtime to spawn the key set refresher on")]
    NoRuntime,
}

/// The parts of an OpenID provider's metadata this toolkit uses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct ProviderMetadata {
    /// The issuer, equal to the configured one.
    pub issuer: String,
    /// Where its signing keys are.
    pub jwks_uri: String,
    /// The authorization endpoint.
    pub authorization_endpoint: Option<String>,
    /// The token endpoint.
    pub token_endpoint: Option<String>,
    /// The userinfo endpoint.
    pub userinfo_endpoint: Option<String>,
    /// The algorithms the provider signs ID tokens with.
    #[serde(default)]
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// Whether authorization responses carry `iss` (RFC 9207).
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
}

/// Fetch `{issuer}/.well-known/openid-configuration` and check that it names `issuer`
/// exactly (no trailing-slash or case normalisation).
pub async fn discover(fetch: &dyn Fetch, issuer: &str) -> Result<ProviderMetadata, RemoteError> {
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let response = fetch.get(&url).await.map_err(|source| RemoteError::Fetch {
        url: url.clone(),
        source,
    })?;
    let metadata: ProviderMetadata =
        serde_json::from_slice(&response.body).map_err(|_| RemoteError::Document {
            url: url.clone(),
            reason: "not an OpenID provider metadata document",
        })?;
    if metadata.issuer != issuer {
        return Err(RemoteError::IssuerMismatch {
            configured: issuer.to_owned(),
        });
    }
    Ok(metadata)
}

/// Fetch a JWK Set and parse its usable keys (see [`keys_from_jwks`]); also the
/// `Cache-Control: max-age` the server sent.
pub async fn fetch_jwks(
    fetch: &dyn Fetch,
    url: &str,
) -> Result<(Vec<JwtKey>, Option<u64>), RemoteError> {
    let response = fetch.get(url).await.map_err(|source| RemoteError::Fetch {
        url: url.to_owned(),
        source,
    })?;
    let text = std::str::from_utf8(&response.body).map_err(|_| RemoteError::Document {
        url: url.to_owned(),
        reason: "not UTF-8",
    })?;
    let keys = keys_from_jwks(text).map_err(|_| RemoteError::Document {
        url: url.to_owned(),
        reason: "not a JWK Set",
    })?;
    Ok((keys, response.max_age))
}
