//! The verification pipeline of [`JwtValidator`]: size check, header rules, the key for
//! the token's algorithm and `kid`, the signature, and only then the payload and the claims;
//! through the verified-token cache when it is on. Every verifying method of the validator
//! goes through here once.
//!
//! Two steps come before it when configured: issuer routes (a validator made of
//! validators, one per issuer, the token's `iss` choosing:
//! [`JwtValidatorBuilder::route_issuer`](super::JwtValidatorBuilder::route_issuer)) and,
//! after an unknown key id, one refetch of the remote key set (single-flight and
//! rate-limited by the set) before the token is tried once more.

use super::{
    algorithm::Algorithm,
    b64::{HEADER_BUF, PAYLOAD_BUF, SIGNATURE_BUF, with_decoded},
    cache::{Entry, digest, signature_digest},
    claims::Recorded,
    header::Header,
    key::VerifyingKey,
    validator::JwtValidator,
};
use crate::{
    credential::find_bearer,
    error::{AuthError, TokenError},
    request::RequestView,
};

/// Compare two `typ` values as media types: case-insensitive, `application/` optional
/// (RFC 7515 §4.1.9).
pub(super) fn same_typ(a: &str, b: &str) -> bool {
    fn strip(s: &str) -> &str {
        match s.get(..12) {
            Some(p) if p.eq_ignore_ascii_case("application/") => &s[12..],
            _ => s,
        }
    }
    strip(a).eq_ignore_ascii_case(strip(b))
}

/// The three segments of a compact JWS (exactly two dots), or `None`.
///
/// Searched with `memchr` (SIMD): this runs over the whole token on every request, and the
/// standard library's search goes a word at a time.
fn segments(token: &str) -> Option<(&str, &str, &str)> {
    let bytes = token.as_bytes();
    let first = memchr::memchr(b'.', bytes)?;
    let second = first + 1 + memchr::memchr(b'.', &bytes[first + 1..])?;
    if memchr::memchr(b'.', &bytes[second + 1..]).is_some() {
        return None;
    }
    // Dots are ASCII: every index here is a `str` boundary.
    Some((
        &token[..first],
        &token[first + 1..second],
        &token[second + 1..],
    ))
}

impl JwtValidator {
    /// Verify the JWS layer, then hand the decoded payload to `f`: through the
    /// verified-token cache when it is on.
    pub(super) fn with_payload<T>(
        &self,
        token: &str,
        f: impl FnOnce(&[u8]) -> Result<T, TokenError>,
    ) -> Result<T, TokenError> {
        let Some(cache) = &self.inner.cache else {
            return self.verify_payload(token, |_, payload| f(payload));
        };
        if token.len() > self.inner.max_len {
            return Err(TokenError::TooLarge);
        }
        let Some(last_dot) = memchr::memrchr(b'.', token.as_bytes()) else {
            return Err(TokenError::Malformed);
        };
        // A dot is ASCII: both sides are `str` boundaries.
        let (signing_input, signature_b64) = (&token[..last_dot], &token[last_dot + 1..]);
        let digest = digest(signing_input);
        if let Some(entry) = cache.get(&digest) {
            let live = entry.exp.is_none_or(|exp| crate::clock::now() < exp);
            if entry.same_signature(signature_b64) {
                if live && self.holds_key(&entry.key) {
                    return f(&entry.payload);
                }
                cache.remove(&digest);
            }
            // Another signature over the same input: verified in full below (and cached
            // in place of this entry if it is good).
        }
        let mut verified = None;
        let out = self.verify_payload(token, |key, payload| {
            let out = f(payload)?;
            // It verified, so it decodes.
            if let Some(signature) = signature_digest(key.algorithm(), signature_b64) {
                verified = Some(Entry::new(
                    payload,
                    key.algorithm(),
                    signature,
                    key.fingerprint(),
                ));
            }
            Ok(out)
        })?;
        if let Some(entry) = verified.filter(|e| e.exp.is_none_or(|exp| crate::clock::now() < exp))
        {
            cache.insert(digest, entry);
        }
        Ok(out)
    }

    /// Whether a key with this fingerprint is among the keys in force.
    fn holds_key(&self, fingerprint: &[u8; 16]) -> bool {
        let inner = &*self.inner;
        inner.keys.iter().any(|k| k.fingerprint() == *fingerprint)
            || inner
                .remote
                .as_ref()
                .and_then(|r| r.current())
                .is_some_and(|keys| keys.iter().any(|k| k.fingerprint() == *fingerprint))
    }

