//! The registered claims of a token (RFC 7519 §4.1), stored compactly.
//!
//! Every string claim (`iss`, `sub`, `jti`, each `aud`) lives in one shared buffer, so
//! reading a token's registered claims costs one allocation, not one per claim: this runs
//! on every authenticated request.

use std::{fmt, ops::Range};

use serde::ser::{Serialize, SerializeMap, Serializer};

type Span = Range<u32>;

/// The registered claims of a verified token.
///
/// NumericDate values are whole seconds since the epoch (a fractional value is truncated).
///
/// ```
/// # use auth_core::jwt::{Algorithm, JwtValidator, JwtIssuer, SigningKey};
/// # let key = SigningKey::hmac(Algorithm::HS256, b"0123456789abcdefghijklmnopqrstuv")?;
/// # let v = JwtValidator::builder().key(key.verifying_key()?).issuer("me").audience("api").build()?;
/// # let token = JwtIssuer::new(key, "me", "api").issue("user-1", &[], &())?;
/// let claims = v.verify_now(&token)?;
/// let registered = claims.registered();
/// assert_eq!(registered.sub(), Some("user-1"));
/// assert_eq!(registered.iss(), Some("me"));
/// assert_eq!(registered.aud().collect::<Vec<_>>(), ["api"]);
/// assert!(registered.exp().is_some());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct RegisteredClaims {
    text: String,
    iss: Option<Span>,
    sub: Option<Span>,
    jti: Option<Span>,
    aud: Vec<Span>,
    aud_first: Option<Span>,
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
}

/// Which string claim to set.
#[derive(Debug, Clone, Copy)]
pub(crate) enum StrClaim {
    Iss,
    Sub,
    Jti,
}

/// Which date claim to set.
#[derive(Debug, Clone, Copy)]
pub(crate) enum DateClaim {
    Exp,
    Nbf,
    Iat,
}

impl RegisteredClaims {
    fn get(&self, span: &Option<Span>) -> Option<&str> {
        span.as_ref()
            .and_then(|s| self.text.get(s.start as usize..s.end as usize))
    }

    /// `iss`: the issuer.
    pub fn iss(&self) -> Option<&str> {
        self.get(&self.iss)
    }

    /// `sub`: the subject.
    pub fn sub(&self) -> Option<&str> {
        self.get(&self.sub)
    }

    /// `jti`: the token id.
    pub fn jti(&self) -> Option<&str> {
        self.get(&self.jti)
    }

    /// `aud`: the audiences (a single string is a list of one).
    pub fn aud(&self) -> impl Iterator<Item = &str> {
        self.aud_first
            .iter()
            .chain(self.aud.iter())
            .filter_map(|s| self.text.get(s.start as usize..s.end as usize))
    }

    /// Whether `aud` is absent.
    pub fn aud_is_empty(&self) -> bool {
        self.aud_first.is_none()
    }

    /// `exp`: expiry time.
    pub fn exp(&self) -> Option<i64> {
        self.exp
    }

    /// `nbf`: not-before time.
    pub fn nbf(&self) -> Option<i64> {
        self.nbf
    }

    /// `iat`: issue time.
    pub fn iat(&self) -> Option<i64> {
        self.iat
    }

    fn push(&mut self, value: &str) -> Option<Span> {
        if self.text.capacity() == 0 {
            self.text.reserve(128);
        }
        let start = u32::try_from(self.text.len()).ok()?;
        self.text.push_str(value);
        let end = u32::try_from(self.text.len()).ok()?;
        Some(start..end)
    }

    pub(crate) fn set_str(&mut self, which: StrClaim, value: &str) {
        let span = self.push(value);
        match which {
            StrClaim::Iss => self.iss = span,
            StrClaim::Sub => self.sub = span,
            StrClaim::Jti => self.jti = span,
        }
    }

    pub(crate) fn set_date(&mut self, which: DateClaim, value: i64) {
        match which {
            DateClaim::Exp => self.exp = Some(value),
            DateClaim::Nbf => self.nbf = Some(value),
            DateClaim::Iat => self.iat = Some(value),
        }
    }

    pub(crate) fn set_aud<'a>(&mut self, values: impl IntoIterator<Item = &'a str>) {
        self.aud_first = None;
        self.aud.clear();
        for v in values {
            let span = self.push(v);
            if self.aud_first.is_none() {
                self.aud_first = span;
            } else if let Some(span) = span {
                self.aud.push(span);
            }
        }
    }
}

impl fmt::Debug for RegisteredClaims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisteredClaims")
            .field("iss", &self.iss())
            .field("sub", &self.sub())
            .field("aud", &self.aud().collect::<Vec<_>>())
            .field("exp", &self.exp)
            .field("nbf", &self.nbf)
            .field("iat", &self.iat)
            .field("jti", &self.jti())
            .finish()
    }
}

/// Serialized as a JSON object of the claims present (`aud` as an array).
impl Serialize for RegisteredClaims {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(v) = self.iss() {
            map.serialize_entry("iss", v)?;
        }
        if let Some(v) = self.sub() {
            map.serialize_entry("sub", v)?;
        }
        if !self.aud_is_empty() {
            map.serialize_entry("aud", &self.aud().collect::<Vec<_>>())?;
        }
        for (k, v) in [("exp", self.exp), ("nbf", self.nbf), ("iat", self.iat)] {
            if let Some(v) = v {
                map.serialize_entry(k, &v)?;
            }
        }
        if let Some(v) = self.jti() {
            map.serialize_entry("jti", v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_and_reads_back() {
        let mut r = RegisteredClaims::default();
        r.set_str(StrClaim::Iss, "https://issuer");
        r.set_str(StrClaim::Sub, "user");
        r.set_aud(["a", "b", "c"]);
        r.set_date(DateClaim::Exp, 10);
        assert_eq!(r.iss(), Some("https://issuer"));
        assert_eq!(r.sub(), Some("user"));
        assert_eq!(r.jti(), None);
        assert_eq!(r.aud().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(r.exp(), Some(10));
        assert_eq!(
            serde_json::to_value(&r).ok(),
            Some(
                serde_json::json!({"iss":"https://issuer","sub":"user","aud":["a","b","c"],"exp":10})
            )
        );
    }

    #[test]
    fn empty() {
        let r = RegisteredClaims::default();
        assert!(r.aud_is_empty());
        assert_eq!(r.aud().count(), 0);
        assert_eq!(serde_json::to_string(&r).ok().as_deref(), Some("{}"));
    }
}
