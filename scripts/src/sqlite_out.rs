//! The v1/v3 store: one SQLite file, built here and bundled read-only into the Lambdas.
//!
//! Public tables keep the original's names and column order, so `SELECT` of the listed columns
//! gives the original's JSON key order. Columns the API must not show (folded names, JSON
//! helpers) come after them.

use std::path::Path;

use anyhow::{Context, Result};
use rusqlite::{params, Connection};

use crate::pipeline::{Options, Outcome};
use music_shared::{fold_name, FEATURES};

/// Load a small CSV into a table of the same column order. `integers` lists the INTEGER columns,
/// `texts` the TEXT ones; the rest are REAL. Empty or non-numeric cells become NULL.
fn load_csv(
    conn: &Connection,
    path: &Path,
    table: &str,
    integers: &[&str],
    texts: &[&str],
    key: Option<&str>,
) -> Result<usize> {
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let headers: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
    let cols: Vec<String> = headers
        .iter()
        .map(|h| {
            let ty = if integers.contains(&h.as_str()) {
                "INTEGER"
            } else if texts.contains(&h.as_str()) {
                "TEXT"
            } else {
                "REAL"
            };
            let pk = if Some(h.as_str()) == key {
                " PRIMARY KEY"
            } else {
                ""
            };
            format!("\"{h}\" {ty}{pk}")
        })
        .collect();
    conn.execute_batch(&format!("CREATE TABLE \"{table}\" ({});", cols.join(", ")))?;
    let placeholders = vec!["?"; headers.len()].join(", ");
    let mut stmt = conn.prepare(&format!("INSERT INTO \"{table}\" VALUES ({placeholders})"))?;
    let mut n = 0;
    for rec in reader.records() {
        let rec = rec?;
        let values: Vec<rusqlite::types::Value> = headers
            .iter()
            .zip(rec.iter())
            .map(|(h, v)| {
                use rusqlite::types::Value;
                let v = v.trim();
                if texts.contains(&h.as_str()) {
                    Value::Text(v.to_string())
                } else if integers.contains(&h.as_str()) {
                    v.parse::<f64>()
                        .map_or(Value::Null, |x| Value::Integer(x as i64))
                } else {
                    v.parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite())
                        .map_or(Value::Null, Value::Real)
                }
            })
            .collect();
        stmt.execute(rusqlite::params_from_iter(values))?;
        n += 1;
    }
    Ok(n)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