    /// Verify the JWS layer, then hand the verifying key and the decoded payload to `f`
    /// (from a stack buffer when it is small).
    pub(super) fn verify_payload<T>(
        &self,
        token: &str,
        f: impl FnOnce(&VerifyingKey, &[u8]) -> Result<T, TokenError>,
    ) -> Result<T, TokenError> {
        let inner = &*self.inner;
        if token.len() > inner.max_len {
            return Err(TokenError::TooLarge);
        }
        let (header_b64, payload_b64, sig_b64) = segments(token).ok_or(TokenError::Malformed)?;

        with_decoded::<HEADER_BUF, T>(header_b64, |header| {
            let header = Header::parse(header)?;
            header.check()?;
            let alg = header
                .alg
                .as_deref()
                .and_then(Algorithm::from_name)
                .filter(|a| inner.algorithms.contains(a))
                .ok_or(TokenError::Algorithm)?;
            if !inner.typ.is_empty() {
                let typ = header.typ.as_deref().ok_or(TokenError::Type)?;
                if !inner.typ.iter().any(|t| same_typ(t, typ)) {
                    return Err(TokenError::Type);
                }
            }
            let kid = header.kid.as_deref();
            // Remote keys are read from a lock-free snapshot, held for this verification;
            // keys past the stale limit (or not fetched yet) are not used.
            let snapshot = inner.remote.as_ref().map(|r| r.current());
            let usable = snapshot.as_ref().and_then(Option::as_deref);
            let remote_keys = usable.unwrap_or(&[]);
            let mut candidates = inner
                .keys
                .iter()
                .chain(remote_keys)
                .filter(|k| k.algorithm() == alg && (kid.is_none() || k.kid() == kid))
                .peekable();
            if candidates.peek().is_none() {
                return Err(if snapshot.is_some() && usable.is_none() {
                    TokenError::KeysUnavailable
                } else {
                    TokenError::UnknownKey
                });
            }
            let signing_input = &token.as_bytes()[..header_b64.len() + 1 + payload_b64.len()];
            let key = with_decoded::<SIGNATURE_BUF, &VerifyingKey>(sig_b64, |signature| {
                candidates
                    .find(|k| k.verify_signature(signing_input, signature))
                    .ok_or(TokenError::Signature)
            })?;
            // The signature is good: only now is the payload decoded and parsed.
            with_decoded::<PAYLOAD_BUF, T>(payload_b64, |payload| f(key, payload))
        })
    }

    pub(super) fn check_claims(&self, parsed: &Recorded, now: i64) -> Result<(), TokenError> {
        let inner = &*self.inner;
        let c = &parsed.registered;
        if parsed.wrong_type {
            return Err(TokenError::ClaimType);
        }
        if parsed.empty_aud {
            return Err(TokenError::Audience);
        }
        if parsed.nonce && inner.refuse_nonce {
            // An OpenID ID token is never an access token (RFC 9068 §4, RFC 8725 §3.11).
            return Err(TokenError::Type);
        }
        match c.exp() {
            Some(exp) if now >= exp.saturating_add(inner.leeway) => {
                return Err(TokenError::Expired);
            }
            None if inner.require_exp => return Err(TokenError::MissingClaim),
            _ => {}
        }
        if c.nbf()
            .is_some_and(|nbf| now.saturating_add(inner.leeway) < nbf)
        {
            return Err(TokenError::NotYetValid);
        }
        if c.iat()
            .is_some_and(|iat| now.saturating_add(inner.leeway) < iat)
        {
            return Err(TokenError::IssuedInFuture);
        }
        if !inner.issuers.is_empty() {
            let iss = c.iss().ok_or(TokenError::MissingClaim)?;
            if !inner.issuers.iter().any(|i| i == iss) {
                return Err(TokenError::Issuer);
            }
        }
        if inner.audiences.is_empty() {
            if !c.aud_is_empty() {
                return Err(TokenError::Audience);
            }
        } else {
            if c.aud_is_empty() {
                return Err(TokenError::MissingClaim);
            }
            if !c.aud().any(|a| inner.audiences.iter().any(|x| x == a)) {
                return Err(TokenError::Audience);
            }
        }
        if inner.required.iter().any(|r| !r.present(c)) {
            return Err(TokenError::MissingClaim);
        }
        if let Some(sign_outs) = &inner.sign_outs
            && sign_outs.revokes(c.sub(), c.iat())
        {
            return Err(TokenError::Revoked);
        }
        Ok(())
    }

