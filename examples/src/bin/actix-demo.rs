//! The demo app on actix-web (its contract: `docs/demo.md`), `cargo run -p examples --bin actix-demo`.

use std::{io::Write, process::ExitCode, sync::Arc};

use actix_web::{App, HttpResponse, HttpServer, web};
use auth_actix::{ApiKey, AuthMiddleware, Authorized, Principal, RequireJwt};
use auth_core::{apikey::ApiKeyValidator, jwt::JwtValidator};
use examples::{
    Admin, DemoClaims, Page, admin_body, me_body, stats_body, stats_scope, whoami_body,
};
use metrics_exporter_prometheus::PrometheusHandle;

async fn health(req: actix_web::HttpRequest) -> HttpResponse {
    let Some(keys) = req.app_data::<ApiKeyValidator>() else {
        return HttpResponse::InternalServerError().finish();
    };
    let (status, body) = examples::health(keys);
    HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status)
            .unwrap_or(actix_web::http::StatusCode::SERVICE_UNAVAILABLE),
    )
    .json(body)
}

async fn me(RequireJwt(claims): RequireJwt<DemoClaims>) -> HttpResponse {
    HttpResponse::Ok().json(me_body(&claims))
}

/// The requirement is in the type: the `admin` scope or the `admin` role.
async fn admin(Authorized(claims, Admin): Authorized<Admin>) -> HttpResponse {
    HttpResponse::Ok().json(admin_body(&claims))
}

async fn whoami(Principal(caller): Principal) -> HttpResponse {
    HttpResponse::Ok().json(whoami_body(&caller))
}

async fn stats(key: ApiKey) -> HttpResponse {
    HttpResponse::Ok().json(stats_body(&key))
}

/// Behind API-key middleware requiring `metrics:read`.
async fn metrics(req: actix_web::HttpRequest) -> HttpResponse {
    match req.app_data::<PrometheusHandle>() {
        Some(handle) => HttpResponse::Ok()
            .content_type(examples::METRICS_CONTENT_TYPE)
            .body(examples::metrics_body(handle)),
        None => HttpResponse::NotFound().finish(),
    }
}

/// The sign-in page.
async fn page(page: web::Data<Page>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header(("Content-Security-Policy", &*page.csp))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .body(page.html.to_string())
}

/// The OpenAPI document.
async fn openapi(doc: web::Data<OpenApiJson>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(doc.0.to_string())
}

/// The document `GET /openapi.json` serves.
struct OpenApiJson(Arc<str>);

/// The app: public health check, `/api/me` for any valid token, `/api/admin` for a token
/// that meets [`Admin`] (checked by its extractor), `/internal/stats` behind API-key middleware,
/// and the sign-in routes when a provider is configured.
fn configure(
    validator: JwtValidator,
    keys: ApiKeyValidator,
    login: Option<auth_core::login::Login>,
    metrics_handle: Option<PrometheusHandle>,
    (page_data, openapi_json): (Page, Arc<str>),
) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::new(page_data))
            .app_data(web::Data::new(OpenApiJson(openapi_json)))
            .route("/", web::get().to(page))
            .route("/openapi.json", web::get().to(openapi));
        if let Some(login) = login {
            auth_actix::login_config(login)(cfg);
        }
        if let Some(handle) = metrics_handle {
            cfg.app_data(handle);
        }
        cfg.service(
            web::resource("/metrics")
                .wrap(AuthMiddleware::api_key(keys.clone()).scopes(examples::metrics_scope()))
                .route(web::get().to(metrics)),
        );
        cfg.app_data(validator.clone())
            .app_data(keys.clone())
            .route("/health", web::get().to(health))
            .route("/api/me", web::get().to(me))
            .route("/api/whoami", web::get().to(whoami))
            .route("/api/admin", web::get().to(admin))
            .service(
                web::resource("/internal/stats")
                    .wrap(AuthMiddleware::api_key(keys).scopes(stats_scope()))
                    .route(web::get().to(stats)),
            );
    }
}

#[actix_web::main]
async fn main() -> ExitCode {
    if let Some(code) = examples::command_line("actix-demo") {
        return code;
    }
    examples::init_logs();
    let (demo, listener) = match examples::start("actix-demo").await {
        Ok(started) => started,
        Err(code) => return code,
    };
    let bound = demo.addr;
    let validator = demo.validator.clone();
    let keys = demo.keys.clone();
    let login = demo.login.clone();
    let metadata = demo.metadata.clone();
    let metrics_handle = demo.metrics.clone();
    let page_data = demo.page("actix-web");
    let openapi_json = demo.openapi.clone();
    let server = HttpServer::new(move || {
        let mut app = App::new().configure(configure(
            validator.clone(),
            keys.clone(),
            login.clone(),
            metrics_handle.clone(),
            (page_data.clone(), openapi_json.clone()),
        ));
        if let Some(metadata) = metadata.clone() {
            app = app.configure(auth_actix::resource_metadata_config(metadata));
        }
        app
    })
    .workers(2)
    .listen(listener);
    let server = match server {
        Ok(s) => s,
        Err(e) => {
            eprintln!("actix-demo: cannot start the server: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Not println!: a closed stdout must not stop the server.
    let _ = writeln!(std::io::stdout(), "{}", demo.banner("actix-demo", bound));
    match server.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("actix-demo: server error: {e}");
            ExitCode::FAILURE
        }
    }
}
