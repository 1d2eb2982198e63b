//! OpenAPI security schemes and requirements from the validators and guards, for
//! [`utoipa`] (feature `openapi`): an app's document says what each route requires from the
//! same values its guards check, so the two cannot drift apart.
//!
//! [`SecuritySchemes`] reads the schemes off the configured validators — `bearer` (HTTP
//! bearer, JWT), `cookie` (a token in a cookie: sign-in's session), `dpop` (when the validator takes DPoP-bound tokens), `api_key` (the key's
//! header), and one OAuth 2.0 authorization-code scheme per sign-in provider, with the
//! endpoints found by discovery — and adds them to a document as a [`utoipa::Modify`].
//! [`SecuritySchemes::jwt`] and [`SecuritySchemes::api_key`] then turn a route's
//! [`ScopeRequirement`] into its operation's `security`: the alternatives that meet it.
//!
//! ```
//! use auth_core::{
//!     jwt::{Algorithm, JwtValidator, VerifyingKey},
//!     openapi::SecuritySchemes,
//!     scope::ScopeRequirement,
//! };
//! use utoipa::{Modify, openapi::{HttpMethod, OpenApiBuilder, PathItem, PathsBuilder,
//!     path::OperationBuilder}};
//!
//! let validator = JwtValidator::builder()
//!     .key(VerifyingKey::hmac(Algorithm::HS256, b"0123456789abcdefghijklmnopqrstuv")?)
//!     .issuer("https://login.example.com")
//!     .build()?;
//! let schemes = SecuritySchemes::new().bearer(&validator);
//! // The requirement the route's guard checks, written once.
//! let admin = ScopeRequirement::all(["admin"]);
//! let get_admin = OperationBuilder::new()
//!     .operation_id(Some("admin"))
//!     .securities(Some(schemes.jwt(&admin)))
//!     .build();
//! let mut doc = OpenApiBuilder::new()
//!     .paths(PathsBuilder::new().path("/admin", PathItem::new(HttpMethod::Get, get_admin)))
//!     .build();
//! schemes.modify(&mut doc);
//! let json: serde_json::Value = serde_json::from_str(&doc.to_json()?)?;
//! assert_eq!(json["openapi"], "3.1.0");
//! assert_eq!(json["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
//! assert_eq!(json["paths"]["/admin"]["get"]["security"][0]["bearer"][0], "admin");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Roles ([`ScopeRequirement::or_any_role`]) are not written: OpenAPI has no way to say
//! which claim carries them; a route that also takes a role should say so in its
//! description.

use utoipa::openapi::{
    OpenApi,
    security::{
        ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
    },
};

use crate::{apikey::ApiKeyValidator, jwt::JwtValidator, scope::ScopeRequirement};

/// The name of the HTTP bearer (JWT) scheme.
pub const BEARER: &str = "bearer";
/// The name of the DPoP scheme (RFC 9449): `Authorization: DPoP <token>` with a `DPoP`
/// proof header. OpenAPI has no DPoP scheme type; it is written as the proof's header.
pub const DPOP: &str = "dpop";
/// The name of the scheme of a token in a cookie (the session cookie of sign-in).
pub const COOKIE: &str = "cookie";
/// The name of the API-key scheme.
pub const API_KEY: &str = "api_key";

/// The security schemes of an app, read off its validators and sign-in.
#[derive(Clone, Default)]
pub struct SecuritySchemes {
    schemes: Vec<(String, SecurityScheme)>,
    /// The schemes a token from a [`JwtValidator`] can come through.
    token_schemes: Vec<String>,
}

