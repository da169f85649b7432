//! raw CSV -> clean -> scale -> elbow -> K-Means -> numbered, labelled clusters -> SQLite + items.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use music_shared::artist::ArtistRow;
use music_shared::cluster::{describe, GenreCount, NearTrack};
use music_shared::items::{self, AssignmentItem, TitleItem};
use music_shared::kaggle::{read_artists, read_tracks, TrackSchema};
use music_shared::kmeans::{self, KMeansConfig};
use music_shared::pylist::repr_str_list;
use music_shared::scale::{keep, Extremes};
use music_shared::track::{CleanTrack, Scaled};
use music_shared::{fold_name, FEATURES};

/// Where the inputs are and how to cluster them.
#[derive(Debug, Clone)]
pub struct Options {
    pub tracks: PathBuf,
    pub artists: PathBuf,
    /// Directory holding the small reference tables (`data_by_year.csv`, `top_51_genres.csv`, ...).
    pub raw_dir: PathBuf,
    /// Per-cluster means of the original run, used to number our clusters like the original's.
    pub reference: PathBuf,
    pub out_dir: PathBuf,
    pub k: usize,
    pub max_k: usize,
    pub kmeans: KMeansConfig,
    pub threads: usize,
    pub progress: bool,
}

impl Options {
    pub fn defaults_in(raw_dir: &Path, out_dir: &Path) -> Options {
        Options {
            tracks: raw_dir.join("Top80song.csv"),
            artists: raw_dir.join("data_w_genres.csv.gz"),
            raw_dir: raw_dir.into(),
            reference: raw_dir.join("grouped_artist_mean.csv"),
            out_dir: out_dir.into(),
            k: 10,
            max_k: 10,
            kmeans: KMeansConfig::default(),
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            progress: true,
        }
    }
}

/// One kept track with everything the outputs need.
pub struct Row {
    pub clean: CleanTrack,
    pub scaled: Scaled,
    pub cluster: usize,
    pub distance: f64,
}

pub struct ClusterSummary {
    pub cluster: usize,
    pub label: String,
    pub size: usize,
    pub centroid: Vec<f64>,
    pub means: BTreeMap<&'static str, f64>,
    pub top_genres: Vec<GenreCount>,
    pub nearest: Vec<NearTrack>,
    /// Euclidean distance to the original's cluster of the same number (None without reference).
    pub reference_distance: Option<f64>,
}

