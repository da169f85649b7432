//! Is a run of random draws a run of uniform samples? The statistics behind the spread tests of
//! `Random_Song_Assignments` (`tests/tests/random_spread.rs`), on any store.
//!
//! A draw of `n` tracks from a cluster of `m` is uniform when every set of `n` distinct tracks is
//! equally likely (and, for the order, every arrangement of it). Three consequences are checked,
//! each against a bound computed from `m`, `n`, the number of draws `D` and a significance `alpha`
//! (the chance that a truly uniform source fails the check):
//!
//! - every track is drawn about `D·n/m` times: a chi-square goodness-of-fit test of the per-track
//!   counts against uniform (corrected for the `n` tracks of a draw being distinct, see
//!   [`Spread::chi_square`]), and the same for the track drawn first when there are enough draws;
//! - no pair of tracks comes together much more often than `D·n(n-1)/(m(m-1))`, the uniform
//!   expectation: the largest pair count must stay below the smallest `t` for which a union bound
//!   over all `m(m-1)/2` pairs of the binomial tail `P(count >= t)` is at most `alpha`;
//! - the draws are nearly all different lists: among `D` uniform draws, repeats of a set are
//!   expected `C(D,2)/C(m,n)` times.
//!
//! The old scheme (ten consecutive tracks after a random key of one fixed shuffle) fails the last
//! two badly, and the first one once the draws are many (a track's chance depended on the gaps
//! between the keys before it).

use std::collections::{HashMap, HashSet};

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, nine coefficients; relative error about 1e-15).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1-x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = C[0];
    for (i, c) in C.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// `ln C(n, k)`.
pub fn ln_choose(n: f64, k: f64) -> f64 {
    ln_gamma(n + 1.0) - ln_gamma(k + 1.0) - ln_gamma(n - k + 1.0)
}

/// The regularized upper incomplete gamma function `Q(a, x) = Γ(a, x) / Γ(a)`: a series for
/// `x < a + 1`, Lentz's continued fraction otherwise (as in Numerical Recipes).
pub fn gamma_q(a: f64, x: f64) -> f64 {
    assert!(a > 0.0 && x >= 0.0, "gamma_q({a}, {x})");
    if x == 0.0 {
        return 1.0;
    }
    let prefix = (-x + a * x.ln() - ln_gamma(a)).exp();
    if x < a + 1.0 {
        let (mut ap, mut del) = (a, 1.0 / a);
        let mut sum = del;
        for _ in 0..100_000 {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * 1e-16 {
                break;
            }
        }
        (1.0 - sum * prefix).max(0.0)
    } else {
        const TINY: f64 = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / TINY;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..100_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < TINY {
                d = TINY;
            }
            c = b + an / c;
            if c.abs() < TINY {
                c = TINY;
            }
            d = 1.0 / d;
            let step = d * c;
            h *= step;
            if (step - 1.0).abs() < 1e-16 {
                break;
            }
        }
        (prefix * h).min(1.0)
    }
}

/// `P(X >= x)` for a chi-square variable with `df` degrees of freedom.
pub fn chi_square_p(x: f64, df: f64) -> f64 {
    gamma_q(df / 2.0, x / 2.0)
}

/// `P(X >= t)` for `X ~ Binomial(trials, p)`, summed in log space.
pub fn binomial_tail(trials: u64, p: f64, t: u64) -> f64 {
    if t == 0 {
        return 1.0;
    }
    if t > trials || p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    let (n, lp, lq) = (trials as f64, p.ln(), (1.0 - p).ln());
    let terms: Vec<f64> = (t..=trials)
        .map(|k| ln_choose(n, k as f64) + k as f64 * lp + (n - k as f64) * lq)
        .collect();
    let top = terms.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    (top + terms.iter().map(|l| (l - top).exp()).sum::<f64>().ln()).exp()
}

/// What a run of draws looked like, and what uniform draws would give.
#[derive(Debug, Clone)]
pub struct Spread {
    /// Tracks in the cluster (`m`).
    pub tracks: usize,
    /// Draws (`D`).
    pub draws: usize,
    /// Tracks per draw (`n`, the same in every draw).
    pub per_draw: usize,
    /// Tracks never drawn.
    pub never_drawn: usize,
    /// Fewest and most draws of one track, and the uniform expectation `D·n/m`.
    pub count_range: (u64, u64),
    pub count_expected: f64,
    /// The chi-square statistic of the per-track counts (corrected, see [`Spread::chi_square`]),
    /// its degrees of freedom and p-value; no p-value with fewer than 5 draws of each track
    /// expected (too few for the chi-square law).
    pub chi_square: f64,
    pub chi_square_df: f64,
    pub chi_square_p: Option<f64>,
    /// The same for the track drawn first, when there are at least 5 expected per track.
    pub first_p: Option<f64>,
    /// The pair of tracks drawn together most often, how often, the uniform expectation for one
    /// pair, and the bound (see [`Spread::pair_bound`]).
    pub max_pair: u64,
    pub max_pair_tracks: Option<(String, String)>,
    pub pair_expected: f64,
    pub pair_bound: u64,
    /// Different lists (order counted) and different sets of tracks among the draws, and the
    /// fewest different sets that uniform draws leave at this significance.
    pub distinct_lists: usize,
    pub distinct_sets: usize,
    pub distinct_sets_bound: usize,
}

