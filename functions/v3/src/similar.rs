//! Ranking the whole catalogue against seeds: the Spotify-shaped recommendations, related
//! artists, and the "similar songs" default.
//!
//! Tracks are compared in standardized dimensions (each one's mean 0, deviation 1 over the
//! catalogue), so that none dominates by its unit. The space is the nine clustering features,
//! danceability (which the clustering leaves out), release year at triple weight (genres are
//! largely eras), and at lower weights mode, time signature, popularity, whether the track is
//! explicit and what letters its title uses (see [`crate::features::EXTRA`]). No genre and no
//! artist is an input. The weights were chosen by a coordinate search on one set of 1,000 random
//! seeds and are measured on others: the share of suggestions sharing a genre with the seed goes
//! from ~0.19 (the nine features alone) to over 0.30 (bench/v3/quality.rs prints the table).

use crate::features::{self, Col, Features, QRow, ZRow, DIMS, LANES, WIDTH, Z_STEP};
use crate::recommend::{by_distance, nearest_head};

/// The dimensions of the similarity space (indexes into a [`ZRow`]) and their weights.
pub const SPACE: [(usize, f32); 17] = [
    (Col::Energy as usize, 1.0),
    (Col::Speechiness as usize, 1.0),
    (Col::Acousticness as usize, 1.0),
    (Col::Instrumentalness as usize, 1.0),
    (Col::Liveness as usize, 0.5),
    (Col::Valence as usize, 0.5),
    (Col::Loudness as usize, 1.0),
    (Col::Tempo as usize, 1.0),
    (Col::DurationMs as usize, 1.5),
    (Col::Danceability as usize, 1.0),
    (Col::Year as usize, 3.0),
    (Col::Mode as usize, 0.5),
    (Col::TimeSignature as usize, 0.5),
    (Col::Popularity as usize, 0.5),
    (features::EXPLICIT, 1.0),
    (features::ACCENTED_TITLE, 0.5),
    (features::NON_LATIN_TITLE, 0.5),
];

/// Weight of a column a request gives a `target_` for: above the space's own, so that three
/// targets visibly steer a list that five seeds also pull on.
pub const TARGET_WEIGHT: f32 = 2.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seed {
    Track(u32),
    Artist(u32),
    Genre(u32),
}

/// The dimensions a fixed-point distance sums before it checks the bound: two lane groups.
const EARLY: usize = 2 * LANES;

/// What to recommend from, and how.
#[derive(Debug, Clone, Default)]
pub struct Ask {
    pub seeds: Vec<Seed>,
    pub limit: usize,
    /// (column, value in the column's own unit).
    pub targets: Vec<(Col, f64)>,
    /// (column, min, max), both inclusive.
    pub ranges: Vec<(Col, f64, f64)>,
    /// Track numbers never to suggest.
    pub exclude: Vec<u32>,
    pub max_per_artist: Option<usize>,
    pub hide_explicit: bool,
    /// At most this many suggestions credited to an artist of a seed track.
    pub max_by_seed_artists: Option<usize>,
}

/// Why a track was suggested.
#[derive(Debug, Clone, PartialEq)]
pub struct Reason {
    /// The compared dimensions (of a [`ZRow`]) where it is nearest the seeds (two), and
    /// furthest (one).
    pub closest: Vec<usize>,
    pub furthest: Vec<usize>,
    /// Genres it shares with the seeds (genre numbers, ascending, at most three).
    pub shared_genres: Vec<u32>,
    pub same_cluster: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    pub track: u32,
    /// Weighted Euclidean distance to the seeds' centre, in standard deviations.
    pub distance: f64,
    pub reason: Reason,
}

/// Per seed, Spotify's pool sizes: the tracks the seed draws on (a track's or an artist's
/// cluster, a genre's tracks), and how many of them the filters leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool {
    pub initial: usize,
    pub after_filtering: usize,
}

#[derive(Debug, Clone)]
pub struct Answer {
    pub suggestions: Vec<Suggestion>,
    pub pools: Vec<Pool>,
}

