//! The v3 router in-process on the real built data. Expectations are computed in the test from
//! the SQLite tables themselves (names folded here, distances computed here), never copied from
//! the service's output.

use std::collections::{BTreeSet, HashSet};
use std::path::PathBuf;
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use music_http::catalog::{self, Family};
use music_shared::{fold_name, FEATURES};
use rusqlite::{Connection, OpenFlags};
use serde_json::Value;
use tower::ServiceExt;

fn db_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/build/musicData.sqlite")
}

fn state() -> music_v3::AppState {
    static STATE: OnceLock<music_v3::AppState> = OnceLock::new();
    STATE
        .get_or_init(|| {
            music_v3::AppState::open(&db_path())
                .expect("data/build/musicData.sqlite (run the pipeline)")
        })
        .clone()
}

fn app() -> axum::Router {
    music_http::finish(music_v3::router(state()))
}

fn db() -> Connection {
    Connection::open_with_flags(db_path(), OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

async fn get(uri: &str) -> (StatusCode, Value) {
    let res = app()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(res.into_body(), 64 << 20)
        .await
        .unwrap();
    assert!(
        ct.starts_with("application/json"),
        "{uri}: content-type {ct:?}"
    );
    let body: Value =
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{uri}: not JSON ({e})"));
    (status, body)
}

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

#[tokio::test]
async fn typo_cases_find_the_right_artist() {
    // The right answer is whatever the artists table calls these names.
    let conn = db();
    for (query, wanted) in [
        ("fleetwod mac", "fleetwood mac"),
        ("beyonce", "beyonce"),
        ("Beyoncé", "beyonce"),
        ("fleetwood ma", "fleetwood mac"),
    ] {
        let present: Vec<String> = conn
            .prepare("SELECT artists FROM Clean_Artists WHERE artists_folded = ?1")
            .unwrap()
            .query_map([wanted], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            !present.is_empty(),
            "{wanted} should be in the shipped data"
        );
        let hits = search(query, 10).await;
        let first = &hits[0];
        assert_eq!(first["kind"], "artist", "{query}: {first}");
        assert_eq!(
            fold_name(first["name"].as_str().unwrap()),
            wanted,
            "{query}: {first}"
        );
    }
    // "crazy in lov": must find a title that starts "crazy in love" if the data has one.
    let titles: Vec<String> = conn
        .prepare("SELECT name FROM tracks WHERE name_folded LIKE 'crazy in lov%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let hits = search("crazy in lov", 10).await;
    for t in &titles {
        assert!(
            hits.iter()
                .any(|h| h["kind"] == "track" && h["name"] == t.as_str()),
            "crazy in lov should find {t}"
        );
    }
    if titles.is_empty() {
        assert!(
            hits.iter()
                .all(|h| h["match"] != "exact" && h["match"] != "prefix"),
            "{hits:?}"
        );
    }
}

/// Every title of 8+ characters, with one edit at its 5th character, is still found.
#[tokio::test]
async fn one_typo_in_any_title_still_finds_it() {
    let conn = db();
    let rows: Vec<(String, String)> = conn
        .prepare("SELECT id, name_folded FROM tracks ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut checked = 0;
    for (k, (id, name)) in rows.iter().enumerate().step_by(7) {
        let chars: Vec<char> = name.chars().collect();
        if chars.len() < 9 || chars[..9].iter().any(|c| !c.is_alphanumeric() && *c != ' ') {
            continue;
        }
        let mut typo: Vec<char> = chars[..9].to_vec();
        match k % 3 {
            0 => {
                typo.remove(4);
            }
            1 => typo.swap(4, 5),
            _ => typo[4] = if typo[4] == 'q' { 'z' } else { 'q' },
        }
        let typo: String = typo.into_iter().collect();
        if fold_name(&typo) != typo || typo.trim() != typo {
            continue;
        }
        let hits = search(&typo, 50).await;
        assert!(
            hits.iter().any(|h| h["id"] == id.as_str()),
            "{typo:?} should find {name:?}"
        );
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} titles checked");
}

/// Exact, prefix and word matches, computed here from the raw tables, come first, in that
/// order, each by popularity.
#[tokio::test]
async fn ranking_matches_an_independent_classification() {
    let conn = db();
    let mut names: Vec<(String, f64)> = conn
        .prepare("SELECT name, popularity FROM tracks")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut seen: HashSet<String> = HashSet::new();
    let artists: Vec<(String, f64)> = conn
        .prepare("SELECT artists, popularity FROM Clean_Artists")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (a, p) in artists {
        seen.insert(fold_name(&a));
        names.push((a, p));
    }
    let _ = seen;
    for query in [
        "the",
        "lil",
        "dua lipa",
        "ed",
        "queen",
        "love",
        "bad bunny",
        "taylor",
    ] {
        let q = fold_name(query);
        let mut expected: Vec<(u8, f64)> = names
            .iter()
            .filter_map(|(n, p)| {
                let f = fold_name(n);
                let class = if f == q {
                    0
                } else if f.starts_with(&q) {
                    1
                } else if f.contains(&format!(" {q}")) {
                    2
                } else {
                    return None;
                };
                Some((class, *p))
            })
            .collect();
        expected.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.partial_cmp(&a.1).unwrap()));
        let limit = 50;
        let hits = search(query, limit).await;
        let class = |m: &str| match m {
            "exact" => 0u8,
            "prefix" => 1,
            "word" => 2,
            _ => 3,
        };
        let got: Vec<(u8, f64)> = hits
            .iter()
            .map(|h| {
                (
                    class(h["match"].as_str().unwrap()),
                    h["popularity"].as_f64().unwrap_or(0.0),
                )
            })
            .collect();
        let k = expected.len().min(limit);
        assert!(k > 0, "{query} should match something");
        // Tracks and artists appear under their own name; only the (class, popularity) sequence
        // is compared, so equal-popularity ties may come in any order.
        assert_eq!(&got[..k], &expected[..k], "ranking of {query:?}");
        assert!(
            got[k..].iter().all(|g| g.0 == 3),
            "after the exact/prefix/word hits only typo hits may follow"
        );
    }
}

// ---------------------------------------------------------------- recommendations

struct Row {
    id: String,
    name_folded: String,
    artists_folded: Vec<String>,
    cluster: i64,
    f: Vec<f64>,
}

fn all_tracks() -> Vec<Row> {
    let sql = format!(
        "SELECT id, name_folded, artists_folded, cluster, {} FROM tracks ORDER BY rowid",
        FEATURES.join(", ")
    );
    let conn = db();
    let mut st = conn.prepare(&sql).unwrap();
    st.query_map([], |r| {
        Ok(Row {
            id: r.get(0)?,
            name_folded: r.get(1)?,
            artists_folded: r
                .get::<_, String>(2)?
                .split('\u{1F}')
                .map(str::to_owned)
                .collect(),
            cluster: r.get(3)?,
            f: (0..9)
                .map(|k| r.get::<_, f64>(4 + k))
                .collect::<Result<_, _>>()?,
        })
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

fn brute_force(rows: &[Row], seed: usize, n: usize, all: bool) -> Vec<(String, f64)> {
    let same = |a: &Row, b: &Row| {
        a.name_folded == b.name_folded
            && a.artists_folded
                .iter()
                .any(|x| b.artists_folded.contains(x))
    };
    let mut cands: Vec<(f64, usize)> = rows
        .iter()
        .enumerate()
        .filter(|(i, r)| *i != seed && (all || r.cluster == rows[seed].cluster))
        .map(|(i, r)| {
            (
                r.f.iter()
                    .zip(&rows[seed].f)
                    .map(|(a, b)| (a - b).powi(2))
                    .sum::<f64>()
                    .sqrt(),
                i,
            )
        })
        .collect();
    cands.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap().then(a.1.cmp(&b.1)));
    let mut out: Vec<usize> = Vec::new();
    for (_, i) in &cands {
        if same(&rows[*i], &rows[seed]) || out.iter().any(|&j| same(&rows[*i], &rows[j])) {
            continue;
        }
        out.push(*i);
        if out.len() == n {
            break;
        }
    }
    out.into_iter()
        .map(|i| {
            (
                rows[i].id.clone(),
                cands.iter().find(|c| c.1 == i).unwrap().0,
            )
        })
        .collect()
}

#[tokio::test]
async fn recommendations_equal_brute_force() {
    let rows = all_tracks();
    assert!(rows.len() > 100);
    for seed in (0..rows.len()).step_by(37) {
        for (scope, all, n) in [("cluster", false, 10), ("all", true, 25)] {
            let (status, body) = get(&format!(
                "/api/v3/tracks/{}/recommendations?n={n}&scope={scope}",
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
            let want = brute_force(&rows, seed, n, all);
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
    // Default scope is the cluster, default n is 10.
    let (_, body) = get(&format!("/api/v3/tracks/{}/recommendations", rows[0].id)).await;
    assert_eq!(body["scope"], "cluster");
    assert_eq!(
        body["recommendations"].as_array().unwrap().len(),
        brute_force(&rows, 0, 10, false).len()
    );
}

#[tokio::test]
async fn track_detail_matches_the_table() {
    let conn = db();
    let (id, name, cluster, distance, energy): (String, String, i64, f64, f64) =
        conn.query_row("SELECT id, name, cluster, distance, energy FROM tracks ORDER BY popularity DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))).unwrap();
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
    assert!(body["genres"].is_array());
    let label: String = conn
        .query_row(
            "SELECT label FROM clusters WHERE cluster = ?1",
            [cluster],
            |r| r.get(0),
        )
        .unwrap();
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
    let tracks: i64 = conn
        .query_row("SELECT count(*) FROM tracks", [], |r| r.get(0))
        .unwrap();
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
        let counted: i64 = conn
            .query_row("SELECT count(*) FROM tracks WHERE cluster = ?1", [c], |r| {
                r.get(0)
            })
            .unwrap();
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
    let cases: Vec<(String, u16)> = vec![
        ("/api/v3/search".into(), 400),
        ("/api/v3/search?q=".into(), 400),
        ("/api/v3/search?q=%20%20%09".into(), 400),
        (format!("/api/v3/search?q={long}"), 400),
        (format!("/api/v3/search?q={}", "%C3%A9".repeat(200)), 400),
        ("/api/v3/search?q=abc&limit=-1".into(), 400),
        ("/api/v3/search?q=abc&limit=0".into(), 400),
        ("/api/v3/search?q=abc&limit=51".into(), 400),
        (
            "/api/v3/search?q=abc&limit=99999999999999999999999".into(),
            400,
        ),
        ("/api/v3/search?q=abc&limit=ten".into(), 400),
        ("/api/v3/search?q=%FF%FE".into(), 400),
        (format!("/api/v3/tracks/{id}/recommendations?n=100000"), 400),
        (format!("/api/v3/tracks/{id}/recommendations?n=0"), 400),
        (format!("/api/v3/tracks/{id}/recommendations?n=-3"), 400),
        (
            format!("/api/v3/tracks/{id}/recommendations?scope=world"),
            400,
        ),
        (
            format!("/api/v3/tracks/{id}/recommendations?scope=%FF"),
            400,
        ),
        ("/api/v3/search?q=ab%C3".into(), 400),
        ("/api/v3/tracks/AAAAAAAAAAAAAAAAAAAAAA".into(), 404),
        (
            "/api/v3/tracks/AAAAAAAAAAAAAAAAAAAAAA/recommendations".into(),
            404,
        ),
        ("/api/v3/tracks/x%22%20OR%20%221%22%3D%221".into(), 400),
        ("/api/v3/tracks/%FF".into(), 400),
        (format!("/api/v3/tracks/{long}"), 400),
        ("/api/v3/clusters/abc".into(), 400),
        ("/api/v3/clusters/99".into(), 404),
        ("/api/v3/clusters/-1".into(), 404),
        ("/api/v3/clusters/99999999999999999999999".into(), 400),
        ("/api/v3/nope".into(), 404),
    ];
    for (uri, want) in cases {
        let (status, body) = get(&uri).await;
        assert_eq!(
            status.as_u16(),
            want,
            "{}: {body}",
            &uri[..uri.len().min(80)]
        );
        assert_eq!(body["status"], want);
        assert!(body["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
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
    assert!(e.to_string().contains("clusters"), "{e}");
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
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let tools = std::env::var_os("MUSIC_ML_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache"));
            cache.join("music-ml/tools")
        });
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
    let res = app()
        .oneshot(
            Request::get("/api/v3/openapi.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let bytes = axum::body::to_bytes(res.into_body(), 16 << 20)
        .await
        .unwrap();
    let file = std::env::temp_dir().join(format!("music-v3-openapi-{}.json", std::process::id()));
    std::fs::write(&file, &bytes).unwrap();
    let out = std::process::Command::new(&validator)
        .arg("--schema")
        .arg("3.1")
        .arg(&file)
        .output()
        .unwrap();
    std::fs::remove_file(&file).ok();
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
    std::fs::write(&file, serde_json::to_vec(&broken).unwrap()).unwrap();
    let out = std::process::Command::new(&validator)
        .arg("--schema")
        .arg("3.1")
        .arg(&file)
        .output()
        .unwrap();
    std::fs::remove_file(&file).ok();
    assert!(!out.status.success(), "a broken document must not validate");
}
