//! Nearest neighbours in the nine clustering features, by brute force.
//!
//! A scan is exact, needs no index to build or ship, and at the sizes involved (628 tracks
//! shipped; ~60k per cluster at 600k tracks) costs well under the latency budget (bench/v3).
//! A k-d tree buys little in nine dimensions at these sizes and would have to be rebuilt per scope.

use std::cmp::Ordering;

/// What the recommender needs to know of each track. Indexes are the caller's track numbers.
pub struct Catalogue<'a> {
    pub features: &'a [[f64; 9]],
    pub name_folded: &'a [String],
    pub artists_folded: &'a [Vec<String>],
}

impl Catalogue<'_> {
    /// Two tracks are "the same song" when their folded titles are equal and they share an artist
    /// (a remaster, a single and its album version): recommending one of them for the other, or
    /// both, says nothing.
    fn same_song(&self, a: usize, b: usize) -> bool {
        self.name_folded[a] == self.name_folded[b] && self.artists_folded[a].iter().any(|x| self.artists_folded[b].contains(x))
    }
}

pub fn distance(a: &[f64; 9], b: &[f64; 9]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum::<f64>().sqrt()
}

/// The `n` tracks of `pool` nearest to `seed`, nearest first (ties by track number), never the
/// seed or another copy of the seed's song, and at most one copy of any song.
pub fn nearest(cat: &Catalogue<'_>, seed: usize, pool: &[u32], n: usize) -> Vec<(usize, f64)> {
    if n == 0 {
        return Vec::new();
    }
    let origin = &cat.features[seed];
    // Squared distances order the same as distances; the root is taken for the few returned.
    let mut scored: Vec<(f64, u32)> = pool
        .iter()
        .filter(|&&i| i as usize != seed)
        .map(|&i| {
            let f = &cat.features[i as usize];
            let d2: f64 = origin.iter().zip(f).map(|(x, y)| (x - y) * (x - y)).sum();
            (d2, i)
        })
        .collect();
    let order = |a: &(f64, u32), b: &(f64, u32)| a.0.partial_cmp(&b.0).unwrap_or(Ordering::Equal).then(a.1.cmp(&b.1));
    // Duplicates are dropped after ranking, so take a margin; if they ate it, widen and retry.
    let mut take = (n * 2 + 16).min(scored.len());
    loop {
        if take < scored.len() {
            scored.select_nth_unstable_by(take - 1, order);
        }
        let mut head: Vec<(f64, u32)> = scored[..take].to_vec();
        head.sort_by(order);
        let mut out: Vec<(usize, f64)> = Vec::with_capacity(n);
        for (d2, i) in head {
            let i = i as usize;
            if cat.same_song(i, seed) || out.iter().any(|&(j, _)| cat.same_song(i, j)) {
                continue;
            }
            out.push((i, d2.sqrt()));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_seed_and_duplicate_songs() {
        let f = |x: f64| [x, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        let features = vec![f(0.0), f(0.1), f(0.1), f(0.2), f(0.0), f(0.3)];
        let names: Vec<String> = ["a", "b", "b", "c", "a", "d"].iter().map(|s| s.to_string()).collect();
        let artists: Vec<Vec<String>> = [["x"], ["y"], ["y"], ["z"], ["x"], ["y"]].iter().map(|a| vec![a[0].to_string()]).collect();
        let cat = Catalogue { features: &features, name_folded: &names, artists_folded: &artists };
        let pool: Vec<u32> = (0..6).collect();
        let got = nearest(&cat, 0, &pool, 10);
        // 4 is a copy of the seed's song; 2 a copy of 1.
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), vec![1, 3, 5]);
        assert!((got[1].1 - 0.2).abs() < 1e-12);
        assert_eq!(nearest(&cat, 0, &pool, 1).len(), 1);
    }
}
