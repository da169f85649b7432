//! A real Spotify client, unchanged, against the real local server (issue 12): spotipy 2.26 with
//! only its `prefix` set to `http://127.0.0.1:PORT/api/v3/` gets answers from
//! `recommendations`, `recommendation_genre_seeds`, `audio_features` (which asks for
//! `audio-features/?ids=`, with the slash) and `artist_related_artists`, and raises its own
//! `SpotifyException` (not an `AttributeError`) with the server's message on a bad request.
//!
//! The server is `music_local::serve` around `music_local::app` on the shipped data
//! (`data/build/`), as `music-ml-serve` runs it. `tests/spotipy/check.py` does the calls, with
//! the Python of the venv that `scripts/test.d/pre-40-spotipy.sh` installs under
//! `$MUSIC_ML_TOOLS`; it checks the answers against what this test reads from musicData.sqlite,
//! and reports the ids the answers named, which this test then looks up in the database.
//! `MUSIC_ML_SKIP_SPOTIPY=1` skips the test on a machine without the venv.

use std::process::Command;

use music_e2e::local::{serve_local, LocalServer};
use music_testkit::{root, tools_dir};
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde_json::{json, Value};

/// The catalogue's example track and its artist (Fortunate Son, Creedence Clearwater Revival).
const SEED_TRACK: &str = "4BP3uh0hFLFRb5cjsgLqDh";
const SEED_ARTIST: &str = "3IYUhFvPQItj6xySrBmZkd";
const SEED_GENRE: &str = "rock";
/// Base-62 like an id, and in no catalogue.
const MISSING_ID: &str = "0000000000000000000000";
const MIN_POPULARITY: i64 = 40;
const LIMIT: i64 = 10;
/// A genre is a seed when at least this many tracks carry it (through one of their artists).
const GENRE_SEED_MIN_TRACKS: i64 = 10;

