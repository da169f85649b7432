//! The embedded store, loaded on a thread of its own.
//!
//! Parsing the three item files of the whole catalogue (216k items, 46 MB of JSON lines) takes
//! most of a second, more than everything else the local server opens. Loading them beside the
//! server lets v1, v3 and the pages answer at once; a v2 request that comes first waits for the
//! load instead of failing.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use super::{
    EmbeddedStore, StoreError, StoreFuture, StoreResult, TitleKey, TitleTable, TrackStore,
};
use music_shared::items::{AssignmentItem, TitleItem};
use tokio::sync::watch;

/// What the loader thread hands over: the store, or why it could not be loaded.
type Loaded = Option<Result<Arc<EmbeddedStore>, Arc<str>>>;

/// An [`EmbeddedStore`] that is being loaded; every call waits for the load to finish.
pub struct LoadingStore {
    loaded: watch::Receiver<Loaded>,
}

impl LoadingStore {
    /// Start loading the item files of `dir` on a new thread and return at once.
    pub fn spawn(dir: PathBuf) -> std::io::Result<Self> {
        let (tx, loaded) = watch::channel(None);
        std::thread::Builder::new()
            .name("v2-item-files".into())
            .spawn(move || {
                let started = Instant::now();
                let result = EmbeddedStore::load(&dir).map(Arc::new).map_err(|e| {
                    Arc::from(format!(
                        "v2: loading the item files in {}: {e}",
                        dir.display()
                    ))
                });
                match &result {
                    Ok(_) => tracing::info!(
                        dir = %dir.display(),
                        ms = started.elapsed().as_millis() as u64,
                        "v2 item files loaded"
                    ),
                    Err(e) => tracing::error!("{e}"),
                }
                // Nobody listening any more (the server stopped) is not an error.
                let _ = tx.send(Some(result));
            })?;
        Ok(LoadingStore { loaded })
    }

    /// The loaded store, once it is; the load's error if it failed.
    pub async fn ready(&self) -> Result<Arc<EmbeddedStore>, Arc<str>> {
        let mut rx = self.loaded.clone();
        let loaded = match rx.wait_for(Option::is_some).await {
            Ok(value) => value.clone().expect("wait_for returned a loaded value"),
            Err(_) => Err(Arc::from(
                "v2: the item-file loader stopped without an answer",
            )),
        };
        loaded
    }

    async fn store(&self) -> StoreResult<Arc<EmbeddedStore>> {
        self.ready()
            .await
            .map_err(|e| StoreError::Other(e.to_string()))
    }
}

impl TrackStore for LoadingStore {
    fn titles<'a>(
        &'a self,
        table: TitleTable,
        key: TitleKey<'a>,
    ) -> StoreFuture<'a, Vec<TitleItem>> {
        Box::pin(async move { self.store().await?.titles(table, key).await })
    }

    fn fixed(&self, cluster: u8) -> StoreFuture<'_, Vec<AssignmentItem>> {
        Box::pin(async move { self.store().await?.fixed(cluster).await })
    }

    fn random(&self, cluster: u8, n: usize) -> StoreFuture<'_, Vec<AssignmentItem>> {
        Box::pin(async move { self.store().await?.random(cluster, n).await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn requests_wait_for_the_load_and_read_the_files() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/build");
        let loading = LoadingStore::spawn(dir.clone()).unwrap();
        let direct = EmbeddedStore::load(&dir).unwrap();
        let want = direct.fixed(3).await.unwrap();
        assert!(!want.is_empty());
        assert_eq!(loading.fixed(3).await.unwrap(), want);
        assert!(loading.ready().await.is_ok());
    }

    #[tokio::test]
    async fn a_failed_load_is_an_error_naming_the_directory() {
        let loading = LoadingStore::spawn(PathBuf::from("/nonexistent/items")).unwrap();
        let err = loading.fixed(0).await.unwrap_err();
        assert!(err.to_string().contains("/nonexistent/items"), "{err}");
        let err = loading.ready().await.unwrap_err();
        assert!(err.contains("/nonexistent/items"), "{err}");
    }
}
