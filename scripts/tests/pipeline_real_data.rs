//! The pipeline on the real shipped files: counts, cleaning, scaling, elbow, determinism,
//! numbering, and the 2021 schema round trip.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use music_scripts::pipeline::{compute, write_outputs, Options};
use music_shared::kaggle::{read_artists, read_tracks, TrackSchema};
use music_shared::kmeans::{self, KMeansConfig};
use music_shared::pylist::repr_str_list;
use rusqlite::Connection;

fn raw() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/raw")
}

fn quiet_options(out: &Path) -> Options {
    let mut o = Options::defaults_in(&raw(), out);
    o.progress = false;
    o
}

/// One pipeline run into a temp dir, shared by the tests that only read its outputs.
fn built() -> &'static (tempfile::TempDir, music_scripts::pipeline::Outcome) {
    static BUILT: std::sync::OnceLock<(tempfile::TempDir, music_scripts::pipeline::Outcome)> =
        std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let opts = quiet_options(dir.path());
        let outcome = compute(&opts).unwrap();
        write_outputs(&opts, &outcome).unwrap();
        (dir, outcome)
    })
}

fn db() -> Connection {
    Connection::open_with_flags(
        built().0.path().join("musicData.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap()
}

#[test]
fn cleaning_keeps_the_documented_628_of_688() {
    // data/raw provenance (SOURCES.md): "Of the 688, 628 have loudness <= 0 and at least one
    // artist with genres in data_w_genres.csv.gz".
    let (_, o) = built();
    assert_eq!(o.read, 688);
    assert_eq!(o.rows.len(), 628);
    assert_eq!(
        o.read - o.duplicates - o.dropped_loudness - o.dropped_no_genre,
        628
    );
    let n: i64 = db()
        .query_row("SELECT count(*) FROM tracks", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 628);
    let n: i64 = db()
        .query_row(
            "SELECT count(*) FROM songAssignments_randomTable",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 628);
}

#[test]
fn no_kept_track_lacks_a_genre_when_checked_against_the_raw_artist_file() {
    // An independent reading of data_w_genres: name -> has genres.
    let mut reader = csv::Reader::from_reader(flate2::read::GzDecoder::new(
        std::fs::File::open(raw().join("data_w_genres.csv.gz")).unwrap(),
    ));
    let headers = reader.headers().unwrap().clone();
    let (ai, gi) = (
        headers.iter().position(|h| h == "artists").unwrap(),
        headers.iter().position(|h| h == "genres").unwrap(),
    );
    let mut has_genre = HashMap::new();
    for rec in reader.records() {
        let rec = rec.unwrap();
        has_genre
            .entry(rec[ai].to_string())
            .or_insert(rec[gi].trim() != "[]");
    }
    let conn = db();
    let mut stmt = conn
        .prepare("SELECT artists, loudness FROM tracks")
        .unwrap();
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, f64>(1)?)))
        .unwrap();
    let mut n = 0;
    for row in rows {
        let (artists, loudness) = row.unwrap();
        let artists: Vec<String> = serde_json::from_str(&artists).unwrap();
        assert!(loudness <= 0.0);
        assert!(
            artists.iter().any(|a| has_genre.get(a) == Some(&true)),
            "{artists:?} has no artist with genres"
        );
        n += 1;
    }
    assert_eq!(n, 628);
}

