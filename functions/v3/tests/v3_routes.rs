//! The v3 router in-process on the real built data. Expectations are computed in the test from
//! the SQLite tables themselves (names folded here, distances computed here), never copied from
//! the service's output.

mod common;

use std::collections::{BTreeSet, HashSet};

use axum::http::StatusCode;
use common::{all_tracks, app, db, get, Row};
use music_http::catalog::{self, Family};
use music_shared::fold_name;
use music_testkit::errors::assert_json_errors;
use music_testkit::sql;
use rusqlite::Connection;
use serde_json::Value;

/// Equal up to float parsing (serde_json's default parser may be one ulp off).
fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * (1.0 + a.abs().max(b.abs()))
}

fn enc(q: &str) -> String {
    let mut out = String::new();
    for b in q.bytes() {
        if b.is_ascii_alphanumeric() {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

async fn search(q: &str, limit: usize) -> Vec<Value> {
    let (status, body) = get(&format!("/api/v3/search?q={}&limit={limit}", enc(q))).await;
    assert_eq!(status, StatusCode::OK, "{q}: {body}");
    body["hits"].as_array().unwrap().clone()
}

// ---------------------------------------------------------------- search

/// The most popular track by this artist whose title is this one, alone or followed by a
/// version note ("Dreams - 2004 Remaster"), read from the tables.
fn most_popular(conn: &Connection, title: &str, artist: &str) -> String {
    conn.query_row(
        "SELECT t.id FROM tracks t, json_each(t.artists) a \
         WHERE (t.name = ?1 OR t.name LIKE ?1 || ' - %' OR t.name LIKE ?1 || ' (%') AND a.value = ?2 \
         ORDER BY t.popularity DESC, t.track LIMIT 1",
        [title, artist],
        |r| r.get(0),
    )
    .unwrap_or_else(|e| panic!("{title} by {artist} should be in the catalogue: {e}"))
}

/// The cases: words of the title and the artist in any order, a typo, an unfinished last
/// word; the named artist's track comes first even where dozens of tracks share the title.
#[tokio::test]
async fn title_and_artist_words_find_the_obvious_track_first() {
    let conn = db();
    let mut shared = 0;
    for (query, title, artist) in [
        ("fleetwod mac dre", "Dreams", "Fleetwood Mac"),
        ("bohemian rhapsody queen", "Bohemian Rhapsody", "Queen"),
        ("queen bohemian rhapsody", "Bohemian Rhapsody", "Queen"),
        ("dreams fleetwood mac", "Dreams", "Fleetwood Mac"),
        ("wonderwall oasis", "Wonderwall", "Oasis"),
        ("purple rain prince", "Purple Rain", "Prince"),
        ("hey jude beatles", "Hey Jude", "The Beatles"),
        ("BOHEMIAN RHAPSODY Queen", "Bohemian Rhapsody", "Queen"),
    ] {
        let others: i64 = sql::value(
            &conn,
            "SELECT count(*) FROM tracks WHERE name = ?1",
            [title],
        );
        shared += usize::from(others > 1);
        let want = most_popular(&conn, title, artist);
        let hits = search(query, 10).await;
        assert_eq!(hits[0]["kind"], "track", "{query}: {}", hits[0]);
        assert_eq!(hits[0]["id"], want.as_str(), "{query}: {}", hits[0]);
    }
    // The cases are hard ones: most of these titles are shared by several tracks.
    assert!(shared >= 5, "only {shared} of the titles are shared");
}

#[tokio::test]
async fn an_artists_name_finds_the_artist_whatever_the_case_and_accents() {
    let conn = db();
    for (query, name) in [
        ("beyonce", "Beyoncé"),
        ("BEYONCÉ", "Beyoncé"),
        ("fleetwood mac", "Fleetwood Mac"),
        ("kendrick lamar", "Kendrick Lamar"),
    ] {
        let stored: String = conn
            .query_row("SELECT name FROM artists WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .unwrap_or_else(|e| panic!("{name} should be an artist: {e}"));
        let hits = search(query, 10).await;
        assert_eq!(hits[0]["kind"], "artist", "{query}: {}", hits[0]);
        assert_eq!(hits[0]["name"], stored.as_str(), "{query}");
        assert_eq!(hits[0]["match"], "exact", "{query}");
    }
    // One typo, anywhere in the word: the artist is still among the first hits.
    for query in ["fleetwod mac", "fkeetwood mac", "fleetwoid mac"] {
        let hits = search(query, 5).await;
        assert!(
            hits.iter()
                .any(|h| h["kind"] == "artist" && h["name"] == "Fleetwood Mac"),
            "{query}: {hits:?}"
        );
        assert!(hits.iter().any(|h| h["match"] == "fuzzy"), "{query}");
    }
}

/// Every hit is the row it names: the service's fields equal the tables'.
#[tokio::test]
async fn hits_are_the_rows_they_name() {
    let conn = db();
    for query in [
        "love",
        "the",
        "d",
        "queen",
        "taylor swift",
        "東京",
        "ac/dc",
        "zz",
    ] {
        for hit in search(query, 50).await {
            if hit["kind"] == "track" {
                let (name, artists, cluster, popularity): (String, String, i64, f64) = conn
                    .query_row(
                        "SELECT name, artists, cluster, popularity FROM tracks WHERE id = ?1",
                        [hit["id"].as_str().unwrap()],
                        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                    )
                    .unwrap();
                assert_eq!(hit["name"], name.as_str());
                assert_eq!(
                    hit["artists"],
                    serde_json::from_str::<Value>(&artists).unwrap()
                );
                assert_eq!(hit["cluster"], cluster);
                assert!(close(hit["popularity"].as_f64().unwrap(), popularity));
            } else {
                assert_eq!(hit["kind"], "artist");
                let (tracks, cluster): (i64, Option<i64>) = conn
                    .query_row(
                        "SELECT tracks, cluster FROM artists WHERE name = ?1",
                        [hit["name"].as_str().unwrap()],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .unwrap();
                assert_eq!(hit["tracks"], tracks);
                assert_eq!(hit["cluster"].as_i64(), cluster);
            }
        }
    }
}

/// A title alone: every track with exactly that title comes before any other hit, and among
/// them popularity decides.
#[tokio::test]
async fn a_bare_title_ranks_its_tracks_by_popularity() {
    let conn = db();
    for title in ["Yesterday", "Wonderwall", "Purple Rain"] {
        let mut want: Vec<f64> = conn
            .prepare("SELECT popularity FROM tracks WHERE name = ?1")
            .unwrap()
            .query_map([title], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        want.sort_by(|a, b| b.total_cmp(a));
        let hits = search(title, 50).await;
        let is_title = |h: &Value| h["kind"] == "track" && h["name"] == title;
        let exact: Vec<f64> = hits
            .iter()
            .filter(|h| is_title(h))
            .map(|h| h["popularity"].as_f64().unwrap())
            .collect();
        let last_title = hits.iter().rposition(is_title).unwrap();
        let first_other = hits
            .iter()
            .position(|h| h["match"] != "exact")
            .unwrap_or(hits.len());
        assert!(last_title < first_other, "{title}: {hits:?}");
        assert_eq!(exact, want[..want.len().min(50)], "{title}: {hits:?}");
    }
}

/// Titles of two or more words that no other track shares, each with one typo (a deletion, a
/// swap or a substitution) in one of its longer words, are still found.
#[tokio::test]
async fn one_typo_anywhere_in_a_title_still_finds_it() {
    let conn = db();
    let rows: Vec<(String, String)> = conn
        .prepare(
            "SELECT id, name FROM tracks WHERE name IN \
             (SELECT name FROM tracks GROUP BY name HAVING count(*) = 1) ORDER BY track",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut checked = 0;
    for (k, (id, name)) in rows.iter().enumerate().step_by(409) {
        let folded = fold_name(name);
        let words: Vec<&str> = folded.split(' ').collect();
        if words.len() < 2
            || words
                .iter()
                .any(|w| !w.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            continue;
        }
        let Some(w) = words.iter().position(|w| w.len() >= 6) else {
            continue;
        };
        let mut chars: Vec<char> = words[w].chars().collect();
        let at = 1 + k % (chars.len() - 2);
        match k % 3 {
            0 => {
                chars.remove(at);
            }
            1 => chars.swap(at, at + 1),
            _ => chars[at] = if chars[at] == 'q' { 'z' } else { 'q' },
        }
        let typo_word: String = chars.into_iter().collect();
        let query: Vec<String> = words
            .iter()
            .enumerate()
            .map(|(i, x)| {
                if i == w {
                    typo_word.clone()
                } else {
                    x.to_string()
                }
            })
            .collect();
        let query = query.join(" ");
        let hits = search(&query, 50).await;
        assert!(
            hits.iter().any(|h| h["id"] == id.as_str()),
            "{query:?} should find {name:?}"
        );
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} titles checked");
}

// ---------------------------------------------------------------- recommendations

fn brute_force(rows: &[Row], seed: usize, n: usize, all: bool) -> Vec<(String, f64)> {
    let s = &rows[seed];
    let mut cands: Vec<(f32, usize)> = rows
        .iter()
        .filter(|r| r.group != s.group && (all || r.cluster == s.cluster))
        .map(|r| {
            let mut d2 = 0f32;
            for k in 0..9 {
                let d = r.f[k] - s.f[k];
                d2 += d * d;
            }
            (d2, r.track)
        })
        .collect();
    cands.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut groups = HashSet::new();
    cands
        .into_iter()
        .filter(|(_, t)| groups.insert(rows[*t].group))
        .take(n)
        .map(|(d2, t)| (rows[t].id.clone(), f64::from(d2).sqrt()))
        .collect()
}

#[tokio::test]
async fn recommendations_equal_brute_force() {
    let rows = all_tracks();
    assert!(rows.len() > 80_000, "{} tracks", rows.len());
    assert!(rows.iter().enumerate().all(|(i, r)| r.track == i));
    for seed in (0..rows.len()).step_by(2_903) {
        for (scope, all, n) in [
            ("scope=cluster", false, 10),
            ("scope=all", true, 25),
            ("method=cluster", false, 10),
            ("method=nearest", true, 12),
        ] {
            let (status, body) = get(&format!(
                "/api/v3/tracks/{}/recommendations?n={n}&{scope}",
                rows[seed].id
            ))
            .await;
            assert_eq!(status, StatusCode::OK);
            let got: Vec<(String, f64)> = body["recommendations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r["id"].as_str().unwrap().to_owned(),
                        r["distance"].as_f64().unwrap(),
                    )
                })
                .collect();
            let want = brute_force(rows, seed, n, all);
            assert_eq!(got.len(), want.len());
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(g.0, w.0, "seed {} scope {scope}", rows[seed].id);
                assert!((g.1 - w.1).abs() < 1e-9);
            }
            assert!(
                got.iter().all(|g| g.0 != rows[seed].id),
                "never the track itself"
            );
            if !all {
                assert!(body["recommendations"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|r| r["cluster"].as_i64() == Some(rows[seed].cluster)));
            }
        }
    }
    // Default method is `similar` (tests/spotify_routes.rs checks its list), default n is 10.
    let (_, body) = get(&format!("/api/v3/tracks/{}/recommendations", rows[0].id)).await;
    assert_eq!(body["method"], "similar");
    assert_eq!(body["recommendations"].as_array().unwrap().len(), 10);
}

#[tokio::test]
async fn track_detail_matches_the_table() {
    let conn = db();
    let (id, name, artists, cluster, distance, energy, loudness): (
        String,
        String,
        String,
        i64,
        f64,
        f64,
        f64,
    ) = conn
        .query_row(
            "SELECT id, name, artists, cluster, distance, energy, loudness FROM tracks \
             WHERE json_array_length(artists) > 1 ORDER BY popularity DESC, track LIMIT 1",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            },
        )
        .unwrap();
    let (status, body) = get(&format!("/api/v3/tracks/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["name"], name.as_str());
    assert_eq!(body["cluster"], cluster);
    assert!(close(
        body["distance_to_centroid"].as_f64().unwrap(),
        distance
    ));
    assert!(close(body["features"]["energy"].as_f64().unwrap(), energy));
    assert!(close(
        body["clustering_features"]["energy"].as_f64().unwrap(),
        energy
    ));
    let min_l: f64 = conn
        .query_row(
            "SELECT value FROM build_info WHERE key = 'min_loudness'",
            [],
            |r| r.get::<_, String>(0),
        )
        .unwrap()
        .parse()
        .unwrap();
    assert!(close(
        body["scaled"]["loudness_scale"].as_f64().unwrap(),
        1.0 - loudness / min_l
    ));
    // Genres: one list per credited artist, each the artist's own from the artists table.
    let names: Vec<String> = serde_json::from_str(&artists).unwrap();
    let genres = body["genres"].as_array().unwrap();
    assert_eq!(genres.len(), names.len());
    for (g, a) in genres.iter().zip(&names) {
        let stored: Option<String> = conn
            .query_row("SELECT genres FROM artists WHERE name = ?1", [a], |r| {
                r.get(0)
            })
            .ok();
        let stored: Value = serde_json::from_str(stored.as_deref().unwrap_or("[]")).unwrap();
        assert_eq!(g, &stored, "{a}");
    }
    let label: String = sql::value(
        &conn,
        "SELECT label FROM clusters WHERE cluster = ?1",
        [cluster],
    );
    assert_eq!(body["cluster_label"], label.as_str());
}

#[tokio::test]
async fn clusters_and_elbow_come_from_their_tables() {
    let conn = db();
    let sizes: Vec<(i64, i64, String)> = conn
        .prepare("SELECT cluster, size, label FROM clusters ORDER BY cluster")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let (status, body) = get("/api/v3/clusters").await;
    assert_eq!(status, StatusCode::OK);
    let list = body.as_array().unwrap();
    assert_eq!(list.len(), sizes.len());
    // Sizes also add up to the tracks table, counted here.
    let tracks: i64 = sql::value(&conn, "SELECT count(*) FROM tracks", []);
    assert_eq!(
        list.iter()
            .map(|c| c["size"].as_i64().unwrap())
            .sum::<i64>(),
        tracks
    );
    for (c, size, label) in &sizes {
        let (status, one) = get(&format!("/api/v3/clusters/{c}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(one["size"], *size);
        assert_eq!(one["label"], label.as_str());
        let counted: i64 = sql::value(&conn, "SELECT count(*) FROM tracks WHERE cluster = ?1", [c]);
        assert_eq!(one["size"], counted);
        assert_eq!(one["centroid"].as_object().unwrap().len(), 9);
        assert!(!one["top_genres"].as_array().unwrap().is_empty());
        assert!(!one["nearest"].as_array().unwrap().is_empty());
    }
    let ks: Vec<(i64, f64)> = conn
        .prepare("SELECT k, inertia FROM elbow ORDER BY k")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let (status, body) = get("/api/v3/elbow").await;
    assert_eq!(status, StatusCode::OK);
    let got: Vec<(i64, f64)> = body
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["k"].as_i64().unwrap(), p["inertia"].as_f64().unwrap()))
        .collect();
    // serde_json's default float parser may be one ulp off; compare with a tolerance.
    assert_eq!(got.len(), ks.len());
    for (g, w) in got.iter().zip(&ks) {
        assert_eq!(g.0, w.0);
        assert!(
            close(g.1, w.1),
            "inertia at k = {}: {} vs {}",
            w.0,
            g.1,
            w.1
        );
    }
}

// ---------------------------------------------------------------- bad input

#[tokio::test]
async fn bad_input_is_a_json_400_or_404() {
    let id = all_tracks()[0].id.clone();
    let long = "a".repeat(10 * 1024);
    // A search without a usable query (none, blank, too long, not UTF-8) or a usable limit
    // (1..=50).
    let mut bad: Vec<String> = vec![
        "/api/v3/search".into(),
        format!("/api/v3/search?q={long}"),
        format!("/api/v3/search?q={}", "%C3%A9".repeat(200)),
    ];
    for q in [
        "",
        "%20%20%09",
        "%FF%FE",
        "ab%C3",
        "abc&limit=-1",
        "abc&limit=0",
        "abc&limit=51",
        "abc&limit=99999999999999999999999",
        "abc&limit=ten",
    ] {
        bad.push(format!("/api/v3/search?q={q}"));
    }
    // Recommendations of a known track, asked for too many or too few, or in no known scope.
    for query in ["n=100000", "n=0", "n=-3", "scope=world", "scope=%FF"] {
        bad.push(format!("/api/v3/tracks/{id}/recommendations?{query}"));
    }
    // Ids and cluster numbers that cannot be one.
    bad.extend([
        "/api/v3/tracks/x%22%20OR%20%221%22%3D%221".into(),
        "/api/v3/tracks/%FF".into(),
        format!("/api/v3/tracks/{long}"),
        "/api/v3/clusters/abc".into(),
        "/api/v3/clusters/99999999999999999999999".into(),
    ]);
    assert_json_errors(&app(), StatusCode::BAD_REQUEST, bad).await;
    // Well-formed, but nothing is there.
    let missing = [
        "/api/v3/tracks/AAAAAAAAAAAAAAAAAAAAAA",
        "/api/v3/tracks/AAAAAAAAAAAAAAAAAAAAAA/recommendations",
        "/api/v3/clusters/99",
        "/api/v3/clusters/-1",
        "/api/v3/nope",
    ];
    assert_json_errors(&app(), StatusCode::NOT_FOUND, missing).await;
    // Odd but valid queries are answered (possibly with no hits), never an error.
    for q in [
        "\"",
        "'",
        "%",
        "%%",
        "' OR 1=1 --",
        "\u{0}",
        "🎵🎵",
        "東京",
        "a\u{301}",
        "_",
        "*",
        "\\",
    ] {
        let (status, body) = get(&format!("/api/v3/search?q={}", enc(q))).await;
        assert_eq!(status, StatusCode::OK, "{q:?}: {body}");
    }
}

#[test]
fn opening_bad_files_fails_clearly() {
    let dir = std::env::temp_dir().join(format!("music-v3-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let missing = dir.join("missing.sqlite");
    let e = music_v3::AppState::open(&missing)
        .err()
        .expect("a missing file must fail");
    assert!(e.to_string().contains("does not exist"), "{e}");
    let garbage = dir.join("garbage.sqlite");
    std::fs::write(&garbage, vec![b'x'; 4096]).unwrap();
    let e = music_v3::AppState::open(&garbage)
        .err()
        .expect("a non-database must fail");
    assert!(e.to_string().contains("garbage.sqlite"), "{e}");
    let empty = dir.join("empty.sqlite");
    Connection::open(&empty)
        .unwrap()
        .execute_batch("CREATE TABLE x (y)")
        .unwrap();
    let e = music_v3::AppState::open(&empty)
        .err()
        .expect("a database without the tables must fail");
    assert!(e.to_string().contains("empty.sqlite"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

// ---------------------------------------------------------------- catalogue and OpenAPI

#[test]
fn the_router_serves_exactly_the_v3_catalogue() {
    let served: BTreeSet<(String, String)> = music_v3::served_routes()
        .into_iter()
        .map(|(m, p)| (m.to_owned(), p.to_owned()))
        .collect();
    let listed: BTreeSet<(String, String)> = catalog::routes_of(Family::V3)
        .into_iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    assert_eq!(served, listed);
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => doc
            .pointer(r.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling $ref {r}")),
        None => schema,
    }
}

/// Each v3 catalogue example answers 200, with the properties its documented schema requires.
#[tokio::test]
async fn catalogue_examples_answer_as_documented() {
    let (status, doc) = get("/api/v3/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    for r in catalog::routes_of(Family::V3) {
        let (status, body) = get(r.example).await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", r.example);
        let schema = resolve(
            &doc,
            &doc["paths"][r.path]["get"]["responses"]["200"]["content"]["application/json"]
                ["schema"],
        );
        let (schema, instance) = if schema["type"] == "array" {
            let first = body
                .as_array()
                .and_then(|a| a.first())
                .cloned()
                .unwrap_or_else(|| panic!("{}: empty array", r.example));
            (resolve(&doc, &schema["items"]), first)
        } else {
            (schema, body)
        };
        for req in schema["required"].as_array().into_iter().flatten() {
            let key = req.as_str().unwrap();
            assert!(
                instance.get(key).is_some(),
                "{}: response lacks documented property {key}",
                r.example
            );
        }
        // Documented query parameters are accepted (not rejected as unknown or malformed).
        for p in doc["paths"][r.path]["get"]["parameters"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if p["in"] == "query" {
                assert!(
                    r.example
                        .contains(&format!("{}=", p["name"].as_str().unwrap()))
                        || !p["required"].as_bool().unwrap_or(false)
                );
            }
        }
    }
}

#[tokio::test]
async fn openapi_lists_exactly_the_catalogue() {
    let (_, doc) = get("/api/v3/openapi.json").await;
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented: BTreeSet<(String, String)> = BTreeSet::new();
    let mut operation_ids: HashSet<String> = HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            documented.insert((method.to_uppercase(), path.clone()));
            assert!(
                operation_ids.insert(op["operationId"].as_str().unwrap().to_owned()),
                "duplicate operationId"
            );
            let declared: BTreeSet<&str> = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "path")
                .map(|p| p["name"].as_str().unwrap())
                .collect();
            let templated: BTreeSet<&str> =
                music_v3::openapi::path_params(path).into_iter().collect();
            assert_eq!(declared, templated, "{path}: path parameters");
        }
    }
    let listed: BTreeSet<(String, String)> = catalog::routes()
        .into_iter()
        .map(|r| {
            (
                r.method.to_uppercase(),
                music_v3::openapi::openapi_path(r.path),
            )
        })
        .collect();
    assert_eq!(documented, listed);
    // Every family's routes are in: not only v3's.
    for f in [Family::V1, Family::V2, Family::V3, Family::Web] {
        for r in catalog::routes_of(f) {
            assert!(
                doc["paths"]
                    .get(music_v3::openapi::openapi_path(r.path))
                    .is_some(),
                "{} missing",
                r.path
            );
        }
    }
}

/// The document validates as OpenAPI 3.1 with openapi-spec-validator, installed into the
/// project's tool cache by scripts/test.d/pre-40-v3-openapi.sh (run here if it has not been).
#[tokio::test]
async fn openapi_validates_with_a_real_validator() {
    let root = music_testkit::root();
    let tools = music_testkit::tools_dir();
    let validator = tools.join("v3-openapi-venv/bin/openapi-spec-validator");
    if !validator.is_file() {
        let ok = std::process::Command::new("bash")
            .arg(root.join("scripts/test.d/pre-40-v3-openapi.sh"))
            .env("MUSIC_ML_TOOLS", &tools)
            .status()
            .unwrap()
            .success();
        assert!(ok, "installing openapi-spec-validator failed");
    }
    // The validator reads a file: the document is written to one for each run.
    let validate = |document: &[u8]| {
        let file =
            std::env::temp_dir().join(format!("music-v3-openapi-{}.json", std::process::id()));
        std::fs::write(&file, document).unwrap();
        let out = std::process::Command::new(&validator)
            .arg("--schema")
            .arg("3.1")
            .arg(&file)
            .output()
            .unwrap();
        std::fs::remove_file(&file).ok();
        out
    };
    let bytes = music_testkit::get(&app(), "/api/v3/openapi.json")
        .await
        .body;
    let out = validate(&bytes);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && text.contains("OK"),
        "openapi-spec-validator: {text}"
    );
    // And a broken document is refused, so the check can fail.
    let mut broken: Value = serde_json::from_slice(&bytes).unwrap();
    broken["paths"]["/api/v3/elbow"]["get"]["responses"] = Value::String("nope".into());
    let out = validate(&serde_json::to_vec(&broken).unwrap());
    assert!(!out.status.success(), "a broken document must not validate");
}