/// The seeds' centre in standardized columns, and the weight of each compared column.
struct Centre {
    q: ZRow,
    /// The compared dimensions and their weights.
    dims: Vec<(usize, f32)>,
    /// Every dimension's weight (0 for those not compared), and `q` times it: the scan then
    /// runs over whole fixed-size rows, with no lookups of which dimensions to compare.
    w: ZRow,
    wq: ZRow,
    /// `w` times [`Z_STEP`]: the weights of a fixed-point row.
    wstep: ZRow,
    /// How far a distance on fixed-point rows may be from the exact one: half a step per
    /// dimension, weighted, plus room for single-precision rounding.
    slack: f32,
}

impl Centre {
    fn new(q: ZRow, dims: Vec<(usize, f32)>) -> Centre {
        let mut w = [0f32; WIDTH];
        for &(i, weight) in &dims {
            w[i] = weight;
        }
        let wq = std::array::from_fn(|i| w[i] * q[i]);
        let wstep = w.map(|w| w * Z_STEP);
        let norm = w.iter().map(|w| w * w).sum::<f32>().sqrt();
        let slack = norm * Z_STEP / 2.0 * 1.01 + 1e-5;
        Centre {
            q,
            dims,
            w,
            wq,
            wstep,
            slack,
        }
    }

    /// [`Centre::d2`] on a fixed-point row: within [`Centre::slack`] of the exact distance.
    /// `None` as soon as the first dimensions alone put it beyond `bound`: most rows of a scan
    /// are far, and stop there.
    #[inline]
    fn d2_fixed(&self, z: &QRow, bound: f32) -> Option<f32> {
        let mut acc = [0f32; LANES];
        let add = |from: usize, to: usize, acc: &mut [f32; LANES]| {
            for i in (from..to).step_by(LANES) {
                for l in 0..LANES {
                    let d = self.wstep[i + l] * f32::from(z[i + l]) - self.wq[i + l];
                    acc[l] += d * d;
                }
            }
        };
        add(0, EARLY, &mut acc);
        if acc.iter().sum::<f32>() > bound {
            return None;
        }
        add(EARLY, WIDTH, &mut acc);
        Some(acc.iter().sum())
    }

    /// Squared weighted distance of a standardized row to the centre.
    #[inline]
    fn d2(&self, z: &ZRow) -> f32 {
        let mut acc = [0f32; LANES];
        for ((w, wq), z) in self
            .w
            .chunks_exact(LANES)
            .zip(self.wq.chunks_exact(LANES))
            .zip(z.chunks_exact(LANES))
        {
            for l in 0..LANES {
                let d = w[l] * z[l] - wq[l];
                acc[l] += d * d;
            }
        }
        acc.iter().sum()
    }
}

fn centre(f: &Features, ask: &Ask) -> Centre {
    let mut q = [0f32; WIDTH];
    for seed in &ask.seeds {
        let v = match *seed {
            Seed::Track(t) => f.z_row(t as usize),
            Seed::Artist(a) => f.artist_centres()[a as usize],
            Seed::Genre(g) => f.genre_centres()[g as usize],
        };
        for (s, x) in q.iter_mut().zip(v) {
            *s += x / ask.seeds.len().max(1) as f32;
        }
    }
    let mut weights = [0f32; WIDTH];
    for (i, w) in SPACE {
        weights[i] = w;
    }
    for &(c, value) in &ask.targets {
        let i = c.index();
        q[i] = (value as f32 - f.mean[i]) / f.sd[i];
        weights[i] = weights[i].max(TARGET_WEIGHT);
    }
    let dims = (0..DIMS)
        .filter(|&i| weights[i] > 0.0)
        .map(|i| (i, weights[i]))
        .collect();
    Centre::new(q, dims)
}

/// A request's filters as one byte per track (1: kept), each filter applied in one pass over its
/// column. Testing each track's filters one after another cost a third of a filtered request:
/// about half the tracks fail, and each test was a branch the processor could not predict.
struct Filters {
    kept: Option<Vec<u8>>,
}

