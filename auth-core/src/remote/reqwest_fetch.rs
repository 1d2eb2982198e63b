//! [`Fetch`] on reqwest (rustls with aws-lc-rs): no redirects, a timeout, a body cap.

use super::fetch::{Fetch, FetchError, FetchPolicy, FetchResponse, check_url, max_age};

/// The ready [`Fetch`]: one reqwest client configured by a [`FetchPolicy`].
#[derive(Debug, Clone)]
pub struct ReqwestFetch {
    client: reqwest::Client,
    policy: FetchPolicy,
}

impl ReqwestFetch {
    /// A client obeying `policy`.
    pub fn new(policy: FetchPolicy) -> Result<Self, FetchError> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(policy.timeout)
            .connect_timeout(policy.timeout)
            .build()
            .map_err(|e| FetchError::Transport(e.to_string()))?;
        Ok(ReqwestFetch { client, policy })
    }
}

fn transport(e: reqwest::Error) -> FetchError {
    if e.is_timeout() {
        FetchError::Timeout
    } else {
        FetchError::Transport(e.to_string())
    }
}

#[async_trait::async_trait]
impl Fetch for ReqwestFetch {
    async fn get(&self, url: &str) -> Result<FetchResponse, FetchError> {
        let url = check_url(url, &self.policy)?;
        let mut response = self.client.get(url).send().await.map_err(transport)?;
        if response.status().as_u16() != 200 {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        if response
            .content_length()
            .is_some_and(|n| n > self.policy.max_body as u64)
        {
            return Err(FetchError::TooLarge(self.policy.max_body));
        }
        let max_age = response
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .and_then(max_age);
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > self.policy.max_body {
                return Err(FetchError::TooLarge(self.policy.max_body));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(FetchResponse { body, max_age })
    }
}
