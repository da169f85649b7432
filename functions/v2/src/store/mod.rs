//! The v2 store: what the `/api/v2.x` routes need from DynamoDB, as a trait, so that the same
//! routes run against the real tables ([`DynamoStore`], the Lambda) or against the item files
//! loaded in memory ([`EmbeddedStore`], the local server's default, which needs nothing else
//! running; [`LoadingStore`] while they load). The trait and every implementation live here,
//! together, so that a change to what a route reads is made and reviewed in one place.
//!
//! The trait returns boxed futures instead of using `async fn` so that it stays dyn-compatible:
//! the router holds an `Arc<dyn TrackStore>` and does not care which store is behind it.

#[cfg(feature = "dynamodb")]
mod dynamo;
mod embedded;
mod loading;
mod sample;

use std::future::Future;
use std::pin::Pin;

use music_shared::fold_name;
use music_shared::items::{AssignmentItem, TitleItem};

#[cfg(feature = "dynamodb")]
pub use dynamo::{DynamoConfig, DynamoStore, BATCH_GET_KEYS, UNPROCESSED_RETRIES};
pub use embedded::{EmbeddedStore, LoadError};
pub use loading::LoadingStore;
pub use sample::{cluster_size_from_last_key, sample_indices, Sampler};

/// What every store method returns: a boxed future (the trait stays dyn-compatible) of an
/// answer or a [`StoreError`].
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = StoreResult<T>> + Send + 'a>>;

/// DynamoDB refuses partition keys longer than this (in UTF-8 bytes), so no longer title can be
/// stored, and asking for one would be a validation error instead of "not found".
pub const MAX_KEY_BYTES: usize = 2048;

/// The highest cluster number (clusters are `0..=MAX_CLUSTER`).
pub const MAX_CLUSTER: u8 = 9;

/// Which of the two title tables a route reads: v2.0 reads `Music_ML3`, v2.1 `Music_ML_IDs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TitleTable {
    Tracks,
    TracksWithIds,
}

/// How a title is looked up: the table's partition key exactly, or the folded title (the
/// `name_folded-index` GSI), which several items may share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TitleKey<'a> {
    Exact(&'a str),
    Folded(&'a str),
}

/// Why the store could not answer. "Not found" is not among them: lookups return `Option`/`Vec`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("the track store is unavailable: {0}")]
    Unavailable(String),
    #[error("the track store is throttling requests: {0}")]
    Throttled(String),
    #[error("the track store did not answer in time: {0}")]
    Timeout(String),
    #[error("track store error: {0}")]
    Other(String),
}

impl StoreError {
    /// Seconds a client should wait before retrying, for the errors that a retry can cure.
    pub fn retry_after_secs(&self) -> Option<u32> {
        match self {
            StoreError::Unavailable(_) => Some(5),
            StoreError::Throttled(_) => Some(1),
            StoreError::Timeout(_) => Some(2),
            StoreError::Other(_) => None,
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// What the v2 routes read. Implementations: [`DynamoStore`], [`EmbeddedStore`], [`LoadingStore`].
pub trait TrackStore: Send + Sync {
    /// Every item under `key`, in any order: at most one for [`TitleKey::Exact`].
    fn titles<'a>(
        &'a self,
        table: TitleTable,
        key: TitleKey<'a>,
    ) -> StoreFuture<'a, Vec<TitleItem>>;

    /// The fixed tracks of a cluster, in their `fixed#NN` order.
    fn fixed(&self, cluster: u8) -> StoreFuture<'_, Vec<AssignmentItem>>;

    /// `n` distinct tracks of a cluster, a uniform random sample in random order (every set of
    /// `n` tracks, and every order of it, equally likely), drawn afresh on each call; all of the
    /// cluster's tracks, shuffled, when it has `n` or fewer. See [`Sampler`].
    fn random(&self, cluster: u8, n: usize) -> StoreFuture<'_, Vec<AssignmentItem>>;
}

/// Exact title first; otherwise the folded title, so `senorita` finds `Señorita`. When several
/// titles fold alike (`Señorita` and `SEÑORITA`), the first by title wins, so the answer does not
/// depend on the order a store returns them in.
pub async fn find_title(
    store: &dyn TrackStore,
    table: TitleTable,
    title: &str,
) -> StoreResult<Option<TitleItem>> {
    if title.is_empty() || title.len() > MAX_KEY_BYTES {
        return Ok(None);
    }
    if let Some(item) = store.titles(table, TitleKey::Exact(title)).await?.pop() {
        return Ok(Some(item));
    }
    let folded = fold_name(title);
    if folded.is_empty() || folded.len() > MAX_KEY_BYTES {
        return Ok(None);
    }
    let mut found = store.titles(table, TitleKey::Folded(&folded)).await?;
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found.into_iter().next())
}
