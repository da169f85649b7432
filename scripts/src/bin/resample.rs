//! `resample`: make a large benchmark input from the real tracks by resampling them with a
//! small jitter. The output is in the Kaggle 2020 `data.csv` schema, so the pipeline reads it like
//! the real thing; every id starts with `rs` and the tool says loudly that the rows are resampled.
//!
//! By default it draws from the shipped catalogue's three track tables (the pipeline's default
//! inputs), de-duplicated by Spotify id as the pipeline does (the first table wins). Titles and
//! artist names are kept, so the pipeline's by-name artist join finds the same genres.

use std::collections::HashSet;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use music_pipeline::kaggle::read_tracks;
use music_pipeline::pylist::repr_str_list;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Write N tracks RESAMPLED (with jitter) from real track tables, for benchmarks only: every
/// row is a real track's title and artists with jittered audio features and a fake `rs...` id.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Real track tables to resample (either Kaggle schema, .gz accepted), repeatable; rows with
    /// an id already seen in an earlier table are skipped. Default: the three shipped tables.
    #[arg(long, default_values = [
        "data/raw/tracks_2021_subsets.csv.gz",
        "data/raw/data_2020_subsets.csv.gz",
        "data/raw/Top80song.csv",
    ])]
    from: Vec<PathBuf>,
    /// How many rows to write.
    #[arg(long)]
    rows: usize,
    /// Output CSV (Kaggle 2020 data.csv schema).
    #[arg(long)]
    out: PathBuf,
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Standard deviation of the jitter, as a share of each feature's range.
    #[arg(long, default_value_t = 0.03)]
    jitter: f64,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let mut seen = HashSet::new();
    let mut tracks = Vec::new();
    let mut duplicates = 0usize;
    for path in &args.from {
        let file = read_tracks(path).with_context(|| format!("reading {}", path.display()))?;
        for t in file.tracks {
            if seen.insert(t.id.clone()) {
                tracks.push(t);
            } else {
                duplicates += 1;
            }
        }
    }
    let names: Vec<String> = args.from.iter().map(|p| p.display().to_string()).collect();
    anyhow::ensure!(!tracks.is_empty(), "{} hold no tracks", names.join(", "));
    eprintln!(
        "resample: writing {} rows RESAMPLED with jitter (seed {}) from the {} distinct real tracks of {} ({} duplicate ids skipped) to {}. BENCHMARK DATA, NOT REAL TRACKS: real titles and artists, jittered features, fake rs... ids",
        args.rows,
        args.seed,
        tracks.len(),
        names.join(", "),
        duplicates,
        args.out.display()
    );
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(args.seed);
    let mut w = csv::Writer::from_path(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    w.write_record([
        "valence",
        "year",
        "acousticness",
        "artists",
        "danceability",
        "duration_ms",
        "energy",
        "explicit",
        "id",
        "instrumentalness",
        "key",
        "liveness",
        "loudness",
        "mode",
        "name",
        "popularity",
        "release_date",
        "speechiness",
        "tempo",
    ])?;
    let bar = ProgressBar::new(args.rows as u64);
    bar.set_style(ProgressStyle::with_template(
        "resample {bar:30} {pos}/{len} [{elapsed}]",
    )?);
    // Box-Muller from two uniforms: a normal jitter without another dependency.
    let normal = move |rng: &mut Xoshiro256PlusPlus| {
        let (u1, u2): (f64, f64) = (rng.gen::<f64>().max(1e-12), rng.gen());
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    };
    for i in 0..args.rows {
        let t = &tracks[rng.gen_range(0..tracks.len())];
        let j = args.jitter;
        let mut unit = |v: f64| (v + j * normal(&mut rng)).clamp(0.0, 1.0);
        let (valence, acousticness, danceability, energy) = (
            unit(t.valence),
            unit(t.acousticness),
            unit(t.danceability),
            unit(t.energy),
        );
        let (instrumentalness, liveness, speechiness) = (
            unit(t.instrumentalness),
            unit(t.liveness),
            unit(t.speechiness),
        );
        let loudness = (t.loudness + 60.0 * j * normal(&mut rng)).min(0.0);
        let tempo = (t.tempo + 200.0 * j * normal(&mut rng)).max(1.0);
        let duration = (t.duration_ms * (1.0 + j * normal(&mut rng)))
            .max(1000.0)
            .round();
        let popularity = (t.popularity + 100.0 * j * normal(&mut rng))
            .clamp(0.0, 100.0)
            .round();
        w.write_record([
            valence.to_string(),
            t.year.unwrap_or(2000).to_string(),
            acousticness.to_string(),
            repr_str_list(&t.artists),
            danceability.to_string(),
            duration.to_string(),
            energy.to_string(),
            (t.explicit as u8).to_string(),
            format!("rs{i:020}"),
            instrumentalness.to_string(),
            t.key.to_string(),
            liveness.to_string(),
            loudness.to_string(),
            t.mode.to_string(),
            t.name.clone(),
            popularity.to_string(),
            t.release_date.clone(),
            speechiness.to_string(),
            tempo.to_string(),
        ])?;
        if i % 10_000 == 0 {
            bar.set_position(i as u64);
        }
    }
    w.flush()?;
    bar.finish_and_clear();
    Ok(())
}
