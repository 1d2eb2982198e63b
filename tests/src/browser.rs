//! A scripted browser for sign-in tests: one cookie jar for the app and the provider,
//! redirects followed by hand (so each hop can be checked), and the provider's development
//! login and consent forms filled in and submitted.

use reqwest::{StatusCode, Url};

/// A response, reduced to what the tests look at.
#[derive(Debug, Clone)]
pub struct Page {
    /// The URL requested.
    pub url: Url,
    /// The status.
    pub status: StatusCode,
    /// `Location`, resolved against `url`.
    pub location: Option<Url>,
    /// Every `Set-Cookie`.
    pub set_cookies: Vec<String>,
    /// `Retry-After`, if any.
    pub retry_after: Option<String>,
    /// The body.
    pub body: String,
}

/// A client with a cookie jar that follows no redirect by itself.
#[derive(Debug, Clone)]
pub struct Browser {
    client: reqwest::Client,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    /// A fresh browser (empty jar).
    pub fn new() -> Browser {
        Self::with_agent("auth-tests browser")
    }

    /// A fresh browser that sends `User-Agent: agent`.
    pub fn with_agent(agent: &str) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .user_agent(agent)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
        }
    }

    /// `method` `url` with the jar's cookies and `headers`, no body.
    pub async fn send(&self, method: reqwest::Method, url: &str, headers: &[(&str, &str)]) -> Page {
        let url = Url::parse(url).expect("URL");
        let mut request = self.client.request(method, url.clone());
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = request.send().await.expect("request");
        Self::page(url, response).await
    }

    async fn page(url: Url, response: reqwest::Response) -> Page {
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .and_then(|l| url.join(l).ok());
        let set_cookies = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.text().await.unwrap_or_default();
        Page {
            url,
            status,
            location,
            set_cookies,
            retry_after,
            body,
        }
    }

    /// GET `url`.
    pub async fn get(&self, url: &str) -> Page {
        let url = Url::parse(url).expect("URL");
        let response = self.client.get(url.clone()).send().await.expect("GET");
        Self::page(url, response).await
    }

    /// POST `form` to `url`, with `headers`.
    pub async fn post(
        &self,
        url: &str,
        form: &[(String, String)],
        headers: &[(&str, &str)],
    ) -> Page {
        let url = Url::parse(url).expect("URL");
        let mut request = self.client.post(url.clone()).form(form);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = request.send().await.expect("POST");
        Self::page(url, response).await
    }

    /// GET `url` with exactly this `Cookie` header (no jar): replays and forgeries.
    pub async fn get_with_cookie(&self, url: &str, cookie: &str) -> Page {
        Self::with_cookie(reqwest::Method::GET, url, cookie).await
    }

    /// POST (empty form) to `url` with exactly this `Cookie` header (no jar).
    pub async fn post_with_cookie(&self, url: &str, cookie: &str) -> Page {
        Self::with_cookie(reqwest::Method::POST, url, cookie).await
    }

    async fn with_cookie(method: reqwest::Method, url: &str, cookie: &str) -> Page {
        let url = Url::parse(url).expect("URL");
        let response = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
            .request(method, url.clone())
            .header("cookie", cookie)
            .send()
            .await
            .expect("request");
        Self::page(url, response).await
    }

    /// Follow redirects from `page` while they stay off `stop_at` (a URL prefix): returns
    /// the first page that is not a redirect, or the redirect that points at `stop_at`.
    pub async fn follow(&self, mut page: Page, stop_at: &str) -> Page {
        for _ in 0..20 {
            match &page.location {
                Some(next)
                    if page.status.is_redirection() && !next.as_str().starts_with(stop_at) =>
                {
                    page = self.get(next.as_str()).await;
                }
                _ => return page,
            }
        }
        panic!("too many redirects");
    }

    /// Sign in at the app's login URL through the provider's development interactions
    /// (login as `user`, then consent), stopping where the provider sends the browser back
    /// to `callback_prefix` (the app's callback URL): a redirect whose `location` is the
    /// callback with `code`, `state` and `iss`, or (`response_mode=form_post`) a page whose
    /// form posts them there. Also returns the app's first answer (which set the flow
    /// cookie).
    pub async fn authorize(
        &self,
        login_url: &str,
        user: &str,
        callback_prefix: &str,
    ) -> (Page, Page) {
        let start = self.get(login_url).await;
        assert_eq!(start.status, StatusCode::SEE_OTHER, "login: {}", start.body);
        let back = self.interact(start.clone(), user, callback_prefix).await;
        (start, back)
    }

    /// From `page` (a redirect into the provider, or its first page), go through the
    /// provider's development login (as `user`) and consent, and stop where it sends the
    /// browser to `callback_prefix`: a redirect there, or a page whose form posts there.
    pub async fn interact(&self, page: Page, user: &str, callback_prefix: &str) -> Page {
        let mut page = self.follow(page, callback_prefix).await;
        for _ in 0..4 {
            if page.status.is_redirection() {
                return page;
            }
            assert_eq!(page.status, StatusCode::OK, "provider page: {}", page.body);
            let (action, mut fields) = form(&page.body).expect("a form on the provider's page");
            let target = page.url.join(&action).expect("form action");
            if target.as_str().starts_with(callback_prefix) {
                return page;
            }
            for (name, value) in &mut fields {
                match name.as_str() {
                    "login" => *value = user.to_owned(),
                    "password" => *value = "any".to_owned(),
                    _ => {}
                }
            }
            let posted = self.post(target.as_str(), &fields, &[]).await;
            page = self.follow(posted, callback_prefix).await;
        }
        panic!("no way back to the app: {}", page.body);
    }

    /// End the browser's session at the provider: open `end_session_url` (its
    /// `end_session_endpoint`, with or without an app's parameters), confirm on the
    /// provider's page ("Yes, sign me out"), and follow redirects while they stay off
    /// `stop_at`. The provider sends its back-channel logouts before it answers.
    pub async fn end_provider_session(&self, end_session_url: &str, stop_at: &str) -> Page {
        let page = self.follow(self.get(end_session_url).await, stop_at).await;
        assert_eq!(page.status, StatusCode::OK, "end session: {}", page.body);
        let (action, mut fields) = form(&page.body).expect("the provider's logout form");
        fields.push(("logout".into(), "yes".into()));
        let target = page.url.join(&action).expect("form action");
        let posted = self.post(target.as_str(), &fields, &[]).await;
        self.follow(posted, stop_at).await
    }

    /// Go back into the app as the provider said: follow the redirect, or submit the
    /// `form_post` form. Returns the app's answer (a redirect to `return_to` with the
    /// session cookies, or an error).
    pub async fn callback(&self, back: &Page) -> Page {
        if let Some(url) = &back.location {
            return self.get(url.as_str()).await;
        }
        let (action, fields) = form(&back.body).expect("a form_post form");
        let target = back.url.join(&action).expect("form action");
        self.post(target.as_str(), &fields, &[]).await
    }
}

