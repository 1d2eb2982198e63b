//! Registered claims (RFC 7519 §4.1), scopes, and the application's own claims type, read
//! from the payload in one pass.
//!
//! The application's `C` is deserialized through a thin interposer over `serde_json`: every
//! member name passes through it (duplicates are refused), the registered claims are read,
//! type-checked and recorded on the way, and their values are replayed to `C` from what was
//! read. Each byte of the payload is parsed once. No crate offers this: serde's `flatten`
//! buffers the whole payload, and jsonwebtoken parses it twice.

use std::{borrow::Cow, fmt};

use serde::de::{
    self, Deserialize, DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny,
    IntoDeserializer, MapAccess, Visitor,
    value::{BorrowedStrDeserializer, SeqDeserializer, UnitDeserializer},
};

use super::{
    json::{Number, Seen, Str, Value},
    registered::{DateClaim, RegisteredClaims, StrClaim},
};
use crate::{
    error::{AuthError, Scheme, TokenError},
    scope::{Roles, ScopeRequirement, Scopes},
};

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
    /// Roles read from the claims the validator was told to read
    /// ([`roles_from`](super::JwtValidatorBuilder::roles_from)); empty otherwise.
    pub roles: Roles,
    /// Presented with a DPoP proof: a 403 is challenged as `DPoP`.
    pub(crate) dpop: bool,
    /// The application's claims, deserialized from the whole payload (registered claims
    /// included, so `C` may declare `sub` or `exp` too).
    pub custom: C,
}

impl<C> Claims<C> {
    /// The subject (`sub`).
    pub fn sub(&self) -> Option<&str> {
        self.registered.sub()
    }

