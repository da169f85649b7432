//! The v2 store: what the `/api/v2.x` routes need from DynamoDB, as a trait, so that the same
//! routes run against the real tables (in `functions/v2`) or against the item files loaded in
//! memory ([`EmbeddedStore`], the local server's default, which needs nothing else running).
//!
//! The trait returns boxed futures instead of using `async fn` so that it stays dyn-compatible:
//! the router holds an `Arc<dyn TrackStore>` and does not care which store is behind it.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::future::Future;
use std::io::{BufRead, BufReader};
use std::ops::Bound;
use std::path::Path;
use std::pin::Pin;

use rand::Rng;

use crate::fold_name;
use crate::items::{
    AssignmentItem, TitleItem, ITEMS_ASSIGNMENTS, ITEMS_TRACKS, ITEMS_TRACKS_WITH_IDS, SORT_FIXED,
    SORT_RANDOM, TABLE_ASSIGNMENTS, TABLE_TRACKS, TABLE_TRACKS_WITH_IDS,
};

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

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

/// The three table names, configurable so that several deployments (or tests) can share one
/// account or one local DynamoDB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNames {
    pub tracks: String,
    pub track_ids: String,
    pub assignments: String,
}

impl Default for TableNames {
    fn default() -> Self {
        TableNames {
            tracks: TABLE_TRACKS.to_string(),
            track_ids: TABLE_TRACKS_WITH_IDS.to_string(),
            assignments: TABLE_ASSIGNMENTS.to_string(),
        }
    }
}

impl TableNames {
    /// From `MUSIC_ML_TABLE_TRACKS`, `MUSIC_ML_TABLE_TRACK_IDS`, `MUSIC_ML_TABLE_ASSIGNMENTS`,
    /// each falling back to the original deployment's name when unset or empty.
    pub fn from_env() -> Self {
        let var = |name: &str, default: &str| match std::env::var(name) {
            Ok(v) if !v.trim().is_empty() => v.trim().to_string(),
            _ => default.to_string(),
        };
        TableNames {
            tracks: var("MUSIC_ML_TABLE_TRACKS", TABLE_TRACKS),
            track_ids: var("MUSIC_ML_TABLE_TRACK_IDS", TABLE_TRACKS_WITH_IDS),
            assignments: var("MUSIC_ML_TABLE_ASSIGNMENTS", TABLE_ASSIGNMENTS),
        }
    }

    /// The same names with `prefix` in front (the SAM template's `TablePrefix`).
    pub fn prefixed(&self, prefix: &str) -> Self {
        TableNames {
            tracks: format!("{prefix}{}", self.tracks),
            track_ids: format!("{prefix}{}", self.track_ids),
            assignments: format!("{prefix}{}", self.assignments),
        }
    }

    pub fn title_table(&self, table: TitleTable) -> &str {
        match table {
            TitleTable::Tracks => &self.tracks,
            TitleTable::TracksWithIds => &self.track_ids,
        }
    }
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

/// What the v2 routes read. Implementations: [`EmbeddedStore`] here, DynamoDB in `functions/v2`.
pub trait TrackStore: Send + Sync {
    /// The item whose title is exactly `title` (the table's partition key).
    fn title<'a>(
        &'a self,
        table: TitleTable,
        title: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<TitleItem>>>;

    /// Every item whose folded title is `folded` (the `name_folded-index` GSI), in any order.
    fn titles_by_folded<'a>(
        &'a self,
        table: TitleTable,
        folded: &'a str,
    ) -> BoxFuture<'a, StoreResult<Vec<TitleItem>>>;

    /// The fixed tracks of a cluster, in their `fixed#NN` order.
    fn fixed(&self, cluster: u8) -> BoxFuture<'_, StoreResult<Vec<AssignmentItem>>>;

    /// Up to `n` distinct random tracks of a cluster (a query from a random sort key, wrapping).
    fn random(&self, cluster: u8, n: usize) -> BoxFuture<'_, StoreResult<Vec<AssignmentItem>>>;
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
    if let Some(item) = store.title(table, title).await? {
        return Ok(Some(item));
    }
    let folded = fold_name(title);
    if folded.is_empty() || folded.len() > MAX_KEY_BYTES {
        return Ok(None);
    }
    let mut found = store.titles_by_folded(table, &folded).await?;
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found.into_iter().next())
}

/// A fresh random sort key, in the same form as the stored ones (`rand#` + 16 hex digits).
pub fn random_sort_key() -> String {
    format!("{SORT_RANDOM}{:016x}", rand::thread_rng().gen::<u64>())
}

/// Every `rand#` key sorts below this, so `BETWEEN start AND RANDOM_KEY_END` reaches the last one.
pub const RANDOM_KEY_END: &str = "rand#~";

/// An error while loading the embedded store's item files.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} line {line}: {source}")]
    Parse {
        path: String,
        line: usize,
        source: serde_json::Error,
    },
}

