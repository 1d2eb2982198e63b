//! OAuth 2.0 Protected Resource Metadata (RFC 9728): the document a client (an MCP client,
//! a CLI) fetches to learn which authorization servers issue tokens for an API, which
//! scopes it knows and how to present a token. Served at
//! `/.well-known/oauth-protected-resource` by the adapters' routes, and named by the
//! `resource_metadata` attribute of the API's `WWW-Authenticate` challenges
//! ([`JwtValidatorBuilder::resource_metadata`](crate::jwt::JwtValidatorBuilder::resource_metadata)).
//!
//! ```
//! use auth_core::{jwt::{Algorithm, JwtValidator, VerifyingKey}, metadata::ResourceMetadata};
//!
//! let validator = JwtValidator::builder()
//!     .key(VerifyingKey::hmac(Algorithm::HS256, b"0123456789abcdefghijklmnopqrstuv")?)
//!     .issuer("https://login.example.com")
//!     .resource_metadata("https://api.example.com/.well-known/oauth-protected-resource")
//!     .build()?;
//! let metadata = ResourceMetadata::for_validator("https://api.example.com", &validator)?
//!     .scopes_supported(["read", "admin"])
//!     .build()?;
//! assert_eq!(metadata.path(), "/.well-known/oauth-protected-resource");
//! let doc: serde_json::Value = serde_json::from_str(metadata.json())?;
//! assert_eq!(doc["authorization_servers"][0], "https://login.example.com");
//! assert_eq!(doc["bearer_methods_supported"][0], "header");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::Arc;

use serde_json::{Map, Value, json};
use url::Url;

use crate::{
    error::ConfigError,
    jwt::{JwtValidator, SigningKey},
};

/// The well-known path segment (RFC 9728 §3).
pub const WELL_KNOWN: &str = "/.well-known/oauth-protected-resource";

/// A protected resource's metadata, rendered once: cheap to clone and to serve.
#[derive(Debug, Clone)]
pub struct ResourceMetadata {
    path: Arc<str>,
    url: Arc<str>,
    json: Arc<str>,
}

impl ResourceMetadata {
    /// Start describing the resource identified by `resource`: an `https` URL (or `http`
    /// for development) without a fragment or query (RFC 9728 §1.2).
    ///
    /// # Errors
    ///
    /// [`ConfigError::Metadata`] for a `resource` that is not such a URL.
    pub fn builder(resource: &str) -> Result<ResourceMetadataBuilder, ConfigError> {
        let url =
            Url::parse(resource).map_err(|_| ConfigError::Metadata("resource is not a URL"))?;
        if !matches!(url.scheme(), "https" | "http")
            || url.host_str().is_none()
            || url.fragment().is_some()
            || url.query().is_some()
        {
            return Err(ConfigError::Metadata(
                "resource must be an http(s) URL without query or fragment",
            ));
        }
        Ok(ResourceMetadataBuilder {
            resource: resource.to_owned(),
            url,
            authorization_servers: Vec::new(),
            scopes: Vec::new(),
            bearer_methods: vec!["header"],
            dpop_algs: Vec::new(),
            dpop_required: false,
            name: None,
            documentation: None,
            signer: None,
        })
    }

    /// A builder filled from `validator`'s configuration: its issuers that are URLs as the
    /// authorization servers (an app's own issuer name such as `my-app` is not one), how it
    /// reads tokens (`header`, `query`; a cookie is not an RFC 6750 method) and its DPoP
    /// algorithms when it accepts DPoP.
    ///
    /// # Errors
    ///
    /// As [`builder`](Self::builder).
    pub fn for_validator(
        resource: &str,
        validator: &JwtValidator,
    ) -> Result<ResourceMetadataBuilder, ConfigError> {
        let mut builder = ResourceMetadata::builder(resource)?;
        let described = validator.describe();
        builder.authorization_servers = described
            .issuers
            .into_iter()
            .filter(|i| Url::parse(i).is_ok_and(|u| matches!(u.scheme(), "https" | "http")))
            .collect();
        builder.bearer_methods = described.bearer_methods;
        builder.dpop_algs = described.dpop_algs;
        builder.dpop_required = described.dpop_required;
        Ok(builder)
    }