impl Filters {
    fn new(f: &Features, ask: &Ask) -> Filters {
        if !ask.hide_explicit && ask.ranges.is_empty() {
            return Filters { kept: None };
        }
        let mut kept = vec![1u8; f.len()];
        if ask.hide_explicit {
            for (k, &e) in kept.iter_mut().zip(&f.explicit) {
                *k &= u8::from(!e);
            }
        }
        for &(c, lo, hi) in &ask.ranges {
            // Compared in single precision (twice the values per instruction) against the
            // bounds that give the same answer as comparing in double precision.
            let (lo, hi) = (f32_at_least(lo), f32_at_most(hi));
            for (k, &v) in kept.iter_mut().zip(f.column(c)) {
                // NaN (an unknown year or time signature) fails every range.
                *k &= u8::from(v >= lo) & u8::from(v <= hi);
            }
        }
        Filters { kept: Some(kept) }
    }

    #[inline]
    fn keep(&self, t: usize) -> bool {
        self.kept.as_ref().is_none_or(|k| k[t] != 0)
    }

    /// How many of `tracks` the filters keep (a sum, no branch per track).
    fn count(&self, tracks: &[u32]) -> usize {
        match &self.kept {
            None => tracks.len(),
            Some(k) => tracks.iter().map(|&t| usize::from(k[t as usize])).sum(),
        }
    }
}

/// The least `f32` whose value is at least `x`: for any `f32` v, `v >= f32_at_least(x)` exactly
/// when `f64::from(v) >= x`.
fn f32_at_least(x: f64) -> f32 {
    let c = x as f32;
    if f64::from(c) < x {
        next_f32(c, true)
    } else {
        c
    }
}

/// The greatest `f32` whose value is at most `x` (see [`f32_at_least`]).
fn f32_at_most(x: f64) -> f32 {
    let c = x as f32;
    if f64::from(c) > x {
        next_f32(c, false)
    } else {
        c
    }
}

/// The neighbouring `f32` of a finite `x`, above or below it.
fn next_f32(x: f32, up: bool) -> f32 {
    if x == 0.0 {
        let tiny = f32::from_bits(1);
        return if up { tiny } else { -tiny };
    }
    let bits = x.to_bits();
    f32::from_bits(if (x > 0.0) == up { bits + 1 } else { bits - 1 })
}

/// Rank the catalogue against `ask`. Never suggests a seed track, another copy of a seed's song,
/// an excluded track, or two copies of one song (`group`: same-song group per track).
pub fn recommend(f: &Features, group: &[u32], ask: &Ask) -> Answer {
    recommend_keeping(f, group, ask, ask.limit * 3 + 32)
}

