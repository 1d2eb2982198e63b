//! OpenID discovery and JWKS documents, fetched through a [`Fetch`].

use serde::Deserialize;

use super::fetch::{Fetch, FetchError};
use crate::jwt::{VerifyingKey, keys_from_jwks};

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
    /// The token introspection endpoint (RFC 7662).
    pub introspection_endpoint: Option<String>,
    /// The RP-initiated logout endpoint (OpenID Connect RP-Initiated Logout 1.0).
    pub end_session_endpoint: Option<String>,
    /// The algorithms the provider signs ID tokens with.
    #[serde(default)]
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// Whether authorization responses carry `iss` (RFC 9207).
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
}

/// Fetch `{issuer}/.well-known/openid-configuration` and check that it names `issuer`
/// exactly (no trailing-slash or case normalisation), and that every endpoint it names
/// (`jwks_uri`, authorization, token, userinfo) is an https URL. Plain http passes only
/// when the issuer itself is plain http, which a fetch policy allows on loopback in
/// development only.
///
/// # Errors
///
/// [`RemoteError`] when the fetch fails, the document is not discovery metadata, names
/// another issuer, or an endpoint that is not https.
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
    let plain_http_issuer = issuer.starts_with("http://");
    let endpoints = [
        Some(&metadata.jwks_uri),
        metadata.authorization_endpoint.as_ref(),
        metadata.token_endpoint.as_ref(),
        metadata.userinfo_endpoint.as_ref(),
        metadata.introspection_endpoint.as_ref(),
        metadata.end_session_endpoint.as_ref(),
    ];
    for endpoint in endpoints.into_iter().flatten() {
        let scheme_ok = match url::Url::parse(endpoint) {
            Ok(u) => u.scheme() == "https" || (plain_http_issuer && u.scheme() == "http"),
            Err(_) => false,
        };
        if !scheme_ok {
            return Err(RemoteError::Document {
                url,
                reason: "the document names an endpoint that is not an https URL",
            });
        }
    }
    Ok(metadata)
}

/// Fetch a JWK Set and parse its usable keys (see [`keys_from_jwks`]); also the
/// `Cache-Control: max-age` the server sent.
///
/// # Errors
///
/// [`RemoteError`] when the fetch fails or the document is not a JWK Set.
pub async fn fetch_jwks(
    fetch: &dyn Fetch,
    url: &str,
) -> Result<(Vec<VerifyingKey>, Option<u64>), RemoteError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::FetchResponse;

    #[derive(Debug)]
    struct Doc(serde_json::Value);

    #[async_trait::async_trait]
    impl Fetch for Doc {
        async fn get(&self, _: &str) -> Result<FetchResponse, FetchError> {
            Ok(FetchResponse {
                body: self.0.to_string().into_bytes(),
                max_age: None,
            })
        }
    }

    /// Review item 11 (discovery): an endpoint that is not https is refused.
    #[tokio::test]
    async fn review_11_discovered_endpoints_must_be_https() {
        let issuer = "https://op.example";
        let doc = |field: &str, value: &str| {
            let mut d = serde_json::json!({
                "issuer": issuer,
                "jwks_uri": "https://keys.example/jwks",
                "authorization_endpoint": "https://op.example/auth",
                "token_endpoint": "https://op.example/token",
                "userinfo_endpoint": "https://op.example/me",
            });
            d[field] = value.into();
            Doc(d)
        };
        assert!(discover(&doc("issuer", issuer), issuer).await.is_ok());
        for field in [
            "jwks_uri",
            "authorization_endpoint",
            "token_endpoint",
            "userinfo_endpoint",
        ] {
            for bad in ["http://op.example/x", "ftp://op.example/x", "not a url"] {
                assert!(
                    matches!(
                        discover(&doc(field, bad), issuer).await,
                        Err(RemoteError::Document { .. })
                    ),
                    "{field} = {bad}"
                );
            }
        }
        // A plain-http issuer (development, on loopback) may name plain-http endpoints.
        let dev = "http://127.0.0.1:9400";
        let mut local = doc("jwks_uri", "http://127.0.0.1:9400/jwks").0;
        local["issuer"] = dev.into();
        assert!(discover(&Doc(local), dev).await.is_ok());
    }
}
