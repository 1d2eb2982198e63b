//! Single-pass JSON object readers for the JOSE header and the registered claims.
//!
//! Written by hand (over serde) because no crate does both things we need in one pass:
//! refuse duplicate member names (RFC 7515 §5.2, RFC 8725 §2.6), which serde's derive
//! ignores for unknown members and `serde_json::Value` silently resolves to the last one,
//! and report a registered claim of the wrong JSON type as such instead of a generic
//! parse error (such a claim is refused, never treated as absent). Values are borrowed from
//! the decoded bytes; only the strings handed to the application are allocated.

use std::{borrow::Cow, fmt};

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A member name or string value, borrowed when it has no escapes.
pub(crate) struct Str<'a>(pub(crate) Cow<'a, str>);

impl<'de> Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A JSON number, in the form the parser gave it (so it can be replayed unchanged).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number {
    U64(u64),
    I64(i64),
    F64(f64),
}

/// Any JSON value, classified by type; strings are kept, containers are skipped.
pub(crate) enum Value<'a> {
    Number(Number),
    Str(Cow<'a, str>),
    /// An array whose members are all strings.
    Strings(Vec<Cow<'a, str>>),
    /// Anything else: objects, booleans, null, arrays with non-string members.
    Other,
}

impl<'de> Deserialize<'de> for Value<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Value<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Value::Number(Number::U64(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Value::Number(Number::I64(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Value::Number(Number::F64(v)))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(Value::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Value::Other)
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Value::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Value::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Value::Str(Cow::Owned(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                let mut all_strings = true;
                while let Some(item) = seq.next_element::<Value<'de>>()? {
                    match item {
                        Value::Str(s) if all_strings => out.push(s),
                        _ => all_strings = false,
                    }
                }
                Ok(if all_strings {
                    Value::Strings(out)
                } else {
                    Value::Other
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                // Nested objects may repeat names freely: only the top level is checked.
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Value::Other)
            }
        }
        d.deserialize_any(V)
    }
}

/// Member names seen so far in one object; a repeat is a duplicate.
///
/// Names borrowed from the input live in a fixed array on the stack, each with a cheap
/// fingerprint compared first (no allocation and few string comparisons for the usual
/// token); names with escapes, or beyond the array, go to a vector.
pub(crate) struct Seen<'a> {
    fingerprints: [u64; 32],
    names: [&'a str; 32],
    len: usize,
    owned: Vec<String>,
}

/// Length and up to the first eight bytes: distinct for almost all claim names.
fn fingerprint(s: &str) -> u64 {
    let b = s.as_bytes();
    let mut head = [0u8; 8];
    let n = b.len().min(7);
    head[..n].copy_from_slice(&b[..n]);
    head[7] = b.len() as u8;
    u64::from_le_bytes(head) ^ ((b.len() as u64) << 56)
}

impl<'a> Seen<'a> {
    pub(crate) fn new() -> Self {
        Seen {
            fingerprints: [0; 32],
            names: [""; 32],
            len: 0,
            owned: Vec::new(),
        }
    }

    /// Record `name`; false when it was seen before.
    pub(crate) fn insert(&mut self, name: Cow<'a, str>) -> bool {
        let s: &str = &name;
        let fp = fingerprint(s);
        let seen_inline = self.fingerprints[..self.len]
            .iter()
            .zip(&self.names[..self.len])
            .any(|(f, n)| *f == fp && *n == s);
        if seen_inline || self.owned.iter().any(|o| o == s) {
            return false;
        }
        match name {
            Cow::Borrowed(b) if self.len < self.names.len() => {
                self.fingerprints[self.len] = fp;
                self.names[self.len] = b;
                self.len += 1;
            }
            other => self.owned.push(other.into_owned()),
        }
        true
    }
}

/// Read an object member by member: `on_member(name, map)` must consume the value.
/// Fails on a non-object or a repeated member name.
pub(crate) fn for_each_member<'de, A, F>(mut map: A, mut on_member: F) -> Result<(), A::Error>
where
    A: MapAccess<'de>,
    F: FnMut(&str, &mut A) -> Result<(), A::Error>,
{
    let mut seen = Seen::new();
    while let Some(Str(name)) = map.next_key::<Str<'de>>()? {
        if !seen.insert(name.clone()) {
            return Err(de::Error::custom("duplicate member"));
        }
        on_member(&name, &mut map)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_detects_repeats_borrowed_owned_and_beyond_the_array() {
        let mut seen = Seen::new();
        let names: Vec<String> = (0..40).map(|i| format!("n{i}")).collect();
        for n in &names {
            assert!(seen.insert(Cow::Borrowed(n)));
        }
        for n in &names {
            assert!(!seen.insert(Cow::Borrowed(n)), "{n}");
            assert!(!seen.insert(Cow::Owned(n.clone())), "{n}");
        }
        assert!(seen.insert(Cow::Owned("escaped".into())));
        assert!(!seen.insert(Cow::Borrowed("escaped")));
    }
}
