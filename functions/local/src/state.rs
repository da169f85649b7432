//! Each family's state, opened once from the data a [`Config`] names.

use std::sync::Arc;

use anyhow::Context;

use crate::Config;

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
        let (v1, v3) = open_sqlite(config)?;
        let v2 = match &config.dynamodb_endpoint {
            Some(endpoint) => dynamodb(endpoint, config).await?,
            None => music_v2::AppState::embedded(&config.data_dir).with_context(|| {
                format!(
                    "v2: loading the item files in {}",
                    config.data_dir.display()
                )
            })?,
        };
        Ok(States { v1, v2, v3 })
    }

    /// [`States::load`], except that the embedded v2 store loads on a thread of its own while
    /// the rest opens and the server starts (the item files take longer than everything else).
    /// The loader is returned too, so that the server can stop if the load fails.
    pub async fn start(
        config: &Config,
    ) -> anyhow::Result<(States, Option<Arc<music_v2::LoadingStore>>)> {
        if config.dynamodb_endpoint.is_some() {
            return Ok((States::load(config).await?, None));
        }
        let loading = Arc::new(
            music_v2::LoadingStore::spawn(config.data_dir.clone())
                .context("starting the v2 item-file loader")?,
        );
        let (v1, v3) = open_sqlite(config)?;
        let v2 = music_v2::AppState::with_store(loading.clone());
        Ok((States { v1, v2, v3 }, Some(loading)))
    }
}

#[cfg(feature = "dynamodb")]
async fn dynamodb(endpoint: &str, config: &Config) -> anyhow::Result<music_v2::AppState> {
    Ok(music_v2::AppState::dynamodb(Some(endpoint.to_string()), config.tables.clone()).await)
}

/// A build without the AWS SDK (what `./scripts/serve` makes unless it is given
/// `--dynamodb-endpoint`) cannot reach DynamoDB: say so and how to get one that can.
#[cfg(not(feature = "dynamodb"))]
async fn dynamodb(endpoint: &str, _config: &Config) -> anyhow::Result<music_v2::AppState> {
    anyhow::bail!(
        "v2: --dynamodb-endpoint {endpoint}: this music-ml-serve was built without DynamoDB \
         support (cargo feature `dynamodb` of music-local); ./scripts/serve builds it with the \
         feature when given --dynamodb-endpoint, or build with `--features music-local/dynamodb`"
    )
}

fn open_sqlite(config: &Config) -> anyhow::Result<(music_v1::AppState, music_v3::AppState)> {
    let v1 = music_v1::AppState::open(&config.db)
        .with_context(|| format!("v1: opening {}", config.db.display()))?;
    let v3 = music_v3::AppState::open(&config.db)
        .with_context(|| format!("v3: opening {}", config.db.display()))?;
    Ok((v1, v3))
}