    /// Where to serve the document: [`WELL_KNOWN`], followed by the resource's path when
    /// it has one (`https://api.example.com/v1` → `/.well-known/oauth-protected-resource/v1`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The document's absolute URL, for the `resource_metadata` challenge attribute.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The document (`application/json`).
    pub fn json(&self) -> &str {
        &self.json
    }
}

/// Configures a [`ResourceMetadata`] document.
pub struct ResourceMetadataBuilder {
    resource: String,
    url: Url,
    authorization_servers: Vec<String>,
    scopes: Vec<String>,
    bearer_methods: Vec<&'static str>,
    dpop_algs: Vec<&'static str>,
    dpop_required: bool,
    name: Option<String>,
    documentation: Option<String>,
    signer: Option<(SigningKey, String)>,
}

impl std::fmt::Debug for ResourceMetadataBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceMetadataBuilder")
            .field("resource", &self.resource)
            .field("authorization_servers", &self.authorization_servers)
            .finish_non_exhaustive()
    }
}

impl ResourceMetadataBuilder {
    /// Replace the authorization servers (issuer identifiers).
    pub fn authorization_servers<I, S>(mut self, issuers: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.authorization_servers = issuers.into_iter().map(Into::into).collect();
        self
    }

    /// The scopes a client may ask for to call this resource.
    pub fn scopes_supported<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    /// Advertise DPoP with `dpop`'s algorithms (`dpop_signing_alg_values_supported`).
    pub fn dpop(mut self, dpop: &crate::jwt::Dpop) -> Self {
        self.dpop_algs = dpop.algorithm_names();
        self
    }

    /// A name for people (`resource_name`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// A page for developers (`resource_documentation`).
    pub fn documentation(mut self, url: impl Into<String>) -> Self {
        self.documentation = Some(url.into());
        self
    }

    /// Also publish the metadata as a JWT signed by `key` with `iss` = `issuer`
    /// (`signed_metadata`, RFC 9728 §2.2): a client that trusts that issuer's keys can
    /// check the values were not altered on the way.
    pub fn signed(mut self, key: SigningKey, issuer: impl Into<String>) -> Self {
        self.signer = Some((key, issuer.into()));
        self
    }

