//! The v1 Lambda: `/api/v1.0/...` and `/api` from the bundled `musicData.sqlite`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Serves the v1 routes as an AWS Lambda function (API Gateway events). Run locally through
/// `music-ml-serve` instead; this binary expects the Lambda runtime API.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// SQLite database to serve. Default: $MUSIC_ML_DB, else musicData.sqlite next to this
    /// executable, else data/build/musicData.sqlite.
    #[arg(long)]
    db: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    music_http::telemetry::init();
    let path = args.db.unwrap_or_else(music_v1::db_path_from_env);
    // Opened once per process (cold start), never per request; a bad bundle fails here, loudly.
    let state = match music_v1::AppState::open(&path) {
        Ok(state) => state,
        Err(e) => {
            tracing::error!(error = %e, path = %path.display(), "cannot open the music database");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(path = %path.display(), "music database opened");
    match music_http::run_lambda(music_http::finish(music_v1::router(state))).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "lambda runtime stopped");
            ExitCode::FAILURE
        }
    }
}
