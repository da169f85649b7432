//! `pipeline`: build `data/build/` (the SQLite store and the DynamoDB item files) from the raw
//! Kaggle-derived CSVs.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Result;
use clap::Parser;
use music_pipeline::kmeans::KMeansConfig;
use music_scripts::pipeline::{compute, write_outputs, Options};
use music_shared::items;
use music_shared::FEATURES;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Cluster Spotify tracks the way the original Music_ML project did (clean, ratio-scale, elbow,
/// K-Means k=10) and write the stores every route family reads.
///
/// By default it reads the real catalogue shipped in data/raw: the 2021 tracks subset, the 2020
/// data.csv subset and the 688 top tracks, joined by artist name to the union of both artist
/// tables.
#[derive(Parser, Debug)]
#[command(version, about, long_about)]
struct Args {
    /// Directory with the raw inputs (data_by_year.csv, top_51_genres.csv, ...).
    #[arg(long, default_value = "data/raw")]
    raw_dir: PathBuf,
    /// Track table, repeatable: Kaggle 2020 data.csv or 2021 tracks.csv (.gz accepted). Where two
    /// tables hold the same Spotify id, the one given first wins. Default: the three shipped tables.
    #[arg(long)]
    tracks: Vec<PathBuf>,
    /// Artist table with genres, repeatable: 2020 data_w_genres.csv (either genre format) or 2021
    /// artists.csv (.gz accepted). Joined by name (by id for artists.csv); where two tables have
    /// the same artist, the one given first wins. Default: both shipped artist tables.
    #[arg(long)]
    artists: Vec<PathBuf>,
    /// Per-cluster means of the original run; our clusters are numbered after their nearest match.
    #[arg(long)]
    reference: Option<PathBuf>,
    /// Where to write musicData.sqlite and the *.jsonl item files.
    #[arg(long, default_value = "data/build")]
    out: PathBuf,
    /// Number of clusters of the final model.
    #[arg(long, default_value_t = 10)]
    k: usize,
    /// The elbow runs k = 1..=max-k.
    #[arg(long, default_value_t = 10)]
    max_k: usize,
    /// Seed of every random choice (k-means++ starts, random sort keys).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Independent k-means++ starts per k; the lowest inertia wins.
    #[arg(long, default_value_t = 4)]
    n_init: usize,
    /// Above this many tracks, the starts run on a random sample of this size and the best is
    /// refined on all tracks (0: every start on all tracks).
    #[arg(long, default_value_t = 5_000)]
    sample: usize,
    /// Threads for the elbow (one k per thread).
    #[arg(long)]
    threads: Option<usize>,
    /// Do nothing if the outputs in --out were built from the same inputs, options and pipeline.
    #[arg(long)]
    if_stale: bool,
    /// No progress bars.
    #[arg(long, short)]
    quiet: bool,
}

fn options(args: &Args) -> Options {
    let mut opts = Options::defaults_in(&args.raw_dir, &args.out);
    if !args.tracks.is_empty() {
        opts.tracks = args.tracks.clone();
    }
    if !args.artists.is_empty() {
        opts.artists = args.artists.clone();
    }
    if let Some(r) = &args.reference {
        opts.reference = r.clone();
    }
    opts.k = args.k;
    opts.max_k = args.max_k.max(args.k);
    opts.kmeans = KMeansConfig {
        seed: args.seed,
        n_init: args.n_init,
        sample: args.sample,
        ..KMeansConfig::default()
    };
    if let Some(t) = args.threads {
        opts.threads = t.max(1);
    }
    opts.progress = !args.quiet;
    opts
}

/// Whether `opts.out_dir` already holds every output, built from this fingerprint.
fn up_to_date(opts: &Options) -> Result<bool> {
    let db = opts.out_dir.join(music_db::open::DB_FILE);
    let items_there = [
        items::ITEMS_TRACKS,
        items::ITEMS_TRACKS_WITH_IDS,
        items::ITEMS_ASSIGNMENTS,
    ]
    .iter()
    .all(|f| opts.out_dir.join(f).is_file());
    if !items_there {
        return Ok(false);
    }
    let Ok(conn) = music_db::open_read_only(&db) else {
        return Ok(false);
    };
    let stored = music_db::build_info(&conn, "fingerprint").ok().flatten();
    Ok(stored.as_deref() == Some(music_scripts::fingerprint::of(opts)?.as_str()))
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let opts = options(&args);
    if args.if_stale && up_to_date(&opts)? {
        println!(
            "{} is up to date (same inputs, options and pipeline)",
            opts.out_dir.display()
        );
        return Ok(());
    }

    let started = Instant::now();
    let outcome = compute(&opts)?;
    let written = write_outputs(&opts, &outcome)?;

    println!("Pipeline summary");
    for i in &outcome.inputs {
        println!(
            "  tracks     {} ({:?}): {} read, {} unreadable, {} duplicate ids dropped, {} kept",
            i.path.display(),
            i.schema,
            i.read,
            i.rejected,
            i.duplicates,
            i.kept
        );
    }
    for a in &outcome.artist_inputs {
        println!(
            "  artists    {}: {} read, {} not in an earlier table",
            a.path.display(),
            a.read,
            a.used
        );
    }
    println!(
        "  cleaning   {} read, {} unreadable rows, {} duplicate ids, {} with loudness > 0, {} without any genre -> {} kept",
        outcome.read, outcome.rejected, outcome.duplicates, outcome.dropped_loudness, outcome.dropped_no_genre, outcome.rows.len()
    );
    println!("  features   {}", FEATURES.join(", "));
    println!("  elbow      (inertia = sum of squared distances)");
    for (k, inertia) in &outcome.elbow {
        println!("    k={k:<3} {inertia:>14.4}");
    }
    println!(
        "  clusters   (k={}, seed {}, {} starts; numbered after {})",
        opts.k,
        opts.kmeans.seed,
        opts.kmeans.n_init,
        opts.reference.display()
    );
    for c in &outcome.clusters {
        let d = c
            .reference_distance
            .map_or("-".to_string(), |d| format!("{d:.4}"));
        println!(
            "    {:>2}  {:>6} tracks  distance to original's #{:<2} {:>7}  {}",
            c.cluster, c.size, c.cluster, d, c.label
        );
    }
    for (step, d) in outcome.timings.iter().chain(&written.timings) {
        println!("  time       {step:<14} {:>8.3} s", d.as_secs_f64());
    }
    println!("  wrote      {}", written.sqlite.display());
    for (path, n) in &written.items {
        println!("  wrote      {} ({n} items)", path.display());
    }
    println!("  total      {:.3} s", started.elapsed().as_secs_f64());
    // Freeing ~100k tracks' strings one by one only delays the exit (~50 ms); the OS takes the
    // memory back at once.
    std::mem::forget(outcome);
    Ok(())
}