fn db() -> Connection {
    Connection::open_with_flags(
        root().join("data/build/musicData.sqlite"),
        OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("data/build/musicData.sqlite (run the pipeline)")
}

/// How a column of the tracks table is typed in Spotify's audio-features answer.
#[derive(Clone, Copy)]
enum Kind {
    Text,
    Float,
    Int,
    /// An integer, or null where the track has none (time_signature).
    OptionalInt,
}

/// Spotify's audio-features fields, in its order: each is the tracks table's column of that name.
const AUDIO_FEATURES: [(&str, Kind); 14] = [
    ("id", Kind::Text),
    ("danceability", Kind::Float),
    ("energy", Kind::Float),
    ("key", Kind::Int),
    ("loudness", Kind::Float),
    ("mode", Kind::Int),
    ("speechiness", Kind::Float),
    ("acousticness", Kind::Float),
    ("instrumentalness", Kind::Float),
    ("liveness", Kind::Float),
    ("valence", Kind::Float),
    ("tempo", Kind::Float),
    ("duration_ms", Kind::Float),
    ("time_signature", Kind::OptionalInt),
];

/// Spotify's audio-features fields of one track, from the tracks table.
fn audio_features(conn: &Connection, id: &str) -> Value {
    let columns: Vec<&str> = AUDIO_FEATURES.iter().map(|(name, _)| *name).collect();
    let sql = format!("SELECT {} FROM tracks WHERE id = ?1", columns.join(", "));
    conn.query_row(&sql, [id], |r| {
        let mut fields = serde_json::Map::new();
        for (i, (name, kind)) in AUDIO_FEATURES.iter().enumerate() {
            let value = match kind {
                Kind::Text => Value::from(r.get::<_, String>(i)?),
                Kind::Float => Value::from(r.get::<_, f64>(i)?),
                Kind::Int => Value::from(r.get::<_, i64>(i)?),
                Kind::OptionalInt => Value::from(r.get::<_, Option<i64>>(i)?),
            };
            fields.insert(name.to_string(), value);
        }
        Ok(Value::Object(fields))
    })
    .unwrap_or_else(|e| panic!("track {id}: {e}"))
}

/// What check.py compares the answers with, read from the database.
fn expectations(conn: &Connection) -> Value {
    let one = |sql: &str| -> String {
        conn.query_row(sql, [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    };
    // The seed, the most popular track, and one without a time signature (null in the answer).
    let ids = [
        SEED_TRACK.to_string(),
        one("SELECT id FROM tracks ORDER BY popularity DESC, track LIMIT 1"),
        one("SELECT id FROM tracks WHERE time_signature IS NULL ORDER BY track LIMIT 1"),
    ];
    let features: Vec<Value> = ids.iter().map(|id| audio_features(conn, id)).collect();
    let missing: Option<i64> = conn
        .query_row("SELECT 1 FROM tracks WHERE id = ?1", [MISSING_ID], |r| {
            r.get(0)
        })
        .optional()
        .unwrap();
    assert!(missing.is_none(), "{MISSING_ID} is a track after all");
    let artist: Option<String> = conn
        .query_row(
            "SELECT name FROM artists WHERE spotify_id = ?1",
            [SEED_ARTIST],
            |r| r.get(0),
        )
        .optional()
        .unwrap();
    assert!(artist.is_some(), "no artist {SEED_ARTIST} in the database");
    // A track carries the genres of the artists it credits (by name, as the tracks table lists them).
    let mut st = conn
        .prepare(
            "WITH tg AS (SELECT DISTINCT t.track, g.value AS genre FROM tracks t \
             JOIN json_each(t.artists) ta JOIN artists a ON a.name = ta.value \
             JOIN json_each(a.genres) g) \
             SELECT genre FROM tg GROUP BY genre HAVING count(*) >= ?1 ORDER BY genre",
        )
        .unwrap();
    let genre_seeds: Vec<String> = st
        .query_map([GENRE_SEED_MIN_TRACKS], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        genre_seeds.iter().any(|g| g == SEED_GENRE),
        "{SEED_GENRE} is not a genre seed"
    );
    json!({
        "seed_track": SEED_TRACK,
        "seed_artist": SEED_ARTIST,
        "seed_genre": SEED_GENRE,
        "min_popularity": MIN_POPULARITY,
        "limit": LIMIT,
        "missing_id": MISSING_ID,
        "audio_features": features,
        "genre_seeds": genre_seeds,
    })
}

/// The real local server on a free port of 127.0.0.1.
async fn start_server() -> LocalServer {
    let config = music_local::Config {
        db: root().join("data/build/musicData.sqlite"),
        data_dir: root().join("data/build"),
        dynamodb_endpoint: None,
        tables: Default::default(),
    };
    let limits = music_local::Limits::default();
    // As music-ml-serve starts: v2's item files load in the background (spotipy asks v3 only).
    let (states, _loading) = music_local::States::start(&config)
        .await
        .expect("data/build is built");
    let app = music_local::app_with(states, limits.request_timeout);
    serve_local(app, limits).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spotipy_works_unchanged_with_only_its_prefix_set() {
    let python = tools_dir().join("venv-spotipy/bin/python");
    if !python.is_file() {
        if std::env::var_os("MUSIC_ML_SKIP_SPOTIPY").is_some_and(|v| v == "1") {
            eprintln!("MUSIC_ML_SKIP_SPOTIPY=1: the spotipy test is skipped");
            return;
        }
        panic!(
            "{} not found: run scripts/test.d/pre-40-spotipy.sh (or set MUSIC_ML_SKIP_SPOTIPY=1)",
            python.display()
        );
    }
    let conn = db();
    let expect = expectations(&conn);
    let expect_file =
        std::env::temp_dir().join(format!("music-spotipy-expect-{}.json", std::process::id()));
    std::fs::write(&expect_file, serde_json::to_vec_pretty(&expect).unwrap()).unwrap();

    let server = start_server().await;
    let base = format!("{}/api/v3/", server.base());
    let script = root().join("tests/spotipy/check.py");
    // The script blocks on the server of this runtime: run it on a blocking thread.
    let output = tokio::task::spawn_blocking({
        let expect_file = expect_file.clone();
        move || {
            Command::new(&python)
                .arg(&script)
                .arg("--base")
                .arg(&base)
                .arg("--expect")
                .arg(&expect_file)
                // Nothing from outside the venv, no bytecode written into the checkout.
                .env_remove("PYTHONPATH")
                .env("PYTHONDONTWRITEBYTECODE", "1")
                .output()
                .expect("run tests/spotipy/check.py")
        }
    })
    .await
    .unwrap();
    std::fs::remove_file(&expect_file).ok();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let shown = format!("--- check.py stdout\n{stdout}--- check.py stderr\n{stderr}");
    assert!(
        output.status.success(),
        "tests/spotipy/check.py failed ({}):\n{shown}",
        output.status
    );
    eprintln!("{shown}");

    // The ids the answers named exist, with what the request asked for.
    let report: Value = stdout
        .lines()
        .find_map(|l| l.strip_prefix("REPORT "))
        .map(|r| serde_json::from_str(r).expect("the REPORT line is JSON"))
        .unwrap_or_else(|| panic!("no REPORT line:\n{shown}"));
    let ids = |key: &str| -> Vec<String> {
        report[key]
            .as_array()
            .unwrap_or_else(|| panic!("REPORT has no {key}"))
            .iter()
            .map(|v| v.as_str().expect("an id").to_string())
            .collect()
    };
    for id in ids("recommended") {
        let popularity: Option<f64> = conn
            .query_row("SELECT popularity FROM tracks WHERE id = ?1", [&id], |r| {
                r.get(0)
            })
            .optional()
            .unwrap();
        let popularity = popularity.unwrap_or_else(|| panic!("recommended {id} is not a track"));
        assert!(
            popularity >= MIN_POPULARITY as f64,
            "recommended {id}: popularity {popularity} < min_popularity {MIN_POPULARITY}"
        );
    }
    // Every track recommended for an artist seed is a track of the catalogue.
    for id in ids("recommended_by_artist") {
        let found: Option<i64> = conn
            .query_row("SELECT 1 FROM tracks WHERE id = ?1", [&id], |r| r.get(0))
            .optional()
            .unwrap();
        assert!(found.is_some(), "recommended {id} is not a track");
    }
    for id in ids("related") {
        let tracks: Option<i64> = conn
            .query_row(
                "SELECT tracks FROM artists WHERE spotify_id = ?1",
                [&id],
                |r| r.get(0),
            )
            .optional()
            .unwrap();
        let tracks = tracks.unwrap_or_else(|| panic!("related artist {id} is not an artist"));
        assert!(tracks > 0, "related artist {id} has no tracks");
    }
}
