//! The pipeline's outcome as the rows of `musicData.sqlite` (the contract is `music_db`), plus the
//! prebuilt blobs the v3 Lambda loads: the search index and the neighbour arrays.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use music_db::blobs::{self, Neighbours};
use music_db::{
    ArtistRow, CleanArtistRow, ClusterRow, ElbowRow, FixedSongRow, GenreMeansRow, Json, JsonObject,
    TopGenreRow, TrackRow, Writer, YearRow,
};
use music_pipeline::pylist::repr_str_list;
use music_shared::{fold_name, FEATURES};
use rustc_hash::FxHashMap;

use crate::pipeline::{Options, Outcome, Row};

/// A small CSV read by header name: the reference tables are read into typed rows whatever their
/// column order, so the table's column order is the contract's, not the file's.
struct Csv {
    headers: HashMap<String, usize>,
    records: Vec<csv::StringRecord>,
}

impl Csv {
    fn read(path: &Path) -> Result<Csv> {
        let mut reader =
            csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
        let headers = reader
            .headers()?
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim().to_string(), i))
            .collect();
        let records = reader
            .records()
            .collect::<Result<Vec<_>, _>>()
            .with_context(|| format!("reading {}", path.display()))?;
        Ok(Csv { headers, records })
    }

    fn cell<'a>(&self, rec: &'a csv::StringRecord, name: &str) -> Option<&'a str> {
        self.headers
            .get(name)
            .and_then(|&i| rec.get(i))
            .map(str::trim)
    }

    /// A finite number, or NULL for an empty or non-numeric cell.
    fn num(&self, rec: &csv::StringRecord, name: &str) -> Option<f64> {
        self.cell(rec, name)
            .and_then(|v| v.parse::<f64>().ok())
            .filter(|v| v.is_finite())
    }

    fn int(&self, rec: &csv::StringRecord, name: &str) -> Option<i64> {
        self.num(rec, name).map(|v| v as i64)
    }

    fn text(&self, rec: &csv::StringRecord, name: &str) -> Result<String> {
        self.cell(rec, name)
            .map(str::to_string)
            .with_context(|| format!("no column {name}"))
    }
}

/// The rows of one of the original's tables of averages, read from its CSV: the averages every
/// such table has, each from the CSV column of its own name, and the row's own columns, which the
/// closure-like tail reads from the `Csv` and record it names.
macro_rules! means_rows {
    ($path:expr, |$csv:ident, $r:ident| $row:ident { $($own:tt)* }) => {
        means_rows!(@ $path, $csv, $r, $row { $($own)* } num [
            acousticness, danceability, duration_ms, energy, instrumentalness, liveness, loudness,
            speechiness, tempo, valence, popularity
        ] int [key, mode])
    };
    (@ $path:expr, $csv:ident, $r:ident, $row:ident { $($own:tt)* }
        num [$($n:ident),*] int [$($i:ident),*]) => {
        csv_rows(&$path, |$csv, $r| {
            Ok($row {
                $($n: $csv.num($r, stringify!($n)),)*
                $($i: $csv.int($r, stringify!($i)),)*
                $($own)*
            })
        })
    };
}

/// Every record of a reference CSV, as rows.
fn csv_rows<R>(path: &Path, row: impl Fn(&Csv, &csv::StringRecord) -> Result<R>) -> Result<Vec<R>> {
    let csv = Csv::read(path)?;
    csv.records.iter().map(|r| row(&csv, r)).collect()
}

fn years(raw: &Path) -> Result<Vec<YearRow>> {
    means_rows!(raw.join("data_by_year.csv"), |csv, r| YearRow {
        year: csv
            .int(r, "year")
            .context("data_by_year: a year is missing")?,
    })
}

fn top_genres(raw: &Path) -> Result<Vec<TopGenreRow>> {
    means_rows!(raw.join("top_51_genres.csv"), |csv, r| TopGenreRow {
        genres: csv.text(r, "genres")?,
    })
}