const SCHEMA: &str = r#"
CREATE TABLE Clean_Artists (
    mode INTEGER, count INTEGER, acousticness REAL, artists TEXT NOT NULL, danceability REAL,
    duration_ms REAL, energy REAL, instrumentalness REAL, liveness REAL, loudness REAL,
    speechiness REAL, tempo REAL, valence REAL, popularity REAL, key INTEGER,
    duration_s REAL, duration_min REAL, loudness_scale REAL,
    artists_folded TEXT NOT NULL, genres TEXT NOT NULL
);
CREATE TABLE fixed_song_combined (name TEXT, id TEXT, artists TEXT, Assignments INTEGER, distance REAL);
CREATE TABLE songAssignments_randomTable (id TEXT, name TEXT, artists TEXT, Assignments INTEGER);
CREATE TABLE tracks (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, artists TEXT NOT NULL, artist_ids TEXT NOT NULL,
    genres TEXT NOT NULL, year INTEGER, release_date TEXT, popularity REAL, explicit INTEGER,
    duration_ms REAL, key INTEGER, mode INTEGER, danceability REAL, energy REAL, loudness REAL,
    speechiness REAL, acousticness REAL, instrumentalness REAL, liveness REAL, valence REAL,
    tempo REAL, loudness_scale REAL, tempo_scale REAL, duration_scale REAL, popularity_scale REAL,
    cluster INTEGER NOT NULL, distance REAL NOT NULL,
    name_folded TEXT NOT NULL, artists_folded TEXT NOT NULL
);
CREATE TABLE track_artists (
    track_id TEXT NOT NULL, position INTEGER NOT NULL, artist TEXT NOT NULL,
    artist_folded TEXT NOT NULL, genres TEXT NOT NULL, PRIMARY KEY (track_id, position)
);
CREATE TABLE elbow (k INTEGER PRIMARY KEY, inertia REAL NOT NULL);
CREATE TABLE clusters (
    cluster INTEGER PRIMARY KEY, label TEXT NOT NULL, size INTEGER NOT NULL,
    centroid TEXT NOT NULL, means TEXT NOT NULL, top_genres TEXT NOT NULL, nearest TEXT NOT NULL,
    reference_distance REAL
);
CREATE TABLE build_info (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"#;

const INDEXES: &str = r#"
CREATE INDEX Clean_Artists_artists ON Clean_Artists(artists);
CREATE INDEX Clean_Artists_folded ON Clean_Artists(artists_folded);
CREATE INDEX fixed_song_combined_cluster ON fixed_song_combined(Assignments);
CREATE INDEX songAssignments_cluster ON songAssignments_randomTable(Assignments);
CREATE INDEX tracks_name ON tracks(name);
CREATE INDEX tracks_name_folded ON tracks(name_folded);
CREATE INDEX tracks_cluster ON tracks(cluster, distance);
CREATE INDEX track_artists_folded ON track_artists(artist_folded);
"#;

pub fn write(path: &Path, opts: &Options, o: &Outcome) -> Result<()> {
    let tmp = path.with_extension("sqlite.tmp");
    let _ = std::fs::remove_file(&tmp);
    let mut conn = Connection::open(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    conn.execute_batch(
        "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA page_size = 4096;",
    )?;
    let tx = conn.transaction()?;
    let raw = &opts.raw_dir;
    let ints = ["year", "key", "mode"];
    load_csv(
        &tx,
        &raw.join("data_by_year.csv"),
        "data_by_year",
        &ints,
        &[],
        Some("year"),
    )?;
    load_csv(
        &tx,
        &raw.join("top_51_genres.csv"),
        "top_51_genres",
        &ints,
        &["genres"],
        Some("genres"),
    )?;
    load_csv(
        &tx,
        &raw.join("data_by_genres.csv"),
        "data_by_genres",
        &ints,
        &["genres"],
        Some("genres"),
    )?;
    tx.execute_batch(SCHEMA)?;

    // Clean_Artists, derived from the artist table as the original's notebook did.
    let min_loudness = o
        .artists
        .iter()
        .filter_map(|a| a.loudness)
        .fold(0.0, f64::min);
    {
        let mut stmt = tx.prepare(
            "INSERT INTO Clean_Artists VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        )?;
        for a in &o.artists {
            let duration_s = a.duration_ms.map(|d| d / 1000.0);
            let loudness_scale = a.loudness.map(|l| {
                if min_loudness == 0.0 {
                    0.0
                } else {
                    round2(1.0 - l / min_loudness)
                }
            });
            stmt.execute(params![
                a.mode,
                a.count,
                a.acousticness,
                a.artists,
                a.danceability,
                a.duration_ms,
                a.energy,
                a.instrumentalness,
                a.liveness,
                a.loudness,
                a.speechiness,
                a.tempo.map(round2),
                a.valence,
                a.popularity.map(round2),
                a.key,
                duration_s,
                duration_s.map(|s| round2(s / 60.0)),
                loudness_scale,
                fold_name(&a.artists),
                serde_json::to_string(&a.genres)?,
            ])?;
        }
    }
    {
        let mut stmt = tx.prepare("INSERT INTO fixed_song_combined VALUES (?,?,?,?,?)")?;
        for c in &o.clusters {
            for n in &c.nearest {
                stmt.execute(params![
                    n.name,
                    n.id,
                    music_shared::pylist::repr_str_list(&n.artists),
                    c.cluster as i64,
                    n.distance
                ])?;
            }
        }
    }
    {
        let mut random = tx.prepare("INSERT INTO songAssignments_randomTable VALUES (?,?,?,?)")?;
        let mut track = tx.prepare(
            "INSERT INTO tracks VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        )?;
        let mut artist = tx.prepare("INSERT INTO track_artists VALUES (?,?,?,?,?)")?;
        for r in &o.rows {
            let t = &r.clean.track;
            let s = &r.scaled;
            random.execute(params![
                t.id,
                t.name,
                music_shared::pylist::repr_str_list(&t.artists),
                r.cluster as i64
            ])?;
            let artists_folded = t
                .artists
                .iter()
                .map(|a| fold_name(a))
                .collect::<Vec<_>>()
                .join("\u{1f}");
            track.execute(params![
                t.id,
                t.name,
                serde_json::to_string(&t.artists)?,
                serde_json::to_string(&t.artist_ids)?,
                serde_json::to_string(&r.clean.genres.iter().map(|g| &g[..]).collect::<Vec<_>>())?,
                t.year,
                t.release_date,
                t.popularity,
                t.explicit,
                t.duration_ms,
                t.key,
                t.mode,
                t.danceability,
                t.energy,
                t.loudness,
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
                r.cluster as i64,
                r.distance,
                fold_name(&t.name),
                artists_folded,
            ])?;
            for (i, (a, g)) in t.artists.iter().zip(&r.clean.genres).enumerate() {
                artist.execute(params![
                    t.id,
                    i as i64,
                    a,
                    fold_name(a),
                    serde_json::to_string(&g[..])?
                ])?;
            }
        }
    }
    {
        let mut stmt = tx.prepare("INSERT INTO elbow VALUES (?,?)")?;
        for (k, inertia) in &o.elbow {
            stmt.execute(params![*k as i64, inertia])?;
        }
    }
    {
        let mut stmt = tx.prepare("INSERT INTO clusters VALUES (?,?,?,?,?,?,?,?)")?;
        for c in &o.clusters {
            let centroid: serde_json::Map<String, serde_json::Value> = FEATURES
                .iter()
                .zip(&c.centroid)
                .map(|(f, v)| (f.to_string(), (*v).into()))
                .collect();
            stmt.execute(params![
                c.cluster as i64,
                c.label,
                c.size as i64,
                serde_json::to_string(&centroid)?,
                serde_json::to_string(&c.means)?,
                serde_json::to_string(&c.top_genres)?,
                serde_json::to_string(&c.nearest)?,
                c.reference_distance,
            ])?;
        }
    }
    {
        let name = |p: &Path| {
            p.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let e = &o.extremes;
        let info = [
            ("tracks_file", name(&opts.tracks)),
            ("artists_file", name(&opts.artists)),
            ("reference_file", name(&opts.reference)),
            ("schema", format!("{:?}", o.schema)),
            ("rows_read", o.read.to_string()),
            ("rows_rejected", o.rejected.to_string()),
            ("duplicates", o.duplicates.to_string()),
            ("dropped_loudness", o.dropped_loudness.to_string()),
            ("dropped_no_genre", o.dropped_no_genre.to_string()),
            ("tracks_kept", o.rows.len().to_string()),
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
        ];
        let mut stmt = tx.prepare("INSERT INTO build_info VALUES (?,?)")?;
        for (k, v) in info {
            stmt.execute(params![k, v])?;
        }
    }
    tx.execute_batch(INDEXES)?;
    // A bounded ANALYZE: full statistics on 600k rows cost seconds and buy nothing for these lookups.
    tx.execute_batch("PRAGMA analysis_limit = 1000; ANALYZE;")?;
    tx.commit()?;
    conn.close().map_err(|(_, e)| e)?;
    std::fs::rename(&tmp, path).with_context(|| format!("moving {} into place", path.display()))?;
    Ok(())
}
