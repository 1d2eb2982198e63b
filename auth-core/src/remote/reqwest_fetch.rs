//! [`Fetch`] on reqwest (rustls with aws-lc-rs): no redirects, no proxy from the
//! environment, a timeout, a body cap, and (with [`FetchPolicy::public_only`]) a resolver
//! that hands the connector only the public addresses of a name.

use std::{error::Error as _, sync::Arc};

use super::fetch::{Fetch, FetchError, FetchPolicy, FetchResponse, NOT_PUBLIC, check_url, max_age};

/// Resolves names with the system resolver (through Tokio) and keeps only the addresses
/// the policy allows; a name with none left fails to resolve, so no connection is made.
/// Checking after resolution, in the connector's own resolver, leaves no gap between the
/// check and the connection for a DNS answer to change.
struct PolicyResolver {
    policy: FetchPolicy,
}

/// A name resolved only to addresses the policy refuses.
#[derive(Debug, thiserror::Error)]
#[error("{NOT_PUBLIC}")]
struct NotPublic;

impl reqwest::dns::Resolve for PolicyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let allowed: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| policy.allows_destination(a.ip()))
                .collect();
            if allowed.is_empty() {
                return Err(Box::new(NotPublic) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// The ready [`Fetch`]: one reqwest client configured by a [`FetchPolicy`].
#[derive(Debug, Clone)]
pub struct ReqwestFetch {
    client: reqwest::Client,
    policy: FetchPolicy,
}

impl ReqwestFetch {
    /// A client obeying `policy`.
    ///
    /// # Errors
    ///
    /// [`FetchError`] when the HTTP client cannot be built (TLS set-up).
    pub fn new(policy: FetchPolicy) -> Result<Self, FetchError> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            // A proxy from the environment would resolve and reach destinations this
            // policy never sees.
            .no_proxy()
            .timeout(policy.timeout)
            .connect_timeout(policy.timeout);
        if policy.public_only {
            builder = builder.dns_resolver(Arc::new(PolicyResolver { policy }));
        }
        let client = builder
            .build()
            .map_err(|e| FetchError::Transport(e.to_string()))?;
        Ok(ReqwestFetch { client, policy })
    }
}

fn transport(e: reqwest::Error) -> FetchError {
    if e.is_timeout() {
        return FetchError::Timeout;
    }
    let mut source = e.source();
    while let Some(cause) = source {
        if cause.is::<NotPublic>() {
            return FetchError::Refused(NOT_PUBLIC);
        }
        source = cause.source();
    }
    FetchError::Transport(e.to_string())
}

impl ReqwestFetch {
    /// The body of `response`, failing past the policy's cap.
    async fn read_capped(&self, mut response: reqwest::Response) -> Result<Vec<u8>, FetchError> {
        if response
            .content_length()
            .is_some_and(|n| n > self.policy.max_body as u64)
        {
            return Err(FetchError::TooLarge(self.policy.max_body));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > self.policy.max_body {
                return Err(FetchError::TooLarge(self.policy.max_body));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Send `request` (any method: token and userinfo calls) under the policy: the URL is
    /// checked first, redirects are not followed (a 3xx comes back as it is), the body is
    /// capped. Any status is returned; the caller judges it.
    ///
    /// # Errors
    ///
    /// [`FetchError`] when the URL is refused by the policy, the connection fails or times
    /// out, or the body is over the cap.
    pub async fn send(
        &self,
        request: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, FetchError> {
        check_url(&request.uri().to_string(), &self.policy)?;
        let request = reqwest::Request::try_from(request)
            .map_err(|e| FetchError::Transport(e.to_string()))?;
        let response = self.client.execute(request).await.map_err(transport)?;
        let mut builder = http::Response::builder().status(response.status().as_u16());
        for (name, value) in response.headers() {
            builder = builder.header(name.as_str(), value.as_bytes());
        }
        let body = self.read_capped(response).await?;
        builder
            .body(body)
            .map_err(|e| FetchError::Transport(e.to_string()))
    }
}

#[async_trait::async_trait]
impl Fetch for ReqwestFetch {
    async fn get(&self, url: &str) -> Result<FetchResponse, FetchError> {
        let url = check_url(url, &self.policy)?;
        let response = self.client.get(url).send().await.map_err(transport)?;
        if response.status().as_u16() != 200 {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        let max_age = response
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .and_then(max_age);
        let body = self.read_capped(response).await?;
        Ok(FetchResponse { body, max_age })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Review item 11: under `public_only`, a name that resolves to a loopback or private
    /// address is refused after resolution, before any connection; without it, the
    /// connection is attempted.
    #[tokio::test]
    async fn review_11_names_resolving_to_non_public_addresses_are_refused() {
        // Nothing listens on port 1: an attempted connection fails with a transport error.
        let url = "https://localhost:1/jwks";
        let guarded = ReqwestFetch::new(FetchPolicy {
            public_only: true,
            ..FetchPolicy::default()
        });
        let open = ReqwestFetch::new(FetchPolicy::default());
        let (Ok(guarded), Ok(open)) = (guarded, open) else {
            panic!("clients");
        };
        assert_eq!(guarded.get(url).await, Err(FetchError::Refused(NOT_PUBLIC)));
        assert!(matches!(open.get(url).await, Err(FetchError::Transport(_))));
    }
}
