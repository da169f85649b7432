//! raw CSV -> clean -> scale -> elbow -> K-Means -> numbered, labelled clusters -> SQLite + items.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustc_hash::{FxHashMap, FxHashSet};

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use ndarray::Array2;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use music_db::{GenreCount, NearTrack};
use music_pipeline::artist::ArtistRow;
use music_pipeline::cluster::label_clusters;
use music_pipeline::kaggle::{read_artists, read_tracks, ArtistFile, TrackFile, TrackSchema};
use music_pipeline::kmeans::{self, KMeansConfig};
use music_pipeline::pylist::repr_str_list;
use music_pipeline::scale::{keep, Extremes};
use music_pipeline::track::{CleanTrack, Scaled};
use music_shared::items;
use music_shared::{fold_name, FEATURES};

/// The track tables the default build reads, in order of precedence: where two files hold the
/// same Spotify id, the earlier file's row is kept. The 2021 table comes first because its rows
/// carry Spotify artist ids.
pub const DEFAULT_TRACKS: [&str; 3] = [
    "tracks_2021_subsets.csv.gz",
    "data_2020_subsets.csv.gz",
    "Top80song.csv",
];

/// The artist tables the default build reads, in order of precedence (by name): the 28,680
/// artists of the later 2020 release, then the 22,727 of the earlier one for the artists it alone has.
pub const DEFAULT_ARTISTS: [&str; 2] = ["data_w_genres_2020.csv.gz", "data_w_genres.csv.gz"];

/// Where the inputs are and how to cluster them.
#[derive(Debug, Clone)]
pub struct Options {
    /// Track tables of either Kaggle schema, in order of precedence for duplicate ids.
    pub tracks: Vec<PathBuf>,
    /// Artist tables (by name or by id), in order of precedence for duplicate names.
    pub artists: Vec<PathBuf>,
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
            tracks: DEFAULT_TRACKS.iter().map(|f| raw_dir.join(f)).collect(),
            artists: DEFAULT_ARTISTS.iter().map(|f| raw_dir.join(f)).collect(),
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
    /// Index into [`Outcome::inputs`] of the file the row came from.
    pub source: usize,
}

/// What one track file contributed.
#[derive(Debug, Clone)]
pub struct TrackInput {
    pub path: PathBuf,
    pub schema: TrackSchema,
    pub read: usize,
    pub rejected: usize,
    /// Rows whose id an earlier row (of this or an earlier file) already had.
    pub duplicates: usize,
    pub kept: usize,
}

/// What one artist table contributed to the union.
#[derive(Debug, Clone)]
pub struct ArtistInput {
    pub path: PathBuf,
    /// Artists read (named rows, or ids for an id-keyed table).
    pub read: usize,
    /// Of those, the ones no earlier table had (by name).
    pub used: usize,
    pub rejected: usize,
}

pub struct ClusterSummary {
    pub cluster: usize,
    pub label: String,
    pub description: String,
    pub size: usize,
    pub centroid: Vec<f64>,
    pub means: BTreeMap<&'static str, f64>,
    pub top_genres: Vec<GenreCount>,
    pub distinctive_genres: Vec<GenreCount>,
    pub nearest: Vec<NearTrack>,
    /// Euclidean distance to the original's cluster of the same number (None without reference).
    pub reference_distance: Option<f64>,
}

pub struct Outcome {
    pub inputs: Vec<TrackInput>,
    pub artist_inputs: Vec<ArtistInput>,
    pub read: usize,
    pub rejected: usize,
    pub duplicates: usize,
    pub dropped_loudness: usize,
    pub dropped_no_genre: usize,
    pub extremes: Extremes,
    pub rows: Vec<Row>,
    pub elbow: Vec<(usize, f64)>,
    pub clusters: Vec<ClusterSummary>,
    /// The union of the artist tables' rows (with features), first table first.
    pub artists: Vec<ArtistRow>,
    /// The v3 search index over the tracks (by row) and the catalogue's artists (numbered by
    /// [`artist_numbering`]), built on a thread of its own beside the elbow: it needs no
    /// clusters.
    pub search_index: Vec<u8>,
    pub timings: Vec<(&'static str, Duration)>,
}

/// Every artist the catalogue names, in the order the `artists` table numbers them, with the
/// popularity the search index ranks them by: the artist tables' union first (in its order, with
/// its popularity), then the artists credited on kept tracks that no table has, by name (with
/// their best track's popularity). `sqlite_out::catalogue_artists` takes its order from here, so
/// the index's artist numbers are the `artists` table's.
pub fn artist_numbering<'a>(
    table: &'a [ArtistRow],
    tracks: impl Iterator<Item = &'a music_pipeline::Track>,
) -> Vec<(&'a str, Option<f64>)> {
    let named: FxHashSet<&str> = table.iter().map(|a| a.artists.as_str()).collect();
    let mut credited_only: BTreeMap<&str, f64> = BTreeMap::new();
    for t in tracks {
        for name in &t.artists {
            if !named.contains(name.as_str()) {
                let best = credited_only.entry(name.as_str()).or_insert(f64::MIN);
                *best = best.max(t.popularity);
            }
        }
    }
    table
        .iter()
        .map(|a| (a.artists.as_str(), a.popularity))
        .chain(credited_only.into_iter().map(|(n, p)| (n, Some(p))))
        .collect()
}