/// One title table: every item once, and two ways in (exact title, folded title).
#[derive(Debug, Default)]
struct TitleIndex {
    items: Vec<TitleItem>,
    by_name: HashMap<String, usize>,
    by_folded: HashMap<String, Vec<usize>>,
}

impl TitleIndex {
    fn new(items: Vec<TitleItem>) -> Self {
        let mut by_name = HashMap::with_capacity(items.len());
        let mut by_folded: HashMap<String, Vec<usize>> = HashMap::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            by_folded
                .entry(item.name_folded.clone())
                .or_default()
                .push(i);
            by_name.insert(item.name.clone(), i);
        }
        TitleIndex {
            items,
            by_name,
            by_folded,
        }
    }
}

#[derive(Debug, Default)]
struct Cluster {
    fixed: Vec<AssignmentItem>,
    /// Keyed by the random sort key, so sampling is the same range walk as the DynamoDB query.
    random: BTreeMap<String, AssignmentItem>,
}

/// The three tables held in memory, loaded from `data/build/*.jsonl`.
#[derive(Debug)]
pub struct EmbeddedStore {
    tracks: TitleIndex,
    track_ids: TitleIndex,
    clusters: HashMap<u8, Cluster>,
}

fn read_jsonl<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, LoadError> {
    let shown = path.display().to_string();
    let file = File::open(path).map_err(|source| LoadError::Io {
        path: shown.clone(),
        source,
    })?;
    let mut out = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|source| LoadError::Io {
            path: shown.clone(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let item = serde_json::from_str(&line).map_err(|source| LoadError::Parse {
            path: shown.clone(),
            line: i + 1,
            source,
        })?;
        out.push(item);
    }
    Ok(out)
}

impl EmbeddedStore {
    /// Load the three item files from `dir` (normally `data/build/`), one thread per file.
    pub fn load(dir: &Path) -> Result<Self, LoadError> {
        let (tracks, track_ids, assignments) = std::thread::scope(|s| {
            let tracks = s.spawn(|| read_jsonl(&dir.join(ITEMS_TRACKS)));
            let track_ids = s.spawn(|| read_jsonl(&dir.join(ITEMS_TRACKS_WITH_IDS)));
            let assignments = read_jsonl(&dir.join(ITEMS_ASSIGNMENTS));
            (
                tracks.join().expect("a loader thread panicked"),
                track_ids.join().expect("a loader thread panicked"),
                assignments,
            )
        });
        Ok(Self::from_items(tracks?, track_ids?, assignments?))
    }

    pub fn from_items(
        tracks: Vec<TitleItem>,
        track_ids: Vec<TitleItem>,
        assignments: Vec<AssignmentItem>,
    ) -> Self {
        let mut clusters: HashMap<u8, Cluster> = HashMap::new();
        for item in assignments {
            let cluster = clusters.entry(item.assignments).or_default();
            if item.sort.starts_with(SORT_FIXED) {
                cluster.fixed.push(item);
            } else if item.sort.starts_with(SORT_RANDOM) {
                cluster.random.insert(item.sort.clone(), item);
            }
        }
        for cluster in clusters.values_mut() {
            cluster.fixed.sort_by(|a, b| a.sort.cmp(&b.sort));
        }
        EmbeddedStore {
            tracks: TitleIndex::new(tracks),
            track_ids: TitleIndex::new(track_ids),
            clusters,
        }
    }

    fn index(&self, table: TitleTable) -> &TitleIndex {
        match table {
            TitleTable::Tracks => &self.tracks,
            TitleTable::TracksWithIds => &self.track_ids,
        }
    }

    fn sample(&self, cluster: u8, n: usize, start: &str) -> Vec<AssignmentItem> {
        let Some(c) = self.clusters.get(&cluster) else {
            return Vec::new();
        };
        let after = c
            .random
            .range::<str, _>((Bound::Included(start), Bound::Unbounded))
            .map(|(_, v)| v);
        let before = c
            .random
            .range::<str, _>((Bound::Unbounded, Bound::Excluded(start)))
            .map(|(_, v)| v);
        after.chain(before).take(n).cloned().collect()
    }
}

impl TrackStore for EmbeddedStore {
    fn title<'a>(
        &'a self,
        table: TitleTable,
        title: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<TitleItem>>> {
        let index = self.index(table);
        let found = index.by_name.get(title).map(|&i| index.items[i].clone());
        Box::pin(async move { Ok(found) })
    }

    fn titles_by_folded<'a>(
        &'a self,
        table: TitleTable,
        folded: &'a str,
    ) -> BoxFuture<'a, StoreResult<Vec<TitleItem>>> {
        let index = self.index(table);
        let found = index
            .by_folded
            .get(folded)
            .map(|is| is.iter().map(|&i| index.items[i].clone()).collect())
            .unwrap_or_default();
        Box::pin(async move { Ok(found) })
    }

    fn fixed(&self, cluster: u8) -> BoxFuture<'_, StoreResult<Vec<AssignmentItem>>> {
        let found = self
            .clusters
            .get(&cluster)
            .map(|c| c.fixed.clone())
            .unwrap_or_default();
        Box::pin(async move { Ok(found) })
    }

    fn random(&self, cluster: u8, n: usize) -> BoxFuture<'_, StoreResult<Vec<AssignmentItem>>> {
        let found = self.sample(cluster, n, &random_sort_key());
        Box::pin(async move { Ok(found) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn title(name: &str) -> TitleItem {
        TitleItem {
            name: name.to_string(),
            artists: vec!["A".into()],
            genres: vec![vec![]],
            assignments: vec![1],
            id: None,
            name_folded: fold_name(name),
        }
    }

    fn assignment(cluster: u8, sort: &str) -> AssignmentItem {
        AssignmentItem {
            assignments: cluster,
            sort: sort.into(),
            name: sort.into(),
            id: sort.into(),
            artists: "['A']".into(),
        }
    }

    fn block_on<F: Future>(f: F) -> F::Output {
        // The embedded store's futures are ready at once; poll once with a no-op waker.
        struct Noop;
        impl std::task::Wake for Noop {
            fn wake(self: std::sync::Arc<Self>) {}
        }
        let mut f = std::pin::pin!(f);
        let waker = std::task::Waker::from(std::sync::Arc::new(Noop));
        match f.as_mut().poll(&mut std::task::Context::from_waker(&waker)) {
            std::task::Poll::Ready(v) => v,
            std::task::Poll::Pending => panic!("embedded store future was not ready"),
        }
    }

    #[test]
    fn exact_title_wins_then_first_folded_by_name() {
        let store = EmbeddedStore::from_items(
            vec![title("SEÑORITA"), title("Señorita"), title("senorita x")],
            vec![],
            vec![],
        );
        let get = |t: &str| {
            block_on(find_title(&store, TitleTable::Tracks, t))
                .unwrap()
                .map(|i| i.name)
        };
        assert_eq!(get("Señorita").as_deref(), Some("Señorita"));
        // Both fold to "senorita"; "SEÑORITA" < "Señorita" byte-wise.
        assert_eq!(get("senorita").as_deref(), Some("SEÑORITA"));
        assert_eq!(get("  SENORITA ").as_deref(), Some("SEÑORITA"));
        assert_eq!(get("nope"), None);
        assert_eq!(get(""), None);
        assert_eq!(get(&"x".repeat(MAX_KEY_BYTES + 1)), None);
        assert_eq!(
            block_on(find_title(&store, TitleTable::TracksWithIds, "Señorita")).unwrap(),
            None
        );
    }

    #[test]
    fn sampling_walks_from_the_start_key_and_wraps_without_duplicates() {
        let keys = [
            "rand#1000000000000000",
            "rand#5000000000000000",
            "rand#9000000000000000",
            "rand#e000000000000000",
        ];
        let mut items: Vec<_> = keys.iter().map(|k| assignment(3, k)).collect();
        items.push(assignment(3, "fixed#01"));
        items.push(assignment(3, "fixed#00"));
        items.push(assignment(4, "rand#2000000000000000"));
        let store = EmbeddedStore::from_items(vec![], vec![], items);
        let sorts = |v: Vec<AssignmentItem>| v.into_iter().map(|i| i.sort).collect::<Vec<_>>();
        assert_eq!(sorts(store.sample(3, 2, "rand#6")), vec![keys[2], keys[3]]);
        assert_eq!(
            sorts(store.sample(3, 3, "rand#6")),
            vec![keys[2], keys[3], keys[0]]
        );
        assert_eq!(
            sorts(store.sample(3, 10, "rand#f")),
            vec![keys[0], keys[1], keys[2], keys[3]]
        );
        assert_eq!(
            sorts(store.sample(3, 10, "rand#5000000000000000")),
            vec![keys[1], keys[2], keys[3], keys[0]]
        );
        assert!(store.sample(7, 10, "rand#0").is_empty());
        assert_eq!(
            sorts(block_on(store.fixed(3)).unwrap()),
            vec!["fixed#00", "fixed#01"]
        );
        assert_eq!(block_on(store.random(3, 10)).unwrap().len(), 4);
    }

    #[test]
    fn random_keys_have_the_stored_shape() {
        let k = random_sort_key();
        assert_eq!(k.len(), SORT_RANDOM.len() + 16);
        assert!(k[SORT_RANDOM.len()..]
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert!(k.as_str() < RANDOM_KEY_END);
    }

    #[test]
    fn table_names_take_a_prefix() {
        let names = TableNames::default().prefixed("test_");
        assert_eq!(
            names.title_table(TitleTable::TracksWithIds),
            "test_Music_ML_IDs"
        );
        assert_eq!(names.assignments, "test_Music_ML_Assignments");
    }
}