/// The first form of `html`: its action and its inputs (name, value).
pub fn form(html: &str) -> Option<(String, Vec<(String, String)>)> {
    let start = html.find("<form")?;
    let end = html[start..]
        .find("</form>")
        .map_or(html.len(), |e| start + e);
    let form = &html[start..end];
    let tag_end = form.find('>')?;
    let action = attribute(&form[..tag_end], "action")?;
    let mut fields = Vec::new();
    let mut rest = form;
    while let Some(i) = rest.find("<input") {
        let tag = &rest[i..];
        let close = tag.find('>').unwrap_or(tag.len());
        let tag = &tag[..close];
        if let Some(name) = attribute(tag, "name") {
            fields.push((name, attribute(tag, "value").unwrap_or_default()));
        }
        rest = &rest[i + close..];
    }
    Some((action, fields))
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let key = format!("{name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = tag[start..].find('"')? + start;
    Some(tag[start..end].replace("&amp;", "&"))
}

/// Query parameter `name` of `url`.
pub fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The value of cookie `name` among `set_cookies`.
pub fn cookie_value(set_cookies: &[String], name: &str) -> Option<String> {
    set_cookies.iter().find_map(|c| {
        let (pair, _) = c.split_once(';').unwrap_or((c, ""));
        let (k, v) = pair.split_once('=')?;
        (k.trim() == name).then(|| v.trim().to_owned())
    })
}
