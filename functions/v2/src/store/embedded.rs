//! The three tables held in memory, loaded from the item files the pipeline writes: the local
//! server's v2 without DynamoDB. A draw reads the size and fetches the drawn keys exactly as the
//! DynamoDB store does, so both answer alike.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use music_shared::items::{
    random_sort_key, AssignmentItem, TitleItem, ITEMS_ASSIGNMENTS, ITEMS_TRACKS,
    ITEMS_TRACKS_WITH_IDS, SORT_FIXED, SORT_RANDOM,
};

use super::{
    cluster_size_from_last_key, Sampler, StoreFuture, StoreResult, TitleKey, TitleTable, TrackStore,
};

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
    fn titles<'a>(
        &'a self,
        table: TitleTable,
        key: TitleKey<'a>,
    ) -> StoreFuture<'a, Vec<TitleItem>> {
        let index = self.index(table);
        let at: &[usize] = match key {
            TitleKey::Exact(title) => index.by_name.get(title).map(std::slice::from_ref),
            TitleKey::Folded(folded) => index.by_folded.get(folded).map(Vec::as_slice),
        }
        .unwrap_or_default();
        let found = at.iter().map(|&i| index.items[i].clone()).collect();
        Box::pin(async move { Ok(found) })
    }

    fn fixed(&self, cluster: u8) -> StoreFuture<'_, Vec<AssignmentItem>> {
        let found = self
            .clusters
            .get(&cluster)
            .map(|c| c.fixed.clone())
            .unwrap_or_default();
        Box::pin(async move { Ok(found) })
    }

    fn random(&self, cluster: u8, n: usize) -> StoreFuture<'_, Vec<AssignmentItem>> {
        let found = self.sample(cluster, n);
        Box::pin(async move { found })
    }
}

#[cfg(test)]
mod tests {
    use std::future::Future;

    use music_shared::fold_name;

    use super::super::{find_title, StoreError, MAX_KEY_BYTES};
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
        let twenty = |s: &EmbeddedStore| -> Vec<_> {
            (0..20).map(|_| sorts(s.sample(3, 2).unwrap())).collect()
        };
        let (a, b) = (twenty(&store), twenty(&again));
        let (c, d) = (twenty(&store), twenty(&again));
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
}
