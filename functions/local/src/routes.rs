//! The router: every family's routes merged, the shared edge added once.

use std::time::Duration;

use axum::Router;

use crate::{Config, Limits, States};

/// The whole site as one router: every family's routes merged, then the shared fallbacks and
/// layers added once, with the default request time limit.
pub fn app(states: States) -> Router {
    app_with(states, Limits::default().request_timeout)
}

/// [`app`] with a request time limit of its own (a handler still running after it is answered
/// with a JSON 503).
pub fn app_with(states: States, request_timeout: Duration) -> Router {
    let merged = Router::new()
        .merge(music_v1::router(states.v1))
        .merge(music_v2::router(states.v2))
        .merge(music_v3::router(states.v3))
        .merge(music_web::router());
    music_http::finish_with(
        merged,
        &music_http::EdgeOptions {
            request_timeout: Some(request_timeout),
        },
    )
}

/// [`States::load`] then [`app`].
pub async fn app_from(config: &Config) -> anyhow::Result<Router> {
    Ok(app(States::load(config).await?))
}