/// The search index: tracks numbered by their position in `kept` (their row), artists by
/// [`artist_numbering`].
fn build_search_index(kept: &[(CleanTrack, usize)], table: &[ArtistRow]) -> Vec<u8> {
    let mut b = music_search::Builder::new();
    for (i, (c, _)) in kept.iter().enumerate() {
        let t = &c.track;
        let names: Vec<&str> = t.artists.iter().map(String::as_str).collect();
        b.track(i as u32, &t.name, &names, t.popularity as f32);
    }
    let numbering = artist_numbering(table, kept.iter().map(|(c, _)| &c.track));
    for (n, (name, popularity)) in numbering.into_iter().enumerate() {
        b.artist(n as u32, name, popularity.unwrap_or(0.0) as f32);
    }
    b.build()
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

/// Read every input, one thread per file: the files are independent and the largest takes most
/// of the time, so the small ones ride along for free. The artist tables are joined into their
/// union as soon as they are in, while the track tables are still being parsed.
fn read_inputs(opts: &Options) -> Result<(Vec<TrackFile>, ArtistFile, Vec<ArtistInput>)> {
    fn timed<T>(p: &Path, read: impl FnOnce(&Path) -> T) -> T {
        let t = Instant::now();
        let r = read(p);
        tracing::debug!(file = %p.display(), seconds = t.elapsed().as_secs_f64(), "read");
        r
    }
    std::thread::scope(|s| {
        let tracks: Vec<_> = opts
            .tracks
            .iter()
            .map(|p| s.spawn(move || timed(p, read_tracks)))
            .collect();
        let artists: Vec<_> = opts
            .artists
            .iter()
            .map(|p| s.spawn(move || timed(p, read_artists)))
            .collect();
        let artist_files = artists
            .into_iter()
            .map(|h| h.join().expect("a reader thread panicked"))
            .collect::<Result<Vec<_>, _>>()?;
        let reads: Vec<(usize, usize)> = artist_files
            .iter()
            .map(|a| (a.rows.len().max(a.genres.by_id.len()), a.rejected.len()))
            .collect();
        let (artist_file, used) = ArtistFile::union(artist_files);
        let artist_inputs = opts
            .artists
            .iter()
            .zip(reads)
            .zip(used)
            .map(|((path, (read, rejected)), used)| ArtistInput {
                path: path.clone(),
                read,
                used,
                rejected,
            })
            .collect();
        let tracks = tracks
            .into_iter()
            .map(|h| h.join().expect("a reader thread panicked"))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((tracks, artist_file, artist_inputs))
    })
}

/// Read, clean, scale and cluster; everything up to (not including) writing files.
pub fn compute(opts: &Options) -> Result<Outcome> {
    if opts.tracks.is_empty() {
        bail!("no track table given");
    }
    if opts.artists.is_empty() {
        bail!("no artist table given: tracks need genres to be kept");
    }
    let mut timings = Vec::new();
    let t = Instant::now();
    let pb = spinner(opts.progress, "reading tracks and artists");
    let (track_files, artist_file, artist_inputs) = read_inputs(opts)?;
    pb.finish_and_clear();
    timings.push(("read", t.elapsed()));

    for a in &artist_inputs {
        tracing::info!(file = %a.path.display(), read = a.read, used = a.used, "artist table");
    }

    let t = Instant::now();
    let mut inputs = Vec::with_capacity(track_files.len());
    // Which rows are the first with their id, marked on borrowed ids before the rows are moved.
    let first_of_id: Vec<Vec<bool>> = {
        let mut seen: FxHashSet<&str> = FxHashSet::default();
        track_files
            .iter()
            .map(|f| {
                f.tracks
                    .iter()
                    .map(|t| seen.insert(t.id.as_str()))
                    .collect()
            })
            .collect()
    };
    let (mut dropped_loudness, mut dropped_no_genre) = (0, 0);
    let mut kept: Vec<(CleanTrack, usize)> =
        Vec::with_capacity(track_files.iter().map(|f| f.tracks.len()).sum());
    for (source, ((file, path), first_of_id)) in track_files
        .into_iter()
        .zip(&opts.tracks)
        .zip(first_of_id)
        .enumerate()
    {
        let mut input = TrackInput {
            path: path.clone(),
            schema: file.schema,
            read: file.tracks.len(),
            rejected: file.rejected.len(),
            duplicates: 0,
            kept: 0,
        };
        for r in file.rejected.iter().take(5) {
            tracing::warn!(file = %path.display(), line = r.line, reason = %r.reason, "skipped a track row");
        }
        for (track, first) in file.tracks.into_iter().zip(first_of_id) {
            if !first {
                input.duplicates += 1;
                continue;
            }
            let genres = artist_file
                .genres
                .genres_for(&track.artists, &track.artist_ids);
            if keep(&track, &genres) {
                kept.push((CleanTrack { track, genres }, source));
                input.kept += 1;
            } else if track.loudness > 0.0 {
                dropped_loudness += 1;
            } else {
                dropped_no_genre += 1;
            }
        }
        tracing::info!(
            file = %path.display(),
            read = input.read,
            duplicates = input.duplicates,
            kept = input.kept,
            "track table"
        );
        inputs.push(input);
    }
    if kept.len() < opts.max_k.max(opts.k) {
        bail!(
            "only {} tracks left after cleaning; need at least {} to cluster",
            kept.len(),
            opts.max_k.max(opts.k)
        );
    }
    let extremes = Extremes::of(kept.iter().map(|(c, _)| &c.track));
    let scaled: Vec<Scaled> = kept.iter().map(|(c, _)| extremes.scale(&c.track)).collect();
    let mut data = Array2::<f64>::zeros((kept.len(), FEATURES.len()));
    for (i, ((c, _), s)) in kept.iter().zip(&scaled).enumerate() {
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
    // The search index needs no clusters: it is built beside the elbow.
    let (fits, (search_index, search_time)) = std::thread::scope(|s| {
        let index = s.spawn(|| {
            let t = Instant::now();
            (build_search_index(&kept, &artist_file.rows), t.elapsed())
        });
        let fits = kmeans::elbow(
            &data,
            opts.max_k,
            opts.k,
            &opts.kmeans,
            opts.threads,
            &|_| bar.inc(1),
        );
        (
            fits,
            index.join().expect("the search index builder panicked"),
        )
    });
    let fits = fits?;
    bar.finish_and_clear();
    timings.push(("elbow k-means", t.elapsed()));
    timings.push(("(search index)", search_time));
    let t = Instant::now();
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
    let (mean, std) = column_mean_std(&data);
    drop(data);
    let rows: Vec<Row> = kept
        .into_iter()
        .zip(scaled)
        .enumerate()
        .map(|(i, ((clean, source), scaled))| Row {
            clean,
            scaled,
            cluster: order[final_fit.assignments[i]],
            distance: final_fit.distances[i],
            source,
        })
        .collect();
    let clusters = summarise(&rows, &centroids, &ref_dist, &mean, &std);
    timings.push(("number+label", t.elapsed()));
    let read = inputs.iter().map(|i| i.read).sum();
    let rejected = inputs.iter().map(|i| i.rejected).sum();
    let duplicates = inputs.iter().map(|i| i.duplicates).sum();
    Ok(Outcome {
        inputs,
        artist_inputs,
        read,
        rejected,
        duplicates,
        dropped_loudness,
        dropped_no_genre,
        extremes,
        rows,
        elbow,
        clusters,
        artists: artist_file.rows,
        search_index,
        timings,
    })
}

fn column_mean_std(data: &Array2<f64>) -> (Vec<f64>, Vec<f64>) {
    let n = data.nrows().max(1) as f64;
    let mean: Vec<f64> = data.columns().into_iter().map(|c| c.sum() / n).collect();
    let std = data
        .columns()
        .into_iter()
        .zip(&mean)
        .map(|(c, m)| (c.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n).sqrt())
        .collect();
    (mean, std)
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
const MEAN_COLUMNS: [&str; 17] = music_pipeline::kaggle::around_audio_features(
    &["popularity", "duration_ms"],
    &[
        "loudness_scale",
        "tempo_scale",
        "duration_scale",
        "popularity_scale",
    ],
);

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
const DISTINCTIVE_GENRES: usize = 10;

/// The distinct genres of a track (a genre counts once per track, however many of its artists
/// share it), into `out`.
fn track_genres<'a>(r: &'a Row, out: &mut Vec<&'a str>) {
    out.clear();
    out.extend(
        r.clean
            .genres
            .iter()
            .flat_map(|g| g.iter())
            .map(String::as_str),
    );
    out.sort_unstable();
    out.dedup();
}

/// The cluster's tracks nearest its centroid, each (title, artists) once: the same recording
/// often appears under several ids (album, single, remaster). Only the nearest few hundred are
/// sorted (all of them only if those hold too many repeats); the order is the full sort's.
fn nearest_tracks(mut members: Vec<&Row>) -> Vec<NearTrack> {
    let by_distance = |a: &&Row, b: &&Row| {
        a.distance
            .total_cmp(&b.distance)
            .then_with(|| a.clean.track.id.cmp(&b.clean.track.id))
    };
    let mut sorted = (NEAREST_PER_CLUSTER * 30).min(members.len());
    loop {
        if sorted < members.len() {
            members.select_nth_unstable_by(sorted, by_distance);
        }
        members[..sorted].sort_by(by_distance);
        let mut seen = HashSet::new();
        let nearest: Vec<NearTrack> = members[..sorted]
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
        if nearest.len() == NEAREST_PER_CLUSTER || sorted == members.len() {
            return nearest;
        }
        sorted = members.len();
    }
}

fn summarise(
    rows: &[Row],
    centroids: &Array2<f64>,
    ref_dist: &[Option<f64>],
    mean: &[f64],
    std: &[f64],
) -> Vec<ClusterSummary> {
    let k = centroids.nrows();
    let mut members: Vec<Vec<&Row>> = vec![Vec::new(); k];
    for r in rows {
        members[r.cluster].push(r);
    }
    // Per genre: how many tracks carry it, overall and in each cluster (one pass, one map: the
    // genre strings are hashed once per track rather than once per track and cluster).
    let mut genre_counts: FxHashMap<&str, (u64, Vec<u64>)> = FxHashMap::default();
    let mut genres = Vec::new();
    for r in rows {
        track_genres(r, &mut genres);
        for &g in &genres {
            let e = genre_counts.entry(g).or_insert_with(|| (0, vec![0; k]));
            e.0 += 1;
            e.1[r.cluster] += 1;
        }
    }
    let total = rows.len().max(1) as f64;
    let mut out = Vec::with_capacity(k);
    for (c, members) in members.iter().enumerate() {
        let mut sums = [0f64; 17];
        for r in members {
            for (s, v) in sums.iter_mut().zip(mean_values(r)) {
                *s += v;
            }
        }
        let size = members.len().max(1) as f64;
        let means = MEAN_COLUMNS
            .iter()
            .zip(sums)
            .map(|(name, s)| (*name, s / size))
            .collect();
        let with_lift = |(g, count): (&str, u64)| GenreCount {
            genre: g.to_string(),
            count,
            lift: (count as f64 / size) / (genre_counts[g].0 as f64 / total),
        };
        let mut top: Vec<(&str, u64)> = genre_counts
            .iter()
            .filter(|(_, (_, per))| per[c] > 0)
            .map(|(g, (_, per))| (*g, per[c]))
            .collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        let top_genres: Vec<GenreCount> = top
            .iter()
            .take(TOP_GENRES)
            .copied()
            .map(with_lift)
            .collect();
        // Over-represented genres, among those carried by at least 2% of the cluster (and 5
        // tracks), so a handful of odd tracks does not name a cluster.
        let floor = (members.len() as u64 / 50).max(5);
        let mut distinctive: Vec<GenreCount> = top
            .iter()
            .filter(|(_, n)| *n >= floor)
            .copied()
            .map(with_lift)
            .collect();
        distinctive.sort_by(|a, b| {
            b.lift
                .total_cmp(&a.lift)
                .then(b.count.cmp(&a.count))
                .then(a.genre.cmp(&b.genre))
        });
        distinctive.truncate(DISTINCTIVE_GENRES);
        let nearest = nearest_tracks(members.clone());
        out.push(ClusterSummary {
            cluster: c,
            label: String::new(),
            description: String::new(),
            size: members.len(),
            centroid: centroids.row(c).to_vec(),
            means,
            top_genres,
            distinctive_genres: distinctive,
            nearest,
            reference_distance: ref_dist[c],
        });
    }
    let centroid_rows: Vec<Vec<f64>> = out.iter().map(|c| c.centroid.clone()).collect();
    let genre: Vec<Option<String>> = out
        .iter()
        .map(|c| c.distinctive_genres.first().map(|g| g.genre.clone()))
        .collect();
    for (c, (label, description)) in label_clusters(&centroid_rows, mean, std, &genre)
        .into_iter()
        .enumerate()
    {
        out[c].label = label;
        out[c].description = description;
    }
    out
}

/// A [`items::TitleItem`] with its ids, borrowing from the rows: the same fields in the same
/// order, so the same JSON, without copying every title, artist and genre string first (the
/// copies were a third of the time the item files took).
#[derive(serde::Serialize)]
struct TitleItemRef<'a> {
    name: &'a str,
    artists: Vec<&'a str>,
    genres: Vec<&'a [String]>,
    #[serde(rename = "Assignments")]
    assignments: Vec<u8>,
    id: Vec<&'a str>,
    name_folded: String,
}

/// The title items: one per exact title, lists parallel over (track, artist-with-genres) pairs,
/// like the original's inner merge on artists with genres.
fn title_items(rows: &[Row]) -> Vec<TitleItemRef<'_>> {
    // Hashed, then sorted once: a BTreeMap compared strings on every insert.
    let mut by_title: FxHashMap<&str, TitleItemRef> = FxHashMap::default();
    for r in rows {
        let t = &r.clean.track;
        if t.name.is_empty() {
            continue; // an empty string cannot be a DynamoDB key
        }
        let item = by_title
            .entry(t.name.as_str())
            .or_insert_with(|| TitleItemRef {
                name: &t.name,
                artists: Vec::new(),
                genres: Vec::new(),
                assignments: Vec::new(),
                id: Vec::new(),
                name_folded: fold_name(&t.name),
            });
        for (artist, genres) in t.artists.iter().zip(&r.clean.genres) {
            if genres.is_empty() {
                continue;
            }
            item.artists.push(artist);
            item.genres.push(genres);
            item.assignments.push(r.cluster as u8);
            item.id.push(&t.id);
        }
    }
    let mut items: Vec<TitleItemRef> = by_title.into_values().collect();
    items.sort_unstable_by(|a, b| a.name.cmp(b.name));
    items
}

