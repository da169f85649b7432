//! The v2 Lambda's configuration, read once at start-up.

use music_dynamo::TableArgs;

use crate::{router, AppState};

/// Serves the v2 routes (track titles, cluster assignments) from DynamoDB as an AWS Lambda
/// function (API Gateway events). The region comes from the usual AWS variables (default
/// us-west-1). Run locally through `music-ml-serve` instead.
#[derive(clap::Parser, Debug)]
#[command(name = "music-v2", version, about)]
pub struct Config {
    /// A local DynamoDB endpoint (dynalite, DynamoDB Local) instead of AWS.
    #[arg(long, env = "AWS_ENDPOINT_URL", value_name = "URL")]
    pub endpoint_url: Option<String>,
    #[command(flatten)]
    pub tables: TableArgs,
}

impl Config {
    /// The router on DynamoDB. The SDK client is built once per process (cold start) and reused
    /// by every request; building it does no I/O, so this cannot fail.
    pub async fn open(self) -> Result<axum::Router, std::convert::Infallible> {
        let endpoint = self.endpoint_url.filter(|s| !s.is_empty());
        let state = AppState::dynamodb(endpoint.clone(), self.tables.names()).await;
        tracing::info!(endpoint = endpoint.as_deref().unwrap_or("AWS"), "v2 ready");
        Ok(router(state))
    }
}
