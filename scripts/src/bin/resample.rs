//! `resample`: make a large benchmark input from the real tracks by resampling them with a
//! small jitter. The output is in the Kaggle 2020 `data.csv` schema, so the pipeline reads it like
//! the real thing; every id starts with `rs` and the tool says loudly that the rows are resampled.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};
use music_shared::kaggle::read_tracks;
use music_shared::pylist::repr_str_list;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Write N tracks resampled (with jitter) from a real track file, for benchmarks only.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Real tracks to resample (either Kaggle schema).
    #[arg(long, default_value = "data/raw/Top80song.csv")]
    from: PathBuf,
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
    let source = read_tracks(&args.from)?;
    anyhow::ensure!(
        !source.tracks.is_empty(),
        "{} has no tracks",
        args.from.display()
    );
    eprintln!(
        "resample: writing {} rows RESAMPLED with jitter from the {} real tracks of {} (benchmark data, not real tracks)",
        args.rows,
        source.tracks.len(),
        args.from.display()
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
        let t = &source.tracks[rng.gen_range(0..source.tracks.len())];
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
