//! Every route of the catalogue (and the page routes) with generated hostile path parameters and
//! query strings, in-process on the whole site as `music-ml-serve` builds it. Every answer must
//! be a 2xx, 400, 404 or 405, with a JSON error body under `/api`, within 1 s; never a 5xx, a
//! panic or a hang.
//!
//! `MUSIC_ML_FUZZ_CASES` sets the inputs per route (default 1,000 in the test suite;
//! `bench/load/run.sh --fuzz` runs the 10,000);
//! `MUSIC_ML_FUZZ_SEED` the seed (default fixed, printed on failure to reproduce it).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Method, Request, Uri};
use axum::Router;
use http_body_util::BodyExt;
use music_e2e::fuzz_gen::{hostile, query};
use music_e2e::load_gen::{data_dir, site_app};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use tower::ServiceExt;

const DEFAULT_SEED: u64 = 0x6d75_7369_635f_6d6c;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

/// A route to fuzz: its path template (axum syntax), the query keys it reads, and real values
/// to mutate (from its catalogue example) so that some inputs get past validation.
struct Template {
    path: String,
    keys: Vec<String>,
    seeds: Vec<String>,
}

fn templates() -> Vec<Template> {
    let mut out: Vec<Template> = music_http::catalog::routes()
        .iter()
        .map(|r| {
            let (example_path, example_query) =
                r.example.split_once('?').unwrap_or((r.example, ""));
            let mut seeds: Vec<String> = Vec::new();
            // The example's values at the template's parameter positions.
            for (t, e) in r.path.split('/').zip(example_path.split('/')) {
                if t.starts_with('{') {
                    seeds.push(decode(e));
                }
            }
            let mut keys = Vec::new();
            for pair in example_query.split('&').filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                keys.push(k.to_string());
                seeds.push(decode(v));
            }
            Template {
                path: r.path.to_string(),
                keys,
                seeds,
            }
        })
        .collect();
    // The page routes (if the catalogue does not list them yet), and paths no route has.
    for path in [
        "/",
        "/{page}",
        "/static/{*path}",
        "/api/{unknown}/{unknown}",
    ] {
        if out.iter().any(|t| t.path == path) {
            continue;
        }
        out.push(Template {
            path: path.to_string(),
            keys: vec!["q".into()],
            seeds: vec!["index.html".into(), "app.js".into(), "style.css".into()],
        });
    }
    out
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(b) = u8::from_str_radix(hex, 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One generated request URI for `t`.
fn uri_for(rng: &mut StdRng, t: &Template) -> String {
    let mut path = String::new();
    for (i, seg) in t.path.split('/').enumerate() {
        if i > 0 {
            path.push('/');
        }
        if seg.starts_with("{*") {
            // A wildcard: one to three hostile segments.
            let parts: Vec<String> = (0..rng.gen_range(1..=3))
                .map(|_| hostile(rng, &t.seeds, false))
                .collect();
            path.push_str(&parts.join("/"));
        } else if seg.starts_with('{') {
            path.push_str(&hostile(rng, &t.seeds, false));
        } else {
            path.push_str(seg);
        }
    }
    if path.is_empty() {
        path.push('/');
    }
    match rng.gen_range(0..10) {
        0 => path,
        1 => format!("{path}?"),
        _ => format!("{path}?{}", query(rng, &t.keys, &t.seeds)),
    }
}

#[derive(Default)]
struct RouteStats {
    sent: u64,
    statuses: BTreeMap<u16, u64>,
    slowest: Duration,
}

/// Send one request; `Err` says what was wrong with the answer.
async fn check(app: &Router, method: Method, uri: Uri) -> Result<(u16, Duration), String> {
    let started = Instant::now();
    let is_api = uri.path() == "/api" || uri.path().starts_with("/api/");
    let request = Request::builder()
        .method(method.clone())
        .uri(uri)
        .body(Body::empty())
        .expect("a request with a valid URI builds");
    let answer = tokio::time::timeout(Duration::from_secs(1), async {
        let res = app.clone().oneshot(request).await.expect("infallible");
        let (parts, body) = res.into_parts();
        let bytes = body
            .collect()
            .await
            .map_err(|e| format!("reading the body: {e}"))?
            .to_bytes();
        Ok::<_, String>((parts, bytes))
    })
    .await
    .map_err(|_| "no complete answer within 1 s".to_string())??;
    let elapsed = started.elapsed();
    let (parts, bytes) = answer;
    let status = parts.status.as_u16();
    if !(parts.status.is_success() || matches!(status, 400 | 404 | 405)) {
        return Err(format!(
            "status {status}: {}",
            String::from_utf8_lossy(&bytes)
        ));
    }
    let has_body =
        method != Method::HEAD && !(method == Method::OPTIONS && parts.status.is_success());
    if is_api && has_body {
        let ct = parts
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if !ct.starts_with("application/json") {
            return Err(format!("status {status} with content-type {ct:?}"));
        }
        let body: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| format!("status {status}, body not JSON ({e})"))?;
        if status >= 400 && (body["status"] != status || !body["error"].is_string()) {
            return Err(format!("status {status}, error body {body}"));
        }
    }
    Ok((status, elapsed))
}