impl Spread {
    /// The statistics of `draws` (each a list of track ids) from a cluster whose tracks are
    /// `members`. Panics on a malformed run: a draw of another length, with a repeat, or with a
    /// track that is not a member.
    pub fn of(members: &[String], draws: &[Vec<String>], alpha: f64) -> Spread {
        let index: HashMap<&str, u32> = members
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i as u32))
            .collect();
        assert_eq!(index.len(), members.len(), "members are distinct");
        let m = members.len();
        let d = draws.len();
        assert!(d > 0 && m > 0, "{d} draws of {m} tracks");
        let n = draws[0].len();
        let mut counts = vec![0u64; m];
        let mut first = vec![0u64; m];
        let mut pairs: HashMap<(u32, u32), u64> = HashMap::new();
        let mut lists = HashSet::new();
        let mut sets = HashSet::new();
        for (k, draw) in draws.iter().enumerate() {
            assert_eq!(
                draw.len(),
                n,
                "draw {k} has {} tracks: {draw:?}",
                draw.len()
            );
            let ids: Vec<u32> = draw
                .iter()
                .map(|id| {
                    *index
                        .get(id.as_str())
                        .unwrap_or_else(|| panic!("draw {k}: {id} is not a member"))
                })
                .collect();
            let mut set = ids.clone();
            set.sort_unstable();
            set.dedup();
            assert_eq!(set.len(), n, "draw {k} repeats a track: {draw:?}");
            for &i in &ids {
                counts[i as usize] += 1;
            }
            first[ids[0] as usize] += 1;
            for (x, &a) in set.iter().enumerate() {
                for &b in &set[x + 1..] {
                    *pairs.entry((a, b)).or_default() += 1;
                }
            }
            lists.insert(ids);
            sets.insert(set);
        }
        let (mf, df, nf) = (m as f64, d as f64, n as f64);
        let expected = df * nf / mf;
        let raw: f64 = counts
            .iter()
            .map(|&c| (c as f64 - expected).powi(2) / expected)
            .sum();
        let chi_square = if n < m {
            Self::chi_square(raw, m, n)
        } else {
            0.0
        };
        let counts_p = (n < m && expected >= 5.0).then(|| chi_square_p(chi_square, mf - 1.0));
        let first_p = (df / mf >= 5.0 && m > 1).then(|| {
            let e = df / mf;
            let x: f64 = first.iter().map(|&c| (c as f64 - e).powi(2) / e).sum();
            chi_square_p(x, mf - 1.0)
        });
        let (max_pair, max_pair_tracks) = pairs
            .iter()
            .max_by_key(|(k, &v)| (v, std::cmp::Reverse(**k)))
            .map(|(&(a, b), &v)| {
                (
                    v,
                    Some((members[a as usize].clone(), members[b as usize].clone())),
                )
            })
            .unwrap_or((0, None));
        let pair_p = if m > 1 {
            nf * (nf - 1.0) / (mf * (mf - 1.0))
        } else {
            0.0
        };
        // Among D uniform draws, pairs of draws holding one same set: λ = C(D,2)/C(m,n) expected,
        // about Poisson, whose tail P(X >= r) <= λ^r/r!. With the smallest r whose tail is at
        // most alpha, fewer than r repeats are allowed, so at least D - (r - 1) different sets.
        // (r = 0 has tail 1; with a single draw nothing can repeat.)
        let ln_lambda = if d < 2 {
            f64::NEG_INFINITY
        } else {
            ln_choose(df, 2.0) - ln_choose(mf, nf)
        };
        let mut r = 1usize;
        while r <= d && (r as f64 * ln_lambda - ln_gamma(r as f64 + 1.0)).exp() > alpha {
            r += 1;
        }
        Spread {
            tracks: m,
            draws: d,
            per_draw: n,
            never_drawn: counts.iter().filter(|&&c| c == 0).count(),
            count_range: (
                counts.iter().copied().min().unwrap_or(0),
                counts.iter().copied().max().unwrap_or(0),
            ),
            count_expected: expected,
            chi_square,
            chi_square_df: mf - 1.0,
            chi_square_p: counts_p,
            first_p,
            max_pair,
            max_pair_tracks,
            pair_expected: df * pair_p,
            pair_bound: Self::pair_bound(m, d as u64, pair_p, alpha),
            distinct_lists: lists.len(),
            distinct_sets: sets.len(),
            distinct_sets_bound: (d + 1).saturating_sub(r),
        }
    }

    /// Pearson's statistic `raw` of per-track counts, rescaled so that it follows a chi-square
    /// law with `m - 1` degrees of freedom when each draw is `n` *distinct* tracks. Within a draw
    /// the inclusions are negatively correlated: the covariance of the counts of one draw is
    /// `p(1-p)·m/(m-1)·(I - J/m)` with `p = n/m`, so `raw` is about `(m-n)/(m-1)` times a
    /// chi-square with `m - 1` degrees of freedom (for `n = 1` it is the usual test).
    pub fn chi_square(raw: f64, m: usize, n: usize) -> f64 {
        raw * (m as f64 - 1.0) / (m as f64 - n as f64)
    }

    /// The smallest count `t` that one of the `m(m-1)/2` pairs reaches with probability at most
    /// `alpha` (union bound over the pairs; each pair's count is Binomial(draws, p)).
    pub fn pair_bound(m: usize, draws: u64, p: f64, alpha: f64) -> u64 {
        let pairs = m as f64 * (m as f64 - 1.0) / 2.0;
        let mut t = (draws as f64 * p).floor() as u64;
        while t <= draws && pairs * binomial_tail(draws, p, t) > alpha {
            t += 1;
        }
        t
    }

    /// Every way this run differs from uniform draws at significance `alpha` (empty: it passed).
    pub fn problems(&self, alpha: f64) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(p) = self.chi_square_p.filter(|&p| p < alpha) {
            out.push(format!(
                "per-track counts are not uniform: chi-square {:.0} on {} degrees of freedom, p = {p:.2e} \
                 (counts {}..{}, {:.1} expected, {} tracks never drawn)",
                self.chi_square,
                self.chi_square_df,
                self.count_range.0,
                self.count_range.1,
                self.count_expected,
                self.never_drawn
            ));
        }
        if let Some(p) = self.first_p.filter(|&p| p < alpha) {
            out.push(format!(
                "the first track of a draw is not uniform: p = {p:.2e}"
            ));
        }
        if self.max_pair >= self.pair_bound {
            out.push(format!(
                "a pair of tracks came together {} times ({:?}); uniform draws: {:.2} expected per pair, \
                 fewer than {} for every pair",
                self.max_pair, self.max_pair_tracks, self.pair_expected, self.pair_bound
            ));
        }
        if self.distinct_sets < self.distinct_sets_bound {
            out.push(format!(
                "only {} different sets of tracks (and {} lists) in {} draws; uniform draws: at least {}",
                self.distinct_sets, self.distinct_lists, self.draws, self.distinct_sets_bound
            ));
        }
        out
    }

    /// One line for the test's log.
    pub fn summary(&self) -> String {
        format!(
            "{} draws of {} from {} tracks: {} distinct lists ({} sets, at least {} expected); max pair {} \
             (expected {:.2}, bound {}); counts {}..{} (expected {:.1}){}{}",
            self.draws,
            self.per_draw,
            self.tracks,
            self.distinct_lists,
            self.distinct_sets,
            self.distinct_sets_bound,
            self.max_pair,
            self.pair_expected,
            self.pair_bound,
            self.count_range.0,
            self.count_range.1,
            self.count_expected,
            self.chi_square_p
                .map(|p| format!(", chi-square p = {p:.3}"))
                .unwrap_or_default(),
            self.first_p
                .map(|p| format!(", first track p = {p:.3}"))
                .unwrap_or_default()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::seq::index::sample;
    use rand::SeedableRng;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn special_functions_match_tabulated_values() {
        assert!(close(ln_gamma(1.0), 0.0, 1e-12) || ln_gamma(1.0).abs() < 1e-12);
        assert!(close(ln_gamma(5.0), 24f64.ln(), 1e-12));
        assert!(close(
            ln_gamma(0.5),
            std::f64::consts::PI.sqrt().ln(),
            1e-12
        ));
        assert!(close(ln_gamma(1001.0), 5_912.128_178_488_163, 1e-12));
        // Chi-square upper tails from standard tables.
        assert!(close(chi_square_p(1.0, 1.0), 0.317_310_507_862_914, 1e-9));
        assert!(close(chi_square_p(18.307, 10.0), 0.05, 1e-4));
        assert!(close(chi_square_p(135.807, 100.0), 0.01, 1e-3));
        assert!(close(chi_square_p(2.0, 2.0), (-1.0f64).exp(), 1e-12));
        assert!(close(chi_square_p(60.0, 2.0), (-30.0f64).exp(), 1e-9));
        // Large degrees of freedom: the median is about df(1 - 2/(9df))^3.
        let df: f64 = 14_714.0;
        let median = df * (1.0 - 2.0 / (9.0 * df)).powi(3);
        assert!(close(chi_square_p(median, df), 0.5, 1e-3));
        assert!(chi_square_p(df * 1.1, df) < 1e-15);
        // Binomial tails.
        assert!(close(binomial_tail(10, 0.5, 8), 56.0 / 1024.0, 1e-12));
        assert!(close(binomial_tail(10, 0.5, 0), 1.0, 1e-12));
        assert_eq!(binomial_tail(10, 0.5, 11), 0.0);
        assert_eq!(binomial_tail(10, 1.0, 10), 1.0);
        assert!(close(binomial_tail(3, 0.1, 3), 1e-3, 1e-9));
    }

    fn ids(m: usize) -> Vec<String> {
        (0..m).map(|i| format!("t{i}")).collect()
    }

    /// `k` different members, uniformly at random.
    fn pick(rng: &mut rand::rngs::StdRng, members: &[String], k: usize) -> Vec<String> {
        sample(rng, members.len(), k)
            .into_iter()
            .map(|i| members[i].clone())
            .collect()
    }

    /// `n` independent draws of [`pick`].
    fn uniform_draws(
        rng: &mut rand::rngs::StdRng,
        members: &[String],
        n: usize,
        k: usize,
    ) -> Vec<Vec<String>> {
        (0..n).map(|_| pick(rng, members, k)).collect()
    }

    #[test]
    fn uniform_draws_pass_and_consecutive_runs_fail() {
        let members = ids(60);
        let mut rng = rand::rngs::StdRng::seed_from_u64(12);
        let uniform = uniform_draws(&mut rng, &members, 600, 10);
        let s = Spread::of(&members, &uniform, 1e-4);
        assert!(s.problems(1e-4).is_empty(), "{:?}", s.problems(1e-4));
        assert_eq!(s.distinct_lists, 600);
        // 600 · 90 / 3540 = 15.25 per pair; the largest of 1770 pairs stays below 41 (union bound).
        assert!(
            (s.pair_expected - 15.254).abs() < 0.01,
            "{}",
            s.pair_expected
        );
        assert!((35..45).contains(&s.pair_bound), "{}", s.pair_bound);
        // One draw, and draws of the whole cluster, have nothing to fail.
        assert!(Spread::of(&members, &uniform[..1], 1e-4)
            .problems(1e-4)
            .is_empty());
        let small = ids(5);
        let whole = uniform_draws(&mut rng, &small, 50, 5);
        let s = Spread::of(&small, &whole, 1e-4);
        assert!(s.problems(1e-4).is_empty(), "{:?}", s.problems(1e-4));

        // Ten in a row from a uniformly random start of one fixed cycle: every track equally
        // often, but neighbours always together and only 60 different lists.
        let runs: Vec<Vec<String>> = (0..600)
            .map(|_| {
                let start = rand::Rng::gen_range(&mut rng, 0..60);
                (0..10).map(|k| members[(start + k) % 60].clone()).collect()
            })
            .collect();
        let s = Spread::of(&members, &runs, 1e-4);
        let problems = s.problems(1e-4);
        assert!(problems.iter().any(|p| p.contains("pair")), "{problems:?}");
        assert!(
            problems.iter().any(|p| p.contains("different sets")),
            "{problems:?}"
        );
        assert!(s.distinct_lists <= 60);

        // Draws that favour some tracks fail the counts.
        let biased: Vec<Vec<String>> = (0..600)
            .map(|_| {
                let mut d = pick(&mut rng, &members, 10);
                if !d.contains(&members[0]) && rand::Rng::gen_bool(&mut rng, 0.3) {
                    d[9] = members[0].clone();
                }
                d
            })
            .collect();
        let problems = Spread::of(&members, &biased, 1e-4).problems(1e-4);
        assert!(
            problems.iter().any(|p| p.contains("per-track")),
            "{problems:?}"
        );
    }

    #[test]
    fn the_correction_for_distinct_tracks_makes_the_statistic_chi_square() {
        // Mean of the corrected statistic over many runs is about m - 1.
        let members = ids(30);
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let runs = 200;
        let mut total = 0.0;
        for _ in 0..runs {
            let draws = uniform_draws(&mut rng, &members, 300, 10);
            total += Spread::of(&members, &draws, 1e-4).chi_square;
        }
        let mean = total / runs as f64;
        // Standard error of the mean: sqrt(2·29/200) = 0.54.
        assert!((mean - 29.0).abs() < 2.5, "mean corrected statistic {mean}");
    }
}
