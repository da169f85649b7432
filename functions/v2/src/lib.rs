//! The v2 route family: track titles and cluster assignments, as the original served them from
//! DynamoDB (`/api/v2.0/...`, `/api/v2.1/...`). The routes ([`routes`](router)) read through the
//! [`TrackStore`](store::TrackStore) trait ([`store`]): DynamoDB in the Lambda
//! ([`AppState::dynamodb`]), the item files in memory for the local server
//! ([`AppState::embedded`]).

#[cfg(feature = "dynamodb")]
mod config;
mod routes;
pub mod store;
pub mod typed;

use std::path::Path;
use std::sync::Arc;

use store::{EmbeddedStore, LoadError, TrackStore};

#[cfg(feature = "dynamodb")]
pub use config::Config;
pub use routes::{router, RANDOM_TRACKS};
pub use store::LoadingStore;
#[cfg(feature = "dynamodb")]
pub use store::{DynamoConfig, DynamoStore};

/// What every v2 handler shares: the store, behind the trait.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn TrackStore>,
}

impl AppState {
    pub fn with_store(store: Arc<dyn TrackStore>) -> Self {
        AppState { store }
    }

    /// The three item files of `dir` (normally `data/build/`), held in memory.
    pub fn embedded(dir: &Path) -> Result<Self, LoadError> {
        Ok(AppState::with_store(Arc::new(EmbeddedStore::load(dir)?)))
    }

    /// DynamoDB at `endpoint_url` (`None`: AWS), region from the usual AWS chain (default
    /// us-west-1). Building the client does no I/O, so this cannot fail; a missing table or
    /// unreachable endpoint shows up as 503s (and log lines) on the first requests.
    #[cfg(feature = "dynamodb")]
    pub async fn dynamodb(endpoint_url: Option<String>, tables: music_dynamo::TableNames) -> Self {
        AppState::dynamodb_with(DynamoConfig {
            endpoint_url,
            tables,
            ..Default::default()
        })
        .await
    }

    #[cfg(feature = "dynamodb")]
    pub async fn dynamodb_with(config: DynamoConfig) -> Self {
        AppState::with_store(Arc::new(DynamoStore::connect(&config).await))
    }
}
