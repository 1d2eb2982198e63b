//! DPoP (RFC 9449) for resource servers: `Authorization: DPoP <token>` with a `DPoP` proof
//! header. Give a validator a [`Dpop`]
//! ([`JwtValidatorBuilder::dpop`](super::JwtValidatorBuilder::dpop)) and its routes take
//! DPoP-bound tokens; a bound token sent as `Bearer` is refused whether or not DPoP is on.
//!
//! The proof is checked as §4.3 says: one `DPoP` header holding a compact JWS, `typ`
//! `dpop+jwt`, an asymmetric `alg` from the allow-list, the public `jwk` in the header (no
//! private member), its signature, `htm` = the request's method, `htu` = the app's public URL and
//! the request's path (query and fragment ignored, compared after RFC 3986 normalisation),
//! `iat` within the window, `ath` = the access token's SHA-256, a `jti` not seen within the
//! window, and the token's `cnf.jkt` = the RFC 7638 thumbprint of the proof's key. Each of
//! these is written by hand: no crate checks DPoP proofs for a resource server.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::{Map, Value};

use super::{Algorithm, VerifiedJwt, VerifyingKey};
use crate::{
    credential::single_header,
    error::{ConfigError, DpopError},
    request::RequestView,
};

/// The largest proof read.
const MAX_PROOF: usize = 8 * 1024;
/// How many proofs the replay cache keeps before it drops expired ones.
const REPLAY_CAPACITY: usize = 100_000;

/// DPoP settings of a validator; cheap to clone (one replay cache).
#[derive(Clone)]
pub struct Dpop {
    inner: Arc<Inner>,
}

struct Inner {
    /// The app's public URL, without a trailing slash: `htu` = it + the request's path.
    base: String,
    algorithms: Vec<Algorithm>,
    window: i64,
    /// SHA-256 of (key thumbprint, `jti`) → when it may be forgotten.
    seen: Mutex<HashMap<[u8; 32], i64>>,
    /// Proofs seen by every instance, when they share a store.
    shared: Option<Arc<dyn DpopReplayStore>>,
    /// Server nonces required: derived from the time window with this key, so every
    /// instance given the same secret issues and accepts the same ones (no state).
    nonces: Option<Arc<aws_lc_rs::hmac::Key>>,
}

/// Where the proofs already seen are kept for every instance of an app (Redis:
/// `auth_redis::RedisDpopReplay`), so a proof replayed to another instance is refused too.
///
/// `#[async_trait]` because [`Dpop`] holds it as `Arc<dyn DpopReplayStore>`.
#[async_trait::async_trait]
pub trait DpopReplayStore: Send + Sync + std::fmt::Debug {
    /// Record the proof `id` until `until` (seconds since the epoch): `Ok(true)` the first
    /// time, `Ok(false)` when it was recorded before.
    ///
    /// # Errors
    ///
    /// The store cannot be reached (the request is then answered 503).
    async fn first_use(&self, id: [u8; 32], until: i64) -> Result<bool, String>;
}

/// What a checked proof leaves to record: its id and how long to keep it.
pub(super) struct Seen {
    id: [u8; 32],
    until: i64,
}

impl std::fmt::Debug for Dpop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dpop")
            .field("base", &self.inner.base)
            .field("algorithms", &self.inner.algorithms)
            .field("window", &self.inner.window)
            .field("shared", &self.inner.shared)
            .finish()
    }
}

impl Dpop {
    /// DPoP for an app whose public URL is `public_url` (`https://api.example.com`, or
    /// `http://` in development): a proof's `htu` must be it followed by the request's
    /// path. Every public-key algorithm is accepted and `iat` may be 5 minutes off.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Dpop`] for a URL that is not an http(s) URL without query or
    /// fragment.
    pub fn new(public_url: &str) -> Result<Dpop, ConfigError> {
        let url = url::Url::parse(public_url).map_err(|_| ConfigError::Dpop("the public URL"))?;
        if !matches!(url.scheme(), "https" | "http")
            || url.query().is_some()
            || url.fragment().is_some()
        {
            return Err(ConfigError::Dpop("the public URL"));
        }
        Ok(Dpop {
            inner: Arc::new(Inner {
                base: public_url.trim_end_matches('/').to_owned(),
                algorithms: Algorithm::public_key().collect(),
                window: 300,
                seen: Mutex::default(),
                shared: None,
                nonces: None,
            }),
        })
    }

