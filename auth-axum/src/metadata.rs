//! The RFC 9728 protected-resource metadata route.

use auth_core::metadata::ResourceMetadata;
use axum::{Router, response::IntoResponse, routing::get};
use http::header;

/// The route serving `metadata` at its well-known path
/// ([`ResourceMetadata::path`]): 200 `application/json`, cacheable for five minutes. Merge
/// it into the app; it needs no state.
///
/// ```
/// use auth_core::metadata::ResourceMetadata;
///
/// # fn f() -> Result<axum::Router, auth_core::error::ConfigError> {
/// let metadata = ResourceMetadata::builder("https://api.example.com")?
///     .authorization_servers(["https://login.example.com"])
///     .scopes_supported(["read"])
///     .build()?;
/// Ok(axum::Router::new().merge(auth_axum::resource_metadata_routes(metadata)))
/// # }
/// ```
pub fn resource_metadata_routes<S: Clone + Send + Sync + 'static>(
    metadata: ResourceMetadata,
) -> Router<S> {
    let path = metadata.path().to_owned();
    Router::new().route(
        &path,
        get(move || {
            let json = metadata.json().to_owned();
            async move {
                (
                    [
                        (header::CONTENT_TYPE, "application/json"),
                        (header::CACHE_CONTROL, "public, max-age=300"),
                    ],
                    json,
                )
                    .into_response()
            }
        }),
    )
}
