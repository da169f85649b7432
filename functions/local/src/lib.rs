//! One local server for the whole site: the v1, v2, v3 and web routers merged into one app,
//! built from exactly the code each Lambda runs (no copies), wrapped once by
//! [`music_http::finish`] as every Lambda's router is.

use std::path::PathBuf;

use anyhow::Context;
use axum::Router;

/// Where the data comes from. The defaults are a local checkout's `data/build/`.
#[derive(Debug, Clone)]
pub struct Config {
    /// The SQLite file v1 and v3 read.
    pub db: PathBuf,
    /// The directory with the v2 item files (`*.jsonl`), for the embedded store.
    pub data_dir: PathBuf,
    /// Serve v2 from this DynamoDB endpoint instead of the embedded store.
    pub dynamodb_endpoint: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            db: PathBuf::from("data/build/musicData.sqlite"),
            data_dir: PathBuf::from("data/build"),
            dynamodb_endpoint: None,
        }
    }
}

/// Each family's loaded state.
#[derive(Clone)]
pub struct States {
    pub v1: music_v1::AppState,
    pub v2: music_v2::AppState,
    pub v3: music_v3::AppState,
}

impl States {
    /// Opens the data once. Fails with the path and the reason when a file is missing or bad,
    /// so `scripts/serve` says what to rebuild instead of serving 500s.
    pub async fn load(config: &Config) -> anyhow::Result<States> {
        let v1 = music_v1::AppState::open(&config.db)
            .with_context(|| format!("v1: opening {}", config.db.display()))?;
        let v3 = music_v3::AppState::open(&config.db)
            .with_context(|| format!("v3: opening {}", config.db.display()))?;
        let v2 = match &config.dynamodb_endpoint {
            Some(endpoint) => music_v2::AppState::dynamodb(Some(endpoint.clone())).await,
            None => music_v2::AppState::embedded(&config.data_dir).with_context(|| {
                format!(
                    "v2: loading the item files in {}",
                    config.data_dir.display()
                )
            })?,
        };
        Ok(States { v1, v2, v3 })
    }
}

/// The whole site as one router: every family's routes merged, then the shared fallbacks and
/// layers added once.
pub fn app(states: States) -> Router {
    let merged = Router::new()
        .merge(music_v1::router(states.v1))
        .merge(music_v2::router(states.v2))
        .merge(music_v3::router(states.v3))
        .merge(music_web::router());
    music_http::finish(merged)
}

/// [`States::load`] then [`app`].
pub async fn app_from(config: &Config) -> anyhow::Result<Router> {
    Ok(app(States::load(config).await?))
}