/// [`recommend`], keeping `keep` (at least 1) candidates while scanning.
fn recommend_keeping(f: &Features, group: &[u32], ask: &Ask, keep: usize) -> Answer {
    let c = centre(f, ask);
    let mut banned_groups: Vec<u32> = Vec::new();
    let mut seed_artists: Vec<u32> = Vec::new();
    let mut seed_genres: Vec<u32> = Vec::new();
    let mut seed_clusters: Vec<u8> = Vec::new();
    for seed in &ask.seeds {
        match *seed {
            Seed::Track(t) => {
                banned_groups.push(group[t as usize]);
                seed_artists.extend(f.credits(t).iter().map(|(a, _)| *a));
                seed_genres.extend(f.track_genres(t));
                seed_clusters.push(f.cluster[t as usize]);
            }
            Seed::Artist(a) => {
                let artist = &f.artists[a as usize];
                seed_genres.extend(artist.genres.iter().copied());
                if let Some(cl) = artist.cluster {
                    seed_clusters.push(cl as u8);
                }
            }
            Seed::Genre(g) => seed_genres.push(g),
        }
    }
    for &t in &ask.exclude {
        banned_groups.push(group[t as usize]);
    }
    banned_groups.sort_unstable();
    seed_genres.sort_unstable();
    seed_genres.dedup();

    let filters = Filters::new(f, ask);
    // The scan ranks on fixed-point rows (exact where a row has none), within `slack` of the
    // exact distance. Only candidates that can still be among the exact nearest `keep` are kept:
    // whenever the list doubles it is cut back to those within twice the slack of its
    // `keep`-th, and a track further than that is not stored at all. The kept ones are then
    // ranked on their exact rows. If the per-song and per-artist rules use them up, the scan is
    // run again in full, exactly.
    //
    // Tracks are visited outward from the centre's release year. Year is weighed 3, so its term
    // alone soon exceeds the cut's bound: a side whose next track is that far is done, as every
    // track beyond it is farther still.
    let keep = keep.max(1);
    let mut scored: Vec<(f32, u32)> = Vec::with_capacity(keep * 2);
    let mut bound = f32::INFINITY;
    let mut next_cut = keep * 2;
    let mut cut = false;
    let admit = |kth_d2: f32| (kth_d2.sqrt() + 2.0 * c.slack).powi(2);
    let y = Col::Year.index();
    let (wy, qy) = (c.w[y], c.q[y]);
    // A fixed-point row's year term is at most half a step (weighted) below the exact one.
    let year_floor = |z: f32| {
        let lower = (wy * (z - qy)).abs() * (1.0 - 1e-5) - wy * Z_STEP / 2.0 - 1e-6;
        if lower > 0.0 {
            lower * lower
        } else {
            0.0
        }
    };
    // A year filter bounds the scan's range outright (with a margin for rounding: the filter
    // itself still decides on the real year).
    let (mut from, mut to) = (0, f.year_order.len());
    for &(col, lo, hi) in &ask.ranges {
        if col == Col::Year {
            let z = |year: f64| (year as f32 - f.mean[y]) / f.sd[y];
            from = from.max(f.year_order.partition_point(|&(v, _)| v < z(lo) - 1e-3));
            to = to.min(f.year_order.partition_point(|&(v, _)| v <= z(hi) + 1e-3));
        }
    }
    let to = to.max(from);
    let years = &f.year_order[from..to];
    let year_q = &f.year_q[from..to];
    let start = years.partition_point(|&(z, _)| z < qy);
    let (mut down, mut up) = (start, start);
    loop {
        // The nearer side's next track, or stop when both sides are past the bound.
        let below = (down > 0).then(|| years[down - 1].0);
        let above = years.get(up).map(|y| y.0);
        let i = match (below, above) {
            (Some(b), Some(a)) if qy - b <= a - qy => {
                down -= 1;
                down
            }
            (_, Some(_)) => {
                up += 1;
                up - 1
            }
            (Some(_), None) => {
                down -= 1;
                down
            }
            (None, None) => break,
        };
        let (z, t) = years[i];
        if year_floor(z) > bound {
            // This side is done; so is the other if its next track is no nearer in year.
            let other = if z < qy {
                years.get(up)
            } else {
                down.checked_sub(1).map(|i| &years[i])
            };
            if other.is_none_or(|o| year_floor(o.0) > bound) {
                break;
            }
            if z < qy {
                down = 0;
            } else {
                up = years.len();
            }
            continue;
        }
        let t = t as usize;
        if !filters.keep(t) {
            continue;
        }
        let d2 = match &year_q[i] {
            Some(q) => match c.d2_fixed(q, bound) {
                Some(d2) => d2,
                None => continue,
            },
            None => c.d2(&f.z_row(t)),
        };
        if d2 > bound || banned_groups.binary_search(&group[t]).is_ok() {
            continue;
        }
        scored.push((d2, t as u32));
        if scored.len() >= next_cut {
            scored.select_nth_unstable_by(keep - 1, by_distance);
            bound = admit(scored[keep - 1].0);
            scored.retain(|s| s.0 <= bound);
            next_cut = (scored.len() * 2).max(keep * 2);
            cut = true;
        }
    }
    if cut && scored.len() > keep {
        // A last cut, so that only candidates that can be among the nearest `keep` are
        // re-ranked.
        scored.select_nth_unstable_by(keep - 1, by_distance);
        bound = bound.min(admit(scored[keep - 1].0));
        scored.retain(|s| s.0 <= bound);
    }
    for s in scored.iter_mut() {
        s.0 = c.d2(&f.z_row(s.1 as usize));
    }
    if cut {
        // Every track within this exact distance is in the list (a farther fixed-point distance
        // than `bound` means an exact one beyond it); past it the list may have gaps, so the
        // rules must not reach there.
        let complete = (bound.sqrt() - c.slack).max(0.0).powi(2);
        scored.retain(|s| s.0 <= complete);
    }
    // Spotify's pools: a track's or an artist's cluster, a genre's tracks (an artist without a
    // cluster: its own tracks). Only the seeds' clusters are counted, each once.
    let pool_of = |tracks: &[u32]| Pool {
        initial: tracks.len(),
        after_filtering: filters.count(tracks),
    };
    let mut cluster_pools: Vec<(usize, Pool)> = Vec::new();
    let pools = ask
        .seeds
        .iter()
        .map(|seed| {
            let cluster = match *seed {
                Seed::Track(t) => Some(f.cluster[t as usize] as usize),
                Seed::Artist(a) => f.artists[a as usize].cluster.map(|c| c as usize),
                Seed::Genre(_) => None,
            };
            match (seed, cluster) {
                (_, Some(cl)) if cl < f.cluster_tracks.len() => {
                    match cluster_pools.iter().find(|(c, _)| *c == cl) {
                        Some(&(_, pool)) => pool,
                        None => {
                            let pool = pool_of(&f.cluster_tracks[cl]);
                            cluster_pools.push((cl, pool));
                            pool
                        }
                    }
                }
                (Seed::Genre(g), _) => pool_of(f.genre_tracks(*g)),
                (Seed::Artist(a), _) => pool_of(&f.artists[*a as usize].tracks),
                _ => Pool {
                    initial: 0,
                    after_filtering: 0,
                },
            }
        })
        .collect();

    let mut picked = pick(f, group, ask, &seed_artists, &mut scored);
    if picked.len() < ask.limit && cut {
        let mut all: Vec<(f32, u32)> = (0..f.len())
            .filter(|&t| filters.keep(t) && banned_groups.binary_search(&group[t]).is_err())
            .map(|t| (c.d2(&f.z_row(t)), t as u32))
            .collect();
        picked = pick(f, group, ask, &seed_artists, &mut all);
    }
    let suggestions = picked
        .into_iter()
        .map(|(d2, t)| Suggestion {
            track: t,
            distance: f64::from(d2).sqrt(),
            reason: reason(f, &c, t, &seed_genres, &seed_clusters),
        })
        .collect();
    Answer { suggestions, pools }
}

