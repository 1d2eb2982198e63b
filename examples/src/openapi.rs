//! The demo's OpenAPI 3.1 document (`GET /openapi.json`): its routes, each guarded one with
//! the security the toolkit reads off the validators and the same requirements the guards
//! check ([`stats_scope`], [`metrics_scope`], [`Admin`]).

use auth_core::{
    apikey::ApiKeyValidator,
    jwt::JwtValidator,
    login::Login,
    openapi::{BEARER, COOKIE, SecuritySchemes},
    scope::{Policy, ScopeRequirement},
};
use utoipa::{
    Modify,
    openapi::{
        HttpMethod, InfoBuilder, OpenApiBuilder, PathItem, PathsBuilder, Required, ResponseBuilder,
        ResponsesBuilder,
        path::{OperationBuilder, ParameterBuilder, ParameterIn},
        schema::{ObjectBuilder, Type},
        security::SecurityRequirement,
    },
};

use crate::{Admin, metrics_scope, stats_scope};

/// What the document describes.
pub(crate) struct Described<'a> {
    pub(crate) validator: &'a JwtValidator,
    pub(crate) keys: &'a ApiKeyValidator,
    pub(crate) login: Option<&'a Login>,
    /// Whether `/api/*` takes the provider's access tokens.
    pub(crate) provider_tokens: bool,
    pub(crate) metadata: bool,
}

/// One operation: its summary, its `security` (empty: public) and its answers.
fn operation(
    summary: &str,
    security: Vec<SecurityRequirement>,
    answers: &[(&str, &str)],
) -> OperationBuilder {
    let mut responses = ResponsesBuilder::new();
    for (status, what) in answers {
        responses = responses.response(*status, ResponseBuilder::new().description(*what));
    }
    if !security.is_empty() {
        responses = responses
            .response(
                "401",
                ResponseBuilder::new()
                    .description("no valid credential; `WWW-Authenticate` says why"),
            )
            .response(
                "403",
                ResponseBuilder::new().description("the credential lacks the required scope"),
            );
    }
    let operation = OperationBuilder::new()
        .summary(Some(summary))
        .responses(responses.build());
    if security.is_empty() {
        operation
    } else {
        operation.securities(Some(security))
    }
}

/// The document, as JSON.
pub(crate) fn document(d: &Described<'_>) -> String {
    let mut schemes = SecuritySchemes::new().bearer(d.validator).keys(d.keys);
    if let Some(login) = d.login {
        schemes = schemes.sign_in(login, d.provider_tokens);
    }
    let none = ScopeRequirement::all(Vec::<String>::new());
    let ok = [("200", "OK")];
    let mut whoami = schemes.jwt(&none);
    whoami.extend(schemes.api_key(&none));
    let mut paths = PathsBuilder::new()
        .path(
            "/health",
            get(operation(
                "Liveness, and whether the key store answers",
                vec![],
                &ok,
            )),
        )
        .path(
            "/api/me",
            get(operation(
                "The caller's validated claims",
                schemes.jwt(&none),
                &ok,
            )),
        )
        .path(
            "/api/whoami",
            get(operation(
                "The caller: a token's subject or an API key's id",
                whoami,
                &ok,
            )),
        )
        .path(
            "/api/admin",
            get(
                operation("Admins only", schemes.jwt(Admin::requirement()), &ok).description(Some(
                    "Scope `admin`, or the role `admin` in the token's `roles` or \
                 `realm_access.roles` claim.",
                )),
            ),
        )
        .path(
            "/internal/stats",
            get(operation(
                "Service statistics",
                schemes.api_key(&stats_scope()),
                &ok,
            )),
        )
        .path(
            "/metrics",
            get(operation(
                "Prometheus metrics",
                schemes.api_key(&metrics_scope()),
                &ok,
            )),
        )
        .path(
            "/openapi.json",
            get(operation("This document", vec![], &ok)),
        )
        .path("/", get(operation("The sign-in page", vec![], &ok)));
    if d.metadata {
        paths = paths.path(
            auth_core::metadata::WELL_KNOWN,
            get(operation(
                "Protected-resource metadata (RFC 9728)",
                vec![],
                &ok,
            )),
        );
    }
    if let Some(login) = d.login {
        paths = sign_in_paths(paths, login);
    }
    let mut doc = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("auth-demo")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "The auth toolkit's demo: JWT, API keys and sign-in on one API.",
                )),
        )
        .paths(paths)
        .build();
    schemes.modify(&mut doc);
    doc.to_pretty_json().unwrap_or_default()
}

fn get(operation: OperationBuilder) -> PathItem {
    PathItem::new(HttpMethod::Get, operation)
}

/// The sign-in routes: each provider's login, callback and back-channel logout, and the
/// session routes (the session cookie, or its token as a bearer).
fn sign_in_paths(mut paths: PathsBuilder, login: &Login) -> PathsBuilder {
    let redirect = [(
        "303",
        "to the provider, or back to `return_to` after sign-in",
    )];
    for provider in login.providers() {
        paths = paths
            .path(
                format!("/auth/{provider}/login"),
                get(operation(
                    &format!("Sign in with {provider}"),
                    vec![],
                    &redirect,
                )),
            )
            .path(
                format!("/auth/{provider}/callback"),
                get(operation(
                    "The provider's answer (query)",
                    vec![],
                    &redirect,
                )),
            )
            .path(
                format!("/auth/{provider}/callback"),
                PathItem::new(
                    HttpMethod::Post,
                    operation("The provider's answer (form_post)", vec![], &redirect),
                ),
            )
            .path(
                format!("/auth/{provider}/backchannel-logout"),
                PathItem::new(
                    HttpMethod::Post,
                    operation(
                        "The provider ends sessions (a `logout_token`)",
                        vec![],
                        &[("200", "the sessions named are revoked")],
                    ),
                ),
            );
    }
    let session = || {
        vec![
            SecurityRequirement::new(COOKIE, Vec::<String>::new()),
            SecurityRequirement::new(BEARER, Vec::<String>::new()),
        ]
    };
    let post = |summary: &str, security, answers: &[(&str, &str)]| {
        PathItem::new(HttpMethod::Post, operation(summary, security, answers))
    };
    let id = ParameterBuilder::new()
        .name("id")
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .description(Some("a session id from `GET /auth/sessions`"));
    paths
        .path(
            "/auth/refresh",
            post(
                "Rotate the refresh token (its cookie); new session cookies",
                vec![],
                &[("200", "a new access token; the refresh token rotated")],
            ),
        )
        .path(
            "/auth/logout",
            post(
                "Sign out this session",
                vec![],
                &[
                    ("204", "signed out"),
                    ("303", "signed out at the provider too (`end_session=true`)"),
                ],
            ),
        )
        .path(
            "/auth/sessions",
            get(operation(
                "The caller's sessions",
                session(),
                &[("200", "the sessions, newest first")],
            )),
        )
        .path(
            "/auth/sessions/{id}",
            PathItem::new(
                HttpMethod::Delete,
                operation("Revoke one session", session(), &[("204", "revoked")]).parameter(id),
            ),
        )
        .path(
            "/auth/logout-all",
            post(
                "Sign out everywhere",
                session(),
                &[("204", "every session revoked, every access token ended")],
            ),
        )
}
