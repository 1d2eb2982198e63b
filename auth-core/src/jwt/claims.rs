//! Registered claims (RFC 7519 §4.1), scopes, and the application's own claims type.

use std::fmt;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::json::{Value, for_each_member};
use crate::{
    error::{AuthError, Scheme, TokenError},
    scope::{ScopeRequirement, Scopes},
};

/// The registered claims of a verified token.
///
/// NumericDate values are whole seconds since the epoch (a fractional value is truncated).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct RegisteredClaims {
    /// `iss`: the issuer.
    pub iss: Option<String>,
    /// `sub`: the subject.
    pub sub: Option<String>,
    /// `aud`: the audiences (a single string becomes a one-element list).
    pub aud: Vec<String>,
    /// `exp`: expiry time.
    pub exp: Option<i64>,
    /// `nbf`: not-before time.
    pub nbf: Option<i64>,
    /// `iat`: issue time.
    pub iat: Option<i64>,
    /// `jti`: the token id.
    pub jti: Option<String>,
}

/// Verified claims: the registered ones, the scopes, and the application's own `C`.
///
/// ```
/// use auth_core::jwt::Claims;
/// #[derive(serde::Deserialize)]
/// struct MyClaims { tenant: String }
/// fn handler(claims: Claims<MyClaims>) -> String {
///     format!("{} in {}", claims.sub().unwrap_or("?"), claims.custom.tenant)
/// }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Claims<C = NoClaims> {
    /// Registered claims.
    pub registered: RegisteredClaims,
    /// Scopes from `scope` (space-delimited) and `scp` (array or string), both counted.
    pub scopes: Scopes,
    /// The application's claims, deserialized from the whole payload.
    pub custom: C,
}

impl<C> Claims<C> {
    /// The subject (`sub`).
    pub fn sub(&self) -> Option<&str> {
        self.registered.sub.as_deref()
    }

    /// Whether the token's scopes meet `requirement`; 403 `insufficient_scope` if not.
    pub fn require(&self, requirement: &ScopeRequirement) -> Result<(), AuthError> {
        if self.scopes.satisfies(requirement) {
            Ok(())
        } else {
            Err(AuthError::InsufficientScope(
                Scheme::Bearer,
                requirement.clone(),
            ))
        }
    }
}

/// The claims type for apps that need only the registered claims and scopes: accepts any
/// payload and keeps nothing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoClaims;

impl<'de> Deserialize<'de> for NoClaims {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        IgnoredAny::deserialize(d).map(|_| NoClaims)
    }
}

/// The registered claims and scopes as read from the payload, before policy checks.
pub(crate) struct Parsed {
    pub(crate) registered: RegisteredClaims,
    pub(crate) scopes: Scopes,
    /// A registered claim had the wrong JSON type.
    pub(crate) wrong_type: bool,
    /// `aud` was present but an empty array.
    pub(crate) empty_aud: bool,
}

impl Parsed {
    pub(crate) fn parse(payload: &[u8]) -> Result<Parsed, TokenError> {
        serde_json::from_slice(payload).map_err(|_| TokenError::Claims)
    }
}

fn numeric_date(v: Value<'_>) -> Option<i64> {
    match v {
        // `as` saturates: a huge or negative date stays huge or negative.
        Value::Number(n) if n.is_finite() => Some(n.trunc() as i64),
        _ => None,
    }
}

impl<'de> Deserialize<'de> for Parsed {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Parsed;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JWT claims object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let mut p = Parsed {
                    registered: RegisteredClaims::default(),
                    scopes: Scopes::default(),
                    wrong_type: false,
                    empty_aud: false,
                };
                for_each_member(map, |name, map| {
                    let r = &mut p.registered;
                    match name {
                        "iss" | "sub" | "jti" => {
                            let slot = match name {
                                "iss" => &mut r.iss,
                                "sub" => &mut r.sub,
                                _ => &mut r.jti,
                            };
                            match map.next_value::<Value<'de>>()? {
                                Value::Str(s) => *slot = Some(s.into_owned()),
                                _ => p.wrong_type = true,
                            }
                        }
                        "exp" | "nbf" | "iat" => {
                            let slot = match name {
                                "exp" => &mut r.exp,
                                "nbf" => &mut r.nbf,
                                _ => &mut r.iat,
                            };
                            match numeric_date(map.next_value::<Value<'de>>()?) {
                                Some(n) => *slot = Some(n),
                                None => p.wrong_type = true,
                            }
                        }
                        "aud" => match map.next_value::<Value<'de>>()? {
                            Value::Str(s) => r.aud = vec![s.into_owned()],
                            Value::Strings(v) if v.is_empty() => p.empty_aud = true,
                            Value::Strings(v) => {
                                r.aud = v.into_iter().map(|s| s.into_owned()).collect();
                            }
                            _ => p.wrong_type = true,
                        },
                        "scope" => match map.next_value::<Value<'de>>()? {
                            Value::Str(s) => p.scopes.extend_delimited(&s),
                            _ => p.wrong_type = true,
                        },
                        "scp" => match map.next_value::<Value<'de>>()? {
                            Value::Str(s) => p.scopes.extend_delimited(&s),
                            Value::Strings(v) => {
                                for s in v {
                                    p.scopes.push(s.into_owned());
                                }
                            }
                            _ => p.wrong_type = true,
                        },
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                    Ok(())
                })?;
                Ok(p)
            }
        }
        d.deserialize_map(V)
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    fn parse(j: &str) -> Result<Parsed, TokenError> {
        Parsed::parse(j.as_bytes())
    }

    #[test]
    fn reads_registered_claims_and_scopes() {
        let p = parse(
            r#"{"iss":"i","sub":"s","aud":["a","b"],"exp":10.9,"nbf":1,"iat":2,"jti":"j",
                "scope":"read write","scp":["admin","read"],"extra":{"exp":"x"}}"#,
        )
        .ok();
        let p = p.as_ref();
        assert_eq!(p.map(|p| p.registered.exp), Some(Some(10)));
        assert_eq!(p.map(|p| p.registered.aud.len()), Some(2));
        assert_eq!(
            p.map(|p| p.scopes.as_slice().to_vec()),
            Some(vec!["read".to_owned(), "write".into(), "admin".into()])
        );
        assert!(p.is_some_and(|p| !p.wrong_type));
    }

    #[test]
    fn wrong_types_are_flagged_not_ignored() {
        for j in [
            r#"{"exp":"9999999999"}"#,
            r#"{"nbf":"x"}"#,
            r#"{"aud":{}}"#,
            r#"{"aud":[1]}"#,
            r#"{"iss":1}"#,
            r#"{"sub":null}"#,
            r#"{"exp":true}"#,
            r#"{"scope":["a"]}"#,
        ] {
            assert!(parse(j).is_ok_and(|p| p.wrong_type), "{j}");
        }
        assert!(parse(r#"{"aud":[]}"#).is_ok_and(|p| p.empty_aud));
    }

    #[test]
    fn duplicates_and_non_objects_are_refused() {
        assert!(parse(r#"{"sub":"a","sub":"b"}"#).is_err());
        assert!(parse(r#"{"x":1,"x":1}"#).is_err());
        assert!(parse(r#"["sub"]"#).is_err());
        assert!(parse(r#"{"sub":"a"} trailing"#).is_err());
        assert!(parse("").is_err());
    }

    #[test]
    fn no_claims_accepts_anything() {
        assert!(serde_json::from_str::<NoClaims>(r#"{"a":[1,{"b":2}]}"#).is_ok());
    }
}
