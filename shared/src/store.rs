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
use std::path::Path;
use std::pin::Pin;
use std::sync::Mutex;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::fold_name;
use crate::items::{
    random_key_index, random_sort_key, AssignmentItem, TitleItem, ITEMS_ASSIGNMENTS, ITEMS_TRACKS,
    ITEMS_TRACKS_WITH_IDS, SORT_FIXED, SORT_RANDOM, TABLE_ASSIGNMENTS, TABLE_TRACKS,
    TABLE_TRACKS_WITH_IDS,
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

    /// `n` distinct tracks of a cluster, a uniform random sample in random order (every set of
    /// `n` tracks, and every order of it, equally likely), drawn afresh on each call; all of the
    /// cluster's tracks, shuffled, when it has `n` or fewer. See [`Sampler`].
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

/// `n` distinct indices below `size`, a uniform random sample in random order (every ordered
/// choice equally likely); all of `0..size`, shuffled, when `n >= size`. (`rand`'s index
/// sampling, which for the ten a request asks for is Floyd's algorithm, fully shuffled.)
pub fn sample_indices<R: Rng + ?Sized>(rng: &mut R, size: usize, n: usize) -> Vec<usize> {
    rand::seq::index::sample(rng, size, n.min(size)).into_vec()
}

/// A cluster's size from its last `rand#` sort key (the keys are the dense indices
/// `0..size`, so the last one is `size - 1`); 0 for a cluster without one. A last key of another
/// shape is an error: the table holds items of an older pipeline (`rand#<16 hex digits>`), which
/// must be deleted and re-seeded (the batch writer's count check refuses such a table too).
pub fn cluster_size_from_last_key(cluster: u8, last: Option<&str>) -> StoreResult<usize> {
    match last {
        None => Ok(0),
        Some(sort) => random_key_index(sort).map(|i| i + 1).ok_or_else(|| {
            StoreError::Other(format!(
                "cluster {cluster}: the last random sort key is {sort:?}, not a dense index \
                 ({SORT_RANDOM} and 8 digits): the assignments table holds items of an older \
                 build; delete it and seed it again"
            ))
        }),
    }
}

/// Where a store's draws come from: each thread's own generator (the default), or one generator
/// seeded by a test, so that a run of draws can be repeated exactly.
#[derive(Debug, Default)]
pub struct Sampler {
    seeded: Option<Mutex<StdRng>>,
}

impl Sampler {
    pub fn seeded(seed: u64) -> Self {
        Sampler {
            seeded: Some(Mutex::new(StdRng::seed_from_u64(seed))),
        }
    }

    /// [`sample_indices`] from this sampler's generator.
    pub fn indices(&self, size: usize, n: usize) -> Vec<usize> {
        match &self.seeded {
            Some(rng) => {
                let mut rng = rng.lock().unwrap_or_else(|e| e.into_inner());
                sample_indices(&mut *rng, size, n)
            }
            None => sample_indices(&mut rand::thread_rng(), size, n),
        }
    }
}

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
    /// Keyed by the `rand#` sort key, so that a draw reads the size and fetches the drawn keys
    /// exactly as the DynamoDB store does.
    random: BTreeMap<String, AssignmentItem>,
}