    /// Render the document.
    ///
    /// # Errors
    ///
    /// [`ConfigError::Metadata`] when there is no authorization server (a client could not
    /// learn where to get a token), or the signature cannot be made.
    pub fn build(self) -> Result<ResourceMetadata, ConfigError> {
        if self.authorization_servers.is_empty() {
            return Err(ConfigError::Metadata("no authorization server"));
        }
        let mut doc = Map::new();
        doc.insert("resource".into(), json!(self.resource));
        doc.insert(
            "authorization_servers".into(),
            json!(self.authorization_servers),
        );
        if !self.scopes.is_empty() {
            doc.insert("scopes_supported".into(), json!(self.scopes));
        }
        doc.insert(
            "bearer_methods_supported".into(),
            json!(self.bearer_methods),
        );
        if !self.dpop_algs.is_empty() {
            doc.insert(
                "dpop_signing_alg_values_supported".into(),
                json!(self.dpop_algs),
            );
        }
        if self.dpop_required {
            doc.insert("dpop_bound_access_tokens_required".into(), json!(true));
        }
        if let Some(name) = self.name {
            doc.insert("resource_name".into(), json!(name));
        }
        if let Some(documentation) = self.documentation {
            doc.insert("resource_documentation".into(), json!(documentation));
        }
        if let Some((key, issuer)) = &self.signer {
            let mut claims = doc.clone();
            claims.insert("iss".into(), json!(issuer));
            claims.insert("iat".into(), json!(crate::clock::now()));
            let mut header = json!({ "alg": key.algorithm().as_str(), "typ": "JWT" });
            if let Some(kid) = key.kid() {
                header["kid"] = json!(kid);
            }
            let jwt = crate::jwt::sign_compact(
                header.to_string().as_bytes(),
                Value::Object(claims).to_string().as_bytes(),
                key,
            )
            .map_err(|_| ConfigError::Metadata("the signed metadata cannot be signed"))?;
            doc.insert("signed_metadata".into(), json!(jwt));
        }
        let path = match self.url.path().trim_end_matches('/') {
            "" => WELL_KNOWN.to_owned(),
            rest => format!("{WELL_KNOWN}{rest}"),
        };
        let origin = self.url.origin().ascii_serialization();
        Ok(ResourceMetadata {
            url: format!("{origin}{path}").into(),
            path: path.into(),
            json: Value::Object(doc).to_string().into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jwt::{Algorithm, JwtValidator, VerifyingKey};

    fn validator() -> JwtValidator {
        let key = VerifyingKey::hmac(Algorithm::HS256, b"0123456789abcdefghijklmnopqrstuv");
        JwtValidator::builder()
            .key(key.unwrap_or_else(|e| panic!("{e}")))
            .issuer("https://login.example.com")
            .token_sources([
                crate::credential::TokenSource::AuthorizationBearer,
                crate::credential::TokenSource::Cookie("session".into()),
                crate::credential::TokenSource::Query("access_token".into()),
            ])
            .build()
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn the_document_is_built_from_the_validator() {
        let m = ResourceMetadata::for_validator("https://api.example.com/v1/", &validator())
            .and_then(|b| b.scopes_supported(["read"]).name("API").build())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(m.path(), "/.well-known/oauth-protected-resource/v1");
        assert_eq!(
            m.url(),
            "https://api.example.com/.well-known/oauth-protected-resource/v1"
        );
        let doc: Value = serde_json::from_str(m.json()).unwrap_or_default();
        assert_eq!(
            doc,
            json!({
                "resource": "https://api.example.com/v1/",
                "authorization_servers": ["https://login.example.com"],
                "scopes_supported": ["read"],
                "bearer_methods_supported": ["header", "query"],
                "resource_name": "API",
            })
        );
    }

    #[test]
    fn bad_resources_and_no_server_are_refused() {
        for bad in [
            "api.example.com",
            "ftp://x",
            "https://x/#f",
            "https://x/?q=1",
            "",
        ] {
            assert!(ResourceMetadata::builder(bad).is_err(), "{bad}");
        }
        let app_only = JwtValidator::builder()
            .key(
                VerifyingKey::hmac(Algorithm::HS256, b"0123456789abcdefghijklmnopqrstuv")
                    .unwrap_or_else(|e| panic!("{e}")),
            )
            .issuer("my-app")
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        // The app's own issuer name is not an authorization server.
        let none = ResourceMetadata::for_validator("https://api.example.com", &app_only)
            .and_then(ResourceMetadataBuilder::build);
        assert!(none.is_err());
    }

    #[test]
    fn signed_metadata_verifies_and_repeats_the_values() {
        let key = SigningKey::generate(Algorithm::ES256).unwrap_or_else(|e| panic!("{e}"));
        let verifying = key.verifying_key().unwrap_or_else(|e| panic!("{e}"));
        let m = ResourceMetadata::builder("https://api.example.com")
            .map(|b| {
                b.authorization_servers(["https://as.example.com"])
                    .signed(key, "https://api.example.com")
            })
            .and_then(ResourceMetadataBuilder::build)
            .unwrap_or_else(|e| panic!("{e}"));
        let doc: Value = serde_json::from_str(m.json()).unwrap_or_default();
        let jwt = doc["signed_metadata"].as_str().unwrap_or_default();
        let check = JwtValidator::builder()
            .key(verifying)
            .issuer("https://api.example.com")
            .allow_missing_exp()
            .build()
            .unwrap_or_else(|e| panic!("{e}"));
        let verified = check.verify_now(jwt).unwrap_or_else(|e| panic!("{e}"));
        let claims: Value = serde_json::from_slice(verified.payload()).unwrap_or_default();
        assert_eq!(claims["resource"], "https://api.example.com");
        assert_eq!(
            claims["authorization_servers"],
            doc["authorization_servers"]
        );
    }
}
