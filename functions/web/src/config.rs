//! The web Lambda's configuration: none, the site is in the binary.

use crate::{asset_paths, router, PAGES};

/// Serves the Music ML web pages and their assets (embedded at build time) as an AWS Lambda
/// function behind API Gateway. Takes no options: run it inside Lambda (or `cargo lambda watch`);
/// for a local server with the API as well, use `music-ml-serve`.
#[derive(clap::Parser, Debug)]
#[command(name = "music-web", version, about)]
pub struct Config {}

impl Config {
    /// The router; nothing to open, so it cannot fail.
    pub async fn open(self) -> Result<axum::Router, std::convert::Infallible> {
        tracing::info!(
            pages = PAGES.len(),
            assets = asset_paths().count(),
            "serving the embedded site"
        );
        Ok(router())
    }
}
