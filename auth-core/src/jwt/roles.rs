//! Roles read from nested claims: [`ClaimPath`] names where a provider puts them.

use std::fmt;

use crate::scope::Roles;

/// Where in a token's claims roles or groups are: a member name, then the names of nested
/// members. A value found there that is an array of strings gives one role per string, a
/// string gives one role; any other value, or nothing there, gives none.
///
/// | provider | path |
/// |---|---|
/// | Keycloak, realm roles | `ClaimPath::parse("realm_access.roles")` |
/// | Keycloak, a client's roles | `ClaimPath::new(["resource_access", "my-client", "roles"])` |
/// | Entra ID | `ClaimPath::parse("roles")`, `ClaimPath::parse("groups")` |
/// | Auth0 (namespaced claim) | `ClaimPath::new(["https://example.com/roles"])` |
///
/// ```
/// use auth_core::jwt::ClaimPath;
/// assert_eq!(ClaimPath::parse("realm_access.roles").segments(), ["realm_access", "roles"]);
/// // A name with dots (a URL) is one segment when given through `new`.
/// assert_eq!(ClaimPath::new(["https://example.com/roles"]).segments().len(), 1);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct ClaimPath(Vec<String>);

impl ClaimPath {
    /// A path from its segments, first the top-level claim's name.
    pub fn new<I, S>(segments: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ClaimPath(segments.into_iter().map(Into::into).collect())
    }

    /// A path written with dots between segments (`realm_access.roles`). For a claim name
    /// that holds a dot, use [`new`](Self::new).
    pub fn parse(dotted: &str) -> Self {
        ClaimPath::new(dotted.split('.'))
    }

    /// The segments.
    pub fn segments(&self) -> &[String] {
        &self.0
    }

    /// Whether the path names something: at least one segment, none empty.
    pub(crate) fn is_valid(&self) -> bool {
        !self.0.is_empty() && self.0.iter().all(|s| !s.is_empty())
    }

    /// The value at this path in `claims`, if any.
    fn find<'v>(&self, claims: &'v serde_json::Value) -> Option<&'v serde_json::Value> {
        self.0
            .iter()
            .try_fold(claims, |value, segment| value.as_object()?.get(segment))
    }
}

impl fmt::Debug for ClaimPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("."))
    }
}

impl From<&str> for ClaimPath {
    /// [`ClaimPath::parse`].
    fn from(dotted: &str) -> Self {
        ClaimPath::parse(dotted)
    }
}

/// The roles found at `paths` in a verified payload. Read only when a validator has role
/// paths, so tokens of validators without them pay nothing; the payload is parsed again
/// here (a tree is needed to walk nested members) rather than in the one-pass claims
/// reader, which stays lean for the usual case.
pub(crate) fn roles_of(paths: &[ClaimPath], payload: &[u8]) -> Roles {
    let mut roles = Roles::default();
    if paths.is_empty() {
        return roles;
    }
    let Ok(claims) = serde_json::from_slice::<serde_json::Value>(payload) else {
        return roles;
    };
    for path in paths {
        match path.find(&claims) {
            Some(serde_json::Value::String(role)) => roles.push(role),
            Some(serde_json::Value::Array(items)) => items
                .iter()
                .filter_map(serde_json::Value::as_str)
                .for_each(|role| roles.push(role)),
            _ => {}
        }
    }
    roles
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roles(paths: &[&str], payload: &str) -> Vec<String> {
        let paths: Vec<ClaimPath> = paths.iter().map(|p| ClaimPath::parse(p)).collect();
        roles_of(&paths, payload.as_bytes())
            .iter()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn roles_come_from_every_configured_path() {
        let payload = r#"{"roles":["admin","read"],"realm_access":{"roles":["ops","admin"]},
            "resource_access":{"app":{"roles":["editor"]}},"groups":"g1"}"#;
        assert_eq!(
            roles(
                &[
                    "roles",
                    "realm_access.roles",
                    "resource_access.app.roles",
                    "groups"
                ],
                payload
            ),
            ["admin", "read", "ops", "editor", "g1"]
        );
        assert!(roles(&[], payload).is_empty());
    }

    #[test]
    fn other_shapes_give_no_roles() {
        for payload in [
            r#"{"roles":{"admin":true}}"#,
            r#"{"roles":[1,true,null]}"#,
            r#"{"realm_access":["roles"]}"#,
            r#"{"realm_access":{"roles":5}}"#,
            r#"{}"#,
        ] {
            assert!(
                roles(&["roles", "realm_access.roles"], payload).is_empty(),
                "{payload}"
            );
        }
    }

    #[test]
    fn a_namespaced_claim_is_one_segment() {
        let path = ClaimPath::new(["https://example.com/roles"]);
        let got = roles_of(&[path], br#"{"https://example.com/roles":["admin"]}"#);
        assert!(got.contains("admin"));
        assert!(!ClaimPath::parse("a..b").is_valid());
        assert!(ClaimPath::parse("a.b").is_valid());
    }
}