#[test]
fn every_scaled_value_is_in_the_unit_interval_and_extremes_reach_the_ends() {
    let conn = db();
    for col in [
        "loudness_scale",
        "tempo_scale",
        "duration_scale",
        "popularity_scale",
    ] {
        let (lo, hi): (f64, f64) = conn
            .query_row(
                &format!("SELECT min({col}), max({col}) FROM tracks"),
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert!(
            (0.0..=1.0).contains(&lo) && (0.0..=1.0).contains(&hi),
            "{col} in [{lo}, {hi}]"
        );
        // Ratio-to-extreme: the extreme track itself scales to exactly 1 (tempo, duration,
        // popularity) or 0 (the quietest track's loudness_scale).
        if col == "loudness_scale" {
            assert_eq!(lo, 0.0, "{col}");
        } else {
            assert_eq!(hi, 1.0, "{col}");
        }
    }
    // And the formula itself, on one row: loudness_scale = 1 - loudness / min(loudness).
    let (min_l,): (f64,) = conn
        .query_row("SELECT min(loudness) FROM tracks", [], |r| Ok((r.get(0)?,)))
        .unwrap();
    let (l, s): (f64, f64) = conn
        .query_row(
            "SELECT loudness, loudness_scale FROM tracks ORDER BY id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!((s - (1.0 - l / min_l)).abs() < 1e-12);
}

#[test]
fn inertia_never_grows_with_k_and_is_a_sum() {
    let (_, o) = built();
    let ks: Vec<usize> = o.elbow.iter().map(|(k, _)| *k).collect();
    assert_eq!(ks, (1..=10).collect::<Vec<_>>());
    for w in o.elbow.windows(2) {
        assert!(
            w[1].1 <= w[0].1,
            "inertia grew from k={} ({}) to k={} ({})",
            w[0].0,
            w[0].1,
            w[1].0,
            w[1].1
        );
    }
    // k = 1: the centroid is the mean, so the inertia is the total sum of squares, computed here
    // directly from the stored scaled features.
    let conn = db();
    let cols = music_shared::FEATURES.join(", ");
    let mut stmt = conn.prepare(&format!("SELECT {cols} FROM tracks")).unwrap();
    let rows: Vec<Vec<f64>> = stmt
        .query_map([], |r| {
            (0..9)
                .map(|i| r.get::<_, f64>(i))
                .collect::<Result<Vec<_>, _>>()
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let n = rows.len() as f64;
    let mean: Vec<f64> = (0..9)
        .map(|j| rows.iter().map(|r| r[j]).sum::<f64>() / n)
        .collect();
    let tss: f64 = rows
        .iter()
        .map(|r| {
            r.iter()
                .zip(&mean)
                .map(|(x, m)| (x - m).powi(2))
                .sum::<f64>()
        })
        .sum();
    assert!(
        (o.elbow[0].1 - tss).abs() / tss < 1e-9,
        "k=1 inertia {} vs total sum of squares {tss}",
        o.elbow[0].1
    );
    let stored: f64 = conn
        .query_row("SELECT inertia FROM elbow WHERE k = 10", [], |r| r.get(0))
        .unwrap();
    let from_distances: f64 = conn
        .query_row("SELECT sum(distance * distance) FROM tracks", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert!((stored - from_distances).abs() / stored < 1e-9);
}

#[test]
fn every_track_sits_in_its_nearest_cluster() {
    let conn = db();
    let mut centroids = HashMap::new();
    let mut stmt = conn
        .prepare("SELECT cluster, centroid FROM clusters")
        .unwrap();
    for row in stmt
        .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
    {
        let (c, json) = row.unwrap();
        let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&json).unwrap();
        let v: Vec<f64> = music_shared::FEATURES
            .iter()
            .map(|f| map[*f].as_f64().unwrap())
            .collect();
        centroids.insert(c, v);
    }
    assert_eq!(centroids.len(), 10);
    let cols = music_shared::FEATURES.join(", ");
    let mut stmt = conn
        .prepare(&format!("SELECT cluster, distance, {cols} FROM tracks"))
        .unwrap();
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, f64>(1)?,
                (2..11)
                    .map(|i| r.get::<_, f64>(i))
                    .collect::<Result<Vec<_>, _>>()?,
            ))
        })
        .unwrap();
    for row in rows {
        let (cluster, distance, x) = row.unwrap();
        let d = |c: &Vec<f64>| {
            c.iter()
                .zip(&x)
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
                .sqrt()
        };
        let own = d(&centroids[&cluster]);
        assert!((own - distance).abs() < 1e-9);
        for other in centroids.values() {
            assert!(own <= d(other) + 1e-12);
        }
    }
    // The fixed table holds exactly the 10 nearest of each cluster.
    for c in 0..10 {
        let fixed: Vec<String> = conn
            .prepare(
                "SELECT id FROM fixed_song_combined WHERE Assignments = ?1 ORDER BY distance, id",
            )
            .unwrap()
            .query_map([c], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        // The nearest tracks, each (title, artists) once: the same recording under several ids
        // counts once.
        let mut seen = HashSet::new();
        let nearest: Vec<String> = conn
            .prepare("SELECT id, name_folded, artists FROM tracks WHERE cluster = ?1 ORDER BY distance, id")
            .unwrap()
            .query_map([c], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .filter(|(_, name, artists)| seen.insert((name.clone(), artists.clone())))
            .map(|(id, _, _)| id)
            .take(10)
            .collect();
        assert_eq!(fixed, nearest, "cluster {c}");
    }
}

#[test]
fn two_runs_give_byte_identical_files() {
    let (first, _) = built();
    let second = tempfile::tempdir().unwrap();
    let opts = quiet_options(second.path());
    write_outputs(&opts, &compute(&opts).unwrap()).unwrap();
    let mut names: Vec<_> = std::fs::read_dir(first.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names.len(), 4, "{names:?}");
    for name in names {
        let a = std::fs::read(first.path().join(&name)).unwrap();
        let b = std::fs::read(second.path().join(&name)).unwrap();
        assert!(a == b, "{name:?} differs between two runs");
    }
}

#[test]
fn clusters_are_numbered_after_the_originals_and_labelled_by_rule() {
    // Feed the original's own cluster means as centroids, shuffled: the matching must give each
    // back its own number, and the rule-based labels must say what the original's observations
    // say of clusters 5, 7 and 9.
    let mut reader = csv::Reader::from_path(raw().join("grouped_artist_mean.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let idx: Vec<usize> = music_shared::FEATURES
        .iter()
        .map(|f| headers.iter().position(|h| h == *f).unwrap())
        .collect();
    let refs: Vec<Vec<f64>> = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            idx.iter().map(|&i| r[i].parse().unwrap()).collect()
        })
        .collect();
    assert_eq!(refs.len(), 10);
    let perm = [3usize, 9, 0, 5, 1, 8, 2, 7, 4, 6];
    let shuffled: Vec<f64> = perm.iter().flat_map(|&p| refs[p].clone()).collect();
    let centroids = ndarray::Array2::from_shape_vec((10, 9), shuffled).unwrap();
    let flat: Vec<f64> = refs.iter().flatten().copied().collect();
    let references = ndarray::Array2::from_shape_vec((10, 9), flat).unwrap();
    assert_eq!(
        kmeans::match_to_references(centroids.view(), references.view()),
        perm.to_vec()
    );
    assert_eq!(music_shared::cluster::describe(&refs[5]), "spoken word");
    assert_eq!(
        music_shared::cluster::describe(&refs[7]),
        "sad instrumental / orchestral"
    );
    assert_eq!(
        music_shared::cluster::describe(&refs[9]),
        "happier instrumental / jazz"
    );
    // And the real run reports a distance to the original for every cluster.
    let (_, o) = built();
    assert!(o
        .clusters
        .iter()
        .all(|c| c.reference_distance.is_some_and(|d| d.is_finite())));
}

#[test]
fn awkward_names_survive_parsing_and_folding() {
    let artists = read_artists(&raw().join("data_w_genres.csv.gz")).unwrap();
    assert_eq!(artists.rows.len(), 22_727);
    for name in ["The B-52's", "Beyoncé", "\"Weird Al\" Yankovic", "AC/DC"] {
        assert!(artists.genres.by_name.contains_key(name), "{name} missing");
    }
    let conn = db();
    for (query, expected) in [
        ("beyonce", "Beyoncé"),
        ("the b-52's", "The B-52's"),
        ("\"weird al\" yankovic", "\"Weird Al\" Yankovic"),
    ] {
        let found: String = conn
            .query_row(
                "SELECT artists FROM Clean_Artists WHERE artists_folded = ?1",
                [query],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(found, expected);
    }
    // Python-list strings in the v1 tables read back to the same names.
    let mut stmt = conn.prepare("SELECT s.artists, t.artists FROM songAssignments_randomTable s JOIN tracks t USING (id)").unwrap();
    for row in stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
    {
        let (py, json) = row.unwrap();
        let names: Vec<String> = serde_json::from_str(&json).unwrap();
        assert_eq!(music_shared::pylist::parse_str_list(&py).unwrap(), names);
    }
}

#[test]
fn items_are_parallel_lists_keyed_by_title() {
    let (dir, o) = built();
    let text = std::fs::read_to_string(dir.path().join("Music_ML_IDs.jsonl")).unwrap();
    let items: Vec<music_shared::items::TitleItem> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let titles: HashSet<&str> = o.rows.iter().map(|r| r.clean.track.name.as_str()).collect();
    assert_eq!(items.len(), titles.len());
    let by_id: HashMap<&str, usize> = o
        .rows
        .iter()
        .map(|r| (r.clean.track.id.as_str(), r.cluster))
        .collect();
    for item in &items {
        let ids = item.id.as_ref().unwrap();
        assert!(!item.artists.is_empty());
        assert_eq!(item.artists.len(), item.genres.len());
        assert_eq!(item.artists.len(), item.assignments.len());
        assert_eq!(item.artists.len(), ids.len());
        for (id, a) in ids.iter().zip(&item.assignments) {
            assert_eq!(by_id[id.as_str()], *a as usize);
        }
        assert!(item.genres.iter().all(|g| !g.is_empty()));
        assert_eq!(item.name_folded, music_shared::fold_name(&item.name));
    }
    let lines = std::fs::read_to_string(dir.path().join("Music_ML_Assignments.jsonl")).unwrap();
    let assignments: Vec<music_shared::items::AssignmentItem> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        assignments
            .iter()
            .filter(|a| a.sort.starts_with("rand#"))
            .count(),
        628
    );
    assert_eq!(
        assignments
            .iter()
            .filter(|a| a.sort.starts_with("fixed#"))
            .count(),
        100
    );
    let keys: HashSet<(u8, &str)> = assignments
        .iter()
        .map(|a| (a.assignments, a.sort.as_str()))
        .collect();
    assert_eq!(keys.len(), assignments.len(), "primary keys are unique");
}

/// Write the first rows of the real 2020 file in the 2021 schema (tracks.csv + artists.csv,
/// artist ids made up since the 2020 file has none), read both back, and compare.
#[test]
fn the_2021_schema_round_trips_on_real_rows() {
    let v2020 = read_tracks(&raw().join("Top80song.csv")).unwrap();
    assert_eq!(v2020.schema, TrackSchema::Kaggle2020);
    let artists2020 = read_artists(&raw().join("data_w_genres.csv.gz")).unwrap();
    let sample: Vec<_> = v2020.tracks.iter().take(60).cloned().collect();
    let dir = tempfile::tempdir().unwrap();
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut tracks_csv = csv::Writer::from_path(dir.path().join("tracks.csv")).unwrap();
    tracks_csv
        .write_record([
            "id",
            "name",
            "popularity",
            "duration_ms",
            "explicit",
            "artists",
            "id_artists",
            "release_date",
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
            "time_signature",
        ])
        .unwrap();
    for t in &sample {
        let artist_ids: Vec<String> = t
            .artists
            .iter()
            .map(|a| {
                let n = ids.len();
                ids.entry(a.clone())
                    .or_insert_with(|| format!("artist{n:016}"))
                    .clone()
            })
            .collect();
        tracks_csv
            .write_record([
                t.id.clone(),
                t.name.clone(),
                t.popularity.to_string(),
                t.duration_ms.to_string(),
                (t.explicit as u8).to_string(),
                repr_str_list(&t.artists),
                repr_str_list(&artist_ids),
                t.release_date.clone(),
                t.danceability.to_string(),
                t.energy.to_string(),
                t.key.to_string(),
                t.loudness.to_string(),
                t.mode.to_string(),
                t.speechiness.to_string(),
                t.acousticness.to_string(),
                t.instrumentalness.to_string(),
                t.liveness.to_string(),
                t.valence.to_string(),
                t.tempo.to_string(),
                "4".into(),
            ])
            .unwrap();
    }
    tracks_csv.flush().unwrap();
    let mut artists_csv = std::fs::File::create(dir.path().join("artists.csv")).unwrap();
    writeln!(artists_csv, "id,followers,genres,name,popularity").unwrap();
    let mut w = csv::Writer::from_writer(artists_csv);
    let mut sorted: Vec<_> = ids.iter().collect();
    sorted.sort();
    for (name, id) in sorted {
        let genres = artists2020
            .genres
            .by_name
            .get(name)
            .cloned()
            .unwrap_or_default();
        w.write_record([id.as_str(), "100", &repr_str_list(&genres), name, "50"])
            .unwrap();
    }
    w.flush().unwrap();

    let v2021 = read_tracks(&dir.path().join("tracks.csv")).unwrap();
    assert_eq!(v2021.schema, TrackSchema::Kaggle2021);
    assert!(v2021.rejected.is_empty(), "{:?}", v2021.rejected);
    let artists2021 = read_artists(&dir.path().join("artists.csv")).unwrap();
    assert_eq!(v2021.tracks.len(), sample.len());
    for (a, b) in sample.iter().zip(&v2021.tracks) {
        assert_eq!(b.artist_ids.len(), b.artists.len());
        let mut b_as_2020 = b.clone();
        b_as_2020.artist_ids.clear();
        assert_eq!(a, &b_as_2020, "track {} changed in the round trip", a.id);
        assert_eq!(
            artists2020.genres.genres_for(&a.artists, &[]),
            artists2021.genres.genres_for(&b.artists, &b.artist_ids),
            "genres of {} differ between the schemas",
            a.id
        );
    }
    // And the whole pipeline accepts the 2021 pair unchanged.
    let out = tempfile::tempdir().unwrap();
    let mut opts = quiet_options(out.path());
    opts.tracks = dir.path().join("tracks.csv");
    opts.artists = dir.path().join("artists.csv");
    opts.kmeans = KMeansConfig {
        n_init: 1,
        ..KMeansConfig::default()
    };
    let outcome = compute(&opts).unwrap();
    assert_eq!(outcome.schema, TrackSchema::Kaggle2021);
    assert!(
        outcome.rows.len() >= 50,
        "{} of 60 kept",
        outcome.rows.len()
    );
    write_outputs(&opts, &outcome).unwrap();
    let ids_json: String = Connection::open(out.path().join("musicData.sqlite"))
        .unwrap()
        .query_row("SELECT artist_ids FROM tracks LIMIT 1", [], |r| r.get(0))
        .unwrap();
    assert!(ids_json.contains("artist"), "{ids_json}");
}