/// A [`items::AssignmentItem`] borrowing its name and id from the rows (same JSON).
#[derive(serde::Serialize)]
struct AssignmentItemRef<'a> {
    #[serde(rename = "Assignments")]
    assignments: u8,
    sort: String,
    name: &'a str,
    id: &'a str,
    artists: String,
}

fn assignment_items<'a>(
    rows: &'a [Row],
    clusters: &[ClusterSummary],
    seed: u64,
) -> Result<Vec<AssignmentItemRef<'a>>> {
    // Only the few nearest tracks are looked up by id: map those, not every row.
    let mut by_id: FxHashMap<&str, Option<&Row>> = clusters
        .iter()
        .flat_map(|c| c.nearest.iter().map(|n| (n.id.as_str(), None)))
        .collect();
    for r in rows {
        if let Some(slot) = by_id.get_mut(r.clean.track.id.as_str()) {
            *slot = Some(r);
        }
    }
    let mut out = Vec::with_capacity(rows.len() + clusters.len() * NEAREST_PER_CLUSTER);
    for c in clusters {
        for (i, n) in c.nearest.iter().enumerate() {
            let r = by_id[n.id.as_str()].expect("a cluster's nearest tracks are rows");
            out.push(AssignmentItemRef {
                assignments: c.cluster as u8,
                sort: format!("{}{i:02}", items::SORT_FIXED),
                name: &r.clean.track.name,
                id: &r.clean.track.id,
                artists: repr_str_list(&r.clean.track.artists),
            });
        }
    }
    // Each cluster's tracks get the dense indices 0..size (`rand#00000000`..), in a fixed
    // shuffle of the cluster: a draw picks indices uniformly, so any numbering would do, but in a
    // shuffled one the first keys of a cluster (what the test subsets and the sam-local seeds
    // keep) are a fair sample of it rather than the first rows read. Written cluster by cluster
    // in key order.
    let mut by_cluster: BTreeMap<usize, Vec<&Row>> = BTreeMap::new();
    for r in rows {
        by_cluster.entry(r.cluster).or_default().push(r);
    }
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed ^ 0x05EE_D0F7_AB1E);
    for (cluster, mut members) in by_cluster {
        if members.len() > items::MAX_CLUSTER_TRACKS {
            bail!(
                "cluster {cluster} has {} tracks, more than the {} its random keys can number",
                members.len(),
                items::MAX_CLUSTER_TRACKS
            );
        }
        members.shuffle(&mut rng);
        for (i, r) in members.into_iter().enumerate() {
            out.push(AssignmentItemRef {
                assignments: cluster as u8,
                sort: items::random_sort_key(i),
                name: &r.clean.track.name,
                id: &r.clean.track.id,
                artists: repr_str_list(&r.clean.track.artists),
            });
        }
    }
    Ok(out)
}

