//! Prebuilt binary data stored in the `blobs` table, loaded whole at start-up.
//!
//! Why blobs: the v3 Lambda answers search and recommendations from memory. Building that memory
//! from 87k rows at every cold start (parsing JSON, folding names, sorting) took longer than the
//! whole start-up budget; reading one prepared byte string and reinterpreting it as arrays takes a
//! few milliseconds. The pipeline builds them once.
//!
//! Layouts are little-endian (both Lambda architectures are); each blob starts with a magic and a
//! version, and a reader refuses anything else rather than guessing.

#[cfg(not(target_endian = "little"))]
compile_error!("the blob layouts are little-endian; this target is not");

/// Name of the search index blob (bytes of `music_search`'s `Builder::build`).
pub const SEARCH_INDEX: &str = "search_index";
/// Name of the [`Neighbours`] blob.
pub const NEIGHBOURS: &str = "neighbours";

/// Why a blob could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("blob {0}: not this format (bad magic)")]
    Magic(&'static str),
    #[error("blob {name}: format version {found}, this build reads {expected}")]
    Version {
        name: &'static str,
        found: u32,
        expected: u32,
    },
    #[error("blob {name}: {detail}")]
    Shape { name: &'static str, detail: String },
}

/// Everything the recommender needs per track, in arrays indexed by the catalogue's track number,
/// and the nine clustering features packed in single precision, grouped by cluster: a cluster's
/// candidates are then one contiguous run (the scan is bound by memory, and gathering scattered
/// rows was ~10x slower).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Neighbours {
    /// Cluster of each track.
    pub cluster: Vec<u8>,
    /// Same-song group of each track: tracks with the same folded title sharing an artist (an
    /// album version, a single, a remaster) have the same group, the lowest track number among them.
    pub group: Vec<u32>,
    /// Release year of each track, 0 if unknown.
    pub year: Vec<u16>,
    /// Popularity (0-100, whole numbers in the Kaggle data) of each track.
    pub popularity: Vec<u8>,
    /// Track numbers ordered by (cluster, track).
    pub order: Vec<u32>,
    /// The nine clustering features of `order[i]`, at `packed[9 * i .. 9 * i + 9]`.
    pub packed: Vec<f32>,
    /// `order[runs[c] .. runs[c + 1]]` are cluster `c`'s tracks (`k + 1` offsets).
    pub runs: Vec<u32>,
}

const MAGIC: &[u8; 4] = b"MMNB";
const VERSION: u32 = 2;
const DIMS: usize = 9;

impl Neighbours {
    pub fn len(&self) -> usize {
        self.cluster.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cluster.is_empty()
    }

    /// Number of clusters.
    pub fn k(&self) -> usize {
        self.runs.len().saturating_sub(1)
    }