    /// Accept only these proof algorithms (HMAC ones are dropped: a proof is signed with
    /// a private key).
    ///
    /// # Errors
    ///
    /// [`ConfigError::Dpop`] when none is left.
    pub fn algorithms(
        self,
        algorithms: impl IntoIterator<Item = Algorithm>,
    ) -> Result<Dpop, ConfigError> {
        let list: Vec<Algorithm> = algorithms
            .into_iter()
            .filter(|a| Algorithm::public_key().any(|p| p == *a))
            .collect();
        if list.is_empty() {
            return Err(ConfigError::Dpop("no public-key algorithm"));
        }
        Ok(self.rebuilt(|i| i.algorithms = list))
    }

    /// How far a proof's `iat` may be from now, either way (default 5 minutes); proofs are
    /// remembered this long to refuse a replay.
    pub fn window(self, window: Duration) -> Dpop {
        let secs = i64::try_from(window.as_secs()).unwrap_or(i64::MAX).max(1);
        self.rebuilt(|i| i.window = secs)
    }

    fn rebuilt(self, change: impl FnOnce(&mut Inner)) -> Dpop {
        let mut inner = Inner {
            base: self.inner.base.clone(),
            algorithms: self.inner.algorithms.clone(),
            window: self.inner.window,
            seen: Mutex::default(),
            shared: self.inner.shared.clone(),
            nonces: self.inner.nonces.clone(),
        };
        change(&mut inner);
        Dpop {
            inner: Arc::new(inner),
        }
    }

    /// Remember proofs in `store` too, shared by every instance: a proof replayed to
    /// another instance within the window is refused. Requests with a proof then wait for
    /// the store; when it cannot be reached they get 503, never a pass.
    pub fn shared_replay(self, store: Arc<dyn DpopReplayStore>) -> Dpop {
        self.rebuilt(|i| i.shared = Some(store))
    }

    /// Require server nonces (RFC 9449 §8): a proof must carry the `nonce` this server
    /// issued, or it gets 401 `use_dpop_nonce` with a fresh one in `DPoP-Nonce`. A nonce is
    /// the time window (the proof window's length) and its HMAC under a key derived from
    /// `secret`: instances given the same secret accept each other's, with no shared
    /// state; one stays good for one to two windows.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Dpop`] for a secret shorter than 32 bytes.
    pub fn server_nonces(self, secret: &[u8]) -> Result<Dpop, ConfigError> {
        if secret.len() < 32 {
            return Err(ConfigError::Dpop("a nonce secret shorter than 32 bytes"));
        }
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
        Ok(self.rebuilt(|i| i.nonces = Some(Arc::new(key))))
    }

    /// The nonce of time window `window` (seconds since the epoch / window length).
    fn nonce_of(key: &aws_lc_rs::hmac::Key, window: i64) -> String {
        let stamp = window.to_be_bytes();
        let tag = aws_lc_rs::hmac::sign(key, &stamp);
        let mut raw = stamp.to_vec();
        raw.extend_from_slice(&tag.as_ref()[..16]);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// `Err(UseNonce(fresh))` unless `sent` is this window's nonce or the previous one's.
    fn check_nonce(&self, sent: Option<&str>, now: i64) -> Result<(), DpopError> {
        let Some(key) = &self.inner.nonces else {
            return Ok(());
        };
        let window = now.div_euclid(self.inner.window);
        let current = Self::nonce_of(key, window);
        let fresh = |n: &str| {
            use subtle::ConstantTimeEq;
            bool::from(n.as_bytes().ct_eq(current.as_bytes()))
                || bool::from(
                    n.as_bytes()
                        .ct_eq(Self::nonce_of(key, window - 1).as_bytes()),
                )
        };
        match sent {
            Some(n) if fresh(n) => Ok(()),
            _ => Err(DpopError::UseNonce(current)),
        }
    }

    /// The store shared by every instance, if any.
    pub(super) fn shared(&self) -> Option<&Arc<dyn DpopReplayStore>> {
        self.inner.shared.as_ref()
    }

    /// The accepted algorithms' names (`dpop_signing_alg_values_supported`).
    pub fn algorithm_names(&self) -> Vec<&'static str> {
        self.inner.algorithms.iter().map(|a| a.as_str()).collect()
    }

