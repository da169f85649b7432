//! The v3 Lambda's configuration, read once at start-up.

use music_db::DbArg;

use crate::{router, AppState, OpenError};

/// Serve /api/v3 (search, recommendations, clusters, elbow, OpenAPI) as an AWS Lambda function.
#[derive(clap::Parser, Debug)]
#[command(name = "music-v3", version, about)]
pub struct Config {
    #[command(flatten)]
    pub db: DbArg,
}

impl Config {
    /// The router on the opened database (blobs loaded, the feature table loading on its own
    /// thread); a missing or stale file fails here, naming it.
    pub async fn open(self) -> Result<axum::Router, OpenError> {
        Ok(router(AppState::open(&self.db.path())?))
    }
}