fn genre_means(raw: &Path) -> Result<Vec<GenreMeansRow>> {
    means_rows!(raw.join("data_by_genres.csv"), |csv, r| GenreMeansRow {
        genres: csv.text(r, "genres")?,
    })
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// `Clean_Artists`, derived from the artist tables' union as the original's notebook did.
fn clean_artists(o: &Outcome) -> Vec<CleanArtistRow> {
    let min_loudness = o
        .artists
        .iter()
        .filter_map(|a| a.loudness)
        .fold(0.0, f64::min);
    o.artists
        .iter()
        .map(|a| {
            let duration_s = a.duration_ms.map(|d| d / 1000.0);
            CleanArtistRow {
                mode: a.mode,
                count: a.count,
                acousticness: a.acousticness,
                artists: a.artists.clone(),
                danceability: a.danceability,
                duration_ms: a.duration_ms,
                energy: a.energy,
                instrumentalness: a.instrumentalness,
                liveness: a.liveness,
                loudness: a.loudness,
                speechiness: a.speechiness,
                tempo: a.tempo.map(round2),
                valence: a.valence,
                popularity: a.popularity.map(round2),
                key: a.key,
                duration_s,
                duration_min: duration_s.map(|s| round2(s / 60.0)),
                loudness_scale: a.loudness.map(|l| {
                    if min_loudness == 0.0 {
                        0.0
                    } else {
                        round2(1.0 - l / min_loudness)
                    }
                }),
                artists_folded: fold_name(&a.artists),
            }
        })
        .collect()
}

/// Every artist the catalogue names, numbered: the artist tables' union first (in its order), then
/// the artists credited on kept tracks that no table has (by name). Each artist's cluster is the
/// one most of its tracks fall in (ties: the lower number); an artist without tracks here gets
/// the cluster whose centroid is nearest its mean features, put on the tracks' scale.
pub fn catalogue_artists(o: &Outcome) -> Vec<ArtistRow> {
    let mut votes: HashMap<&str, BTreeMap<usize, i64>> = HashMap::new();
    let mut spotify: HashMap<&str, &str> = HashMap::new();
    for r in &o.rows {
        let t = &r.clean.track;
        for (pos, name) in t.artists.iter().enumerate() {
            *votes.entry(name).or_default().entry(r.cluster).or_default() += 1;
            if let Some(id) = t.artist_ids.get(pos) {
                spotify.entry(name).or_insert(id);
            }
        }
    }
    let e = &o.extremes;
    let ratio = |v: f64, x: f64| if x == 0.0 { 0.0 } else { v / x };
    let nearest_centroid = |a: &music_pipeline::artist::ArtistRow| -> Option<usize> {
        let f = [
            a.energy?,
            a.speechiness?,
            a.acousticness?,
            a.instrumentalness?,
            a.liveness?,
            a.valence?,
            1.0 - ratio(a.loudness?, e.min_loudness),
            ratio(a.tempo?, e.max_tempo),
            ratio(a.duration_ms?, e.max_duration_ms),
        ];
        o.clusters
            .iter()
            .map(|c| {
                let d: f64 = c
                    .centroid
                    .iter()
                    .zip(f)
                    .map(|(x, y)| (x - y) * (x - y))
                    .sum();
                (d, c.cluster)
            })
            .min_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))
            .map(|(_, c)| c)
    };
    let cluster_of = |name: &str| -> Option<(usize, i64)> {
        let v = votes.get(name)?;
        let (&c, _) = v.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))?;
        Some((c, v.values().sum()))
    };
    // The order and the credited-only artists' popularity are the search index's numbering.
    let numbering =
        crate::pipeline::artist_numbering(&o.artists, o.rows.iter().map(|r| &r.clean.track));
    let credited_only = &numbering[o.artists.len()..];
    let mut out = Vec::with_capacity(numbering.len());
    for a in &o.artists {
        let (cluster, basis, tracks) = match cluster_of(&a.artists) {
            Some((c, n)) => (Some(c as i64), "tracks", n),
            None => match nearest_centroid(a) {
                Some(c) => (Some(c as i64), "features", 0),
                None => (None, "none", 0),
            },
        };
        out.push(ArtistRow {
            artist: out.len() as i64,
            name: a.artists.clone(),
            genres: Json(a.genres.clone()),
            spotify_id: spotify.get(a.artists.as_str()).map(|s| s.to_string()),
            popularity: a.popularity,
            cluster,
            cluster_basis: basis.into(),
            tracks,
        });
    }
    for &(name, popularity) in credited_only {
        let (c, n) = cluster_of(name).expect("credited artists have votes");
        out.push(ArtistRow {
            artist: out.len() as i64,
            name: name.to_string(),
            genres: Json(Vec::new()),
            spotify_id: spotify.get(name).map(|s| s.to_string()),
            popularity,
            cluster: Some(c as i64),
            cluster_basis: "tracks".into(),
            tracks: n,
        });
    }
    out
}