impl SecuritySchemes {
    /// No schemes yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The schemes of `validator`'s tokens: `bearer` (HTTP bearer, format JWT, its issuers
    /// named), `cookie` when it reads tokens from a cookie (the first one it reads), and `dpop` when it takes DPoP-bound tokens (the proof algorithms named).
    #[must_use]
    pub fn bearer(mut self, validator: &JwtValidator) -> Self {
        let described = validator.describe();
        let issuers = if described.issuers.is_empty() {
            String::new()
        } else {
            format!(" Issuers: {}.", described.issuers.join(", "))
        };
        let bearer = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(format!(
                "A JWT in `Authorization: Bearer <token>`.{issuers} \
                 A 401 or 403 names the problem in `WWW-Authenticate` (RFC 6750)."
            )))
            .build();
        self.add(BEARER, SecurityScheme::Http(bearer), true);
        if let Some(name) = described.cookies.first() {
            let cookie = ApiKeyValue::with_description(
                name.clone(),
                format!(
                    "The same token in a cookie (a browser session, set by sign-in); unsafe \
                     methods must come from the app's own origin.{issuers}"
                ),
            );
            self.add(COOKIE, SecurityScheme::ApiKey(ApiKey::Cookie(cookie)), true);
        }
        if !described.dpop_algs.is_empty() {
            let dpop = ApiKeyValue::with_description(
                "DPoP".to_owned(),
                format!(
                    "A DPoP-bound access token (RFC 9449): `Authorization: DPoP <token>` with a \
                     `DPoP` proof signed by the bound key ({}).{issuers}",
                    described.dpop_algs.join(", ")
                ),
            );
            self.add(DPOP, SecurityScheme::ApiKey(ApiKey::Header(dpop)), true);
        }
        self
    }

    /// The scheme of `validator`'s keys: `api_key`, in its header (`X-API-Key` unless
    /// configured otherwise).
    #[must_use]
    pub fn keys(mut self, validator: &ApiKeyValidator) -> Self {
        let also = if validator.takes_authorization() {
            " (or `Authorization: ApiKey <key>`)"
        } else {
            ""
        };
        let key = ApiKeyValue::with_description(
            validator.header_name().to_owned(),
            format!("An API key{also}; its scopes are those of the key."),
        );
        self.add(API_KEY, SecurityScheme::ApiKey(ApiKey::Header(key)), false);
        self
    }

    /// One OAuth 2.0 authorization-code scheme per provider of `login`, named
    /// `oauth2_{provider}`, with the provider's endpoints (from discovery) and the scopes
    /// sign-in asks for. Only when the JWT validator also accepts that provider's access
    /// tokens does a route take them: pass `accepted = true` then, and [`jwt`](Self::jwt)
    /// lists the scheme among a route's alternatives.
    #[cfg(feature = "login")]
    #[must_use]
    pub fn sign_in(mut self, login: &crate::login::Login, accepted: bool) -> Self {
        use utoipa::openapi::security::{AuthorizationCode, Flow, OAuth2, Scopes};
        for (name, (authorize, token, scopes)) in login.provider_endpoints() {
            let scopes = Scopes::from_iter(scopes.iter().map(|s| (s.as_str(), s.as_str())));
            let flow = Flow::AuthorizationCode(AuthorizationCode::new(authorize, token, scopes));
            let oauth = OAuth2::with_description(
                [flow],
                "Authorization code with PKCE (S256 required); the toolkit's sign-in routes \
                 run it for a browser."
                    .to_owned(),
            );
            self.add(
                &format!("oauth2_{name}"),
                SecurityScheme::OAuth2(oauth),
                accepted,
            );
        }
        self
    }

    fn add(&mut self, name: &str, scheme: SecurityScheme, token: bool) {
        self.schemes.retain(|(n, _)| n != name);
        self.token_schemes.retain(|n| n != name);
        self.schemes.push((name.to_owned(), scheme));
        if token {
            self.token_schemes.push(name.to_owned());
        }
    }

    /// The schemes, by name.
    pub fn schemes(&self) -> impl Iterator<Item = (&str, &SecurityScheme)> {
        self.schemes.iter().map(|(n, s)| (n.as_str(), s))
    }

    /// The `security` of a route whose JWT guard or extractor checks `requirement`: each
    /// token scheme with the scopes required (all of them: one alternative per scheme; any
    /// of them: one alternative per scheme and scope).
    pub fn jwt(&self, requirement: &ScopeRequirement) -> Vec<SecurityRequirement> {
        self.token_schemes
            .iter()
            .flat_map(|scheme| alternatives(scheme, requirement))
            .collect()
    }

    /// The `security` of a route whose API-key guard checks `requirement`.
    pub fn api_key(&self, requirement: &ScopeRequirement) -> Vec<SecurityRequirement> {
        alternatives(API_KEY, requirement)
    }
}

