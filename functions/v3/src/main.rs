//! The v3 Lambda: open the bundled SQLite once, then serve `/api/v3/...`.

use clap::Parser;

/// Serve /api/v3 (search, recommendations, clusters, elbow, OpenAPI) as an AWS Lambda function.
///
/// The SQLite file is `MUSIC_ML_DB`, else `musicData.sqlite` beside the executable, else
/// `data/build/musicData.sqlite`.
#[derive(Parser)]
#[command(version, about)]
struct Args {}

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Args::parse();
    music_http::telemetry::init();
    let path = music_v3::db_path_from_env();
    let state = match music_v3::AppState::open(&path) {
        Ok(state) => state,
        Err(e) => {
            tracing::error!(error = %e, "cannot start the v3 function");
            return Err(e.into());
        }
    };
    music_http::run_lambda(music_http::finish(music_v3::router(state))).await
}