/// Fuzz one route: `cases` answered inputs. Returns its statistics, the bad answers (at most
/// 20) and how many generated strings were not URIs.
async fn fuzz_route(
    app: Router,
    t: Template,
    cases: u64,
    seed: u64,
) -> (RouteStats, Vec<String>, u64) {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut s = RouteStats::default();
    let mut failures = Vec::new();
    let mut unparsable = 0u64;
    while s.sent < cases && failures.len() < 20 {
        let raw = uri_for(&mut rng, &t);
        let Ok(uri) = raw.parse::<Uri>() else {
            // Not a URI (the http crate refuses it): no server would ever route it.
            unparsable += 1;
            continue;
        };
        let method = [
            Method::GET,
            Method::GET,
            Method::GET,
            Method::GET,
            Method::GET,
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::DELETE,
            Method::OPTIONS,
        ]
        .choose(&mut rng)
        .expect("not empty")
        .clone();
        s.sent += 1;
        match check(&app, method.clone(), uri).await {
            Ok((status, elapsed)) => {
                *s.statuses.entry(status).or_default() += 1;
                s.slowest = s.slowest.max(elapsed);
            }
            Err(why) => {
                let shown: String = raw.chars().take(300).collect();
                failures.push(format!("{method} {shown}: {why}"));
            }
        }
    }
    (s, failures, unparsable)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_survives_hostile_inputs() {
    let cases = env_u64("MUSIC_ML_FUZZ_CASES", 1_000);
    let seed = env_u64("MUSIC_ML_FUZZ_SEED", DEFAULT_SEED);
    let app = site_app(&data_dir()).expect("data/build (run the pipeline)");
    let templates = templates();
    let routes = templates.len();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (ti, t) in templates.into_iter().enumerate() {
        let route_seed = seed ^ (ti as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let path = t.path.clone();
        tasks.push((
            path,
            tokio::spawn(fuzz_route(app.clone(), t, cases, route_seed)),
        ));
    }
    let mut failures = Vec::new();
    let mut stats: BTreeMap<String, RouteStats> = BTreeMap::new();
    let mut unparsable = 0u64;
    for (path, task) in tasks {
        match task.await {
            Ok((s, f, u)) => {
                failures.extend(f);
                unparsable += u;
                stats.insert(path, s);
            }
            Err(e) => failures.push(format!("{path}: the fuzzing task panicked: {e}")),
        }
    }
    let mut summary = String::new();
    for (path, s) in &stats {
        summary.push_str(&format!(
            "{path}: {} inputs, statuses {:?}, slowest {:?}\n",
            s.sent, s.statuses, s.slowest
        ));
    }
    eprintln!(
        "fuzz: seed {seed:#x}, {} routes x {cases} inputs in {:.1} s ({unparsable} generated strings were not URIs)\n{summary}",
        routes,
        started.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "seed {seed:#x}: {} bad answers:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The inputs reached past validation too: every API route with a parameter answered some 2xx
    // (mutated real values) and some 4xx.
    for (path, s) in &stats {
        if path.starts_with("/api/") && path.contains('{') && !path.contains("{unknown}") {
            let ok: u64 = s
                .statuses
                .iter()
                .filter(|(c, _)| **c < 300)
                .map(|(_, n)| n)
                .sum();
            let client: u64 = s
                .statuses
                .iter()
                .filter(|(c, _)| **c >= 400)
                .map(|(_, n)| n)
                .sum();
            assert!(ok > 0 && client > 0, "{path}: only {:?}", s.statuses);
        }
    }
}

/// A URI longer than the http crate's limit (64 KiB) never reaches a router, and no HTTP client
/// library will even send one; written by hand on a socket, a 100 KB path or query gets a 4xx
/// (or the connection closed) from hyper, and the server keeps serving.
#[tokio::test]
async fn a_100_kb_uri_is_refused_and_the_server_keeps_serving() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = site_app(&data_dir()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let long = "%C3%A9".repeat(100 * 1024 / 6 + 1);
    for target in [
        format!("/api/v1.0/data_by_artist_clean/{long}"),
        format!("/api/v3/search?q={long}"),
        format!("/{}", "a".repeat(100 * 1024)),
    ] {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let request =
            format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        // The server may close before reading everything; a write error is an answer too.
        let _ = stream.write_all(request.as_bytes()).await;
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer))
            .await
            .expect("the server answers or closes within 5 s");
        let head = String::from_utf8_lossy(&answer[..answer.len().min(200)]).to_string();
        let shown = &target[..40];
        match read {
            Ok(_) if answer.is_empty() => {} // closed without an answer
            Ok(_) => {
                let status: u16 = head
                    .split_whitespace()
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or_else(|| panic!("{shown}...: not an HTTP answer: {head:?}"));
                assert!((400..500).contains(&status), "{shown}...: {head:?}");
            }
            Err(e) => assert_eq!(
                e.kind(),
                std::io::ErrorKind::ConnectionReset,
                "{shown}...: {e}"
            ),
        }
    }
    let res = reqwest::get(format!("http://{addr}/api/v3/elbow"))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    server.abort();
}

/// The oracle itself: answers the fuzzing must reject are rejected, so a pass means something.
#[tokio::test]
async fn the_answer_check_rejects_5xx_plain_text_and_hangs() {
    use axum::http::StatusCode;
    use axum::routing::get;
    let app = Router::new()
        .route(
            "/api/boom",
            get(|| async { StatusCode::INTERNAL_SERVER_ERROR }),
        )
        .route(
            "/api/text",
            get(|| async { (StatusCode::BAD_REQUEST, "bad") }),
        )
        .route(
            "/api/wrong-body",
            get(|| async {
                (
                    StatusCode::NOT_FOUND,
                    music_http::json(&serde_json::json!({"status": 404})),
                )
            }),
        )
        .route(
            "/api/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(1500)).await;
                "late"
            }),
        )
        .route(
            "/api/ok",
            get(|| async { music_http::json(&serde_json::json!([1])) }),
        );
    let app = music_http::finish(app);
    for bad in ["/api/boom", "/api/text", "/api/wrong-body", "/api/slow"] {
        let r = check(&app, Method::GET, bad.parse().unwrap()).await;
        assert!(r.is_err(), "{bad} passed the check: {r:?}");
    }
    assert_eq!(
        check(&app, Method::GET, "/api/ok".parse().unwrap())
            .await
            .map(|r| r.0),
        Ok(200)
    );
    // A JSON 404 from the shared fallback passes.
    assert_eq!(
        check(&app, Method::GET, "/api/nothing".parse().unwrap())
            .await
            .map(|r| r.0),
        Ok(404)
    );
}
