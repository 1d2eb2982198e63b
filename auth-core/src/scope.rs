//! Scopes granted to a credential, and the scopes a route requires.
//!
//! One model serves JWTs (`scope`, a space-delimited string, and `scp`, an array) and, later,
//! API keys. Scope names match exactly: case-sensitive, no wildcards.

use std::fmt;

/// The scopes a verified credential carries.
///
/// Kept as one space-separated string (one allocation per token, however many scopes).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Scopes(String);

/// A name that is not an RFC 6749 §3.3 `scope-token`: empty, or holding a space, a
/// quote, a backslash or a character outside printable ASCII.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a scope name: use printable ASCII without spaces, quotes or backslashes (one name per scope)"
)]
pub struct InvalidScope(pub String);

/// Whether `name` is an RFC 6749 §3.3 `scope-token`: `1*( %x21 / %x23-5B / %x5D-7E )`.
///
/// ```
/// use auth_core::scope::is_scope_token;
/// assert!(is_scope_token("stats:read"));
/// assert!(!is_scope_token("stats:read admin"));
/// assert!(!is_scope_token(""));
/// assert!(!is_scope_token("has\"quote"));
/// ```
pub fn is_scope_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| matches!(b, 0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

impl Scopes {
    /// Scopes from a list of names; duplicates are kept once.
    ///
    /// # Errors
    ///
    /// The first name that is not a scope-token ([`is_scope_token`]): a space-separated
    /// list passed as one name is refused rather than read as no scope at all.
    ///
    /// ```
    /// use auth_core::scope::Scopes;
    /// assert_eq!(Scopes::new(["a", "b", "a"])?.as_str(), "a b");
    /// assert!(Scopes::new(["stats:read admin"]).is_err());
    /// # Ok::<(), auth_core::scope::InvalidScope>(())
    /// ```
    pub fn new<I, S>(scopes: I) -> Result<Self, InvalidScope>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut out = Scopes::default();
        for s in scopes {
            let s = s.as_ref();
            if !is_scope_token(s) {
                return Err(InvalidScope(s.to_owned()));
            }
            out.push(s);
        }
        Ok(out)
    }

    /// Add the names of a space-delimited `scope` string.
    pub fn extend_delimited(&mut self, scope: &str) {
        // The usual case, on every request: a well-formed `scope` claim (single spaces, no
        // repeats) into empty scopes is copied as it is.
        if self.0.is_empty() && is_normal(scope) {
            self.0.push_str(scope);
            return;
        }
        self.0.reserve(scope.len());
        for s in scope.split(' ') {
            self.push(s);
        }
    }

    pub(crate) fn push(&mut self, s: &str) {
        if s.is_empty() || s.contains(' ') || self.contains(s) {
            return;
        }
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        self.0.push_str(s);
    }

    /// Whether the credential carries `scope` (exact, case-sensitive match).
    pub fn contains(&self, scope: &str) -> bool {
        self.iter().any(|s| s == scope)
    }

    /// Iterate over the scope names, in the order first seen.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.split(' ').filter(|s| !s.is_empty())
    }

    /// The names as one space-delimited string (the form of the `scope` claim).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether these scopes satisfy `requirement`.
    pub fn satisfies(&self, requirement: &ScopeRequirement) -> bool {
        requirement.is_met_by(self)
    }
}

/// Single spaces between non-empty names, none repeated.
fn is_normal(scope: &str) -> bool {
    if scope.is_empty() || scope.starts_with(' ') || scope.ends_with(' ') || scope.contains("  ") {
        return false;
    }
    let mut names = scope.split(' ');
    let mut rest = names.clone();
    names.all(|n| {
        rest.next();
        !rest.clone().any(|m| m == n)
    })
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Serialized as an array of names.
impl serde::Serialize for Scopes {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// Scopes a route requires: all of a set, or any one of a set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeRequirement {
    any: bool,
    scopes: Vec<String>,
}

impl ScopeRequirement {
    /// Every one of `scopes` is required.
    ///
    /// ```
    /// use auth_core::scope::{ScopeRequirement, Scopes};
    /// let req = ScopeRequirement::all(["read", "write"]);
    /// assert!(!Scopes::new(["read"])?.satisfies(&req));
    /// assert!(Scopes::new(["write", "read"])?.satisfies(&req));
    /// # Ok::<(), auth_core::scope::InvalidScope>(())
    /// ```
    pub fn all<I, S>(scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ScopeRequirement {
            any: false,
            scopes: scopes.into_iter().map(Into::into).collect(),
        }
    }

    /// At least one of `scopes` is required (an empty list is never met).
    ///
    /// ```
    /// use auth_core::scope::{ScopeRequirement, Scopes};
    /// let req = ScopeRequirement::any(["admin", "owner"]);
    /// assert!(Scopes::new(["owner"])?.satisfies(&req));
    /// assert!(!Scopes::new(["Admin"])?.satisfies(&req));
    /// # Ok::<(), auth_core::scope::InvalidScope>(())
    /// ```
    pub fn any<I, S>(scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ScopeRequirement {
            any: true,
            scopes: scopes.into_iter().map(Into::into).collect(),
        }
    }

    /// The scopes named by the requirement (listed in the `scope` challenge attribute).
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// Whether `granted` meets the requirement.
    pub fn is_met_by(&self, granted: &Scopes) -> bool {
        if self.any {
            self.scopes.iter().any(|s| granted.contains(s))
        } else {
            self.scopes.iter().all(|s| granted.contains(s))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimited_scopes_split_on_spaces_and_dedupe() {
        let mut s = Scopes::default();
        s.extend_delimited("read  write read");
        assert_eq!(s.iter().collect::<Vec<_>>(), ["read", "write"]);
        assert_eq!(s.as_str(), "read write");
        assert_eq!(
            serde_json::to_string(&s).unwrap_or_default(),
            r#"["read","write"]"#
        );
    }

    #[test]
    fn well_formed_scope_strings_are_copied_and_others_normalised() {
        for (input, want) in [
            ("a b c", "a b c"),
            ("a b a", "a b"),
            (" a  b ", "a b"),
            ("", ""),
            ("a", "a"),
        ] {
            let mut s = Scopes::default();
            s.extend_delimited(input);
            assert_eq!(s.as_str(), want, "{input:?}");
        }
    }

    #[test]
    fn matching_is_case_sensitive() {
        let s = Scopes::new(["admin"]).unwrap_or_default();
        assert!(!s.satisfies(&ScopeRequirement::all(["ADMIN"])));
        assert!(s.satisfies(&ScopeRequirement::all(["admin"])));
    }

    #[test]
    fn empty_any_is_never_met_and_empty_all_always() {
        let s = Scopes::new(["a"]).unwrap_or_default();
        assert!(!s.satisfies(&ScopeRequirement::any(Vec::<String>::new())));
        assert!(s.satisfies(&ScopeRequirement::all(Vec::<String>::new())));
    }
}
