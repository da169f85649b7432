//! Nearest neighbours in the nine clustering features, by an exact scan.
//!
//! A scan is exact, needs no index beyond the packed arrays the pipeline prebuilt, and at the
//! sizes involved (~87k tracks, a cluster a tenth of that) costs well under the latency budget
//! (bench/v3). A k-d tree buys little in nine dimensions at these sizes and would have to be
//! rebuilt per scope.

use music_db::blobs::Neighbours;

/// How `/api/v3/tracks/{id}/recommendations` picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// Nearest over the whole catalogue in the weighted space of [`crate::similar::SPACE`]
    /// (see [`crate::similar`]), at most a fifth of the list by the seed's own artists.
    Similar,
    /// The original's: the seed's cluster, nearest first in the nine clustering features.
    Cluster,
    /// Nearest in the nine clustering features over every track.
    Nearest,
    /// The original's random ten: a uniform sample of the seed's cluster.
    Random,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Similar => "similar",
            Method::Cluster => "cluster",
            Method::Nearest => "nearest",
            Method::Random => "random",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Method::Similar => "Nearest over all tracks in the nine clustering features, danceability, release year (triple weight), mode, time signature, popularity, explicit and the title's letters (accents, script), standardized and weighted; no genre or artist is an input; at most a fifth of the list by the seed's own artists",
            Method::Cluster => "Euclidean distance in the nine clustering features, within the seed's cluster",
            Method::Nearest => "Euclidean distance in the nine clustering features, over all tracks",
            Method::Random => "A uniform random sample of the seed's cluster, new on every request",
        }
    }

    /// The dimensions the method compares.
    pub fn features(self) -> Vec<&'static str> {
        match self {
            Method::Similar => crate::similar::SPACE
                .iter()
                .map(|&(d, _)| crate::features::dim_name(d))
                .collect(),
            Method::Cluster | Method::Nearest => music_shared::FEATURES.to_vec(),
            Method::Random => Vec::new(),
        }
    }
}

/// One recommended track.
#[derive(Debug, Clone)]
pub struct Pick {
    pub track: usize,
    /// None for random draws.
    pub distance: Option<f64>,
    /// Why, for `similar`.
    pub reason: Option<crate::similar::Reason>,
}

/// Which tracks a request may recommend from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The seed's cluster (the original's recommendations were all from the seed's cluster).
    Cluster,
    /// Every track.
    All,
}

/// Nearest first; equal distances by track number. NaN cannot reach the rankers (the blob
/// reader refuses non-finite features); `total_cmp` keeps the order total anyway.
pub(crate) fn by_distance(a: &(f32, u32), b: &(f32, u32)) -> std::cmp::Ordering {
    a.0.total_cmp(&b.0).then(a.1.cmp(&b.1))
}

/// The `take` nearest of `scored` (squared distance, track), sorted [`by_distance`]; the rest is
/// left unsorted behind them. The rankers drop candidates after sorting (copies of a song, capped
/// artists), so they sort only such a head and ask again for a longer one if it ran out.
pub(crate) fn nearest_head(scored: &mut [(f32, u32)], take: usize) -> &mut [(f32, u32)] {
    if take < scored.len() {
        scored.select_nth_unstable_by(take - 1, by_distance);
    }
    let head = &mut scored[..take];
    head.sort_unstable_by(by_distance);
    head
}

/// The `n` tracks nearest to track `seed` in `scope`, nearest first (ties by track number), as
/// (track number, Euclidean distance): never the seed, never another copy of the seed's song,
/// and at most one copy of any song (copies share [`Neighbours::group`]).
pub fn nearest(
    nb: &Neighbours,
    position: &[u32],
    seed: usize,
    scope: Scope,
    n: usize,
) -> Vec<(usize, f64)> {
    if n == 0 || seed >= nb.len() {
        return Vec::new();
    }
    let range = match scope {
        Scope::All => 0..nb.order.len(),
        Scope::Cluster => {
            let c = nb.cluster[seed] as usize;
            nb.runs[c] as usize..nb.runs[c + 1] as usize
        }
    };
    let at = position[seed] as usize * 9;
    let origin: [f32; 9] = nb.packed[at..at + 9]
        .try_into()
        .expect("nine features per track");
    let seed_group = nb.group[seed];
    // Squared distances; the ranking is the same as for distances, and one sqrt per kept track
    // is cheaper than one per candidate.
    let mut scored: Vec<(f32, u32)> = nb.order[range.clone()]
        .iter()
        .zip(nb.packed[range.start * 9..range.end * 9].chunks_exact(9))
        .filter(|(&t, _)| nb.group[t as usize] != seed_group)
        .map(|(&t, f)| {
            let mut d2 = 0.0f32;
            for k in 0..9 {
                let d = f[k] - origin[k];
                d2 += d * d;
            }
            (d2, t)
        })
        .collect();
    // Copies of one song are dropped after ranking, so take a margin; widen if they ate it.
    let mut take = (n * 2 + 16).min(scored.len());
    loop {
        let head = nearest_head(&mut scored, take);
        let mut out: Vec<(usize, f64)> = Vec::with_capacity(n);
        let mut groups: Vec<u32> = Vec::with_capacity(n);
        for &(d2, t) in head.iter() {
            let g = nb.group[t as usize];
            if groups.contains(&g) {
                continue;
            }
            groups.push(g);
            out.push((t as usize, f64::from(d2).sqrt()));
            if out.len() == n {
                return out;
            }
        }
        if take == scored.len() {
            return out;
        }
        take = (take * 4).min(scored.len());
    }
}

