//! The v1 router in-process (`tower::ServiceExt::oneshot`) on the real built database, with
//! expectations computed from the raw CSVs in `data/raw`, not from the database itself.

use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::Router;
use music_testkit::errors::{assert_json_error, assert_json_errors};
use music_testkit::{built_db, encode, raw, Reply};
use serde_json::Value;

fn app() -> Router {
    let state = music_v1::AppState::open(built_db())
        .expect("data/build/musicData.sqlite (build it with `cargo run --bin pipeline`)");
    music_http::finish(music_v1::router(state))
}

/// `method uri` in process, from a page of another origin (so the CORS layer answers).
async fn send(app: &Router, method: Method, uri: &str) -> Reply {
    let request = Request::builder()
        .method(method)
        .uri(uri)
        .header(header::ORIGIN, "https://example.org")
        .body(Body::empty())
        .unwrap();
    music_testkit::request(app, request).await
}

async fn get(app: &Router, uri: &str) -> Reply {
    send(app, Method::GET, uri).await
}

fn artist_uri(name: &str) -> String {
    format!("/api/v1.0/data_by_artist_clean/{}", encode(name))
}

/// A raw CSV: header and records, read from `data/raw`.
fn read_csv(name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let path = raw(name);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reader: Box<dyn Read> = if name.ends_with(".gz") {
        Box::new(flate2::read::GzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut csv = csv::Reader::from_reader(reader);
    let header = csv.headers().unwrap().iter().map(String::from).collect();
    let records = csv
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (header, records)
}

/// The JSON a CSV cell should become: integers for the integer columns, the CSV's float for
/// the others (compared exactly: the pipeline parses and stores the same f64), text as is.
fn expected_cell(column: &str, raw: &str, int_columns: &[&str], text_columns: &[&str]) -> Value {
    if text_columns.contains(&column) {
        return Value::from(raw);
    }
    let x: f64 = raw
        .parse()
        .unwrap_or_else(|e| panic!("{column}={raw:?}: {e}"));
    if int_columns.contains(&column) {
        Value::from(x as i64)
    } else {
        Value::from(x)
    }
}

/// Every row of a whole-table route equals the CSV's row: same count, same keys in the same
/// order, same values, integer columns as JSON integers.
fn assert_table_matches_csv(reply: &Reply, csv: &str, ints: &[&str], texts: &[&str]) {
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.content_type(), "application/json");
    let body = reply.json();
    let rows = body.as_array().expect("a JSON array");
    let (header, records) = read_csv(csv);
    assert_eq!(rows.len(), records.len(), "row count of {csv}");
    assert!(!rows.is_empty());
    for (i, (row, record)) in rows.iter().zip(&records).enumerate() {
        let object = row.as_object().expect("rows are objects");
        let keys: Vec<&str> = object.keys().map(String::as_str).collect();
        assert_eq!(keys, header, "keys of row {i}");
        for (column, raw) in header.iter().zip(record) {
            let want = expected_cell(column, raw, ints, texts);
            assert_eq!(object[column], want, "row {i} column {column}");
            if ints.contains(&column.as_str()) {
                assert!(object[column].is_i64(), "{column} must be an integer");
            }
        }
    }
}

#[tokio::test]
async fn data_by_year_is_the_csv() {
    let reply = get(&app(), "/api/v1.0/data_by_year").await;
    assert_table_matches_csv(&reply, "data_by_year.csv", &["year", "key", "mode"], &[]);
}

#[tokio::test]
async fn top_51_genres_is_the_csv() {
    let reply = get(&app(), "/api/v1.0/top_51_genres").await;
    assert_table_matches_csv(&reply, "top_51_genres.csv", &["key", "mode"], &["genres"]);
    assert_eq!(reply.json().as_array().unwrap().len(), 51);
}

/// `Clean_Artists` as the original's notebook derived it from the artist table, recomputed here
/// from the two raw artist tables: their union by name, the 28,680-artist table's row winning.
struct Artists {
    records: Vec<std::collections::HashMap<String, String>>,
    min_loudness: f64,
}

/// Clean_Artists' public columns in the original's order, written here (not read from music_db).
const ARTIST_KEYS: &str = "mode count acousticness artists danceability duration_ms energy \
    instrumentalness liveness loudness speechiness tempo valence popularity key duration_s \
    duration_min loudness_scale";

fn artist_keys() -> Vec<&'static str> {
    ARTIST_KEYS.split_whitespace().collect()
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl Artists {
    fn load() -> Artists {
        let mut seen = std::collections::HashSet::new();
        let mut records = Vec::new();
        for file in ["data_w_genres_2020.csv.gz", "data_w_genres.csv.gz"] {
            let (header, rows) = read_csv(file);
            for r in rows {
                let record: std::collections::HashMap<String, String> =
                    header.iter().cloned().zip(r).collect();
                if seen.insert(record["artists"].clone()) {
                    records.push(record);
                }
            }
        }
        let min_loudness = records
            .iter()
            .map(|r| r["loudness"].parse::<f64>().unwrap())
            .fold(0.0, f64::min);
        Artists {
            records,
            min_loudness,
        }
    }

    fn expected(&self, name: &str) -> Vec<Value> {
        self.records
            .iter()
            .filter(|r| r["artists"] == name)
            .map(|r| self.row(r))
            .collect()
    }

    fn expected_folded(&self, folded: &str) -> Vec<Value> {
        self.records
            .iter()
            .filter(|r| music_shared::fold_name(&r["artists"]) == folded)
            .map(|r| self.row(r))
            .collect()
    }

    fn row(&self, r: &std::collections::HashMap<String, String>) -> Value {
        let num = |c: &str| r[c].parse::<f64>().unwrap();
        let mut object = serde_json::Map::new();
        for key in artist_keys() {
            let value = match key {
                "artists" => Value::from(r[key].as_str()),
                "mode" | "count" | "key" => Value::from(num(key) as i64),
                "tempo" | "popularity" => Value::from(round2(num(key))),
                "duration_s" => Value::from(num("duration_ms") / 1000.0),
                "duration_min" => Value::from(round2(num("duration_ms") / 1000.0 / 60.0)),
                "loudness_scale" => Value::from(round2(1.0 - num("loudness") / self.min_loudness)),
                other => Value::from(num(other)),
            };
            object.insert(key.to_string(), value);
        }
        Value::Object(object)
    }
}

async fn assert_artist(app: &Router, request: &str, expected: Vec<Value>) {
    let reply = get(app, &artist_uri(request)).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "{request:?}: {}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.content_type(), "application/json");
    let body = reply.json();
    let rows = body
        .as_array()
        .expect("an array, as the original's clients expect");
    assert!(!expected.is_empty(), "{request:?} has no expectation");
    assert_eq!(rows, &expected, "{request:?}");
    for row in rows {
        let keys: Vec<&str> = row
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, artist_keys(), "public columns only, in table order");
    }
}

