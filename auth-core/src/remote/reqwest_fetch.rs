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
    #[cfg(feature = "login")]
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