    /// Check `req`'s proof for `token`, verified as `jwt`, at `now`, and record it in this
    /// process; what is left to record in a shared store is returned.
    pub(super) fn check<R: RequestView>(
        &self,
        req: &R,
        token: &str,
        jwt: &VerifiedJwt,
        now: i64,
    ) -> Result<Seen, DpopError> {
        use DpopError::Proof;
        let proof = single_header(req, "dpop")
            .map_err(|_| Proof("more than one DPoP header"))?
            .ok_or(Proof("no DPoP header"))?;
        if proof.len() > MAX_PROOF {
            return Err(Proof("the proof is too large"));
        }
        let proof = std::str::from_utf8(proof).map_err(|_| Proof("not a compact JWS"))?;
        let mut parts = proof.split('.');
        let (Some(h64), Some(p64), Some(s64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Proof("not a compact JWS"));
        };
        let header = object(h64).ok_or(Proof("the header is not a JSON object"))?;
        if !header
            .get("typ")
            .and_then(Value::as_str)
            .is_some_and(|t| t.eq_ignore_ascii_case("dpop+jwt"))
        {
            return Err(Proof("typ is not dpop+jwt"));
        }
        let alg = header
            .get("alg")
            .and_then(Value::as_str)
            .and_then(Algorithm::from_name)
            .filter(|a| self.inner.algorithms.contains(a))
            .ok_or(Proof("the algorithm is not accepted"))?;
        let jwk = header
            .get("jwk")
            .and_then(Value::as_object)
            .ok_or(Proof("no jwk in the header"))?;
        let key = public_key(jwk, alg)?;
        let signature = URL_SAFE_NO_PAD
            .decode(s64)
            .map_err(|_| Proof("the signature is not base64url"))?;
        let signed = &proof[..h64.len() + 1 + p64.len()];
        if !key.verify_signature(signed.as_bytes(), &signature) {
            return Err(Proof("the signature is not valid"));
        }
        let claims = object(p64).ok_or(Proof("the claims are not a JSON object"))?;
        let text = |name: &'static str| claims.get(name).and_then(Value::as_str);
        let jti = text("jti")
            .filter(|j| !j.is_empty() && j.len() <= 512)
            .ok_or(Proof("no jti"))?;
        if text("htm") != Some(req.method()) {
            return Err(Proof("htm is not the request's method"));
        }
        let path = req.path().ok_or(Proof("the request's path is unknown"))?;
        if !same_uri(text("htu").ok_or(Proof("no htu"))?, &self.inner.base, path) {
            return Err(Proof("htu is not the request's URL"));
        }
        let iat = claims
            .get("iat")
            .and_then(Value::as_f64)
            .ok_or(Proof("no iat"))? as i64;
        if (now - iat).abs() > self.inner.window {
            return Err(Proof("iat is too far from now"));
        }
        let ath = URL_SAFE_NO_PAD.encode(sha256(token.as_bytes()));
        if text("ath") != Some(ath.as_str()) {
            return Err(Proof("ath is not the token's hash"));
        }
        let thumbprint = jwk_thumbprint(jwk).ok_or(Proof("the jwk has no thumbprint"))?;
        if jkt(jwt).as_deref() != Some(thumbprint.as_str()) {
            return Err(Proof("the token is not bound to the proof's key"));
        }
        self.check_nonce(text("nonce"), now)?;
        self.first_use(&thumbprint, jti, now)
    }

    /// Remember (key, `jti`) for the window; refuse one seen before.
    fn first_use(&self, thumbprint: &str, jti: &str, now: i64) -> Result<Seen, DpopError> {
        let mut id = Vec::with_capacity(thumbprint.len() + 1 + jti.len());
        id.extend_from_slice(thumbprint.as_bytes());
        id.push(0);
        id.extend_from_slice(jti.as_bytes());
        let key = sha256(&id);
        let mut seen = self
            .inner
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if seen.get(&key).is_some_and(|until| *until > now) {
            return Err(DpopError::Proof("the proof was used before"));
        }
        if seen.len() >= REPLAY_CAPACITY {
            seen.retain(|_, until| *until > now);
        }
        // Kept past the far edge of the window a proof's `iat` may take.
        let until = now.saturating_add(2 * self.inner.window);
        seen.insert(key, until);
        Ok(Seen { id: key, until })
    }