/// The nearest of `scored` that the per-song and per-artist rules allow, nearest first (ties by
/// track number). Sorts only a head of the list, widening it when the rules used it up.
fn pick(
    f: &Features,
    group: &[u32],
    ask: &Ask,
    seed_artists: &[u32],
    scored: &mut [(f32, u32)],
) -> Vec<(f32, u32)> {
    let n = ask.limit;
    let mut take = (n * 3 + 32).min(scored.len());
    loop {
        let head = nearest_head(scored, take);
        let mut out: Vec<(f32, u32)> = Vec::with_capacity(n);
        let mut groups: Vec<u32> = Vec::with_capacity(n);
        let mut per_artist: Vec<(u32, usize)> = Vec::new();
        let mut by_seed_artists = 0usize;
        for &(d2, t) in head.iter() {
            if out.len() == n {
                break;
            }
            let g = group[t as usize];
            if groups.contains(&g) {
                continue;
            }
            let credits = f.credits(t);
            if let Some(cap) = ask.max_per_artist {
                let full = credits
                    .iter()
                    .any(|(a, _)| per_artist.iter().any(|&(b, count)| b == *a && count >= cap));
                if full {
                    continue;
                }
            }
            let by_seed = credits.iter().any(|(a, _)| seed_artists.contains(a));
            if by_seed
                && ask
                    .max_by_seed_artists
                    .is_some_and(|cap| by_seed_artists >= cap)
            {
                continue;
            }
            groups.push(g);
            by_seed_artists += usize::from(by_seed);
            for (a, _) in credits.iter() {
                match per_artist.iter_mut().find(|(b, _)| b == a) {
                    Some(entry) => entry.1 += 1,
                    None => per_artist.push((*a, 1)),
                }
            }
            out.push((d2, t));
        }
        if out.len() == n || take == scored.len() {
            return out;
        }
        take = (take * 4).min(scored.len());
    }
}

