//! The HTTP edge every route family shares: one error type mapped to a status in one place,
//! JSON bodies, open CORS for GET (as the original's `CORS(app)`), JSON fallbacks for unknown
//! paths and wrong methods, extractors whose rejections are JSON 400s, and the route catalogue.
//!
//! Family crates export `router(state) -> Router` *without* fallbacks or layers, so that the
//! local server can merge them; [`finish`] adds those once, on whatever router is served.

pub mod catalog;
pub mod error;
pub mod extract;
pub mod telemetry;

pub use error::ApiError;
pub use extract::{Path, Query};

use axum::http::{header, HeaderValue, Method};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_http::cors::{Any, CorsLayer};

/// A `200 application/json` response. serde_json writes non-finite floats as `null`, so a NaN in
/// the data never reaches a client as a bare `NaN` (the original's invalid JSON).
pub fn json<T: serde::Serialize>(value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response(),
        Err(e) => ApiError::Internal(format!("serialising a response: {e}")).into_response(),
    }
}

/// CORS open to any origin for reads, as the original was.
pub fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([Method::GET, Method::HEAD, Method::OPTIONS])
        .allow_headers(Any)
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("no route for {}", uri.path()))
}

async fn method_not_allowed(method: Method) -> ApiError {
    ApiError::MethodNotAllowed(method.to_string())
}

/// The layers and fallbacks every served router gets: JSON 404 for unknown paths, JSON 405 for
/// wrong methods, CORS, request tracing.
pub fn finish(router: Router) -> Router {
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(cors())
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// Run a finished router as a Lambda function (API Gateway REST or HTTP API events).
pub async fn run_lambda(router: Router) -> Result<(), lambda_http::Error> {
    lambda_http::run(router).await
}
