//! The HTTP edge every route family shares: one error type mapped to a status in one place,
//! JSON bodies, open CORS for GET (as the original's `CORS(app)`), JSON fallbacks for unknown
//! paths and wrong methods, extractors whose rejections are JSON 400s, the route catalogue, and
//! what protects every route without its code knowing: a panic guard, `nosniff`, and HTTP caching
//! (`ETag`, 304, `Cache-Control`; see [`cache`]).
//!
//! Family crates export `router(state) -> Router` *without* fallbacks or layers, so that the
//! local server can merge them; [`finish`] adds those once, on whatever router is served.

pub mod cache;
pub mod catalog;
mod edge;
pub mod error;
pub mod extract;
pub mod start;
pub mod telemetry;

pub use edge::EdgeOptions;
pub use error::{shown, ApiError, SpotifyError};
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
    ApiError::NotFound(format!("no route for {}", shown(uri.path())))
}

async fn method_not_allowed(method: Method) -> ApiError {
    ApiError::MethodNotAllowed(method.to_string())
}

/// Headers every answer carries, whoever produced it (a route, a fallback, the CORS preflight):
/// `nosniff`, so that a browser never reads a JSON error as HTML or script, and `no-store` unless
/// the answer already said how it may be cached.
fn edge_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static(cache::NO_STORE));
    response
}

/// The layers and fallbacks every served router gets: JSON 404 for unknown paths, JSON 405 for
/// wrong methods, a panic guard, HTTP caching, CORS, `nosniff`, request tracing. The Lambdas use
/// this; the local server adds a request time limit with [`finish_with`].
pub fn finish(router: Router) -> Router {
    finish_with(router, &EdgeOptions::default())
}

/// [`finish`] with options. The panic guard sits inside CORS so that a 500 from a panic still
/// carries `Access-Control-Allow-Origin` (a browser would otherwise report a CORS failure and
/// hide the JSON error from the page).
pub fn finish_with(router: Router, options: &EdgeOptions) -> Router {
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(edge::EdgeLayer {
            options: options.clone(),
        })
        .layer(cors())
        .layer(tower::util::MapResponseLayer::new(
            edge_headers as fn(Response) -> Response,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
}

/// Run a finished router as a Lambda function (API Gateway REST or HTTP API events).
pub async fn run_lambda(router: Router) -> Result<(), lambda_http::Error> {
    lambda_http::run(router).await
}