    /// Whether the token has the role `role` (read from the validator's role claims).
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.contains(role)
    }

    /// Whether the token's scopes (or roles, for a requirement with roles) meet
    /// `requirement`; 403 `insufficient_scope` if not.
    ///
    /// # Errors
    ///
    /// [`AuthError::InsufficientScope`] when the scopes and roles fall short.
    pub fn require(&self, requirement: &ScopeRequirement) -> Result<(), AuthError> {
        if requirement.is_met(&self.scopes, &self.roles) {
            Ok(())
        } else {
            let scheme = if self.dpop {
                Scheme::Dpop
            } else {
                Scheme::Bearer
            };
            Err(AuthError::InsufficientScope(scheme, requirement.clone()))
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

/// What the interposer recorded about the registered claims.
#[derive(Default)]
pub(crate) struct Recorded {
    pub(crate) registered: RegisteredClaims,
    pub(crate) scopes: Scopes,
    /// A registered claim had the wrong JSON type.
    pub(crate) wrong_type: bool,
    /// `aud` was present but an empty array.
    pub(crate) empty_aud: bool,
    /// A `nonce` member was present: the mark of an OpenID ID token.
    pub(crate) nonce: bool,
    /// A `cnf` member was present: the token is bound to a key.
    pub(crate) cnf: bool,
    /// The payload was an object (as opposed to another JSON value).
    object: bool,
    /// A member name was repeated.
    duplicate: bool,
}

/// Parse `payload` into the registered claims and `C`, in one pass.
pub(crate) fn parse<C: DeserializeOwned>(payload: &[u8]) -> Result<(Recorded, C), TokenError> {
    // UTF-8 checked once for the whole payload: reading from bytes, serde_json checks each
    // string on its own (a call per member name and value, the larger cost for a token).
    let payload = std::str::from_utf8(payload).map_err(|_| TokenError::Claims)?;
    let mut recorded = Recorded::default();
    let mut de = serde_json::Deserializer::from_str(payload);
    let custom = C::deserialize(Interpose {
        inner: &mut de,
        recorded: &mut recorded,
    });
    let end = de.end();
    match custom {
        _ if recorded.duplicate || !recorded.object => Err(TokenError::Claims),
        _ if recorded.wrong_type => Err(TokenError::ClaimType),
        Err(e) if !e.is_data() => Err(TokenError::Claims),
        Err(_) => Err(TokenError::ClaimsShape),
        Ok(_) if end.is_err() => Err(TokenError::Claims),
        Ok(custom) => Ok((recorded, custom)),
    }
}

fn numeric_date(n: Number) -> Option<i64> {
    match n {
        Number::U64(u) => Some(i64::try_from(u).unwrap_or(i64::MAX)),
        Number::I64(i) => Some(i),
        // `as` saturates: a huge or negative date stays huge or negative.
        Number::F64(f) if f.is_finite() => Some(f.trunc() as i64),
        Number::F64(_) => None,
    }
}

impl Recorded {
    /// Record a registered claim's value.
    fn record(&mut self, name: &str, value: &Value<'_>) {
        let r = &mut self.registered;
        match name {
            "iss" | "sub" | "jti" => {
                let which = match name {
                    "iss" => StrClaim::Iss,
                    "sub" => StrClaim::Sub,
                    _ => StrClaim::Jti,
                };
                match value {
                    Value::Str(s) => r.set_str(which, s),
                    _ => self.wrong_type = true,
                }
            }
            "exp" | "nbf" | "iat" => {
                let which = match name {
                    "exp" => DateClaim::Exp,
                    "nbf" => DateClaim::Nbf,
                    _ => DateClaim::Iat,
                };
                match value {
                    Value::Number(n) => match numeric_date(*n) {
                        Some(d) => r.set_date(which, d),
                        None => self.wrong_type = true,
                    },
                    _ => self.wrong_type = true,
                }
            }
            "aud" => match value {
                Value::Str(s) => r.set_aud([s.as_ref()]),
                Value::Strings(v) if v.is_empty() => self.empty_aud = true,
                Value::Strings(v) => r.set_aud(v.iter().map(|s| s.as_ref())),
                _ => self.wrong_type = true,
            },
            "scope" => match value {
                Value::Str(s) => self.scopes.extend_delimited(s),
                _ => self.wrong_type = true,
            },
            "scp" => match value {
                Value::Str(s) => self.scopes.extend_delimited(s),
                Value::Strings(v) => v.iter().for_each(|s| self.scopes.push(s)),
                _ => self.wrong_type = true,
            },
            _ => {}
        }
    }
}

/// The claims whose meaning the toolkit defines (registered claims and scopes): read and
/// type-checked here, and never settable through an issuer's custom claims.
pub(crate) const REGISTERED: [&str; 9] = [
    "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "scope", "scp",
];

fn is_registered(name: &str) -> bool {
    REGISTERED.contains(&name)
}

/// The deserializer `C` sees: the payload, always read as an object.
struct Interpose<'a, 'r, 'de> {
    inner: &'a mut serde_json::Deserializer<serde_json::de::StrRead<'de>>,
    recorded: &'r mut Recorded,
}

impl<'de> Deserializer<'de> for Interpose<'_, '_, 'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.inner.deserialize_map(InterposeVisitor {
            visitor,
            recorded: self.recorded,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

struct InterposeVisitor<'r, V> {
    visitor: V,
    recorded: &'r mut Recorded,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for InterposeVisitor<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JWT claims object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        self.recorded.object = true;
        let mut seen = Seen::new();
        self.visitor.visit_map(InterposeMap {
            inner: map,
            recorded: self.recorded,
            seen: &mut seen,
            replay: None,
        })
    }
}

