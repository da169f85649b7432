//! K-Means as the pipeline runs it: the elbow over k = 1..=10 and the final k = 10 model, with
//! fixed seeds so that the same input yields the same clusters, byte for byte.
//!
//! Inertia here is always the *sum* of squared distances (scikit-learn's `inertia_`); linfa's
//! own `inertia()` is the mean, so it is never used directly.

use linfa::prelude::*;
use linfa_clustering::{KMeans, KMeansInit};
use linfa_nn::distance::Distance;
use ndarray::{Array2, ArrayView, ArrayView1, ArrayView2, Dimension};
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256Plus;

use crate::ModelError;

/// A fitted model: its centroids, and for every row its cluster and Euclidean distance.
#[derive(Debug, Clone)]
pub struct Clustering {
    pub centroids: Array2<f64>,
    pub assignments: Vec<usize>,
    pub distances: Vec<f64>,
    /// Sum of squared distances of every row to its centroid.
    pub inertia: f64,
}

#[derive(Debug, Clone, Copy)]
pub struct KMeansConfig {
    pub seed: u64,
    /// Independent k-means++ starts; the lowest inertia wins.
    pub n_init: usize,
    pub max_iter: u64,
    /// Convergence, relative as scikit-learn's `tol`: stop when the squared shift of all
    /// centroids together is at most this times the mean variance of the features. (linfa's own
    /// tolerance is absolute; it gets the square root of that product, the same rule.)
    pub tolerance: f64,
    /// When the data has more rows than this, the `n_init` starts run on a random sample of this
    /// many rows, and only the best of them is refined on every row. Starts are what multiply the
    /// cost, and on a few thousand rows they already find the same basin (at 170k resampled
    /// tracks, a 5,000-row sample ends within 0.0001% of the inertia a 20,000-row one reaches, in a
    /// third of the time); the full-data refinement then converges in a few Lloyd iterations.
    /// 0 turns it off.
    pub sample: usize,
}

impl Default for KMeansConfig {
    fn default() -> Self {
        KMeansConfig {
            seed: 42,
            n_init: 4,
            max_iter: 300,
            tolerance: 1e-4,
            sample: 5_000,
        }
    }
}

/// `n` distinct row indices out of `total`, sorted, drawn with a seeded partial Fisher-Yates.
fn sample_rows(total: usize, n: usize, seed: u64) -> Vec<usize> {
    use rand::Rng;
    let mut rng = Xoshiro256Plus::seed_from_u64(seed);
    let mut idx: Vec<usize> = (0..total).collect();
    for i in 0..n {
        let j = rng.gen_range(i..total);
        idx.swap(i, j);
    }
    idx.truncate(n);
    idx.sort_unstable();
    idx
}

/// Squared Euclidean distance for linfa, over contiguous rows without ndarray's per-element
/// iteration: the K-Means loops call it for every (row, centroid) pair, and with nine features
/// linfa's generic `L2Dist` spent its time stepping iterators (perf: about half of the K-Means
/// CPU time was in its `sq_l2_dist`). The order of distances is the same, so the clustering is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SquaredL2;

impl Distance<f64> for SquaredL2 {
    #[inline]
    fn distance<D: Dimension>(&self, a: ArrayView<f64, D>, b: ArrayView<f64, D>) -> f64 {
        self.rdistance(a, b).sqrt()
    }

    #[inline]
    fn rdistance<D: Dimension>(&self, a: ArrayView<f64, D>, b: ArrayView<f64, D>) -> f64 {
        match (a.as_slice(), b.as_slice()) {
            (Some(a), Some(b)) => squared(a, b),
            _ => a.iter().zip(b.iter()).map(|(x, y)| (x - y) * (x - y)).sum(),
        }
    }

    #[inline]
    fn rdist_to_dist(&self, rdist: f64) -> f64 {
        rdist.sqrt()
    }

    #[inline]
    fn dist_to_rdist(&self, dist: f64) -> f64 {
        dist * dist
    }
}

