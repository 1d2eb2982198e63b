//! The demo app on axum (its contract: `docs/demo.md`), `cargo run -p examples --bin axum-demo`.

use std::{io::Write, process::ExitCode, sync::Arc};

use auth_axum::{ApiKey, AuthLayer, Authorized, Principal, RequireJwt};
use auth_core::{apikey::ApiKeyValidator, jwt::JwtValidator};
use axum::extract::{FromRef, State};
use axum::{
    Json, Router,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use examples::{
    Admin, DemoClaims, Page, admin_body, me_body, stats_body, stats_scope, whoami_body,
};
use metrics_exporter_prometheus::PrometheusHandle;
use serde_json::Value;

async fn health(State(state): State<AppState>) -> Response {
    let (status, body) = examples::health(&state.keys);
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
        Json(body),
    )
        .into_response()
}

async fn me(RequireJwt(claims): RequireJwt<DemoClaims>) -> Response {
    Json(me_body(&claims)).into_response()
}

/// The requirement is in the type: the `admin` scope or the `admin` role.
async fn admin(Authorized(claims, Admin): Authorized<Admin>) -> Json<Value> {
    Json(admin_body(&claims))
}

async fn whoami(Principal(caller): Principal) -> Json<Value> {
    Json(whoami_body(&caller))
}

async fn stats(key: ApiKey) -> Json<Value> {
    Json(stats_body(&key))
}

/// Behind an API-key layer requiring `metrics:read`.
async fn metrics(State(handle): State<Option<PrometheusHandle>>) -> Response {
    match handle {
        Some(handle) => (
            [(
                axum::http::header::CONTENT_TYPE,
                examples::METRICS_CONTENT_TYPE,
            )],
            examples::metrics_body(&handle),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The sign-in page.
async fn page(State(page): State<Page>) -> Response {
    use axum::http::header;
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, &*page.csp),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        page.html.to_string(),
    )
        .into_response()
}

/// The OpenAPI document.
async fn openapi(State(doc): State<Arc<str>>) -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        doc.to_string(),
    )
        .into_response()
}

/// The state: the extractors find each validator in it through `FromRef`.
#[derive(Clone, FromRef)]
struct AppState {
    jwt: JwtValidator,
    keys: ApiKeyValidator,
    metrics: Option<PrometheusHandle>,
    page: Page,
    openapi: Arc<str>,
}

/// The app: public health check, `/api/me` for any valid token, `/api/admin` for a token
/// that meets [`Admin`] (checked by its extractor), `/internal/stats` behind an API-key layer, and
/// the sign-in routes when a provider is configured.
fn app(
    state: AppState,
    login: Option<auth_core::login::Login>,
    metadata: Option<auth_core::metadata::ResourceMetadata>,
) -> Router {
    let internal = Router::new()
        .route("/internal/stats", get(stats))
        .route_layer(AuthLayer::api_key(state.keys.clone()).scopes(stats_scope()));
    let metrics_route = Router::new()
        .route("/metrics", get(metrics))
        .route_layer(AuthLayer::api_key(state.keys.clone()).scopes(examples::metrics_scope()));
    Router::new()
        .route("/", get(page))
        .route("/openapi.json", get(openapi))
        .route("/health", get(health))
        .route("/api/me", get(me))
        .route("/api/whoami", get(whoami))
        .route("/api/admin", get(admin))
        .merge(internal)
        .merge(metrics_route)
        .merge(login.map(auth_axum::login_routes).unwrap_or_default())
        .merge(
            metadata
                .map(auth_axum::resource_metadata_routes)
                .unwrap_or_default(),
        )
        .with_state(state)
}

#[tokio::main]
async fn main() -> ExitCode {
    if let Some(code) = examples::command_line("axum-demo") {
        return code;
    }
    examples::init_logs();
    let (demo, listener) = match examples::start("axum-demo").await {
        Ok(started) => started,
        Err(code) => return code,
    };
    let bound = demo.addr;
    let listener = match listener
        .set_nonblocking(true)
        .and_then(|()| tokio::net::TcpListener::from_std(listener))
    {
        Ok(l) => l,
        Err(e) => {
            eprintln!("axum-demo: DEMO_ADDR: cannot listen on {bound}: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Not println!: a closed stdout must not stop the server.
    let _ = writeln!(std::io::stdout(), "{}", demo.banner("axum-demo", bound));
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let state = AppState {
        jwt: demo.validator.clone(),
        keys: demo.keys.clone(),
        metrics: demo.metrics.clone(),
        page: demo.page("axum"),
        openapi: demo.openapi.clone(),
    };
    // With connect info: the sign-in routes limit requests per client address.
    let service = app(state, demo.login.clone(), demo.metadata.clone())
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    match axum::serve(listener, service)
        .with_graceful_shutdown(shutdown)
        .await
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("axum-demo: server error: {e}");
            ExitCode::FAILURE
        }
    }
}