struct InterposeMap<'r, 's, 'de, A> {
    inner: A,
    recorded: &'r mut Recorded,
    seen: &'s mut Seen<'de>,
    /// The value of the current member when it was a registered claim, already read.
    replay: Option<Value<'de>>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for InterposeMap<'_, '_, 'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let Some(Str(name)) = self.inner.next_key::<Str<'de>>()? else {
            return Ok(None);
        };
        if !self.seen.insert(name.clone()) {
            self.recorded.duplicate = true;
            return Err(de::Error::custom("duplicate member"));
        }
        self.replay = None;
        if name == "nonce" {
            self.recorded.nonce = true;
        } else if name == "cnf" {
            self.recorded.cnf = true;
        }
        if is_registered(&name) {
            let value = self.inner.next_value::<Value<'de>>()?;
            self.recorded.record(&name, &value);
            self.replay = Some(value);
        }
        match name {
            Cow::Borrowed(b) => seed.deserialize(BorrowedStrDeserializer::new(b)),
            Cow::Owned(o) => seed.deserialize(o.into_deserializer()),
        }
        .map(Some)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, Self::Error> {
        match self.replay.take() {
            None => self.inner.next_value_seed(seed),
            Some(Value::Str(Cow::Borrowed(s))) => seed.deserialize(BorrowedStrDeserializer::new(s)),
            Some(Value::Str(Cow::Owned(s))) => seed.deserialize(s.into_deserializer()),
            Some(Value::Number(Number::U64(n))) => seed.deserialize(n.into_deserializer()),
            Some(Value::Number(Number::I64(n))) => seed.deserialize(n.into_deserializer()),
            Some(Value::Number(Number::F64(n))) => seed.deserialize(n.into_deserializer()),
            Some(Value::Strings(v)) => seed.deserialize(SeqDeserializer::new(v.into_iter())),
            // A registered claim of another type: the token is refused whatever `C` does.
            Some(Value::Other) => seed.deserialize(UnitDeserializer::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn parse_none(j: &str) -> Result<Recorded, TokenError> {
        parse::<NoClaims>(j.as_bytes()).map(|(r, _)| r)
    }

    #[test]
    fn reads_registered_claims_and_scopes() {
        let r = parse_none(
            r#"{"iss":"i","sub":"s","aud":["a","b"],"exp":10.9,"nbf":1,"iat":2,"jti":"j",
                "scope":"read write","scp":["admin","read"],"extra":{"exp":"x"}}"#,
        )
        .ok();
        let r = r.as_ref();
        assert_eq!(r.map(|r| r.registered.exp()), Some(Some(10)));
        assert_eq!(r.map(|r| r.registered.aud().count()), Some(2));
        assert_eq!(r.map(|r| r.scopes.as_str()), Some("read write admin"));
        assert!(r.is_some_and(|r| !r.wrong_type));
    }

    #[test]
    fn wrong_types_are_refused_not_ignored() {
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
            assert_eq!(parse_none(j).err(), Some(TokenError::ClaimType), "{j}");
        }
        assert!(parse_none(r#"{"aud":[]}"#).is_ok_and(|r| r.empty_aud));
    }

    #[test]
    fn duplicates_and_non_objects_are_refused() {
        for j in [
            r#"{"sub":"a","sub":"b"}"#,
            r#"{"x":1,"x":1}"#,
            r#"{"x":1,"\u0078":1}"#,
            r#"["sub"]"#,
            r#""sub""#,
            r#"{"sub":"a"} trailing"#,
            "",
            "{",
        ] {
            assert_eq!(parse_none(j).err(), Some(TokenError::Claims), "{j}");
        }
    }

    #[test]
    fn the_app_type_sees_every_member_including_registered_ones() {
        #[derive(serde::Deserialize)]
        struct App {
            sub: String,
            exp: u64,
            aud: Vec<String>,
            name: String,
            nested: BTreeMap<String, u8>,
        }
        let (r, app) = parse::<App>(
            br#"{"sub":"s","exp":99,"aud":["x"],"name":"Ada","nested":{"a":1},"scope":"r"}"#,
        )
        .map_err(|e| e.to_string())
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (app.sub.as_str(), app.exp, app.name.as_str()),
            ("s", 99, "Ada")
        );
        assert_eq!(app.aud, ["x"]);
        assert_eq!(app.nested.get("a"), Some(&1));
        assert_eq!(r.registered.sub(), Some("s"));
        assert_eq!(r.scopes.as_str(), "r");
    }

    #[test]
    fn a_shape_mismatch_is_claims_shape() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct App {
            name: String,
        }
        assert_eq!(
            parse::<App>(br#"{"sub":"s"}"#).err().map(|e| e.to_string()),
            Some(TokenError::ClaimsShape.to_string())
        );
        assert_eq!(
            parse::<App>(br#"{"name":1}"#).err().map(|e| e.to_string()),
            Some(TokenError::ClaimsShape.to_string())
        );
    }

    #[test]
    fn a_json_map_type_gets_every_claim() {
        let (_, map) = parse::<serde_json::Map<String, serde_json::Value>>(
            br#"{"sub":"s","exp":1.5,"aud":["a"],"x":[1,{"y":null}]}"#,
        )
        .map_err(|e| e.to_string())
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            serde_json::Value::Object(map),
            serde_json::json!({"sub":"s","exp":1.5,"aud":["a"],"x":[1,{"y":null}]})
        );
    }

    #[test]
    fn no_claims_accepts_anything() {
        assert!(serde_json::from_str::<NoClaims>(r#"{"a":[1,{"b":2}]}"#).is_ok());
    }
}