#[tokio::test]
async fn artists_by_exact_name_match_the_csv() {
    let app = app();
    let artists = Artists::load();
    for name in [
        "The B-52's",
        "Beyoncé",
        "\"Weird Al\" Yankovic",
        "AC/DC",
        "20/20",
        "Au/Ra",
        "? & The Mysterians",
        "Ch&#339;ur Piero Coppola",
    ] {
        let expected = artists.expected(name);
        assert_eq!(
            expected.len(),
            1,
            "{name:?} is one row of the artist tables' union"
        );
        assert_artist(&app, name, expected).await;
    }
}

#[tokio::test]
async fn artists_match_case_and_accent_insensitively() {
    let app = app();
    let artists = Artists::load();
    for (request, canonical) in [
        ("beyonce", "Beyoncé"),
        ("BEYONCÉ", "Beyoncé"),
        ("the b-52's", "The B-52's"),
        ("The B\u{2013}52\u{2019}s", "The B-52's"),
        ("  the   b-52's ", "The B-52's"),
        ("\"weird al\" yankovic", "\"Weird Al\" Yankovic"),
        ("ac/dc", "AC/DC"),
    ] {
        assert_artist(&app, request, artists.expected(canonical)).await;
    }
}

#[tokio::test]
async fn a_folded_name_shared_by_several_artists_returns_all_of_them() {
    let app = app();
    let artists = Artists::load();
    // Find a folded key shared by two artists, none of them spelled exactly as the key.
    let mut by_fold: HashMap<String, Vec<&str>> = HashMap::new();
    for r in &artists.records {
        by_fold
            .entry(music_shared::fold_name(&r["artists"]))
            .or_default()
            .push(&r["artists"]);
    }
    let mut shared: Vec<(&String, &Vec<&str>)> = by_fold
        .iter()
        .filter(|(k, v)| v.len() > 1 && !v.contains(&k.to_uppercase().as_str()))
        .collect();
    shared.sort();
    let (key, _) = shared.first().expect("the data has folded duplicates");
    let upper = key.to_uppercase();
    assert_artist(&app, &upper, artists.expected_folded(key)).await;
}

