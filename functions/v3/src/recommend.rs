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
        self.name_folded[a] == self.name_folded[b]
            && self.artists_folded[a]
                .iter()
                .any(|x| self.artists_folded[b].contains(x))
    }
}

pub fn distance(a: &[f64; 9], b: &[f64; 9]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y) * (x - y))
        .sum::<f64>()
        .sqrt()
}

/// The candidates of one request: a contiguous run of packed single-precision features (one
/// cluster, or every track) and the track number of each. Packed and contiguous because the scan
/// is bound by memory, not arithmetic: at 600k tracks, gathering scattered f64 rows was ~10x slower.
#[derive(Clone, Copy)]
pub struct Pool<'a> {
    pub features: &'a [[f32; 9]],
    pub tracks: &'a [u32],
}

/// The `n` tracks of `pool` nearest to `seed`, nearest first (ties by track number), never the
/// seed or another copy of the seed's song, and at most one copy of any song. Candidates are
/// ranked in f32, then the head is re-ranked with exact f64 distances; the head is widened
/// whenever f32 rounding could have left a closer track outside it.
pub fn nearest(cat: &Catalogue<'_>, seed: usize, pool: Pool<'_>, n: usize) -> Vec<(usize, f64)> {
    if n == 0 {
        return Vec::new();
    }
    let origin64 = &cat.features[seed];
    let origin: [f32; 9] = origin64.map(|v| v as f32);
    let mut scored: Vec<(f32, u32)> = pool
        .features
        .iter()
        .zip(pool.tracks)
        .filter(|(_, &i)| i as usize != seed)
        .map(|(f, &i)| {
            let mut d2 = 0.0f32;
            for k in 0..9 {
                let d = f[k] - origin[k];
                d2 += d * d;
            }
            (d2, i)
        })
        .collect();
    let order32 = |a: &(f32, u32), b: &(f32, u32)| {
        a.0.partial_cmp(&b.0)
            .unwrap_or(Ordering::Equal)
            .then(a.1.cmp(&b.1))
    };
    let order64 = |a: &(f64, u32), b: &(f64, u32)| {
        a.0.partial_cmp(&b.0)
            .unwrap_or(Ordering::Equal)
            .then(a.1.cmp(&b.1))
    };
    // Duplicates are dropped after ranking, so take a margin; if they ate it, widen and retry.
    let mut take = (n * 2 + 16).min(scored.len());
    loop {
        if take < scored.len() {
            scored.select_nth_unstable_by(take - 1, order32);
        }
        // Everything outside the head is at least this far (in f32).
        let outside = if take < scored.len() {
            scored[take..]
                .iter()
                .map(|s| s.0)
                .fold(f32::INFINITY, f32::min)
        } else {
            f32::INFINITY
        };
        let mut head: Vec<(f64, u32)> = scored[..take]
            .iter()
            .map(|&(_, i)| (squared(origin64, &cat.features[i as usize]), i))
            .collect();
        head.sort_by(order64);
        let mut out: Vec<(usize, f64)> = Vec::with_capacity(n);
        let mut last_d2 = 0.0;
        for (d2, i) in head {
            let i = i as usize;
            if cat.same_song(i, seed) || out.iter().any(|&(j, _)| cat.same_song(i, j)) {
                continue;
            }
            out.push((i, d2.sqrt()));
            last_d2 = d2;
            if out.len() == n {
                break;
            }
        }
        // f32 squared distances of values in [0, ~2] are good to ~1e-6; keep a wide margin.
        let safe = (last_d2 as f32) < outside - 1e-4 * (1.0 + outside);
        if take == scored.len() || (out.len() == n && safe) {
            return out;
        }
        take = (take * 4).min(scored.len());
    }
}

fn squared(a: &[f64; 9], b: &[f64; 9]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_seed_and_duplicate_songs() {
        let f = |x: f64| [x, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];
        let features = vec![f(0.0), f(0.1), f(0.1), f(0.2), f(0.0), f(0.3)];
        let names: Vec<String> = ["a", "b", "b", "c", "a", "d"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let artists: Vec<Vec<String>> = [["x"], ["y"], ["y"], ["z"], ["x"], ["y"]]
            .iter()
            .map(|a| vec![a[0].to_string()])
            .collect();
        let cat = Catalogue {
            features: &features,
            name_folded: &names,
            artists_folded: &artists,
        };
        let tracks: Vec<u32> = (0..6).collect();
        let packed: Vec<[f32; 9]> = features.iter().map(|f| f.map(|v| v as f32)).collect();
        let pool = Pool {
            features: &packed,
            tracks: &tracks,
        };
        let got = nearest(&cat, 0, pool, 10);
        // 4 is a copy of the seed's song; 2 a copy of 1.
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), vec![1, 3, 5]);
        assert!((got[1].1 - 0.2).abs() < 1e-12);
        assert_eq!(nearest(&cat, 0, pool, 1).len(), 1);
    }
}