    /// The validator for the token's issuer (itself when it has no routes). The `iss` is
    /// read before the signature is checked, only to choose among configured issuers; the
    /// chosen validator then checks everything, `iss` included.
    pub(super) fn route(&self, token: &str) -> Result<&JwtValidator, TokenError> {
        #[derive(serde::Deserialize)]
        struct Peek<'a> {
            #[serde(borrow)]
            iss: Option<std::borrow::Cow<'a, str>>,
        }
        let inner = &*self.inner;
        if inner.routes.is_empty() {
            return Ok(self);
        }
        if token.len() > inner.max_len {
            return Err(TokenError::TooLarge);
        }
        let mut parts = token.split('.');
        let (Some(_), Some(payload_b64), Some(_), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        with_decoded::<PAYLOAD_BUF, _>(payload_b64, |payload| {
            let peek: Peek<'_> = serde_json::from_slice(payload).map_err(|_| TokenError::Claims)?;
            let iss = peek.iss.ok_or(TokenError::MissingClaim)?;
            inner
                .routes
                .iter()
                .find(|(i, _)| *i == iss)
                .map(|(_, v)| v)
                .ok_or(TokenError::Issuer)
        })
    }

    /// Whether `e` may go away after a refetch of a remote key set: an unknown key id, or
    /// keys not usable yet.
    /// Whether a request refused now may be admitted after awaiting: a refetch of remote
    /// keys, or the introspection of an opaque token.
    pub(crate) fn may_refetch(&self, e: &AuthError) -> bool {
        match e {
            AuthError::InvalidToken(TokenError::Opaque) => self.introspects(),
            AuthError::InvalidToken(TokenError::UnknownKey) | AuthError::Unavailable => {
                self.has_remote_keys()
            }
            _ => false,
        }
    }

    pub(super) fn refetchable(&self, e: &TokenError) -> bool {
        matches!(e, TokenError::UnknownKey | TokenError::KeysUnavailable) && self.has_remote_keys()
    }

    /// The bearer token `req` carries through the configured sources, if exactly one.
    pub(crate) fn token<R: RequestView>(&self, req: &R) -> Option<String> {
        find_bearer(req, &self.inner.sources)
            .ok()
            .flatten()
            .map(|b| b.token.to_owned())
    }

    /// Refetch the key set that would verify `token` (at most once per cool-down).
    pub(super) async fn refetch_for(&self, token: &str) -> Result<(), TokenError> {
        let target = self.route(token)?;
        let Some(remote) = target.inner.remote.clone() else {
            return Err(TokenError::UnknownKey);
        };
        // Whether or not a fetch happened (it may be cooling down), the caller verifies
        // against the keys now in force.
        remote.refetch().await;
        Ok(())
    }

    /// Whether this validator reads keys from a remote set (whose misses may need a fetch).
    pub(crate) fn has_remote_keys(&self) -> bool {
        self.inner.remote.is_some() || self.inner.routes.iter().any(|(_, v)| v.has_remote_keys())
    }
}

#[cfg(test)]
mod tests {
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

    use crate::{
        error::{ConfigError, TokenError},
        jwt::{
            Algorithm, JwtValidator, NoClaims, VerifyingKey,
            validator::tests::{H, SECRET, hs256, validator},
        },
    };