pub struct Outcome {
    pub schema: TrackSchema,
    pub read: usize,
    pub rejected: usize,
    pub duplicates: usize,
    pub dropped_loudness: usize,
    pub dropped_no_genre: usize,
    pub extremes: Extremes,
    pub rows: Vec<Row>,
    pub elbow: Vec<(usize, f64)>,
    pub clusters: Vec<ClusterSummary>,
    pub artists: Vec<ArtistRow>,
    pub timings: Vec<(&'static str, Duration)>,
}

fn spinner(show: bool, msg: &'static str) -> ProgressBar {
    let pb = if show {
        ProgressBar::new_spinner()
    } else {
        ProgressBar::hidden()
    };
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").expect("valid template"),
    );
    pb.set_message(msg);
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

/// Read, clean, scale and cluster; everything up to (not including) writing files.
pub fn compute(opts: &Options) -> Result<Outcome> {
    let mut timings = Vec::new();
    let t = Instant::now();
    let pb = spinner(opts.progress, "reading tracks and artists");
    let track_file = read_tracks(&opts.tracks)?;
    let artist_file = read_artists(&opts.artists)?;
    pb.finish_and_clear();
    timings.push(("read", t.elapsed()));
    tracing::info!(
        tracks = track_file.tracks.len(),
        rejected = track_file.rejected.len(),
        artists = artist_file.rows.len().max(artist_file.genres.by_id.len()),
        "read inputs"
    );
    for r in track_file.rejected.iter().take(5) {
        tracing::warn!(line = r.line, reason = %r.reason, "skipped a track row");
    }

    let t = Instant::now();
    let read = track_file.tracks.len();
    let mut seen = HashSet::new();
    let (mut duplicates, mut dropped_loudness, mut dropped_no_genre) = (0, 0, 0);
    let mut kept = Vec::new();
    for track in track_file.tracks {
        if !seen.insert(track.id.clone()) {
            duplicates += 1;
            continue;
        }
        let genres = artist_file
            .genres
            .genres_for(&track.artists, &track.artist_ids);
        if keep(&track, &genres) {
            kept.push(CleanTrack { track, genres });
        } else if track.loudness > 0.0 {
            dropped_loudness += 1;
        } else {
            dropped_no_genre += 1;
        }
    }
    if kept.len() < opts.max_k.max(opts.k) {
        bail!(
            "only {} tracks left after cleaning; need at least {} to cluster",
            kept.len(),
            opts.max_k.max(opts.k)
        );
    }
    let extremes = Extremes::of(&kept);
    let scaled: Vec<Scaled> = kept.iter().map(|c| extremes.scale(&c.track)).collect();
    let mut data = Array2::<f64>::zeros((kept.len(), FEATURES.len()));
    for (i, (c, s)) in kept.iter().zip(&scaled).enumerate() {
        for (j, v) in c.track.feature_vector(s).into_iter().enumerate() {
            data[[i, j]] = v;
        }
    }
    timings.push(("clean+scale", t.elapsed()));

    let t = Instant::now();
    let bar = if opts.progress {
        ProgressBar::new(opts.max_k as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("elbow k-means {bar:30} {pos}/{len} k done [{elapsed}]")
            .expect("valid template"),
    );
    let fits = kmeans::elbow(
        &data,
        opts.max_k,
        opts.k,
        &opts.kmeans,
        opts.threads,
        &|_| bar.inc(1),
    )?;
    bar.finish_and_clear();
    timings.push(("elbow k-means", t.elapsed()));
    let elbow: Vec<(usize, f64)> = fits.iter().map(|(k, f)| (*k, f.inertia)).collect();
    let final_fit = match fits.into_iter().find(|(k, _)| *k == opts.k) {
        Some((_, f)) => f,
        None => kmeans::fit(&data, opts.k, &opts.kmeans)?,
    };

    // Number our clusters like the original's, so that "cluster 5" means the same thing.
    let reference = read_reference(&opts.reference)?;
    let (order, reference_distance): (Vec<usize>, Vec<Option<f64>>) = if reference.nrows() == opts.k
    {
        let m = kmeans::match_to_references(final_fit.centroids.view(), reference.view());
        let d = (0..opts.k)
            .map(|c| {
                Some(
                    kmeans::squared_distance(final_fit.centroids.row(c), reference.row(m[c]))
                        .sqrt(),
                )
            })
            .collect();
        (m, d)
    } else {
        tracing::warn!(
            k = opts.k,
            reference_rows = reference.nrows(),
            "reference has another k; clusters keep k-means order"
        );
        ((0..opts.k).collect(), vec![None; opts.k])
    };
    let mut centroids = Array2::<f64>::zeros(final_fit.centroids.dim());
    let mut ref_dist = vec![None; opts.k];
    for (c, &n) in order.iter().enumerate() {
        centroids.row_mut(n).assign(&final_fit.centroids.row(c));
        ref_dist[n] = reference_distance[c];
    }
    let rows: Vec<Row> = kept
        .into_iter()
        .zip(scaled)
        .enumerate()
        .map(|(i, (clean, scaled))| Row {
            clean,
            scaled,
            cluster: order[final_fit.assignments[i]],
            distance: final_fit.distances[i],
        })
        .collect();
    let clusters = summarise(&rows, &centroids, &ref_dist);
    Ok(Outcome {
        schema: track_file.schema,
        read,
        rejected: track_file.rejected.len(),
        duplicates,
        dropped_loudness,
        dropped_no_genre,
        extremes,
        rows,
        elbow,
        clusters,
        artists: artist_file.rows,
        timings,
    })
}

/// The nine feature columns of the reference table, one row per cluster, ordered by `Assignments`.
fn read_reference(path: &Path) -> Result<Array2<f64>> {
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let headers = reader.headers()?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .with_context(|| format!("{} has no column {name}", path.display()))
    };
    let idx: Vec<usize> = FEATURES.iter().map(|f| col(f)).collect::<Result<_>>()?;
    let assign = col("Assignments")?;
    let mut rows: Vec<(i64, Vec<f64>)> = Vec::new();
    for rec in reader.records() {
        let rec = rec?;
        let a: i64 = rec[assign]
            .trim()
            .parse()
            .context("Assignments is not an integer")?;
        let v = idx
            .iter()
            .map(|&i| rec[i].trim().parse::<f64>().context("bad reference value"))
            .collect::<Result<_>>()?;
        rows.push((a, v));
    }
    rows.sort_by_key(|(a, _)| *a);
    let flat: Vec<f64> = rows.iter().flat_map(|(_, v)| v.iter().copied()).collect();
    Ok(Array2::from_shape_vec((rows.len(), FEATURES.len()), flat)?)
}

/// Every numeric column averaged per cluster, for the `clusters` table.
const MEAN_COLUMNS: [&str; 17] = [
    "popularity",
    "duration_ms",
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
    "loudness_scale",
    "tempo_scale",
    "duration_scale",
    "popularity_scale",
];

fn mean_values(r: &Row) -> [f64; 17] {
    let t = &r.clean.track;
    let s = &r.scaled;
    [
        t.popularity,
        t.duration_ms,
        t.danceability,
        t.energy,
        t.key as f64,
        t.loudness,
        t.mode as f64,
        t.speechiness,
        t.acousticness,
        t.instrumentalness,
        t.liveness,
        t.valence,
        t.tempo,
        s.loudness_scale,
        s.tempo_scale,
        s.duration_scale,
        s.popularity_scale,
    ]
}

pub const NEAREST_PER_CLUSTER: usize = 10;
const TOP_GENRES: usize = 15;

fn summarise(
    rows: &[Row],
    centroids: &Array2<f64>,
    ref_dist: &[Option<f64>],
) -> Vec<ClusterSummary> {
    let k = centroids.nrows();
    let mut out = Vec::with_capacity(k);
    for (c, &reference_distance) in ref_dist.iter().enumerate().take(k) {
        let members: Vec<&Row> = rows.iter().filter(|r| r.cluster == c).collect();
        let mut sums = [0f64; 17];
        let mut genre_counts: BTreeMap<&str, u64> = BTreeMap::new();
        for r in &members {
            for (s, v) in sums.iter_mut().zip(mean_values(r)) {
                *s += v;
            }
            // A genre counts once per track, however many of its artists share it.
            let genres: std::collections::BTreeSet<&str> = r
                .clean
                .genres
                .iter()
                .flat_map(|g| g.iter())
                .map(String::as_str)
                .collect();
            for g in genres {
                *genre_counts.entry(g).or_default() += 1;
            }
        }
        let n = members.len().max(1) as f64;
        let means = MEAN_COLUMNS
            .iter()
            .zip(sums)
            .map(|(name, s)| (*name, s / n))
            .collect();
        let mut top: Vec<(&str, u64)> = genre_counts.into_iter().collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let top_genres: Vec<GenreCount> = top
            .into_iter()
            .take(TOP_GENRES)
            .map(|(g, count)| GenreCount {
                genre: g.to_string(),
                count,
            })
            .collect();
        let mut near = members.clone();
        near.sort_by(|a, b| {
            a.distance
                .total_cmp(&b.distance)
                .then_with(|| a.clean.track.id.cmp(&b.clean.track.id))
        });
        // The same recording often appears under several ids (album, single, remaster); a
        // list of ten shows each (title, artists) once.
        let mut seen = HashSet::new();
        let nearest = near
            .iter()
            .filter(|r| {
                seen.insert((
                    fold_name(&r.clean.track.name),
                    r.clean.track.artists.clone(),
                ))
            })
            .take(NEAREST_PER_CLUSTER)
            .map(|r| NearTrack {
                id: r.clean.track.id.clone(),
                name: r.clean.track.name.clone(),
                artists: r.clean.track.artists.clone(),
                distance: r.distance,
            })
            .collect();
        let centroid: Vec<f64> = centroids.row(c).to_vec();
        let base = describe(&centroid);
        let label = match top_genres.first() {
            Some(g) => format!("{base} ({})", g.genre),
            None => base.to_string(),
        };
        out.push(ClusterSummary {
            cluster: c,
            label,
            size: members.len(),
            centroid,
            means,
            top_genres,
            nearest,
            reference_distance,
        });
    }
    out
}

/// The title items: one per exact title, lists parallel over (track, artist-with-genres) pairs,
/// like the original's inner merge on artists with genres.
pub fn title_items(rows: &[Row], with_ids: bool) -> Vec<TitleItem> {
    let mut by_title: BTreeMap<&str, TitleItem> = BTreeMap::new();
    for r in rows {
        let t = &r.clean.track;
        if t.name.is_empty() {
            continue; // an empty string cannot be a DynamoDB key
        }
        let item = by_title
            .entry(t.name.as_str())
            .or_insert_with(|| TitleItem {
                name: t.name.clone(),
                artists: Vec::new(),
                genres: Vec::new(),
                assignments: Vec::new(),
                id: with_ids.then(Vec::new),
                name_folded: fold_name(&t.name),
            });
        for (artist, genres) in t.artists.iter().zip(&r.clean.genres) {
            if genres.is_empty() {
                continue;
            }
            item.artists.push(artist.clone());
            item.genres.push(genres.to_vec());
            item.assignments.push(r.cluster as u8);
            if let Some(ids) = item.id.as_mut() {
                ids.push(t.id.clone());
            }
        }
    }
    by_title.into_values().collect()
}

pub fn assignment_items(
    rows: &[Row],
    clusters: &[ClusterSummary],
    seed: u64,
) -> Vec<AssignmentItem> {
    let by_id: std::collections::HashMap<&str, &Row> = rows
        .iter()
        .map(|r| (r.clean.track.id.as_str(), r))
        .collect();
    let mut out = Vec::new();
    for c in clusters {
        for (i, n) in c.nearest.iter().enumerate() {
            let r = by_id[n.id.as_str()];
            out.push(AssignmentItem {
                assignments: c.cluster as u8,
                sort: format!("{}{i:02}", items::SORT_FIXED),
                name: r.clean.track.name.clone(),
                id: r.clean.track.id.clone(),
                artists: repr_str_list(&r.clean.track.artists),
            });
        }
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x05EE_D0F7_AB1E);
    for r in rows {
        out.push(AssignmentItem {
            assignments: r.cluster as u8,
            sort: format!("{}{:016x}", items::SORT_RANDOM, rng.gen::<u64>()),
            name: r.clean.track.name.clone(),
            id: r.clean.track.id.clone(),
            artists: repr_str_list(&r.clean.track.artists),
        });
    }
    out
}

fn write_jsonl<T: serde::Serialize>(path: &Path, items: &[T]) -> Result<()> {
    let tmp = path.with_extension("jsonl.tmp");
    let mut w = std::io::BufWriter::new(
        std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?,
    );
    for item in items {
        serde_json::to_writer(&mut w, item)?;
        w.write_all(b"\n")?;
    }
    w.into_inner().map_err(|e| e.into_error())?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// What was written, for the summary.
pub struct Written {
    pub sqlite: PathBuf,
    pub items: Vec<(PathBuf, usize)>,
}

/// Write the SQLite store and the item files. Each file is written beside its final name and
/// renamed into place, so a crash never leaves a half-written store where a server would open it.
pub fn write_outputs(opts: &Options, outcome: &Outcome) -> Result<Written> {
    std::fs::create_dir_all(&opts.out_dir)
        .with_context(|| format!("creating {}", opts.out_dir.display()))?;
    let sqlite = opts.out_dir.join("musicData.sqlite");
    let t = Instant::now();
    crate::sqlite_out::write(&sqlite, opts, outcome)?;
    tracing::info!(
        seconds = t.elapsed().as_secs_f64(),
        "wrote the SQLite store"
    );
    let t = Instant::now();
    // One item file at a time, so only one set of items is in memory at once.
    let mut written = Vec::new();
    let mut emit = |file: &str, n: usize, write: &dyn Fn(&Path) -> Result<()>| -> Result<()> {
        let path = opts.out_dir.join(file);
        write(&path)?;
        written.push((path, n));
        Ok(())
    };
    let tracks = title_items(&outcome.rows, false);
    emit(items::ITEMS_TRACKS, tracks.len(), &|p| {
        write_jsonl(p, &tracks)
    })?;
    drop(tracks);
    let with_ids = title_items(&outcome.rows, true);
    emit(items::ITEMS_TRACKS_WITH_IDS, with_ids.len(), &|p| {
        write_jsonl(p, &with_ids)
    })?;
    drop(with_ids);
    let assignments = assignment_items(&outcome.rows, &outcome.clusters, opts.kmeans.seed);
    emit(items::ITEMS_ASSIGNMENTS, assignments.len(), &|p| {
        write_jsonl(p, &assignments)
    })?;
    tracing::info!(seconds = t.elapsed().as_secs_f64(), "wrote the item files");
    Ok(Written {
        sqlite,
        items: written,
    })
}
