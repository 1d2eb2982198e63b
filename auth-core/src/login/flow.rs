//! The sign-in flow's transient state: sealed into a short-lived cookie (AES-256-GCM through
//! the `cookie` crate's private jar), so the server keeps nothing per login but the set of
//! `state`s already used.

use std::{collections::HashMap, sync::Mutex};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use cookie::{Cookie, CookieJar, Key};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

/// What a login started, checked by its callback. (No `Debug`: it holds the `state`, the
/// PKCE verifier and the nonce, which are wiped from memory when it is dropped.)
#[derive(Serialize, Deserialize)]
pub(super) struct Flow {
    /// The provider's name.
    pub(super) p: String,
    /// `state`.
    pub(super) s: String,
    /// The PKCE verifier.
    pub(super) v: String,
    /// The OpenID `nonce` (empty for plain OAuth 2.0).
    pub(super) n: String,
    /// Where to go after the login.
    pub(super) r: String,
    /// Expiry, seconds since the epoch.
    pub(super) e: i64,
}

impl Drop for Flow {
    fn drop(&mut self) {
        self.s.zeroize();
        self.v.zeroize();
        self.n.zeroize();
    }
}

/// `n` random bytes, base64url.
pub(super) fn random_token(n: usize) -> Option<String> {
    let mut bytes = vec![0u8; n];
    aws_lc_rs::rand::fill(&mut bytes).ok()?;
    Some(URL_SAFE_NO_PAD.encode(bytes))
}

/// Seal `flow` as the value of cookie `name` (the name is authenticated too).
pub(super) fn seal(flow: &Flow, name: &str, key: &Key) -> Option<String> {
    let json = Zeroizing::new(serde_json::to_string(flow).ok()?);
    let mut jar = CookieJar::new();
    jar.private_mut(key)
        .add(Cookie::new(name.to_owned(), json.as_str().to_owned()));
    jar.get(name).map(|c| c.value().to_owned())
}

/// Open a sealed flow cookie; `None` when it was not sealed by this key under this name.
pub(super) fn open(value: &str, name: &str, key: &Key) -> Option<Flow> {
    let mut jar = CookieJar::new();
    jar.add_original(Cookie::new(name.to_owned(), value.to_owned()));
    let plain = jar.private(key).get(name)?;
    serde_json::from_str(plain.value()).ok()
}

/// Whether `path` is a same-site relative path: one `/` then not `/` or `\`, no scheme, no
/// control characters or whitespace, and no encoded slash or backslash that a later
/// decoding could turn into `//`.
pub fn is_local_path(path: &str) -> bool {
    let bytes = path.as_bytes();
    if bytes.first() != Some(&b'/') || matches!(bytes.get(1), Some(b'/' | b'\\')) {
        return false;
    }
    if bytes
        .iter()
        .any(|b| b.is_ascii_control() || *b == b' ' || *b == b'\\' || *b >= 0x80)
    {
        return false;
    }
    let lower = path.to_ascii_lowercase();
    !(lower.contains("%2f")
        || lower.contains("%5c")
        || lower.contains("%09")
        || lower.contains("%0a")
        || lower.contains("%0d")
        || lower.contains("%00"))
}

/// `state`s already used: a callback is accepted once. Entries expire with their flow.
#[derive(Debug, Default)]
pub(super) struct UsedStates(Mutex<HashMap<[u8; 32], i64>>);

impl UsedStates {
    /// Record `state` (until `expires`); false when it was already used.
    pub(super) fn first_use(&self, state: &str, expires: i64) -> bool {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, state.as_bytes());
        let mut key = [0u8; 32];
        key.copy_from_slice(digest.as_ref());
        let mut used = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = crate::clock::now();
        if used.len() > 10_000 {
            used.retain(|_, e| *e > now);
        }
        used.insert(key, expires).is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_to_is_a_local_path_only() {
        for ok in ["/", "/api/me", "/a?b=c#d", "/a/b%20c"] {
            assert!(is_local_path(ok), "{ok}");
        }
        for bad in [
            "",
            "//evil.com",
            "/\\evil.com",
            "https:evil.com",
            "https://evil.com",
            "evil.com",
            "/%2F%2Fevil.com",
            "/%2f/evil.com",
            "/%5Cevil.com",
            " /x",
            "\t/x",
            "/x\n",
            "/\u{0}x",
            "/é",
        ] {
            assert!(!is_local_path(bad), "{bad:?}");
        }
    }

    #[test]
    fn flows_are_sealed_to_their_key_and_name() {
        let key = Key::generate();
        let flow = Flow {
            p: "oidc".into(),
            s: "state".into(),
            v: "verifier".into(),
            n: "nonce".into(),
            r: "/".into(),
            e: 1,
        };
        let sealed = seal(&flow, "flow", &key).unwrap_or_default();
        assert!(!sealed.contains("verifier"));
        assert_eq!(
            open(&sealed, "flow", &key).map(|f| f.s.clone()),
            Some("state".into())
        );
        assert!(open(&sealed, "other", &key).is_none());
        assert!(open(&sealed, "flow", &Key::generate()).is_none());
        let mut tampered = sealed.clone().into_bytes();
        tampered[10] ^= 1;
        assert!(open(&String::from_utf8_lossy(&tampered), "flow", &key).is_none());
    }

    #[test]
    fn a_state_is_used_once() {
        let used = UsedStates::default();
        assert!(used.first_use("s", i64::MAX));
        assert!(!used.first_use("s", i64::MAX));
        assert!(used.first_use("t", i64::MAX));
    }
}
