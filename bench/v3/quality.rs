//! How often "similar songs" share a genre with the seed, for every method of
//! `/api/v3/tracks/{id}/recommendations`, on the shipped catalogue (issue 12's table).
//!
//! Score of one seed: the share of its 10 suggestions that carry at least one of the seed's
//! genres (genres come from the artists; no method is given genres or artists as input). Seeds
//! are drawn uniformly from all tracks by a seeded generator, so the list is the same on every
//! run; a seed whose artists have no genre scores 0 under every method and is counted in.
//! Also: how many of the 10 are by the seed's own artists (mean, and seeds over 2).
//!
//! Run: `cargo bench -p music-v3 --bench quality -- [--seeds N] [--seed S] [--db PATH]`.
//! Prints a Markdown table; figures go to bench/results/v3-quality.md. Not part of ./scripts/test.

use std::path::PathBuf;
use std::time::Instant;

use music_v3::features::Features;
use music_v3::{AppState, Method};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

const HELP: &str = "\
Genre-share of the 10 suggestions per seed, for every recommendation method, on the shipped
catalogue.

Usage: cargo bench -p music-v3 --bench quality -- [OPTIONS]

Options:
  --db PATH     SQLite file, relative to the checkout [default: data/build/musicData.sqlite]
  --seeds N     seed tracks drawn [default: 2000]
  --seed S      generator seed of the draw [default: 42]
  -h, --help    this text";

struct Score {
    share: f64,
    own_mean: f64,
    own_over_2: usize,
    seeds: usize,
}

fn score(f: &Features, seeds: &[usize], mut suggest: impl FnMut(usize) -> Vec<usize>) -> Score {
    let (mut share, mut own, mut over) = (0.0, 0usize, 0usize);
    for &seed in seeds {
        let genres = f.track_genres(seed as u32);
        let artists: Vec<u32> = f.credits(seed as u32).iter().map(|c| c.0).collect();
        let got = suggest(seed);
        let hits = got
            .iter()
            .filter(|&&t| {
                f.track_genres(t as u32)
                    .iter()
                    .any(|g| genres.binary_search(g).is_ok())
            })
            .count();
        share += hits as f64 / 10.0;
        let mine = got
            .iter()
            .filter(|&&t| f.credits(t as u32).iter().any(|c| artists.contains(&c.0)))
            .count();
        own += mine;
        over += usize::from(mine > 2);
    }
    Score {
        share: share / seeds.len() as f64,
        own_mean: own as f64 / seeds.len() as f64,
        own_over_2: over,
        seeds: seeds.len(),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut db = PathBuf::from("data/build/musicData.sqlite");
    let (mut n_seeds, mut draw_seed) = (2000usize, 42u64);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().unwrap_or_default();
        match a.as_str() {
            "--db" => db = PathBuf::from(value()),
            "--seeds" => n_seeds = value().parse().expect("--seeds N"),
            "--seed" => draw_seed = value().parse().expect("--seed S"),
            "-h" | "--help" => {
                println!("{HELP}");
                return;
            }
            // cargo bench passes --bench to every bench target.
            "--bench" => {}
            other => panic!("unknown option {other}; see --help"),
        }
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = if db.is_absolute() { db } else { root.join(db) };
    let state = AppState::open(&path).expect("the SQLite file (run the pipeline)");
    let f = state.features().expect("the feature table");
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(draw_seed);
    let seeds: Vec<usize> = (0..n_seeds).map(|_| rng.gen_range(0..f.len())).collect();
    let without_genres = seeds
        .iter()
        .filter(|&&s| f.track_genres(s as u32).is_empty())
        .count();

    println!(
        "{} tracks; {} seeds drawn uniformly (generator seed {draw_seed}), {} of them without any genre\n",
        f.len(),
        seeds.len(),
        without_genres
    );
    println!("| method | genre share of the 10 | by the seed's own artists (mean of 10) | seeds with more than 2 by own artists | time per seed |");
    println!("|---|---|---|---|---|");
    let methods = [
        (Method::Similar, "similar (default): nine features + danceability, year (x3), mode, time signature, popularity, explicit, title letters; own artists <= 2"),
        (Method::Nearest, "nearest: nine clustering features, all tracks"),
        (Method::Cluster, "cluster: the original's cluster, nearest first"),
        (Method::Random, "random: uniform in the seed's cluster (the original's random ten)"),
    ];
    for (method, name) in methods {
        let started = Instant::now();
        let s = score(&f, &seeds, |seed| {
            state
                .pick(Some(&f), seed, method, 10)
                .expect("a pick")
                .into_iter()
                .map(|p| p.track)
                .collect()
        });
        let per = started.elapsed().as_secs_f64() * 1e3 / s.seeds as f64;
        println!(
            "| {name} | {:.3} | {:.2} | {} | {per:.2} ms |",
            s.share, s.own_mean, s.own_over_2
        );
    }
    let mut rng_all = Xoshiro256PlusPlus::seed_from_u64(draw_seed ^ 1);
    let s = score(&f, &seeds, |seed| {
        let mut out = Vec::with_capacity(10);
        while out.len() < 10 {
            let t = rng_all.gen_range(0..f.len());
            if t != seed && !out.contains(&t) {
                out.push(t);
            }
        }
        out
    });
    println!(
        "| random over the whole catalogue (reference) | {:.3} | {:.2} | {} | - |",
        s.share, s.own_mean, s.own_over_2
    );
}