/// A `.jsonl` file written beside its final name and renamed into place by [`JsonLines::finish`].
struct JsonLines {
    path: PathBuf,
    tmp: PathBuf,
    out: std::io::BufWriter<std::fs::File>,
}

impl JsonLines {
    fn create(path: PathBuf) -> Result<JsonLines> {
        let tmp = path.with_extension("jsonl.tmp");
        let file =
            std::fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        Ok(JsonLines {
            path,
            tmp,
            out: std::io::BufWriter::with_capacity(1 << 20, file),
        })
    }

    fn finish(self) -> Result<PathBuf> {
        self.out.into_inner().map_err(|e| e.into_error())?;
        std::fs::rename(&self.tmp, &self.path)
            .with_context(|| format!("moving {} into place", self.tmp.display()))?;
        Ok(self.path)
    }
}

impl std::io::Write for JsonLines {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.out.write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// One JSON object per line. (Serializing into one `Vec` first measured slower: the page faults
/// of a fresh 18 MB buffer cost more than the buffered writes.)
fn write_jsonl<T: serde::Serialize>(path: PathBuf, items: &[T]) -> Result<PathBuf> {
    let mut w = JsonLines::create(path)?;
    for item in items {
        serde_json::to_writer(&mut w, item)?;
        std::io::Write::write_all(&mut w, b"\n")?;
    }
    w.finish()
}

/// Where the `"id"` member sits in a title item's JSON, the comma before it included. A quote
/// inside a JSON string is always escaped, so `,"id":` and `,"name_folded":` can only be the
/// members themselves.
fn id_member(line: &[u8]) -> Option<std::ops::Range<usize>> {
    fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
        hay.windows(needle.len()).position(|w| w == needle)
    }
    let start = find(line, b",\"id\":")?;
    let end = start + find(&line[start..], b",\"name_folded\":")?;
    Some(start..end)
}

