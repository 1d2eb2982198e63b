//! `ApiKey` and `OptionalApiKey`: a verified API key in a handler's arguments.

use std::ops::Deref;

use actix_web::{FromRequest, HttpRequest, dev::Payload};
use auth_core::apikey::VerifiedKey;

use crate::{
    extract::{Extracted, optional, required},
    rejection::AuthRejection,
};

/// A verified API key (sent in `X-API-Key` by default): its id, name and scopes, or the
/// caller gets 401 `invalid_key`.
///
/// The validator is found in `app_data` (as `ApiKeyValidator` or `web::Data` of it). Behind
/// an [`AuthMiddleware::api_key`](crate::AuthMiddleware::api_key) with the same validator
/// the middleware's verification is reused.
///
/// ```
/// use actix_web::{HttpResponse, get};
/// use auth_actix::ApiKey;
///
/// #[get("/internal/stats")]
/// async fn stats(key: ApiKey) -> HttpResponse {
///     HttpResponse::Ok().body(format!("hello {} ({})", key.name(), key.id()))
/// }
/// ```
#[derive(Debug, Clone)]
pub struct ApiKey(pub VerifiedKey);

impl Deref for ApiKey {
    type Target = VerifiedKey;

    fn deref(&self) -> &VerifiedKey {
        &self.0
    }
}

/// `Some(key)` when a valid key was sent, `None` when none was; a bad key is still
/// rejected (unlike actix-web's `Option<T>`, which would hide it).
#[derive(Debug, Clone)]
pub struct OptionalApiKey(pub Option<VerifiedKey>);

impl FromRequest for ApiKey {
    type Error = AuthRejection;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        required(req, ApiKey)
    }
}

impl FromRequest for OptionalApiKey {
    type Error = AuthRejection;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        optional(req, OptionalApiKey)
    }
}