#[tokio::test]
async fn unknown_and_hostile_names_are_json_404s() {
    let app = app();
    let names = [
        "x\" OR \"1\"=\"1",
        "x' OR '1'='1",
        "\"; DROP TABLE Clean_Artists; --",
        "%",
        "_",
        "The B-52%",
        "Beyonc_",
        "\u{1F3B5}\u{1F3B5}",
        "nul\0byte",
        " ",
        "\u{301}",
        "no such artist, surely",
    ];
    assert_json_errors(&app, StatusCode::NOT_FOUND, names.map(artist_uri)).await;
    // The table survived the attempt above.
    let artists = Artists::load();
    assert_artist(&app, "The B-52's", artists.expected("The B-52's")).await;
}

#[tokio::test]
async fn long_empty_and_malformed_names_are_json_4xx() {
    let app = app();
    let long = "a".repeat(10 * 1024);
    let just_over = "a".repeat(music_v1::MAX_ARTIST_NAME_BYTES + 1);
    let at_limit = "a".repeat(music_v1::MAX_ARTIST_NAME_BYTES);
    let too_long = [artist_uri(&long), artist_uri(&just_over)];
    assert_json_errors(&app, StatusCode::BAD_REQUEST, too_long).await;
    // At the limit the name is merely unknown; no name at all is no route.
    let not_found = [
        artist_uri(&at_limit),
        "/api/v1.0/data_by_artist_clean/".into(),
        "/api/v1.0/data_by_artist_clean".into(),
    ];
    assert_json_errors(&app, StatusCode::NOT_FOUND, not_found).await;
    // Percent-escapes that are not UTF-8.
    let not_utf8 = ["%FF", "abc%FF", "%C3%28", "%E2%82", "%ED%A0%80"]
        .map(|bad| format!("/api/v1.0/data_by_artist_clean/{bad}"));
    assert_json_errors(&app, StatusCode::BAD_REQUEST, not_utf8).await;
}

/// A URI of every v1 route, each answering GET; the artist route with an escaped slash and with
/// an accent in the name.
const ANSWERING: [&str; 5] = [
    "/api/v1.0/data_by_year",
    "/api/v1.0/top_51_genres",
    "/api/v1.0/data_by_artist_clean/AC%2FDC",
    "/api/v1.0/data_by_artist_clean/Beyonc%C3%A9",
    "/api",
];

#[tokio::test]
async fn wrong_methods_are_json_405s_and_unknown_paths_json_404s() {
    let app = app();
    for uri in ANSWERING {
        for method in [Method::POST, Method::PUT, Method::DELETE, Method::PATCH] {
            let reply = send(&app, method.clone(), uri).await;
            assert_json_error(
                &reply,
                StatusCode::METHOD_NOT_ALLOWED,
                &format!("{method} {uri}"),
            );
            let allow = reply
                .headers
                .get(header::ALLOW)
                .expect("405 names what is allowed");
            assert!(allow.to_str().unwrap().contains("GET"));
        }
    }
    let unknown = [
        "/api/v1.0/nope",
        "/api/v1.0/data_by_year/extra",
        "/api/v1.0/data_by_artist_clean/AC/DC",
        "/api/v1.0",
        "/nope",
    ];
    assert_json_errors(&app, StatusCode::NOT_FOUND, unknown).await;
}

