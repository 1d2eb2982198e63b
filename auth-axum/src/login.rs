//! The sign-in routes (feature `login`): [`login_routes`] mounts the routes of
//! [`auth_core::login`] on an axum [`Router`].

use std::net::SocketAddr;

use auth_core::login::{Answer, Login, LoginInput};
use axum::{
    Router,
    body::{Body, Bytes},
    extract::{ConnectInfo, Path, State},
    http::{StatusCode, request::Parts},
    response::{IntoResponse, Response},
    routing::{delete, get, post},
};

use crate::HttpView;

/// `GET /auth/{provider}/login`, `GET /auth/{provider}/callback` (and `POST`, for
/// `form_post` providers), `POST /auth/refresh`,
/// `POST /auth/logout` (with `end_session=true`: RP-initiated logout at the provider),
/// `POST /auth/{provider}/backchannel-logout` (the provider's back-channel logout), and
/// the sessions routes `GET /auth/sessions`,
/// `DELETE /auth/sessions/{id}` and `POST /auth/logout-all`, answered by `login`. Merge it into the app's router:
///
/// ```no_run
/// # async fn f(login: auth_core::login::Login) {
/// let app: axum::Router = axum::Router::new().merge(auth_axum::login_routes(login));
/// # }
/// ```
pub fn login_routes<S: Clone + Send + Sync + 'static>(login: Login) -> Router<S> {
    Router::new()
        .route("/auth/{provider}/login", get(begin))
        .route(
            "/auth/{provider}/callback",
            get(callback).post(callback_form),
        )
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
        .route("/auth/sessions", get(sessions))
        .route("/auth/sessions/{id}", delete(revoke_session))
        .route("/auth/logout-all", post(logout_all))
        .route(
            "/auth/{provider}/backchannel-logout",
            post(backchannel_logout),
        )
        .with_state(login)
}

fn input(login: &Login, parts: &Parts) -> LoginInput {
    // The peer address, when the app is served with connect info (for the rate limit).
    let client = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    LoginInput::read(&HttpView::from_parts(parts), login.cookie_names()).with_client(client)
}

async fn begin(State(login): State<Login>, Path(provider): Path<String>, parts: Parts) -> Response {
    respond(login.begin(&provider, &input(&login, &parts)).await)
}

async fn callback(
    State(login): State<Login>,
    Path(provider): Path<String>,
    parts: Parts,
) -> Response {
    let input = input(&login, &parts);
    respond(login.callback(&provider, &input).await)
}

/// A `response_mode=form_post` callback: the parameters are in the body.
async fn callback_form(
    State(login): State<Login>,
    Path(provider): Path<String>,
    parts: Parts,
    body: Bytes,
) -> Response {
    let input = input(&login, &parts).with_form(&body);
    respond(login.callback(&provider, &input).await)
}

async fn refresh(State(login): State<Login>, parts: Parts) -> Response {
    let input = input(&login, &parts);
    respond(login.refresh(&input).await)
}

async fn logout(State(login): State<Login>, parts: Parts, body: Bytes) -> Response {
    // `end_session` and `return_to` may come in a form body (a browser's sign-out form).
    let mut input = input(&login, &parts);
    if !body.is_empty() {
        input = input.with_form(&body);
    }
    respond(login.logout(&input).await)
}

async fn backchannel_logout(
    State(login): State<Login>,
    Path(provider): Path<String>,
    parts: Parts,
    body: Bytes,
) -> Response {
    let input = input(&login, &parts).with_form(&body);
    respond(login.backchannel_logout(&provider, &input).await)
}

async fn sessions(State(login): State<Login>, parts: Parts) -> Response {
    let input = input(&login, &parts);
    respond(login.sessions(&input).await)
}

async fn revoke_session(
    State(login): State<Login>,
    Path(id): Path<String>,
    parts: Parts,
) -> Response {
    let input = input(&login, &parts);
    respond(login.revoke_session(&id, &input).await)
}

async fn logout_all(State(login): State<Login>, parts: Parts) -> Response {
    let input = input(&login, &parts);
    respond(login.logout_all(&input).await)
}

/// The core's answer as an axum response.
fn respond(answer: Answer) -> Response {
    let mut builder = Response::builder().status(answer.status);
    for (name, value) in answer.headers {
        builder = builder.header(name, value);
    }
    let body = match answer.body {
        Some((content_type, body)) => {
            builder = builder.header("content-type", content_type);
            Body::from(body)
        }
        None => Body::empty(),
    };
    builder
        .body(body)
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}
