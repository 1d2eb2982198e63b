//! The JOSE header of a compact JWS, read once, borrowed from the decoded bytes.

use std::{borrow::Cow, fmt};

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::json::for_each_member;
use crate::error::TokenError;

/// The header members the validator acts on.
pub(crate) struct Header<'a> {
    pub(crate) alg: Option<Cow<'a, str>>,
    pub(crate) kid: Option<Cow<'a, str>>,
    pub(crate) typ: Option<Cow<'a, str>>,
    /// `crit` was present (no extension is supported, so any `crit` is refused).
    pub(crate) crit: bool,
    /// `jku`, `x5u` or `jwk` was present: keys from the token are never used.
    pub(crate) key_reference: bool,
    /// A member we act on had the wrong JSON type.
    pub(crate) wrong_type: bool,
}

impl<'a> Header<'a> {
    /// Parse the decoded header bytes.
    pub(crate) fn parse(bytes: &'a [u8]) -> Result<Header<'a>, TokenError> {
        // One UTF-8 check for the whole header, rather than one per string (see `claims::parse`).
        let text = std::str::from_utf8(bytes).map_err(|_| TokenError::Header)?;
        serde_json::from_str(text).map_err(|_| TokenError::Header)
    }

    /// Check the members that make a token unacceptable whatever the key.
    pub(crate) fn check(&self) -> Result<(), TokenError> {
        if self.wrong_type {
            return Err(TokenError::Header);
        }
        if self.key_reference {
            return Err(TokenError::ForbiddenHeader);
        }
        if self.crit {
            return Err(TokenError::Critical);
        }
        Ok(())
    }
}

impl<'de> Deserialize<'de> for Header<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Header<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JOSE header object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let mut h = Header {
                    alg: None,
                    kid: None,
                    typ: None,
                    crit: false,
                    key_reference: false,
                    wrong_type: false,
                };
                for_each_member(map, |name, map| {
                    let slot = match name {
                        "alg" => &mut h.alg,
                        "kid" => &mut h.kid,
                        "typ" => &mut h.typ,
                        _ => {
                            match name {
                                "crit" => h.crit = true,
                                "jku" | "x5u" | "jwk" => h.key_reference = true,
                                _ => {}
                            }
                            map.next_value::<IgnoredAny>()?;
                            return Ok(());
                        }
                    };
                    match map.next_value::<super::json::Value<'de>>()? {
                        super::json::Value::Str(s) => *slot = Some(s),
                        _ => h.wrong_type = true,
                    }
                    Ok(())
                })?;
                Ok(h)
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_members() {
        let h = Header::parse(br#"{"alg":"HS256","kid":"k\"1","typ":"JWT","x":{"alg":1}}"#);
        let h = h.ok();
        assert_eq!(h.as_ref().and_then(|h| h.alg.as_deref()), Some("HS256"));
        assert_eq!(h.as_ref().and_then(|h| h.kid.as_deref()), Some("k\"1"));
        assert!(h.is_some_and(|h| h.check().is_ok()));
    }

    #[test]
    fn duplicate_members_are_refused() {
        assert!(Header::parse(br#"{"alg":"HS256","alg":"none"}"#).is_err());
        assert!(Header::parse(br#"{"alg":"HS256","x":1,"x":2}"#).is_err());
    }

    #[test]
    fn wrong_types_and_key_references() {
        let check = |j: &[u8]| Header::parse(j).and_then(|h| h.check());
        assert_eq!(check(br#"{"alg":1}"#), Err(TokenError::Header));
        assert_eq!(
            check(br#"{"alg":"HS256","kid":[]}"#),
            Err(TokenError::Header)
        );
        assert_eq!(
            check(br#"{"alg":"HS256","jku":"https://x"}"#),
            Err(TokenError::ForbiddenHeader)
        );
        assert_eq!(
            check(br#"{"alg":"HS256","jwk":{}}"#),
            Err(TokenError::ForbiddenHeader)
        );
        assert_eq!(
            check(br#"{"alg":"HS256","crit":[]}"#),
            Err(TokenError::Critical)
        );
        assert!(Header::parse(b"[1]").is_err());
        assert!(Header::parse(b"{} x").is_err());
    }
}