    fn hs256_with(secret: &[u8], claims: &str) -> String {
        use aws_lc_rs::hmac;
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(H),
            URL_SAFE_NO_PAD.encode(claims)
        );
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, secret), input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    #[test]
    fn issuer_routes_pick_the_issuers_own_policy() -> Result<(), ConfigError> {
        const OTHER: &[u8] = b"another-secret-of-enough-length!";
        let b = JwtValidator::builder()
            .key(VerifyingKey::hmac(Algorithm::HS256, OTHER)?)
            .issuer("b")
            .audience("aud-b")
            .build()?;
        let v = JwtValidator::builder()
            .route_issuer(validator()?)
            .route_issuer(b)
            .build()?;
        let exp = crate::clock::now() + 600;
        let claims =
            |iss: &str, aud: &str| format!(r#"{{"iss":"{iss}","aud":"{aud}","exp":{exp}}}"#);
        assert!(v.verify_now(&hs256(H, &claims("iss", "aud"))).is_ok());
        assert!(
            v.verify_now(&hs256_with(OTHER, &claims("b", "aud-b")))
                .is_ok()
        );
        // Each issuer's keys and audiences only.
        assert_eq!(
            v.verify_now(&hs256_with(OTHER, &claims("iss", "aud")))
                .err(),
            Some(TokenError::Signature)
        );
        assert_eq!(
            v.verify_now(&hs256_with(OTHER, &claims("b", "aud"))).err(),
            Some(TokenError::Audience)
        );
        assert_eq!(
            v.verify_now(&hs256(H, &claims("c", "aud"))).err(),
            Some(TokenError::Issuer)
        );
        assert_eq!(
            v.verify_now(&hs256(H, &format!(r#"{{"aud":"aud","exp":{exp}}}"#)))
                .err(),
            Some(TokenError::MissingClaim)
        );
        assert_eq!(
            v.verify_now(&hs256(H, r#"{"iss":"iss","iss":"b"}"#)).err(),
            Some(TokenError::Claims)
        );
        assert_eq!(v.verify_now("a.b").err(), Some(TokenError::Malformed));
        assert!(
            v.verify_claims_now::<NoClaims>(&hs256(H, &claims("iss", "aud")))
                .is_ok()
        );
        assert!(v.verify_jws_now(&hs256(H, &claims("iss", "aud"))).is_ok());

        // Configuration errors.
        let routed =
            |extra: fn(super::super::JwtValidatorBuilder) -> super::super::JwtValidatorBuilder| {
                extra(JwtValidator::builder().route_issuer(validator().ok()?))
                    .build()
                    .err()
            };
        assert!(matches!(
            routed(|b| b.issuer("x")),
            Some(ConfigError::Routes(_))
        ));
        assert!(matches!(
            routed(|b| b.route_issuer(validator().ok().unwrap_or_else(|| unreachable!()))),
            Some(ConfigError::Routes(_))
        ));
        let no_issuer = JwtValidator::builder()
            .key(VerifyingKey::hmac(Algorithm::HS256, SECRET)?)
            .build()?;
        assert!(matches!(
            JwtValidator::builder().route_issuer(no_issuer).build(),
            Err(ConfigError::Routes(_))
        ));
        Ok(())
    }

    /// Review item 7: a routing validator refuses a token policy of its own at build,
    /// rather than build and ignore it.
    #[test]
    fn review_07_a_routing_validator_refuses_a_policy_of_its_own() -> Result<(), ConfigError> {
        use std::time::Duration;

        use crate::jwt::{ClaimName, JwtValidatorBuilder};
        let settings: [fn(JwtValidatorBuilder) -> JwtValidatorBuilder; 8] = [
            |b| b.require_typ("at+jwt"),
            |b| b.leeway(Duration::ZERO),
            |b| b.algorithms([Algorithm::HS256]),
            |b| b.allow_missing_exp(),
            |b| b.require_claim(ClaimName::Jti),
            |b| b.access_token_profile(),
            |b| b.allow_nonce(),
            |b| b.cache_verified(10),
        ];
        for (i, setting) in settings.into_iter().enumerate() {
            let built = setting(JwtValidator::builder().route_issuer(validator()?)).build();
            assert!(
                matches!(&built, Err(ConfigError::Routes(r)) if r.contains("token policy")),
                "setting {i}: {built:?}"
            );
        }
        // What a router does keep is accepted.
        assert!(
            JwtValidator::builder()
                .route_issuer(validator()?)
                .realm("r")
                .max_token_len(4096)
                .cookie_origin("https://app.example")
                .build()
                .is_ok()
        );
        // The policy goes on the routed validator, where it applies.
        let strict = JwtValidator::builder()
            .key(VerifyingKey::hmac(Algorithm::HS256, SECRET)?)
            .issuer("iss")
            .audience("aud")
            .require_typ("at+jwt")
            .build()?;
        let v = JwtValidator::builder().route_issuer(strict).build()?;
        let exp = crate::clock::now() + 600;
        let token = hs256(H, &format!(r#"{{"iss":"iss","aud":"aud","exp":{exp}}}"#));
        assert_eq!(v.verify_now(&token).err(), Some(TokenError::Type));
        Ok(())
    }

    #[test]
    fn a_compact_token_has_exactly_three_segments() {
        use super::segments;
        assert_eq!(segments("a.b.c"), Some(("a", "b", "c")));
        assert_eq!(segments(".."), Some(("", "", "")));
        assert_eq!(segments("héader.b.ç"), Some(("héader", "b", "ç")));
        for bad in ["", "a", "a.b", "a.b.c.d", "a..b.c", "...."] {
            assert_eq!(segments(bad), None, "{bad}");
        }
    }
}