    /// Record `seen` in the shared store, if there is one.
    pub(super) async fn first_shared_use(&self, seen: Seen) -> Result<(), crate::error::AuthError> {
        let Some(store) = &self.inner.shared else {
            return Ok(());
        };
        match store.first_use(seen.id, seen.until).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(crate::error::AuthError::Dpop(DpopError::Proof(
                "the proof was used before",
            ))),
            Err(e) => {
                tracing::warn!(error = %e, "the shared DPoP replay store cannot be reached");
                Err(crate::error::AuthError::Unavailable)
            }
        }
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0; 32];
    out.copy_from_slice(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes).as_ref());
    out
}

/// A base64url segment holding a JSON object.
fn object(segment: &str) -> Option<Map<String, Value>> {
    let bytes = URL_SAFE_NO_PAD.decode(segment).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// The proof's public key, for `alg`: a JWK with no private member, whose own `alg` (if
/// any) is the proof's.
fn public_key(jwk: &Map<String, Value>, alg: Algorithm) -> Result<VerifyingKey, DpopError> {
    const PRIVATE: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
    if PRIVATE.iter().any(|m| jwk.contains_key(*m)) {
        return Err(DpopError::Proof("the jwk holds private key material"));
    }
    if jwk
        .get("alg")
        .is_some_and(|a| a.as_str() != Some(alg.as_str()))
    {
        return Err(DpopError::Proof("the jwk's alg is not the proof's"));
    }
    let mut with_alg = jwk.clone();
    with_alg.insert("alg".into(), Value::from(alg.as_str()));
    VerifyingKey::from_jwk(&Value::Object(with_alg).to_string())
        .ok()
        .filter(|k| k.algorithm() == alg)
        .ok_or(DpopError::Proof(
            "the jwk is not a public key for the algorithm",
        ))
}

/// The RFC 7638 thumbprint (SHA-256, base64url) of a public JWK: its required members in
/// lexicographic order, no whitespace. What a DPoP-bound token's `cnf.jkt` holds; `None`
/// for a key type other than `EC`, `RSA` and `OKP`, or a member missing.
pub fn jwk_thumbprint(jwk: &Map<String, Value>) -> Option<String> {
    let members: &[&str] = match jwk.get("kty")?.as_str()? {
        "EC" => &["crv", "kty", "x", "y"],
        "RSA" => &["e", "kty", "n"],
        "OKP" => &["crv", "kty", "x"],
        _ => return None,
    };
    let mut canonical = String::from("{");
    for (i, member) in members.iter().enumerate() {
        if i > 0 {
            canonical.push(',');
        }
        let value = jwk.get(*member)?.as_str()?;
        canonical.push_str(&Value::from(*member).to_string());
        canonical.push(':');
        canonical.push_str(&Value::from(value).to_string());
    }
    canonical.push('}');
    Some(URL_SAFE_NO_PAD.encode(sha256(canonical.as_bytes())))
}

/// The token's `cnf.jkt`, if any.
fn jkt(jwt: &VerifiedJwt) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Cnf {
        jkt: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Bound {
        cnf: Option<Cnf>,
    }
    serde_json::from_slice::<Bound>(jwt.payload())
        .ok()?
        .cnf?
        .jkt
}

/// Whether `htu` names `base` + `path` (RFC 9449 §4.3: without query and fragment, after
/// syntax- and scheme-based normalisation, which `url` applies: case of scheme and host,
/// default port, percent-encoding case).
fn same_uri(htu: &str, base: &str, path: &str) -> bool {
    let (Ok(mut sent), Ok(expected)) = (
        url::Url::parse(htu),
        url::Url::parse(&format!("{base}{path}")),
    ) else {
        return false;
    };
    sent.set_query(None);
    sent.set_fragment(None);
    sent == expected
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprint_of_the_rfc_7638_example() {
        // RFC 7638 §3.1.
        let jwk: Map<String, Value> = serde_json::from_str(
            r#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#,
        )
        .unwrap_or_default();
        assert_eq!(
            jwk_thumbprint(&jwk).as_deref(),
            Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
        );
    }

    #[test]
    fn htu_is_compared_after_normalisation_and_without_query() {
        let base = "https://api.example.com";
        for ok in [
            "https://api.example.com/api/me",
            "HTTPS://API.example.com:443/api/me",
            "https://api.example.com/api/me?x=1#f",
        ] {
            assert!(same_uri(ok, base, "/api/me"), "{ok}");
        }
        for bad in [
            "http://api.example.com/api/me",
            "https://api.example.com/api/me/",
            "https://api.example.com:8443/api/me",
            "https://evil.example.com/api/me",
            "/api/me",
        ] {
            assert!(!same_uri(bad, base, "/api/me"), "{bad}");
        }
    }
}
