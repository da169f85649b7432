//! How a random draw picks its tracks, the same for every store: indices drawn uniformly below
//! the cluster's size, the size read off the last dense `rand#` key.

use std::sync::Mutex;

use music_shared::items::{random_key_index, SORT_RANDOM};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{StoreError, StoreResult};

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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

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

    /// Draws `n` of `size` `draws` times; every one of the `cells` ordered choices must come up,
    /// and Pearson's statistic stay below `limit` (its 1e-6 quantile at `cells - 1` degrees of
    /// freedom).
    fn assert_uniform(
        rng: &mut StdRng,
        n: usize,
        size: usize,
        cells: usize,
        draws: u32,
        limit: f64,
    ) {
        let mut counts: HashMap<Vec<usize>, u32> = HashMap::new();
        for _ in 0..draws {
            *counts.entry(sample_indices(rng, size, n)).or_default() += 1;
        }
        assert_eq!(counts.len(), cells, "{n} of {size}: ordered choices seen");
        let x = chi_square(&counts, cells, draws);
        assert!(
            x < limit,
            "{n} of {size}: chi-square {x:.1} on {} degrees of freedom",
            cells - 1
        );
    }

    #[test]
    fn every_ordered_choice_is_equally_likely() {
        let mut rng = StdRng::seed_from_u64(7);
        // 3 of 5: 60 ordered choices, 1,000 expected each.
        assert_uniform(&mut rng, 3, 5, 60, 60_000, 126.0);
        // More than the size: every order of all three, equally often.
        assert_uniform(&mut rng, 10, 3, 6, 6_000, 35.0);
    }
}