/// The two compared dimensions where `z` is nearest the centre, and the one where it is furthest.
fn closest_furthest(c: &Centre, z: &ZRow) -> (Vec<usize>, Vec<usize>) {
    let mut diffs: Vec<(f32, usize)> = c
        .dims
        .iter()
        .map(|&(i, _)| ((z[i] - c.q[i]).abs(), i))
        .collect();
    diffs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let closest = diffs.iter().take(2).map(|&(_, i)| i).collect();
    let furthest = diffs.last().map(|&(_, i)| i).into_iter().collect();
    (closest, furthest)
}

fn reason(f: &Features, c: &Centre, t: u32, seed_genres: &[u32], seed_clusters: &[u8]) -> Reason {
    let (closest, furthest) = closest_furthest(c, &f.z_row(t as usize));
    let shared_genres = f
        .track_genres(t)
        .into_iter()
        .filter(|g| seed_genres.binary_search(g).is_ok())
        .take(3)
        .collect();
    Reason {
        closest,
        furthest,
        shared_genres,
        same_cluster: seed_clusters.contains(&f.cluster[t as usize]),
    }
}

/// The `n` artists nearest to `artist` in sound (the [`SPACE`] distance between the means of
/// their tracks), pulled closer by shared genres: the distance is scaled by `1 - jaccard / 2`,
/// so an artist with exactly the same genres counts as half as far. Only artists with tracks
/// here and a Spotify id (so that a client can follow them) are candidates.
pub fn related_artists(f: &Features, artist: u32, n: usize) -> Vec<(u32, f64, Reason)> {
    let centres = f.artist_centres();
    let centre = Centre::new(centres[artist as usize], SPACE.to_vec());
    let my_genres = &f.artists[artist as usize].genres;
    let mut scored: Vec<(f32, u32)> = f
        .artists
        .iter()
        .enumerate()
        .filter(|(a, x)| *a as u32 != artist && !x.tracks.is_empty() && x.spotify_id.is_some())
        .map(|(a, x)| {
            let d2 = centre.d2(&centres[a]);
            let shared = intersection(my_genres, &x.genres);
            let union = my_genres.len() + x.genres.len() - shared;
            let jaccard = if union == 0 {
                0.0
            } else {
                shared as f32 / union as f32
            };
            (d2.sqrt() * (1.0 - jaccard / 2.0), a as u32)
        })
        .collect();
    if scored.len() > n && n > 0 {
        scored.select_nth_unstable_by(n - 1, by_distance);
        scored.truncate(n);
    }
    scored.sort_unstable_by(by_distance);
    scored.truncate(n);
    scored
        .into_iter()
        .map(|(d, a)| {
            let (closest, furthest) = closest_furthest(&centre, &centres[a as usize]);
            let other = &f.artists[a as usize];
            let reason = Reason {
                closest,
                furthest,
                shared_genres: other
                    .genres
                    .iter()
                    .copied()
                    .filter(|g| my_genres.binary_search(g).is_ok())
                    .take(3)
                    .collect(),
                same_cluster: other.cluster.is_some()
                    && other.cluster == f.artists[artist as usize].cluster,
            };
            (a, f64::from(d), reason)
        })
        .collect()
}

