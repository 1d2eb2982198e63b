//! The sign-in routes (feature `login`): [`login_config`] mounts the routes of
//! [`auth_core::login`] on an actix-web app.

use actix_web::{
    HttpRequest, HttpResponse,
    http::StatusCode,
    web::{self, ServiceConfig},
};
use auth_core::login::{Answer, Login, LoginInput};

use crate::ActixView;

/// `GET /auth/{provider}/login`, `GET /auth/{provider}/callback` (and `POST`, for
/// `form_post` providers), `POST /auth/refresh`,
/// `POST /auth/logout` (with `end_session=true`: RP-initiated logout at the provider),
/// `POST /auth/{provider}/backchannel-logout` (the provider's back-channel logout), and
/// the sessions routes `GET /auth/sessions`,
/// `DELETE /auth/sessions/{id}` and `POST /auth/logout-all`, answered by `login`:
///
/// ```no_run
/// # fn f(login: auth_core::login::Login) {
/// let app = actix_web::App::new().configure(auth_actix::login_config(login));
/// # }
/// ```
pub fn login_config(login: Login) -> impl FnOnce(&mut ServiceConfig) {
    move |cfg| {
        cfg.app_data(web::Data::new(login))
            .route("/auth/{provider}/login", web::get().to(begin))
            .route("/auth/{provider}/callback", web::get().to(callback))
            .route("/auth/{provider}/callback", web::post().to(callback_form))
            .route("/auth/refresh", web::post().to(refresh))
            .route("/auth/logout", web::post().to(logout))
            .route("/auth/sessions", web::get().to(sessions))
            .route("/auth/sessions/{id}", web::delete().to(revoke_session))
            .route("/auth/logout-all", web::post().to(logout_all))
            .route(
                "/auth/{provider}/backchannel-logout",
                web::post().to(backchannel_logout),
            );
    }
}

fn input(login: &Login, req: &HttpRequest) -> LoginInput {
    LoginInput::read(&ActixView(req), login.cookie_names())
        .with_client(req.peer_addr().map(|a| a.ip()))
}

async fn begin(
    login: web::Data<Login>,
    provider: web::Path<String>,
    req: HttpRequest,
) -> HttpResponse {
    respond(login.begin(&provider, &input(&login, &req)).await)
}

async fn callback(
    login: web::Data<Login>,
    provider: web::Path<String>,
    req: HttpRequest,
) -> HttpResponse {
    let input = input(&login, &req);
    respond(login.callback(&provider, &input).await)
}

/// A `response_mode=form_post` callback: the parameters are in the body.
async fn callback_form(
    login: web::Data<Login>,
    provider: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let input = input(&login, &req).with_form(&body);
    respond(login.callback(&provider, &input).await)
}

async fn refresh(login: web::Data<Login>, req: HttpRequest) -> HttpResponse {
    let input = input(&login, &req);
    respond(login.refresh(&input).await)
}

async fn logout(login: web::Data<Login>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    // `end_session` and `return_to` may come in a form body (a browser's sign-out form).
    let mut input = input(&login, &req);
    if !body.is_empty() {
        input = input.with_form(&body);
    }
    respond(login.logout(&input).await)
}

async fn backchannel_logout(
    login: web::Data<Login>,
    provider: web::Path<String>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    let input = input(&login, &req).with_form(&body);
    respond(login.backchannel_logout(&provider, &input).await)
}

async fn sessions(login: web::Data<Login>, req: HttpRequest) -> HttpResponse {
    let input = input(&login, &req);
    respond(login.sessions(&input).await)
}

async fn revoke_session(
    login: web::Data<Login>,
    id: web::Path<String>,
    req: HttpRequest,
) -> HttpResponse {
    let input = input(&login, &req);
    respond(login.revoke_session(&id, &input).await)
}

async fn logout_all(login: web::Data<Login>, req: HttpRequest) -> HttpResponse {
    let input = input(&login, &req);
    respond(login.logout_all(&input).await)
}

/// The core's answer as an actix-web response.
fn respond(answer: Answer) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = HttpResponse::build(status);
    for (name, value) in answer.headers {
        builder.append_header((name, value));
    }
    match answer.body {
        Some((content_type, body)) => builder.content_type(content_type).body(body),
        None => builder.finish(),
    }
}