/// Same-song groups: tracks whose folded titles are equal and that share a credited artist are
/// copies of one song (album version, single, remaster), joined transitively; each group is
/// named by its lowest track number. Recommending one copy for another says nothing.
pub fn song_groups(rows: &[Row]) -> Vec<u32> {
    fn find(parent: &mut [u32], mut x: u32) -> u32 {
        while parent[x as usize] != x {
            parent[x as usize] = parent[parent[x as usize] as usize];
            x = parent[x as usize];
        }
        x
    }
    let mut parent: Vec<u32> = (0..rows.len() as u32).collect();
    // Folded once each: titles per track, artists per distinct name (most recur).
    let titles: Vec<String> = rows
        .iter()
        .map(|r| fold_name(&r.clean.track.name))
        .collect();
    let mut folded_artists: FxHashMap<&str, String> = FxHashMap::default();
    for r in rows {
        for a in &r.clean.track.artists {
            folded_artists
                .entry(a.as_str())
                .or_insert_with(|| fold_name(a));
        }
    }
    let mut first: FxHashMap<(&str, &str), u32> = FxHashMap::default();
    for (i, r) in rows.iter().enumerate() {
        let title = titles[i].as_str();
        for artist in &r.clean.track.artists {
            let artist = folded_artists[artist.as_str()].as_str();
            match first.entry((title, artist)) {
                std::collections::hash_map::Entry::Occupied(e) => {
                    let (a, b) = (find(&mut parent, *e.get()), find(&mut parent, i as u32));
                    // The lower number becomes the root, so a group's name is its lowest track.
                    let (lo, hi) = (a.min(b), a.max(b));
                    parent[hi as usize] = lo;
                }
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(i as u32);
                }
            }
        }
    }
    (0..rows.len() as u32)
        .map(|i| find(&mut parent, i))
        .collect()
}

fn track_rows(o: &Outcome) -> impl Iterator<Item = TrackRow> + '_ {
    o.rows.iter().enumerate().map(|(i, r)| {
        let t = &r.clean.track;
        TrackRow {
            track: i as i64,
            id: t.id.clone(),
            name: t.name.clone(),
            artists: Json(t.artists.clone()),
            artist_ids: Json(t.artist_ids.clone()),
            year: t.year.map(i64::from),
            release_date: t.release_date.clone(),
            popularity: t.popularity,
            explicit: t.explicit,
            duration_ms: t.duration_ms,
            key: t.key.into(),
            mode: t.mode.into(),
            time_signature: t.time_signature.map(i64::from),
            danceability: t.danceability,
            energy: t.energy,
            loudness: t.loudness,
            speechiness: t.speechiness,
            acousticness: t.acousticness,
            instrumentalness: t.instrumentalness,
            liveness: t.liveness,
            valence: t.valence,
            tempo: t.tempo,
            cluster: r.cluster as i64,
            distance: r.distance,
            source: r.source as i64,
        }
    })
}

fn cluster_rows(o: &Outcome) -> Vec<ClusterRow> {
    o.clusters
        .iter()
        .map(|c| {
            let centroid: JsonObject = FEATURES
                .iter()
                .zip(&c.centroid)
                .map(|(f, v)| (f.to_string(), (*v).into()))
                .collect();
            let means: JsonObject = c
                .means
                .iter()
                .map(|(k, v)| (k.to_string(), (*v).into()))
                .collect();
            ClusterRow {
                cluster: c.cluster as i64,
                label: c.label.clone(),
                description: c.description.clone(),
                size: c.size as i64,
                centroid: Json(centroid),
                means: Json(means),
                top_genres: Json(c.top_genres.clone()),
                distinctive_genres: Json(c.distinctive_genres.clone()),
                nearest: Json(c.nearest.clone()),
                reference_distance: c.reference_distance,
            }
        })
        .collect()
}

