//! The verification pipeline of [`JwtValidator`]: size check, header rules, the key for
//! the token's algorithm and `kid`, the signature, and only then the payload and the claims;
//! through the verified-token cache when it is on. Every verifying method of the validator
//! goes through here once.

use super::{
    algorithm::Algorithm,
    b64::{HEADER_BUF, PAYLOAD_BUF, SIGNATURE_BUF, with_decoded},
    cache::{Entry, digest, signature_digest},
    claims::Recorded,
    header::Header,
    key::VerifyingKey,
    validator::JwtValidator,
};
use crate::error::TokenError;

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
        let Some((signing_input, signature_b64)) = token.rsplit_once('.') else {
            return Err(TokenError::Malformed);
        };
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
            || inner.remote.as_ref().is_some_and(|r| {
                let snapshot = r.snapshot();
                snapshot.usable()
                    && snapshot
                        .keys
                        .iter()
                        .any(|k| k.fingerprint() == *fingerprint)
            })
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
        let mut parts = token.splitn(3, '.');
        let (Some(header_b64), Some(payload_b64), Some(sig_b64)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        if sig_b64.contains('.') {
            return Err(TokenError::Malformed);
        }

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
            let snapshot = inner.remote.as_ref().map(|r| r.snapshot());
            let usable = snapshot.as_ref().filter(|s| s.usable());
            let remote_keys = usable.map_or(&[][..], |s| s.keys.as_slice());
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
        Ok(())
    }
}