#[inline]
fn squared(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// linfa's K-Means from `init`, best of `n_runs`; returns the centroids.
fn lloyd<R: rand::Rng + Clone>(
    data: ArrayView2<f64>,
    k: usize,
    rng: R,
    n_runs: usize,
    init: KMeansInit<f64>,
    cfg: &KMeansConfig,
    shift: f64,
) -> Result<Array2<f64>, ModelError> {
    let dataset = DatasetBase::from(data);
    let model = KMeans::params_with(k, rng, SquaredL2)
        .n_runs(n_runs)
        .max_n_iterations(cfg.max_iter)
        .tolerance(shift)
        .init_method(init)
        .check()
        .map_err(|e| ModelError::KMeans(e.to_string()))?
        .fit(&dataset)
        .map_err(|e| ModelError::KMeans(e.to_string()))?;
    Ok(model.centroids().clone())
}

/// Plain Lloyd iterations on every row from `centroids`, until they move by at most `shift`
/// (L2 over all centroids) or `max_iter`. This is the step that sees every row, so it runs on
/// flat slices: each pass is one sweep assigning rows and summing them per cluster. Unlike linfa's update, which counts the old centroid as one more member
/// (the "m_k-means" variant), a centroid here is the plain mean of its rows, as in scikit-learn;
/// a cluster left empty keeps its centroid.
pub fn refine_on_all(
    data: ArrayView2<f64>,
    centroids: Array2<f64>,
    max_iter: u64,
    shift: f64,
) -> Array2<f64> {
    let (k, dim) = centroids.dim();
    if k == 0 || dim == 0 {
        return centroids;
    }
    let data = data.as_standard_layout();
    let rows = data.as_slice().expect("standard layout is contiguous");
    let mut current = centroids
        .as_standard_layout()
        .into_owned()
        .into_raw_vec_and_offset()
        .0;
    let threshold = shift * shift;
    let mut sums = vec![0.0; k * dim];
    let mut counts = vec![0usize; k];
    for it in 0..max_iter {
        sums.fill(0.0);
        counts.fill(0);
        let nearest = Nearest::new(&current, k, dim);
        for row in rows.chunks_exact(dim) {
            let (best, _) = nearest.of(row);
            counts[best] += 1;
            for (s, x) in sums[best * dim..(best + 1) * dim].iter_mut().zip(row) {
                *s += x;
            }
        }
        let mut moved = 0.0;
        for c in 0..k {
            if counts[c] == 0 {
                continue;
            }
            let n = counts[c] as f64;
            for j in 0..dim {
                let new = sums[c * dim + j] / n;
                let d = new - current[c * dim + j];
                moved += d * d;
                current[c * dim + j] = new;
            }
        }
        tracing::trace!(it, moved, threshold, "refine");
        if moved <= threshold {
            break;
        }
    }
    Array2::from_shape_vec((k, dim), current).expect("k x dim values")
}

/// The variance of each column, averaged: scikit-learn scales its tolerance by it, so that
/// convergence does not depend on the units of the features.
fn mean_variance(data: ArrayView2<f64>) -> f64 {
    let dim = data.ncols();
    let data = data.as_standard_layout();
    let rows = data.as_slice().expect("standard layout is contiguous");
    let n = data.nrows() as f64;
    if n == 0.0 || dim == 0 {
        return 0.0;
    }
    let mut sum = vec![0.0; dim];
    let mut sum_sq = vec![0.0; dim];
    for row in rows.chunks_exact(dim) {
        for j in 0..dim {
            sum[j] += row[j];
            sum_sq[j] += row[j] * row[j];
        }
    }
    (0..dim)
        .map(|j| (sum_sq[j] / n - (sum[j] / n).powi(2)).max(0.0))
        .sum::<f64>()
        / dim as f64
}

/// Up to this many centroids are compared side by side in one fixed-size array of lanes.
const LANES: usize = 16;

/// The centroids laid out for [`Nearest::of`]. With at most [`LANES`] of them they are stored
/// feature-major (`by_feature[j][c]` is feature `j` of centroid `c`) so that the distances to
/// all centroids grow side by side in a fixed-size array, one feature at a time, which the
/// compiler turns into independent vector lanes; measured on 87k x 10 x 9 this is ~1.5x the
/// plain row-by-centroid loop and ~5x the same idea with a heap `Vec` of lanes (which it could
/// not keep in registers). The array is the smallest of 4, 8, 12 or 16 lanes that holds every
/// centroid: the elbow's small k would otherwise pay for 16. More centroids take the plain loop.
enum Nearest<'a> {
    Lanes4(Lanes<4>),
    Lanes8(Lanes<8>),
    Lanes12(Lanes<12>),
    Lanes16(Lanes<LANES>),
    Rows { centroids: &'a [f64], dim: usize },
}

struct Lanes<const L: usize> {
    k: usize,
    by_feature: Vec<[f64; L]>,
}

impl<const L: usize> Lanes<L> {
    fn new(centroids: &[f64], k: usize, dim: usize) -> Lanes<L> {
        // Unused lanes sit far away (but finite, so no inf - inf) and never win.
        let mut by_feature = vec![[1e150; L]; dim];
        for c in 0..k {
            for (j, lanes) in by_feature.iter_mut().enumerate() {
                lanes[c] = centroids[c * dim + j];
            }
        }
        Lanes { k, by_feature }
    }

    #[inline]
    fn nearest(&self, row: &[f64]) -> (usize, f64) {
        let mut dist = [0.0f64; L];
        for (x, lanes) in row.iter().zip(&self.by_feature) {
            for (d, c) in dist.iter_mut().zip(lanes) {
                let e = x - c;
                *d += e * e;
            }
        }
        let mut best = (0, f64::INFINITY);
        for (i, &d) in dist.iter().take(self.k).enumerate() {
            if d < best.1 {
                best = (i, d);
            }
        }
        best
    }
}

impl<'a> Nearest<'a> {
    fn new(centroids: &'a [f64], k: usize, dim: usize) -> Nearest<'a> {
        match k {
            0..=4 => Nearest::Lanes4(Lanes::new(centroids, k, dim)),
            5..=8 => Nearest::Lanes8(Lanes::new(centroids, k, dim)),
            9..=12 => Nearest::Lanes12(Lanes::new(centroids, k, dim)),
            13..=LANES => Nearest::Lanes16(Lanes::new(centroids, k, dim)),
            _ => Nearest::Rows { centroids, dim },
        }
    }

    /// The nearest centroid to `row` (lowest index on ties) and its squared distance.
    #[inline]
    fn of(&self, row: &[f64]) -> (usize, f64) {
        match self {
            Nearest::Lanes4(l) => l.nearest(row),
            Nearest::Lanes8(l) => l.nearest(row),
            Nearest::Lanes12(l) => l.nearest(row),
            Nearest::Lanes16(l) => l.nearest(row),
            Nearest::Rows { centroids, dim } => {
                let mut best = (0, f64::INFINITY);
                for (i, c) in centroids.chunks_exact(*dim).enumerate() {
                    let d = squared(row, c);
                    if d < best.1 {
                        best = (i, d);
                    }
                }
                best
            }
        }
    }
}

pub fn squared_distance(a: ArrayView1<f64>, b: ArrayView1<f64>) -> f64 {
    a.iter().zip(b.iter()).map(|(x, y)| (x - y) * (x - y)).sum()
}

/// Assign every row to its nearest centroid (lowest index on ties).
pub fn assign(data: ArrayView2<f64>, centroids: ArrayView2<f64>) -> (Vec<usize>, Vec<f64>, f64) {
    let dim = centroids.ncols();
    let data = data.as_standard_layout();
    let rows = data.as_slice().expect("standard layout is contiguous");
    let centroids = centroids.as_standard_layout();
    let flat = centroids.as_slice().expect("standard layout is contiguous");
    let mut assignments = Vec::with_capacity(data.nrows());
    let mut distances = Vec::with_capacity(data.nrows());
    let mut inertia = 0.0;
    let nearest = Nearest::new(flat, centroids.nrows(), dim);
    for row in rows.chunks_exact(dim.max(1)) {
        let (best, d2) = nearest.of(row);
        assignments.push(best);
        distances.push(d2.sqrt());
        inertia += d2;
    }
    (assignments, distances, inertia)
}

/// Fit k-means with k clusters. The seed is mixed with k so that each k of the elbow has its
/// own, reproducible, random stream.
pub fn fit(data: &Array2<f64>, k: usize, cfg: &KMeansConfig) -> Result<Clustering, ModelError> {
    fit_with(data, k, cfg, true)
}

/// As [`fit`]; with `refine` false and sampling in effect, the sample's best centroids are
/// only evaluated on every row, not refined there (enough for the elbow curve of the k that
/// are not kept).
pub fn fit_with(
    data: &Array2<f64>,
    k: usize,
    cfg: &KMeansConfig,
    refine: bool,
) -> Result<Clustering, ModelError> {
    if data.nrows() < k {
        return Err(ModelError::KMeans(format!(
            "{} rows cannot make {k} clusters",
            data.nrows()
        )));
    }
    let rng =
        Xoshiro256Plus::seed_from_u64(cfg.seed ^ (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let n_init = cfg.n_init.max(1);
    let shift = (cfg.tolerance * mean_variance(data.view())).sqrt();
    let started = std::time::Instant::now();
    let centroids = if cfg.sample > 0 && data.nrows() > cfg.sample.max(k) {
        let rows = sample_rows(data.nrows(), cfg.sample.max(k), cfg.seed);
        let sample = data.select(ndarray::Axis(0), &rows);
        let start = lloyd(
            sample.view(),
            k,
            rng.clone(),
            n_init,
            KMeansInit::KMeansPlusPlus,
            cfg,
            shift,
        )?;
        tracing::debug!(
            k,
            seconds = started.elapsed().as_secs_f64(),
            "k-means: starts on the sample"
        );
        if refine {
            refine_on_all(data.view(), start, cfg.max_iter, shift)
        } else {
            start
        }
    } else {
        lloyd(
            data.view(),
            k,
            rng,
            n_init,
            KMeansInit::KMeansPlusPlus,
            cfg,
            shift,
        )?
    };
    tracing::debug!(
        k,
        seconds = started.elapsed().as_secs_f64(),
        "k-means: centroids"
    );
    let (assignments, distances, inertia) = assign(data.view(), centroids.view());
    tracing::debug!(
        k,
        seconds = started.elapsed().as_secs_f64(),
        "k-means: assigned"
    );
    Ok(Clustering {
        centroids,
        assignments,
        distances,
        inertia,
    })
}

/// Inertia for k = 1..=max_k, computed on up to `threads` threads (each k is independent).
/// Only `keep_k`, the model that is kept, is refined on every row when sampling is in effect
/// (see [`KMeansConfig::sample`]); the others are sample fits evaluated on every row.
/// `on_done` is called once per finished k, from whichever thread finished it.
pub fn elbow(
    data: &Array2<f64>,
    max_k: usize,
    keep_k: usize,
    cfg: &KMeansConfig,
    threads: usize,
    on_done: &(dyn Fn(usize) + Sync),
) -> Result<Vec<(usize, Clustering)>, ModelError> {
    let next = std::sync::atomic::AtomicUsize::new(1);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1) {
            scope.spawn(|| loop {
                // Largest k first: they take longest, so the threads finish together.
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i > max_k {
                    break;
                }
                let k = max_k + 1 - i;
                let r = fit_with(data, k, cfg, k == keep_k);
                on_done(k);
                results
                    .lock()
                    .expect("no thread panics while holding it")
                    .push((k, r));
            });
        }
    });
    let mut results = results.into_inner().expect("threads joined");
    results.sort_by_key(|(k, _)| *k);
    results
        .into_iter()
        .map(|(k, r)| r.map(|f| (k, f)))
        .collect()
}

/// A one-to-one matching of `centroids` to `references` (both k x d) minimising the total
/// Euclidean distance: `result[c]` is the reference index given to centroid `c`.
/// Exact, by dynamic programming over subsets; k is at most ~16 here.
pub fn match_to_references(centroids: ArrayView2<f64>, references: ArrayView2<f64>) -> Vec<usize> {
    let k = centroids.nrows();
    assert_eq!(k, references.nrows(), "one reference per centroid");
    assert!(k <= 20, "matching is exponential in k");
    let cost: Vec<Vec<f64>> = centroids
        .rows()
        .into_iter()
        .map(|c| {
            references
                .rows()
                .into_iter()
                .map(|r| squared_distance(c, r).sqrt())
                .collect()
        })
        .collect();
    let full = 1usize << k;
    // best[mask]: least cost of giving the first popcount(mask) centroids the references in mask.
    let mut best = vec![f64::INFINITY; full];
    let mut choice = vec![usize::MAX; full];
    best[0] = 0.0;
    for mask in 0..full {
        if !best[mask].is_finite() {
            continue;
        }
        let c = mask.count_ones() as usize;
        if c == k {
            continue;
        }
        for (r, &cost_cr) in cost[c].iter().enumerate() {
            if mask & (1 << r) == 0 {
                let next = mask | (1 << r);
                let total = best[mask] + cost_cr;
                if total < best[next] {
                    best[next] = total;
                    choice[next] = r;
                }
            }
        }
    }
    let mut result = vec![0; k];
    let mut mask = full - 1;
    for c in (0..k).rev() {
        let r = choice[mask];
        result[c] = r;
        mask &= !(1 << r);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    /// Seeded values in [0, 1) (xorshift), for test data.
    fn uniform(seed: u64) -> impl FnMut() -> f64 {
        let mut x = seed;
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % 1000) as f64 / 1000.0
        }
    }

    /// The lanes (4, 8, 12 or 16 of them) and the plain loop (k > 16) find what a naive search finds,
    /// lowest index on ties (the duplicated centroids below tie exactly).
    #[test]
    fn nearest_is_the_naive_nearest() {
        let mut next = uniform(7);
        let data = Array2::from_shape_fn((500, 9), |_| next());
        for k in [1, 3, 4, 5, 8, 9, 12, 13, 16, 17, 40] {
            let mut centroids = Array2::from_shape_fn((k, 9), |_| next());
            if k > 1 {
                let first = centroids.row(0).to_owned();
                centroids.row_mut(k - 1).assign(&first);
            }
            let (assigned, distances, inertia) = assign(data.view(), centroids.view());
            let mut total = 0.0;
            for (i, row) in data.rows().into_iter().enumerate() {
                let mut best = (0, f64::INFINITY);
                for (c, centroid) in centroids.rows().into_iter().enumerate() {
                    let d = squared_distance(row, centroid);
                    if d < best.1 {
                        best = (c, d);
                    }
                }
                assert_eq!(assigned[i], best.0, "k={k} row {i}");
                assert!((distances[i] - best.1.sqrt()).abs() < 1e-12);
                total += best.1;
            }
            assert!((inertia - total).abs() < 1e-9 * total.max(1.0));
        }
    }

    /// Refinement on every row ends at a fixed point of Lloyd's step: each centroid is the mean
    /// of the rows nearest to it.
    #[test]
    fn refinement_converges_to_the_means() {
        let mut next = uniform(11);
        let data = Array2::from_shape_fn((2000, 9), |_| next());
        let start = data.select(ndarray::Axis(0), &[0, 1, 2, 3, 4]);
        let centroids = refine_on_all(data.view(), start, 1000, 0.0);
        let (assigned, _, _) = assign(data.view(), centroids.view());
        for c in 0..5 {
            let members: Vec<usize> = (0..2000).filter(|&i| assigned[i] == c).collect();
            assert!(!members.is_empty());
            let mean = data
                .select(ndarray::Axis(0), &members)
                .mean_axis(ndarray::Axis(0))
                .unwrap();
            for j in 0..9 {
                assert!(
                    (mean[j] - centroids[[c, j]]).abs() < 1e-9,
                    "cluster {c} feature {j}"
                );
            }
        }
    }

    #[test]
    fn matching_is_optimal_not_greedy() {
        // Greedy (centroid 0 takes its nearest, reference 0) costs 0.9 + 6.0; swapping costs 5.0 + 0.1.
        let centroids = array![[0.0], [1.0]];
        let references = array![[0.9], [-5.0]];
        assert_eq!(
            match_to_references(centroids.view(), references.view()),
            vec![1, 0]
        );
        let centroids = array![[0.0], [3.0], [5.0]];
        let references = array![[5.1], [0.2], [2.9]];
        assert_eq!(
            match_to_references(centroids.view(), references.view()),
            vec![1, 2, 0]
        );
    }

    #[test]
    fn fit_finds_obvious_clusters_and_is_repeatable() {
        let mut rows = Vec::new();
        for i in 0..30 {
            let j = i as f64 * 0.001;
            rows.extend_from_slice(&[j, j]);
            rows.extend_from_slice(&[5.0 + j, 5.0]);
            rows.extend_from_slice(&[0.0, 9.0 - j]);
        }
        let data = Array2::from_shape_vec((90, 2), rows).unwrap();
        let cfg = KMeansConfig::default();
        let a = fit(&data, 3, &cfg).unwrap();
        let b = fit(&data, 3, &cfg).unwrap();
        assert_eq!(a.assignments, b.assignments);
        assert_eq!(a.inertia.to_bits(), b.inertia.to_bits());
        assert!(a.inertia < 0.01, "three tight blobs, inertia {}", a.inertia);
        let sizes = (0..3)
            .map(|c| a.assignments.iter().filter(|&&x| x == c).count())
            .collect::<Vec<_>>();
        assert_eq!(sizes, vec![30, 30, 30]);
    }

    #[test]
    fn sampled_starts_refined_on_all_rows_find_the_same_clusters() {
        let mut rows = Vec::new();
        for i in 0..300 {
            let j = (i % 17) as f64 * 0.01;
            rows.extend_from_slice(&[j, j]);
            rows.extend_from_slice(&[5.0 + j, 5.0]);
            rows.extend_from_slice(&[0.0, 9.0 - j]);
        }
        let data = Array2::from_shape_vec((900, 2), rows).unwrap();
        let fit_sampling = |sample| {
            fit(
                &data,
                3,
                &KMeansConfig {
                    sample,
                    ..KMeansConfig::default()
                },
            )
            .unwrap()
        };
        let full = fit_sampling(0);
        let sampled = fit_sampling(60);
        assert!((full.inertia - sampled.inertia).abs() <= 1e-9 * full.inertia.max(1.0));
        let again = fit_sampling(60);
        assert_eq!(sampled.assignments, again.assignments);
        let idx = sample_rows(1000, 100, 3);
        assert_eq!(idx.len(), 100);
        assert!(idx.windows(2).all(|w| w[0] < w[1]) && idx[99] < 1000);
    }
}