/// Up to `n` tracks of the seed's cluster drawn uniformly at random, each song once and never the
/// seed's: a partial Fisher-Yates shuffle of the cluster's run, which stops as soon as `n` are
/// kept (copies of a song are skipped, so it may look at more than `n`).
pub fn random<R: rand::Rng>(nb: &Neighbours, seed: usize, n: usize, rng: &mut R) -> Vec<usize> {
    if n == 0 || seed >= nb.len() {
        return Vec::new();
    }
    let c = nb.cluster[seed] as usize;
    let mut run: Vec<u32> = nb.order[nb.runs[c] as usize..nb.runs[c + 1] as usize].to_vec();
    let mut groups: Vec<u32> = vec![nb.group[seed]];
    let mut out = Vec::with_capacity(n);
    for i in 0..run.len() {
        let j = rng.gen_range(i..run.len());
        run.swap(i, j);
        let t = run[i];
        let g = nb.group[t as usize];
        if groups.contains(&g) {
            continue;
        }
        groups.push(g);
        out.push(t as usize);
        if out.len() == n {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Neighbours, Vec<u32>) {
        let f = |x: f64| [x, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        let features = vec![f(0.0), f(0.1), f(0.1), f(0.2), f(0.0), f(0.3), f(0.05)];
        // 4 is a copy of the seed's song (group 0); 2 a copy of 1 (group 1).
        let nb = Neighbours::pack(
            vec![0, 0, 0, 0, 0, 0, 1],
            vec![0, 1, 1, 3, 0, 5, 6],
            vec![0; 7],
            vec![0; 7],
            &features,
            2,
        );
        let mut position = vec![0u32; 7];
        for (p, &t) in nb.order.iter().enumerate() {
            position[t as usize] = p as u32;
        }
        (nb, position)
    }

    #[test]
    fn random_draws_each_song_once_and_never_the_seed() {
        use rand::SeedableRng;
        let (nb, _) = sample();
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
        let mut seen = [0usize; 7];
        for _ in 0..2000 {
            let got = random(&nb, 0, 2, &mut rng);
            assert_eq!(got.len(), 2);
            // Never the seed (0) or its copy (4), never both copies of song 1 (tracks 1 and 2),
            // never outside the cluster (6).
            assert!(got.iter().all(|&t| t != 0 && t != 4 && t != 6), "{got:?}");
            assert!(!(got.contains(&1) && got.contains(&2)), "{got:?}");
            for t in got {
                seen[t] += 1;
            }
        }
        // Tracks are drawn uniformly, so song 1 (two tracks) is missed only when tracks 3 and 5
        // come first: 1/6 of draws. Songs 3 and 5 share the rest: 7/12 of draws each. A bound of
        // ~5 standard deviations (binomial, 2000 draws).
        let song1 = seen[1] + seen[2];
        for (count, expected) in [
            (song1, 2000.0 * 5.0 / 6.0),
            (seen[3], 2000.0 * 7.0 / 12.0),
            (seen[5], 2000.0 * 7.0 / 12.0),
        ] {
            assert!((count as f64 - expected).abs() < 100.0, "{seen:?}");
        }
        assert!(seen[1].abs_diff(seen[2]) < 120, "{seen:?}");
        assert_eq!(random(&nb, 0, 10, &mut rng).len(), 3);
    }

    #[test]
    fn skips_seed_and_copies_of_songs() {
        let (nb, position) = sample();
        let got = nearest(&nb, &position, 0, Scope::Cluster, 10);
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), vec![1, 3, 5]);
        assert!((got[1].1 - 0.2).abs() < 1e-6);
        assert_eq!(nearest(&nb, &position, 0, Scope::Cluster, 1).len(), 1);
        // Track 6 is in another cluster: only the whole catalogue reaches it, and it is nearest.
        let all = nearest(&nb, &position, 0, Scope::All, 2);
        assert_eq!(all.iter().map(|g| g.0).collect::<Vec<_>>(), vec![6, 1]);
        assert!(nearest(&nb, &position, 99, Scope::All, 3).is_empty());
    }
}