#[tokio::test]
async fn head_answers_like_get_without_a_body() {
    let app = app();
    for uri in ANSWERING {
        let reply = send(&app, Method::HEAD, uri).await;
        assert_eq!(reply.status, StatusCode::OK, "{uri}");
        assert_eq!(reply.content_type(), "application/json", "{uri}");
        assert!(reply.body.is_empty(), "{uri}");
    }
}

#[tokio::test]
async fn cors_is_open_to_any_origin() {
    let reply = get(&app(), "/api/v1.0/data_by_year").await;
    assert_eq!(
        reply
            .headers
            .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
            .unwrap(),
        "*"
    );
}

#[tokio::test]
async fn api_lists_every_catalogue_route_and_every_v1_example_answers() {
    let app = app();
    let reply = get(&app, "/api").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.content_type(), "application/json");
    let body = reply.json();
    let listed = body["available_routes"]
        .as_array()
        .expect("available_routes");
    let catalogue = music_http::catalog::routes();
    assert_eq!(listed.len(), catalogue.len());
    for (entry, route) in listed.iter().zip(&catalogue) {
        assert_eq!(entry["path"], route.path);
        assert_eq!(entry["example"], route.example);
        assert_eq!(entry["method"], route.method);
    }
    let v1 = music_http::catalog::routes_of(music_http::catalog::Family::V1);
    let paths: Vec<&str> = v1.iter().map(|r| r.path).collect();
    for path in [
        "/api",
        "/api/v1.0/data_by_year",
        "/api/v1.0/top_51_genres",
        "/api/v1.0/data_by_artist_clean/{artist}",
    ] {
        assert!(
            paths.contains(&path),
            "{path} is missing from the v1 catalogue"
        );
    }
    for route in &v1 {
        let reply = get(&app, route.example).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", route.example);
        assert_eq!(reply.content_type(), "application/json");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_share_the_connections() {
    let app = app();
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let app = app.clone();
            tokio::spawn(async move {
                let uri = match i % 3 {
                    0 => "/api/v1.0/data_by_year".to_string(),
                    1 => artist_uri("beyonce"),
                    _ => artist_uri("AC/DC"),
                };
                get(&app, &uri).await.status
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), StatusCode::OK);
    }
}

#[test]
fn opening_fails_clearly_on_a_missing_or_wrong_file() {
    let dir = std::env::temp_dir().join(format!("music-v1-open-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    let missing = dir.join("missing.sqlite");
    let err = music_v1::AppState::open(&missing).unwrap_err();
    assert!(matches!(err, music_v1::OpenError::Missing(_)), "{err}");
    assert!(err.to_string().contains("missing.sqlite"), "{err}");

    let garbage = dir.join("garbage.sqlite");
    std::fs::write(&garbage, vec![b'x'; 8192]).unwrap();
    let err = music_v1::AppState::open(&garbage).unwrap_err();
    assert!(!matches!(err, music_v1::OpenError::Missing(_)), "{err}");

    let empty_db = dir.join("no tables?#%.sqlite");
    let _ = std::fs::remove_file(&empty_db);
    rusqlite::Connection::open(&empty_db)
        .unwrap()
        .execute_batch("CREATE TABLE data_by_year (year INTEGER);")
        .unwrap();
    let err = music_v1::AppState::open(&empty_db).unwrap_err();
    assert!(matches!(err, music_v1::OpenError::Invalid { .. }), "{err}");

    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_database_path_comes_from_the_flag_then_the_environment() {
    use clap::Parser;
    let path = |args: &[&str]| music_v1::Config::try_parse_from(args).unwrap().db.path();
    std::env::set_var("MUSIC_ML_DB", "/somewhere/else.sqlite");
    assert_eq!(path(&["music-v1"]), PathBuf::from("/somewhere/else.sqlite"));
    assert_eq!(
        path(&["music-v1", "--db", "/given.sqlite"]),
        PathBuf::from("/given.sqlite")
    );
    std::env::set_var("MUSIC_ML_DB", "");
    let default = path(&["music-v1"]);
    assert!(
        default.ends_with("musicData.sqlite"),
        "{}",
        default.display()
    );
    std::env::remove_var("MUSIC_ML_DB");
    assert_eq!(path(&["music-v1"]), default);
}