/// The three tables held in memory, loaded from `data/build/*.jsonl`.
#[derive(Debug)]
pub struct EmbeddedStore {
    tracks: TitleIndex,
    track_ids: TitleIndex,
    clusters: HashMap<u8, Cluster>,
    sampler: Sampler,
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
            sampler: Sampler::default(),
        }
    }

    /// The same store, drawing from a generator seeded with `seed` (tests).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.sampler = Sampler::seeded(seed);
        self
    }

    fn index(&self, table: TitleTable) -> &TitleIndex {
        match table {
            TitleTable::Tracks => &self.tracks,
            TitleTable::TracksWithIds => &self.track_ids,
        }
    }

    /// A draw as the DynamoDB store makes it: the size from the last `rand#` key, `n` indices
    /// from the sampler, the items of those keys in the order drawn (a key that is missing, in
    /// a file with a gap, is skipped, as DynamoDB would not return it).
    fn sample(&self, cluster: u8, n: usize) -> StoreResult<Vec<AssignmentItem>> {
        let Some(c) = self.clusters.get(&cluster) else {
            return Ok(Vec::new());
        };
        let last = c.random.keys().next_back().map(String::as_str);
        let size = cluster_size_from_last_key(cluster, last)?;
        Ok(self
            .sampler
            .indices(size, n)
            .into_iter()
            .filter_map(|i| c.random.get(&random_sort_key(i)).cloned())
            .collect())
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
        let found = self.sample(cluster, n);
        Box::pin(async move { found })
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
    fn sampled_indices_are_distinct_in_range_and_all_of_them_when_n_exceeds_the_size() {
        let mut rng = StdRng::seed_from_u64(1);
        for size in [0usize, 1, 2, 9, 10, 11, 60, 14_715] {
            for n in [0usize, 1, 3, 10, 11, 100] {
                for _ in 0..20 {
                    let picks = sample_indices(&mut rng, size, n);
                    assert_eq!(picks.len(), n.min(size), "size {size}, n {n}");
                    assert!(picks.iter().all(|&i| i < size), "size {size}: {picks:?}");
                    let mut sorted = picks.clone();
                    sorted.sort_unstable();
                    sorted.dedup();
                    assert_eq!(sorted.len(), picks.len(), "repeats: {picks:?}");
                    if n >= size {
                        assert_eq!(sorted, (0..size).collect::<Vec<_>>());
                    }
                }
            }
        }
    }

    /// Pearson's statistic of `counts` against equal expectations.
    fn chi_square(counts: &HashMap<Vec<usize>, u32>, cells: usize, draws: u32) -> f64 {
        let expected = f64::from(draws) / cells as f64;
        let seen: f64 = counts
            .values()
            .map(|&c| (f64::from(c) - expected).powi(2) / expected)
            .sum();
        // Cells never seen contribute `expected` each.
        seen + (cells - counts.len()) as f64 * expected
    }

    #[test]
    fn every_ordered_choice_is_equally_likely() {
        let mut rng = StdRng::seed_from_u64(7);
        // 3 of 5: 60 ordered choices. 60,000 draws: 1,000 expected each; the statistic follows a
        // chi-square law with 59 degrees of freedom, above 126 with probability below 1e-6.
        let draws = 60_000;
        let mut counts: HashMap<Vec<usize>, u32> = HashMap::new();
        for _ in 0..draws {
            *counts.entry(sample_indices(&mut rng, 5, 3)).or_default() += 1;
        }
        assert_eq!(counts.len(), 60);
        let x = chi_square(&counts, 60, draws);
        assert!(
            x < 126.0,
            "3 of 5: chi-square {x:.1} on 59 degrees of freedom"
        );
        // More than the size: every order of all three, equally often (5 degrees of freedom,
        // above 35 with probability below 1e-6).
        let draws = 6_000;
        let mut counts: HashMap<Vec<usize>, u32> = HashMap::new();
        for _ in 0..draws {
            *counts.entry(sample_indices(&mut rng, 3, 10)).or_default() += 1;
        }
        assert_eq!(counts.len(), 6);
        let x = chi_square(&counts, 6, draws);
        assert!(
            x < 35.0,
            "10 of 3: chi-square {x:.1} on 5 degrees of freedom"
        );
    }

    fn sorts(v: Vec<AssignmentItem>) -> Vec<String> {
        v.into_iter().map(|i| i.sort).collect()
    }

    #[test]
    fn draws_fetch_distinct_drawn_keys_of_the_cluster_only() {
        let mut items: Vec<_> = (0..4).map(|i| assignment(3, &random_sort_key(i))).collect();
        items.push(assignment(3, "fixed#01"));
        items.push(assignment(3, "fixed#00"));
        items.push(assignment(4, &random_sort_key(0)));
        let store = EmbeddedStore::from_items(vec![], vec![], items.clone()).with_seed(5);
        let cluster3: Vec<String> = (0..4).map(random_sort_key).collect();
        for _ in 0..50 {
            let two = sorts(store.sample(3, 2).unwrap());
            assert_eq!(two.len(), 2);
            assert_ne!(two[0], two[1]);
            assert!(two.iter().all(|k| cluster3.contains(k)), "{two:?}");
            let mut all = sorts(block_on(store.random(3, 10)).unwrap());
            all.sort();
            assert_eq!(all, cluster3);
        }
        assert_eq!(sorts(store.sample(4, 10).unwrap()), ["rand#00000000"]);
        assert!(store.sample(7, 10).unwrap().is_empty());
        assert!(store.sample(3, 0).unwrap().is_empty());
        assert_eq!(
            sorts(block_on(store.fixed(3)).unwrap()),
            vec!["fixed#00", "fixed#01"]
        );
        // The same seed, the same draws; draws vary from call to call.
        let store = EmbeddedStore::from_items(vec![], vec![], items.clone()).with_seed(9);
        let again = EmbeddedStore::from_items(vec![], vec![], items).with_seed(9);
        let a: Vec<_> = (0..20)
            .map(|_| sorts(store.sample(3, 2).unwrap()))
            .collect();
        let b: Vec<_> = (0..20)
            .map(|_| sorts(again.sample(3, 2).unwrap()))
            .collect();
        let c: Vec<_> = (0..20)
            .map(|_| sorts(store.sample(3, 2).unwrap()))
            .collect();
        let d: Vec<_> = (0..20)
            .map(|_| sorts(again.sample(3, 2).unwrap()))
            .collect();
        assert_eq!((&a, &c), (&b, &d));
        assert_ne!(a, c);
    }

    #[test]
    fn a_gap_is_skipped_and_a_key_of_an_older_build_is_an_error() {
        // Keys 0, 2, 3: the size is 4, index 1 is not there.
        let items: Vec<_> = [0, 2, 3]
            .iter()
            .map(|&i| assignment(1, &random_sort_key(i)))
            .collect();
        let store = EmbeddedStore::from_items(vec![], vec![], items);
        let mut all = sorts(store.sample(1, 10).unwrap());
        all.sort();
        assert_eq!(all, ["rand#00000000", "rand#00000002", "rand#00000003"]);
        // An item left from the pipeline of 16-hex random keys sorts last: refuse to guess.
        let store = EmbeddedStore::from_items(
            vec![],
            vec![],
            vec![
                assignment(2, &random_sort_key(0)),
                assignment(2, "rand#3fa2c0d1e4b5a697"),
            ],
        );
        let err = block_on(store.random(2, 10)).unwrap_err();
        assert!(
            matches!(&err, StoreError::Other(m) if m.contains("older build")),
            "{err}"
        );
        assert_eq!(err.retry_after_secs(), None);
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
