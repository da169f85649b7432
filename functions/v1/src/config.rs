//! The v1 Lambda's configuration, read once at start-up.

use music_db::DbArg;

use crate::{router, AppState, OpenError};

/// Serves the v1 routes as an AWS Lambda function (API Gateway events). Run locally through
/// `music-ml-serve` instead; this binary expects the Lambda runtime API.
#[derive(clap::Parser, Debug)]
#[command(name = "music-v1", version, about)]
pub struct Config {
    #[command(flatten)]
    pub db: DbArg,
}

impl Config {
    /// The router on the opened database: opened once per process (cold start), never per
    /// request, so a bad bundle fails here, naming the file.
    pub async fn open(self) -> Result<axum::Router, OpenError> {
        let path = self.db.path();
        let state = AppState::open(&path)?;
        tracing::info!(path = %path.display(), "music database opened");
        Ok(router(state))
    }
}
