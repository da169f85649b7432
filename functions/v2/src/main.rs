//! The v2 Lambda: the routes of `music_v2` on DynamoDB.

use std::process::ExitCode;

use clap::Parser;

/// Serves the v2 routes (track titles, cluster assignments) from DynamoDB as an AWS Lambda
/// function (API Gateway events). Table names come from MUSIC_ML_TABLE_TRACKS,
/// MUSIC_ML_TABLE_TRACK_IDS and MUSIC_ML_TABLE_ASSIGNMENTS; the region from the usual AWS
/// variables (default us-west-1). Run locally through `music-ml-serve` instead.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// A local DynamoDB endpoint (dynalite, DynamoDB Local) instead of AWS.
    #[arg(long, env = "AWS_ENDPOINT_URL")]
    endpoint_url: Option<String>,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    music_http::telemetry::init();
    let endpoint = args.endpoint_url.filter(|s| !s.is_empty());
    // The SDK client is built once per process (cold start) and reused by every request.
    let state = music_v2::AppState::dynamodb(endpoint.clone()).await;
    tracing::info!(endpoint = endpoint.as_deref().unwrap_or("AWS"), "v2 ready");
    match music_http::run_lambda(music_http::finish(music_v2::router(state))).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "lambda runtime stopped");
            ExitCode::FAILURE
        }
    }
}