/// The neighbour blob's bytes: [`write`] takes them from its caller, who may build them on
/// another thread.
pub fn neighbours(o: &Outcome) -> Vec<u8> {
    let features: Vec<[f64; 9]> = o
        .rows
        .iter()
        .map(|r| r.clean.track.feature_vector(&r.scaled))
        .collect();
    Neighbours::pack(
        o.rows.iter().map(|r| r.cluster as u8).collect(),
        song_groups(&o.rows),
        o.rows
            .iter()
            .map(|r| {
                r.clean
                    .track
                    .year
                    .and_then(|y| u16::try_from(y).ok())
                    .unwrap_or(0)
            })
            .collect(),
        o.rows
            .iter()
            .map(|r| r.clean.track.popularity.round().clamp(0.0, 255.0) as u8)
            .collect(),
        &features,
        o.clusters.len(),
    )
    .to_bytes()
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Write `musicData.sqlite` into `out_dir`. `neighbours` ([`neighbours`]) and `artists`
/// ([`catalogue_artists`]) are called once the tables that do not need them are in: the caller
/// may be building them on another thread meanwhile.
pub fn write(
    out_dir: &Path,
    opts: &Options,
    o: &Outcome,
    neighbours: impl FnOnce() -> Result<Vec<u8>>,
    artists: impl FnOnce() -> Result<Vec<ArtistRow>>,
) -> Result<PathBuf> {
    let path = out_dir.join(music_db::open::DB_FILE);
    let started = std::time::Instant::now();
    let step = |what: &str| {
        tracing::debug!(
            seconds = started.elapsed().as_secs_f64(),
            "sqlite: {what} done"
        );
    };
    let w = Writer::create(&path).with_context(|| format!("creating {}", path.display()))?;
    let raw = &opts.raw_dir;
    w.insert(&years(raw)?)?;
    w.insert(&top_genres(raw)?)?;
    w.insert(&genre_means(raw)?)?;
    step("reference tables");
    w.insert(&clean_artists(o))?;
    step("Clean_Artists");
    let fixed: Vec<FixedSongRow> = o
        .clusters
        .iter()
        .flat_map(|c| {
            c.nearest.iter().map(move |n| FixedSongRow {
                name: n.name.clone(),
                id: n.id.clone(),
                artists: repr_str_list(&n.artists),
                Assignments: c.cluster as i64,
                distance: n.distance,
            })
        })
        .collect();
    w.insert(&fixed)?;
    {
        let rows: Vec<TrackRow> = track_rows(o).collect();
        step("track rows built");
        w.insert(&rows)?;
        step("tracks");
    }
    let elbow: Vec<ElbowRow> = o
        .elbow
        .iter()
        .map(|(k, inertia)| ElbowRow {
            k: *k as i64,
            inertia: *inertia,
        })
        .collect();
    w.insert(&elbow)?;
    w.insert(&cluster_rows(o))?;
    w.blob(blobs::NEIGHBOURS, neighbours()?)?;
    step("neighbours");
    let artists = artists()?;
    step("artists built");
    w.insert(&artists)?;
    step("artists");
    w.blob(blobs::SEARCH_INDEX, o.search_index.clone())?;
    step("search index");

    let e = &o.extremes;
    let inputs: Vec<serde_json::Value> = o
        .inputs
        .iter()
        .map(|i| {
            serde_json::json!({
                "file": file_name(&i.path),
                "schema": format!("{:?}", i.schema),
                "read": i.read,
                "rejected": i.rejected,
                "duplicates": i.duplicates,
                "kept": i.kept,
            })
        })
        .collect();
    let artist_inputs: Vec<serde_json::Value> = o
        .artist_inputs
        .iter()
        .map(|a| serde_json::json!({"file": file_name(&a.path), "read": a.read, "used": a.used}))
        .collect();
    let info = [
        ("inputs_tracks", serde_json::to_string(&inputs)?),
        ("inputs_artists", serde_json::to_string(&artist_inputs)?),
        ("reference_file", file_name(&opts.reference)),
        ("rows_read", o.read.to_string()),
        ("rows_rejected", o.rejected.to_string()),
        ("duplicates", o.duplicates.to_string()),
        ("dropped_loudness", o.dropped_loudness.to_string()),
        ("dropped_no_genre", o.dropped_no_genre.to_string()),
        ("tracks_kept", o.rows.len().to_string()),
        ("artists", artists.len().to_string()),
        ("k", opts.k.to_string()),
        ("seed", opts.kmeans.seed.to_string()),
        ("n_init", opts.kmeans.n_init.to_string()),
        ("sample", opts.kmeans.sample.to_string()),
        ("tolerance", opts.kmeans.tolerance.to_string()),
        ("features", serde_json::to_string(&FEATURES)?),
        ("min_loudness", e.min_loudness.to_string()),
        ("max_tempo", e.max_tempo.to_string()),
        ("max_duration_ms", e.max_duration_ms.to_string()),
        ("max_popularity", e.max_popularity.to_string()),
        ("fingerprint", crate::fingerprint::of(opts)?),
    ];
    let path = w
        .finish(&info)
        .with_context(|| format!("writing {}", path.display()))?;
    step("indexes and commit");
    Ok(path)
}
