//! The web Lambda: the embedded pages and assets behind API Gateway.

use clap::Parser;

/// Serves the Music ML web pages and their assets (embedded at build time) as an AWS Lambda
/// function behind API Gateway. Takes no options: run it inside Lambda (or `cargo lambda watch`);
/// for a local server with the API as well, use `music-ml-serve`.
#[derive(Parser)]
#[command(version, about)]
struct Args {}

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    Args::parse();
    music_http::telemetry::init();
    tracing::info!(
        pages = music_web::PAGES.len(),
        assets = music_web::asset_paths().count(),
        "serving the embedded site"
    );
    music_http::run_lambda(music_http::finish(music_web::router())).await
}