    /// Build from per-track cluster and features; everything else is given per track too.
    pub fn pack(
        cluster: Vec<u8>,
        group: Vec<u32>,
        year: Vec<u16>,
        popularity: Vec<u8>,
        features: &[[f64; DIMS]],
        k: usize,
    ) -> Neighbours {
        let mut order: Vec<u32> = (0..cluster.len() as u32).collect();
        order.sort_by_key(|&t| (cluster[t as usize], t));
        let mut packed = Vec::with_capacity(order.len() * DIMS);
        for &t in &order {
            packed.extend(features[t as usize].iter().map(|&v| v as f32));
        }
        let mut runs = vec![0u32; k + 1];
        for &c in &cluster {
            runs[c as usize + 1] += 1;
        }
        for c in 0..k {
            runs[c + 1] += runs[c];
        }
        Neighbours {
            cluster,
            group,
            year,
            popularity,
            order,
            packed,
            runs,
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let n = self.len();
        let mut out =
            Vec::with_capacity(20 + n * (1 + 1 + 2 + 4 + 4 + 4 * DIMS) + 4 * self.runs.len());
        out.extend_from_slice(MAGIC);
        for v in [VERSION, n as u32, self.k() as u32, 0] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        // Widest elements first, so that every section stays aligned to its element size when
        // the blob itself is (the reader copies anyway, but a memory-mapped reader need not).
        out.extend_from_slice(bytemuck::cast_slice(&self.packed));
        out.extend_from_slice(bytemuck::cast_slice(&self.order));
        out.extend_from_slice(bytemuck::cast_slice(&self.group));
        out.extend_from_slice(bytemuck::cast_slice(&self.runs));
        out.extend_from_slice(bytemuck::cast_slice(&self.year));
        out.extend_from_slice(&self.popularity);
        out.extend_from_slice(&self.cluster);
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Neighbours, BlobError> {
        let name = NEIGHBOURS;
        if bytes.len() < 20 || &bytes[..4] != MAGIC {
            return Err(BlobError::Magic(name));
        }
        let word = |i: usize| {
            u32::from_le_bytes(bytes[4 + 4 * i..8 + 4 * i].try_into().unwrap_or_default())
        };
        let (version, n, k) = (word(0), word(1) as usize, word(2) as usize);
        if version != VERSION {
            return Err(BlobError::Version {
                name,
                found: version,
                expected: VERSION,
            });
        }
        let sizes = [n * DIMS * 4, n * 4, n * 4, (k + 1) * 4, n * 2, n, n];
        let expected: usize = 20 + sizes.iter().sum::<usize>();
        if bytes.len() != expected {
            return Err(BlobError::Shape {
                name,
                detail: format!(
                    "{} bytes for {n} tracks and {k} clusters, expected {expected}",
                    bytes.len()
                ),
            });
        }
        let mut at = 20;
        let mut take = |len: usize| {
            let s = &bytes[at..at + len];
            at += len;
            s
        };
        // Fields in the blob's layout order: a struct literal evaluates them as written.
        let nb = Neighbours {
            packed: bytemuck::pod_collect_to_vec(take(sizes[0])),
            order: bytemuck::pod_collect_to_vec(take(sizes[1])),
            group: bytemuck::pod_collect_to_vec(take(sizes[2])),
            runs: bytemuck::pod_collect_to_vec(take(sizes[3])),
            year: bytemuck::pod_collect_to_vec(take(sizes[4])),
            popularity: take(sizes[5]).to_vec(),
            cluster: take(sizes[6]).to_vec(),
        };
        nb.check()?;
        Ok(nb)
    }

    /// Indices that a reader will follow must be in range; a bad blob fails at start-up, not
    /// with a panic on some request.
    fn check(&self) -> Result<(), BlobError> {
        let bad = |detail: String| {
            Err(BlobError::Shape {
                name: NEIGHBOURS,
                detail,
            })
        };
        let n = self.len() as u32;
        if self.runs.first() != Some(&0)
            || self.runs.last() != Some(&n)
            || self.runs.windows(2).any(|w| w[0] > w[1])
        {
            return bad("cluster runs do not cover the tracks in order".into());
        }
        if self.order.iter().any(|&t| t >= n) || self.group.iter().any(|&g| g >= n) {
            return bad("a track number is out of range".into());
        }
        if self.cluster.iter().any(|&c| c as usize >= self.k()) {
            return bad("a cluster number is out of range".into());
        }
        if self.packed.iter().any(|v| !v.is_finite()) {
            return bad("a feature is not finite".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Neighbours {
        let features: Vec<[f64; 9]> = (0..5).map(|i| [i as f64 / 10.0; 9]).collect();
        Neighbours::pack(
            vec![1, 0, 1, 2, 0],
            vec![0, 1, 0, 3, 4],
            vec![1999, 0, 2001, 1975, 2020],
            vec![50, 10, 0, 99, 31],
            &features,
            3,
        )
    }

    #[test]
    fn packs_by_cluster_and_round_trips() {
        let nb = sample();
        assert_eq!(nb.order, vec![1, 4, 0, 2, 3]);
        assert_eq!(nb.runs, vec![0, 2, 4, 5]);
        assert_eq!(&nb.packed[9..18], &[0.4f32; 9]);
        let back = Neighbours::from_bytes(&nb.to_bytes()).unwrap();
        assert_eq!(back, nb);
    }

    #[test]
    fn refuses_other_bytes() {
        let bytes = sample().to_bytes();
        assert!(matches!(
            Neighbours::from_bytes(b"nope"),
            Err(BlobError::Magic(_))
        ));
        assert!(matches!(
            Neighbours::from_bytes(&bytes[..bytes.len() - 1]),
            Err(BlobError::Shape { .. })
        ));
        let mut wrong = bytes.clone();
        wrong[4] = 9;
        assert!(matches!(
            Neighbours::from_bytes(&wrong),
            Err(BlobError::Version { .. })
        ));
        let mut out_of_range = sample();
        out_of_range.group[0] = 77;
        assert!(Neighbours::from_bytes(&out_of_range.to_bytes()).is_err());
    }
}
