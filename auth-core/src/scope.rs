//! Scopes and roles granted to a credential, and what a route requires of them.
//!
//! One model serves JWTs (`scope`, a space-delimited string, and `scp`, an array) and API
//! keys. Roles come from the claims a JWT validator is told to read
//! ([`JwtValidatorBuilder::roles_from`](crate::jwt::JwtValidatorBuilder::roles_from):
//! Keycloak's `realm_access.roles`, Entra ID's `roles` and `groups`, a namespaced Auth0
//! claim). Names match exactly: case-sensitive, no wildcards.
//!
//! A requirement can also be a type, so a handler's signature says what it needs
//! ([`requirement!`](crate::requirement), [`Policy`]).

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
        // Bytes split on a byte: this runs for each required scope on every guarded request,
        // and a `str` pattern search costs several times more for these short names.
        let scope = scope.as_bytes();
        !scope.is_empty() && self.0.as_bytes().split(|&b| b == b' ').any(|s| s == scope)
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
    // On bytes, split on a byte (see `contains`); an empty name is a leading, trailing or
    // doubled space. Quadratic, for the handful of names a token carries.
    let names = || scope.as_bytes().split(|&b| b == b' ');
    names()
        .enumerate()
        .all(|(i, n)| !n.is_empty() && !names().take(i).any(|m| m == n))
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

/// What a route requires: scopes (all of a set, or any one of a set), and optionally roles
/// that grant access as well (a credential that meets either part passes).
///
/// ```
/// use auth_core::scope::{Roles, ScopeRequirement, Scopes};
/// // Scope `admin`, or else the role `admin` (read from the token's role claims).
/// let req = ScopeRequirement::all(["admin"]).or_any_role(["admin"]);
/// let read = Scopes::new(["read"])?;
/// assert!(!req.is_met(&read, &Roles::default()));
/// assert!(req.is_met(&read, &Roles::new(["admin"])));
/// assert!(req.is_met(&Scopes::new(["admin"])?, &Roles::default()));
/// # Ok::<(), auth_core::scope::InvalidScope>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeRequirement {
    any: bool,
    scopes: Vec<String>,
    roles: Option<RoleRule>,
}

/// Roles that meet a requirement: all of them, or any one.
#[derive(Debug, Clone, PartialEq, Eq)]
struct RoleRule {
    any: bool,
    roles: Vec<String>,
}

impl RoleRule {
    fn is_met_by(&self, granted: &Roles) -> bool {
        if self.any {
            self.roles.iter().any(|r| granted.contains(r))
        } else {
            self.roles.iter().all(|r| granted.contains(r))
        }
    }
}

fn names<I, S>(names: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    names.into_iter().map(Into::into).collect()
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
            scopes: names(scopes),
            roles: None,
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
            scopes: names(scopes),
            roles: None,
        }
    }

    /// At least one of `roles` is required, and no scope grants access (an API key, which
    /// has no roles, never meets it).
    ///
    /// ```
    /// use auth_core::scope::{Roles, ScopeRequirement, Scopes};
    /// let req = ScopeRequirement::any_role(["admin", "ops"]);
    /// assert!(req.is_met(&Scopes::default(), &Roles::new(["ops"])));
    /// assert!(!req.is_met(&Scopes::new(["admin"])?, &Roles::default()));
    /// # Ok::<(), auth_core::scope::InvalidScope>(())
    /// ```
    pub fn any_role<I, S>(roles: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ScopeRequirement::any(Vec::<String>::new()).or_any_role(roles)
    }

    /// Every one of `roles` is required, and no scope grants access.
    pub fn all_roles<I, S>(roles: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ScopeRequirement::any(Vec::<String>::new()).or_all_roles(roles)
    }

    /// Also met by a credential with at least one of `roles` (replaces roles set before).
    pub fn or_any_role<I, S>(mut self, roles: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.roles = Some(RoleRule {
            any: true,
            roles: names(roles),
        });
        self
    }

    /// Also met by a credential with every one of `roles` (replaces roles set before).
    pub fn or_all_roles<I, S>(mut self, roles: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.roles = Some(RoleRule {
            any: false,
            roles: names(roles),
        });
        self
    }

    /// The scopes named by the requirement (listed in the `scope` challenge attribute).
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    /// Whether any one of [`scopes`](Self::scopes) is enough (rather than all of them).
    pub fn is_any(&self) -> bool {
        self.any
    }

    /// The roles that grant access as well (empty when only scopes do).
    pub fn roles(&self) -> &[String] {
        self.roles.as_ref().map_or(&[], |r| &r.roles)
    }

    /// Whether `granted` scopes meet the requirement (roles left aside: an API key's case).
    pub fn is_met_by(&self, granted: &Scopes) -> bool {
        if self.any {
            self.scopes.iter().any(|s| granted.contains(s))
        } else {
            self.scopes.iter().all(|s| granted.contains(s))
        }
    }

    /// Whether a credential with `scopes` and `roles` meets the requirement: its scopes do,
    /// or its roles meet the roles part.
    pub fn is_met(&self, scopes: &Scopes, roles: &Roles) -> bool {
        self.is_met_by(scopes) || self.roles.as_ref().is_some_and(|r| r.is_met_by(roles))
    }
}

