//! The RFC 9728 protected-resource metadata route.

use actix_web::{HttpResponse, http::header, web};
use auth_core::metadata::ResourceMetadata;

/// Configure the route serving `metadata` at its well-known path
/// ([`ResourceMetadata::path`]): 200 `application/json`, cacheable for five minutes.
///
/// ```
/// use actix_web::App;
/// use auth_core::metadata::ResourceMetadata;
///
/// # fn f() -> Result<(), auth_core::error::ConfigError> {
/// let metadata = ResourceMetadata::builder("https://api.example.com")?
///     .authorization_servers(["https://login.example.com"])
///     .build()?;
/// let _app = App::new().configure(auth_actix::resource_metadata_config(metadata));
/// # Ok(())
/// # }
/// ```
pub fn resource_metadata_config(
    metadata: ResourceMetadata,
) -> impl FnOnce(&mut web::ServiceConfig) {
    move |cfg| {
        let path = metadata.path().to_owned();
        cfg.route(
            &path,
            web::get().to(move || {
                let json = metadata.json().to_owned();
                async move {
                    HttpResponse::Ok()
                        .insert_header((header::CONTENT_TYPE, "application/json"))
                        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
                        .body(json)
                }
            }),
        );
    }
}