/// The alternatives of `requirement` for one scheme.
fn alternatives(scheme: &str, requirement: &ScopeRequirement) -> Vec<SecurityRequirement> {
    let scopes = requirement.scopes();
    if requirement.is_any() && scopes.len() > 1 {
        scopes
            .iter()
            .map(|s| SecurityRequirement::new(scheme, [s.as_str()]))
            .collect()
    } else {
        vec![SecurityRequirement::new(
            scheme,
            scopes.iter().map(String::as_str),
        )]
    }
}

/// The schemes' names (utoipa's types are `Debug` only with its `debug` feature).
impl std::fmt::Debug for SecuritySchemes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecuritySchemes")
            .field(
                "schemes",
                &self.schemes.iter().map(|(n, _)| n).collect::<Vec<_>>(),
            )
            .field("token_schemes", &self.token_schemes)
            .finish()
    }
}

/// Adds the schemes to the document's components.
impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (name, scheme) in &self.schemes {
            components.add_security_scheme(name, scheme.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::jwt::{Algorithm, VerifyingKey};
    use serde_json::{Value, json};

    fn validator() -> JwtValidator {
        JwtValidator::builder()
            .key(VerifyingKey::hmac(Algorithm::HS256, b"0123456789abcdefghijklmnopqrstuv").unwrap())
            .issuer("https://login.example.com")
            .build()
            .unwrap()
    }

    fn json(reqs: &[SecurityRequirement]) -> Value {
        serde_json::to_value(reqs).unwrap()
    }

    #[test]
    fn requirements_follow_the_scope_rule() {
        let schemes = SecuritySchemes::new().bearer(&validator());
        let all = ScopeRequirement::all(["a", "b"]);
        assert_eq!(json(&schemes.jwt(&all)), json!([{ "bearer": ["a", "b"] }]));
        let any = ScopeRequirement::any(["a", "b"]);
        assert_eq!(
            json(&schemes.jwt(&any)),
            json!([{ "bearer": ["a"] }, { "bearer": ["b"] }])
        );
        let none = ScopeRequirement::all(Vec::<String>::new());
        assert_eq!(json(&schemes.jwt(&none)), json!([{ "bearer": [] }]));
        assert_eq!(
            json(&schemes.api_key(&ScopeRequirement::all(["stats:read"]))),
            json!([{ "api_key": ["stats:read"] }])
        );
    }

    #[test]
    fn dpop_is_an_alternative_when_the_validator_takes_it() {
        let dpop = crate::jwt::Dpop::new("https://api.example.com").unwrap();
        let validator = JwtValidator::builder()
            .key(VerifyingKey::hmac(Algorithm::HS256, b"0123456789abcdefghijklmnopqrstuv").unwrap())
            .dpop(dpop)
            .build()
            .unwrap();
        let schemes = SecuritySchemes::new().bearer(&validator);
        let reqs = schemes.jwt(&ScopeRequirement::all(["read"]));
        assert_eq!(
            json(&reqs),
            json!([{ "bearer": ["read"] }, { "dpop": ["read"] }])
        );
        let names: Vec<&str> = schemes.schemes().map(|(n, _)| n).collect();
        assert_eq!(names, ["bearer", "dpop"]);
    }

    #[test]
    fn the_key_scheme_names_the_header() {
        let store = crate::apikey::MemoryStore::new();
        let keys = ApiKeyValidator::builder(std::sync::Arc::new(store))
            .build()
            .unwrap();
        let schemes = SecuritySchemes::new().keys(&keys);
        let (_, scheme) = schemes.schemes().next().unwrap();
        let scheme = serde_json::to_value(scheme).unwrap();
        assert_eq!(scheme["type"], "apiKey");
        assert_eq!(scheme["in"], "header");
        assert_eq!(scheme["name"], "X-API-Key");
    }
}