/// How many elements two ascending lists share.
fn intersection(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The state over the shipped database, whose real tracks the tests below rank.
    fn shipped_state() -> crate::AppState {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../data/build/musicData.sqlite");
        crate::AppState::open(&path).expect("data/build (run the pipeline)")
    }

    /// A distance on fixed-point rows is within the centre's slack of the exact one, for the
    /// default space and with targets (weight 2) on columns outside it.
    #[test]
    fn fixed_point_distances_stay_within_the_slack() {
        let state = shipped_state();
        let f = state.features().unwrap();
        let asks = [
            Ask {
                seeds: vec![Seed::Track(5)],
                ..Ask::default()
            },
            Ask {
                seeds: vec![Seed::Track(60_000), Seed::Artist(f.credits(9)[0].0)],
                targets: vec![(Col::Key, 7.0), (Col::Tempo, 171.0), (Col::Energy, 0.05)],
                ..Ask::default()
            },
        ];
        let mut worst = 0f32;
        for ask in &asks {
            let c = centre(&f, ask);
            assert!(c.slack > 0.0 && c.slack < 0.01, "{}", c.slack);
            for (i, &(_, t)) in f.year_order.iter().enumerate().step_by(7) {
                let t = t as usize;
                let Some(q) = &f.year_q[i] else { continue };
                let fixed = c.d2_fixed(q, f32::INFINITY).unwrap();
                // Within the bound it is the whole sum; beyond it, the whole sum or nothing.
                assert_eq!(c.d2_fixed(q, fixed), Some(fixed));
                let half = c.d2_fixed(q, fixed * 0.5);
                assert!(half.is_none() || half == Some(fixed));
                let gap = (fixed.sqrt() - c.d2(&f.z_row(t)).sqrt()).abs();
                worst = worst.max(gap / c.slack);
            }
        }
        assert!(worst <= 1.0, "a fixed-point distance is {worst} slacks off");
        assert!(
            worst > 0.01,
            "the bound is far too loose to be checked: {worst}"
        );
        // Rows beyond the fixed-point range are ranked on their exact rows.
        assert!(f.year_q.iter().filter(|q| q.is_none()).count() < f.len() / 100);
    }

    /// Single-precision bounds decide exactly as double-precision comparisons would.
    #[test]
    fn single_precision_bounds_match_double_comparisons() {
        let bounds = [
            0.1,
            -0.1,
            0.0,
            1e-9,
            -60.0,
            0.333,
            120.0001,
            2021.0,
            1e6 + 0.3,
            3.4e38,
        ];
        let mut values: Vec<f32> = vec![0.0, -0.0, 1.0, -1.0, f32::from_bits(1)];
        for &b in &bounds {
            let c = b as f32;
            values.extend([c, next_f32(c, true), next_f32(c, false)]);
        }
        for &b in &bounds {
            let (lo, hi) = (f32_at_least(b), f32_at_most(b));
            for &v in &values {
                assert_eq!(v >= lo, f64::from(v) >= b, "{v} >= {b}");
                assert_eq!(v <= hi, f64::from(v) <= b, "{v} <= {b}");
            }
        }
        assert_eq!(next_f32(1.0, true), 1.0 + f32::EPSILON);
        assert!(next_f32(-2.0, true) > -2.0 && next_f32(-2.0, false) < -2.0);
    }

    /// Cutting the candidate list while scanning, and scanning again when the rules use it up,
    /// gives the list a full sort gives, whatever the cut's size.
    #[test]
    fn a_cut_scan_gives_the_full_scan_s_list() {
        let state = shipped_state();
        let f = state.features().unwrap();
        let group = state.groups();
        let rock = f.genre("rock").unwrap();
        let asks = [
            Ask {
                seeds: vec![Seed::Track(17), Seed::Genre(rock)],
                limit: 30,
                max_per_artist: Some(1),
                ..Ask::default()
            },
            Ask {
                seeds: vec![Seed::Track(40_000)],
                limit: 10,
                max_by_seed_artists: Some(2),
                ranges: vec![(Col::Year, 1990.0, 2005.0)],
                ..Ask::default()
            },
            Ask {
                seeds: vec![Seed::Genre(rock)],
                limit: 100,
                hide_explicit: true,
                targets: vec![(Col::Energy, 0.2)],
                ..Ask::default()
            },
        ];
        for ask in &asks {
            let full = recommend_keeping(&f, group, ask, f.len());
            assert_eq!(full.suggestions.len(), ask.limit);
            for keep in [1, 2, 7, ask.limit, ask.limit * 3 + 32] {
                let cut = recommend_keeping(&f, group, ask, keep);
                assert_eq!(cut.suggestions, full.suggestions, "keep {keep}");
                assert_eq!(cut.pools, full.pools);
            }
        }
    }
}
