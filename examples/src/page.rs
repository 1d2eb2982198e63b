//! The sign-in page (`GET /`): plain HTML, a style sheet and a script, no build step. The
//! providers' buttons are rendered by the server; the script calls only the demo's own
//! routes (`/api/me`, `/auth/sessions`, `/auth/refresh`, `/auth/logout`,
//! `/auth/logout-all`), same-origin, so the cross-site rule those routes enforce applies
//! to it like to any other client. A strict `Content-Security-Policy` allows only this
//! script and style, by hash.

use std::sync::Arc;

use base64::Engine;

const HTML: &str = include_str!("page/page.html");
const SCRIPT: &str = include_str!("page/page.js");
const STYLE: &str = include_str!("page/page.css");

/// The rendered page and its `Content-Security-Policy`, built once at start.
#[derive(Debug, Clone)]
pub struct Page {
    /// The HTML (`text/html; charset=utf-8`).
    pub html: Arc<str>,
    /// The policy to send with it.
    pub csp: Arc<str>,
}

/// `&`, `<`, `>`, `"` and `'` escaped: a provider's name is configuration, still text.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn sha256(text: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
}

impl Page {
    /// The page for `framework` (shown under the title) with a button for each of
    /// `providers`.
    pub fn new<'a>(framework: &str, providers: impl IntoIterator<Item = &'a str>) -> Page {
        let buttons: Vec<String> = providers
            .into_iter()
            .map(|p| {
                let p = escape(p);
                format!(
                    "<a class=\"provider\" id=\"signin-{p}\" href=\"/auth/{p}/login?return_to=/\">Sign in with {p}</a>"
                )
            })
            .collect();
        let providers = if buttons.is_empty() {
            "<p class=\"muted\">No provider is configured: set <code>DEMO_OIDC_ISSUER</code> \
             and <code>DEMO_OIDC_CLIENT_ID</code>. API calls work with the banner's \
             development tokens.</p>"
                .to_owned()
        } else {
            buttons.join("\n")
        };
        let html = HTML
            .replace("{{style}}", STYLE)
            .replace("{{framework}}", &escape(framework))
            .replace("{{providers}}", &providers)
            .replace("{{script}}", SCRIPT);
        let csp = format!(
            "default-src 'none'; script-src 'sha256-{}'; style-src 'sha256-{}'; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            sha256(SCRIPT),
            sha256(STYLE)
        );
        Page {
            html: html.into(),
            csp: csp.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn providers_are_escaped_and_the_policy_names_the_script() {
        let page = Page::new("axum", ["oidc", "<x>"]);
        assert!(page.html.contains("href=\"/auth/oidc/login?return_to=/\""));
        assert!(page.html.contains("Sign in with &lt;x&gt;"));
        assert!(!page.html.contains("<x>"));
        assert!(page.csp.contains(&format!("'sha256-{}'", sha256(SCRIPT))));
        assert!(page.html.contains(SCRIPT));
        assert!(!page.html.contains("{{"));
    }
}