/// The roles a verified token carries, read from the claims its validator was told to read
/// ([`JwtValidatorBuilder::roles_from`](crate::jwt::JwtValidatorBuilder::roles_from)); empty
/// when it reads none. Kept in the order first seen, each once.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Roles(Vec<String>);

impl Roles {
    /// Roles from a list of names; duplicates and empty names are dropped.
    pub fn new<I, S>(roles: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut out = Roles::default();
        for r in roles {
            out.push(r.as_ref());
        }
        out
    }

    pub(crate) fn push(&mut self, role: &str) {
        if !role.is_empty() && !self.contains(role) {
            self.0.push(role.to_owned());
        }
    }

    /// Whether `role` is among them (exact, case-sensitive match).
    pub fn contains(&self, role: &str) -> bool {
        self.0.iter().any(|r| r == role)
    }

    /// Iterate over the role names.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Roles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Serialized as an array of names.
impl serde::Serialize for Roles {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

/// A route's requirement as a type, so a handler's arguments say what it needs (the
/// adapters' `Authorized<P, C>` extractors check it). Declare one with
/// [`requirement!`](crate::requirement).
pub trait Policy: Default + Send + Sync + 'static {
    /// The requirement, built once.
    fn requirement() -> &'static ScopeRequirement;
}

/// Declare a [`Policy`]: a unit type whose requirement is the expression given, built
/// once on first use.
///
/// ```
/// use auth_core::scope::{Policy, Roles, ScopeRequirement, Scopes};
///
/// auth_core::requirement! {
///     /// Administrators: the `admin` scope, or the `admin` role.
///     pub Admin = ScopeRequirement::all(["admin"]).or_any_role(["admin"]);
/// }
///
/// assert!(Admin::requirement().is_met(&Scopes::default(), &Roles::new(["admin"])));
/// ```
#[macro_export]
macro_rules! requirement {
    ($(#[$meta:meta])* $vis:vis $name:ident = $requirement:expr;) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        $vis struct $name;

        impl $crate::scope::Policy for $name {
            fn requirement() -> &'static $crate::scope::ScopeRequirement {
                static REQUIREMENT: ::std::sync::LazyLock<$crate::scope::ScopeRequirement> =
                    ::std::sync::LazyLock::new(|| $requirement);
                &REQUIREMENT
            }
        }
    };
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
    fn roles_grant_access_only_through_the_roles_part() {
        let scopes = Scopes::new(["read"]).unwrap_or_default();
        let admin = Roles::new(["admin", "admin", ""]);
        assert_eq!(admin.iter().collect::<Vec<_>>(), ["admin"]);
        let scope_only = ScopeRequirement::all(["admin"]);
        assert!(
            !scope_only.is_met(&scopes, &admin),
            "roles alone grant nothing"
        );
        assert!(
            scope_only
                .clone()
                .or_any_role(["admin"])
                .is_met(&scopes, &admin)
        );
        assert!(!scope_only.or_any_role(["Admin"]).is_met(&scopes, &admin));
        let both = ScopeRequirement::all_roles(["a", "b"]);
        assert!(!both.is_met(&scopes, &Roles::new(["a"])));
        assert!(both.is_met(&scopes, &Roles::new(["b", "a"])));
        assert!(!both.is_met_by(&scopes), "an API key has no roles");
        assert!(!ScopeRequirement::any_role(Vec::<String>::new()).is_met(&scopes, &admin));
    }

    #[test]
    fn empty_any_is_never_met_and_empty_all_always() {
        let s = Scopes::new(["a"]).unwrap_or_default();
        assert!(!s.satisfies(&ScopeRequirement::any(Vec::<String>::new())));
        assert!(s.satisfies(&ScopeRequirement::all(Vec::<String>::new())));
    }
}