/// Both title tables, which differ only by `id`: each item is serialized once, with its ids,
/// and written to the second file with the id member cut out (the item files took a third of
/// the pipeline's writing time, the titles most of it).
fn write_title_tables(rows: &[Row], with_ids: PathBuf, without_ids: PathBuf) -> Result<usize> {
    let titles = title_items(rows);
    let mut full = JsonLines::create(with_ids)?;
    let mut bare = JsonLines::create(without_ids)?;
    let mut line = Vec::with_capacity(4096);
    for item in &titles {
        line.clear();
        serde_json::to_writer(&mut line, item)?;
        line.push(b'\n');
        std::io::Write::write_all(&mut full, &line)?;
        let id = id_member(&line).context("a title item without its id member")?;
        std::io::Write::write_all(&mut bare, &line[..id.start])?;
        std::io::Write::write_all(&mut bare, &line[id.end..])?;
    }
    full.finish()?;
    bare.finish()?;
    Ok(titles.len())
}

/// What was written, for the summary.
pub struct Written {
    pub sqlite: PathBuf,
    pub items: Vec<(PathBuf, usize)>,
    pub timings: Vec<(&'static str, Duration)>,
}

/// Write the SQLite store and the item files, side by side on two threads that share nothing but
/// the read-only outcome and two handovers (the artists and the neighbour blob, which the inserts
/// need late). Each file is written beside its final name and renamed into place, so a crash
/// never leaves a half-written store where a server would open it.
pub fn write_outputs(opts: &Options, outcome: &Outcome) -> Result<Written> {
    std::fs::create_dir_all(&opts.out_dir)
        .with_context(|| format!("creating {}", opts.out_dir.display()))?;
    // The SQLite thread inserts rows; the other numbers the catalogue's artists and packs the
    // neighbour blob first, hands them over, then writes the item files. Two threads balance
    // better than three on two cores: a third slowed every thread.
    let (artists_tx, artists_rx) = std::sync::mpsc::sync_channel(1);
    let (neighbours_tx, neighbours_rx) = std::sync::mpsc::sync_channel(1);
    let (sqlite, items) = std::thread::scope(|s| {
        let sqlite = s.spawn(move || {
            let t = Instant::now();
            let path = crate::sqlite_out::write(
                &opts.out_dir,
                opts,
                outcome,
                || {
                    neighbours_rx
                        .recv()
                        .context("the item thread stopped before handing the neighbours over")
                },
                || {
                    artists_rx
                        .recv()
                        .context("the item thread stopped before handing the artists over")
                },
            )?;
            Ok::<_, anyhow::Error>((path, t.elapsed()))
        });
        let items = s.spawn(move || {
            let t = Instant::now();
            // If the SQLite thread has failed there is nobody to receive: its error is reported.
            let _ = artists_tx.send(crate::sqlite_out::catalogue_artists(outcome));
            let _ = neighbours_tx.send(crate::sqlite_out::neighbours(outcome));
            let handover_time = t.elapsed();
            let t = Instant::now();
            let with_ids = opts.out_dir.join(items::ITEMS_TRACKS_WITH_IDS);
            let without_ids = opts.out_dir.join(items::ITEMS_TRACKS);
            let titles = write_title_tables(&outcome.rows, with_ids.clone(), without_ids.clone())?;
            let assignments = assignment_items(&outcome.rows, &outcome.clusters, opts.kmeans.seed)?;
            let path = write_jsonl(opts.out_dir.join(items::ITEMS_ASSIGNMENTS), &assignments)?;
            let written = vec![
                (with_ids, titles),
                (without_ids, titles),
                (path, assignments.len()),
            ];
            Ok::<_, anyhow::Error>((written, handover_time, t.elapsed()))
        });
        (
            sqlite.join().expect("the SQLite writer panicked"),
            items.join().expect("the item writer panicked"),
        )
    });
    let (sqlite, sqlite_time) = sqlite?;
    let (items, handover_time, items_time) = items?;
    tracing::info!(
        sqlite_seconds = sqlite_time.as_secs_f64(),
        handover_seconds = handover_time.as_secs_f64(),
        items_seconds = items_time.as_secs_f64(),
        "wrote the outputs"
    );
    Ok(Written {
        sqlite,
        items,
        timings: vec![
            ("write sqlite", sqlite_time),
            ("(artists, neighbours)", handover_time),
            ("write items", items_time),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use music_pipeline::track::Track;

    /// The borrowed item shapes write exactly the JSON of the shared item types that the batch
    /// writer and the embedded store read back.
    #[test]
    fn borrowed_items_serialize_as_the_shared_types() {
        let genres: Vec<String> = vec!["europop".into(), "swedish pop".into()];
        // Titles that look like the members the id cut searches for must not confuse it.
        for name in [
            "Dancing Queen",
            r#"a,"id":["x"],"name_folded":"b""#,
            "\\\",\"id\":",
        ] {
            let borrowed = TitleItemRef {
                name,
                artists: vec!["ABBA"],
                genres: vec![&genres],
                assignments: vec![2],
                id: vec!["0GjEhVFGZW8afUYGChu3Rr"],
                name_folded: fold_name(name),
            };
            let mut owned = items::TitleItem {
                name: name.into(),
                artists: vec!["ABBA".into()],
                genres: vec![genres.clone()],
                assignments: vec![2],
                id: Some(vec!["0GjEhVFGZW8afUYGChu3Rr".into()]),
                name_folded: fold_name(name),
            };
            let with_ids = json(&borrowed);
            assert_eq!(with_ids, json(&owned));
            // The table without ids is the same line with the id member cut out.
            let cut = id_member(with_ids.as_bytes()).expect("an id member");
            let without_ids = format!("{}{}", &with_ids[..cut.start], &with_ids[cut.end..]);
            owned.id = None;
            assert_eq!(without_ids, json(&owned), "{name}");
        }

        let borrowed = AssignmentItemRef {
            assignments: 7,
            sort: "rand#00000255".into(),
            name: "Gymnopédie No. 1",
            id: "5NGtFXVpXSvwunEIGeviY3",
            artists: "['Erik Satie']".into(),
        };
        let owned = items::AssignmentItem {
            assignments: 7,
            sort: "rand#00000255".into(),
            name: "Gymnopédie No. 1".into(),
            id: "5NGtFXVpXSvwunEIGeviY3".into(),
            artists: "['Erik Satie']".into(),
        };
        assert_eq!(json(&borrowed), json(&owned));
    }

    fn row(id: &str, name: &str, artist: &str, distance: f64) -> Row {
        Row {
            clean: CleanTrack {
                track: Track {
                    id: id.into(),
                    name: name.into(),
                    artists: vec![artist.into()],
                    artist_ids: Vec::new(),
                    year: Some(1999),
                    release_date: "1999".into(),
                    popularity: 50.0,
                    explicit: false,
                    duration_ms: 200_000.0,
                    key: 0,
                    mode: 1,
                    danceability: 0.5,
                    energy: 0.5,
                    loudness: -8.0,
                    speechiness: 0.05,
                    acousticness: 0.5,
                    instrumentalness: 0.0,
                    liveness: 0.1,
                    valence: 0.5,
                    tempo: 120.0,
                    time_signature: None,
                },
                genres: Vec::new(),
            },
            scaled: Scaled::default(),
            cluster: 0,
            distance,
            source: 0,
        }
    }

    /// Sorting only the nearest few gives the full sort's list, also when repeats of one song
    /// fill more than that few and every track has to be sorted.
    #[test]
    fn nearest_tracks_are_the_full_sorts() {
        let full = |rows: &[Row]| -> Vec<String> {
            let mut sorted: Vec<&Row> = rows.iter().collect();
            sorted.sort_by(|a, b| {
                a.distance
                    .total_cmp(&b.distance)
                    .then_with(|| a.clean.track.id.cmp(&b.clean.track.id))
            });
            let mut seen = HashSet::new();
            sorted
                .iter()
                .filter(|r| {
                    seen.insert((
                        fold_name(&r.clean.track.name),
                        r.clean.track.artists.clone(),
                    ))
                })
                .take(NEAREST_PER_CLUSTER)
                .map(|r| r.clean.track.id.clone())
                .collect()
        };
        let ids = |rows: &[Row]| -> Vec<String> {
            nearest_tracks(rows.iter().collect())
                .into_iter()
                .map(|n| n.id)
                .collect()
        };
        // Distances with ties (broken by id), distinct songs.
        let varied: Vec<Row> = (0..2_000)
            .map(|i| {
                row(
                    &format!("id{:05}", (i * 7919) % 2_000),
                    &format!("song {}", i % 997),
                    "a",
                    f64::from((i * 31) % 500),
                )
            })
            .collect();
        assert_eq!(ids(&varied), full(&varied));
        assert_eq!(ids(&varied).len(), NEAREST_PER_CLUSTER);
        // The nearest 1,000 are one song under many ids: the list needs the rows beyond them.
        let mut repeats: Vec<Row> = (0..1_000)
            .map(|i| row(&format!("r{i:04}"), "Same Song", "a", f64::from(i) / 1e4))
            .collect();
        repeats.extend((0..50).map(|i| {
            row(
                &format!("s{i:02}"),
                &format!("other {i}"),
                "b",
                1.0 + f64::from(i),
            )
        }));
        assert_eq!(ids(&repeats), full(&repeats));
        assert_eq!(ids(&repeats).len(), NEAREST_PER_CLUSTER);
        assert_eq!(ids(&repeats)[0], "r0000");
        // Fewer tracks than a full list.
        assert_eq!(ids(&repeats[..3]), vec!["r0000"]);
    }

    fn json(v: &impl serde::Serialize) -> String {
        serde_json::to_string(v).unwrap()
    }
}
