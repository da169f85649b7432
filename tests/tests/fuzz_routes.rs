//! Every route of the catalogue (and the page routes) with generated hostile path parameters and
//! query strings, on the whole site as `music-ml-serve` builds it: in-process, through the real
//! HTTP server (`music_local::serve`, with its limits), and v2 against a real DynamoDB API
//! (dynalite, seeded with a real subset). Every answer must be a 2xx, 304, 400, 404 or 405, with
//! a JSON error body under `/api`, within 1 s (5 s over HTTP); never a 5xx, a panic or a hang.
//! Every answer must also carry the edge's headers: CORS, `nosniff`, and a caching policy
//! (a tagged `public, max-age` 200, or `no-store`; errors always `no-store`).
//!
//! `MUSIC_ML_FUZZ_CASES` sets the inputs per route in-process and against dynalite (default
//! 1,000 in the test suite; `bench/load/run.sh --fuzz` runs the 10,000),
//! `MUSIC_ML_FUZZ_HTTP_CASES` over HTTP (default 250); `MUSIC_ML_FUZZ_SEED` the seed (default fixed, printed on
//! failure to reproduce it).

mod dynamo_support;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, Uri};
use axum::Router;
use dynamo_support::url_unescape;
use http_body_util::{BodyExt, Empty};
use hyper_util::rt::TokioIo;
use music_e2e::fuzz_gen::{hostile, query};
use music_e2e::load_gen::site_app;
use music_e2e::local::serve_local;
use music_testkit::data_build as data_dir;
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
                    seeds.push(url_unescape(e));
                }
            }
            let mut keys = Vec::new();
            for pair in example_query.split('&').filter(|p| !p.is_empty()) {
                let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                keys.push(k.to_string());
                seeds.push(url_unescape(v));
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

/// Where the fuzzed requests go: the router in-process, or a real server over HTTP/1.1 (one
/// kept-alive connection per route, reopened when the server closes it).
enum Client {
    App(Router),
    Http {
        addr: SocketAddr,
        sender: Option<hyper::client::conn::http1::SendRequest<Empty<Bytes>>>,
    },
}

impl Client {
    fn http(addr: SocketAddr) -> Client {
        Client::Http { addr, sender: None }
    }

    fn limit(&self) -> Duration {
        match self {
            Client::App(_) => Duration::from_secs(1),
            // The real server, its connection handling and the client share the 2 cores.
            Client::Http { .. } => Duration::from_secs(5),
        }
    }

    async fn send(
        &mut self,
        method: &Method,
        uri: &Uri,
        headers: &HeaderMap,
    ) -> Result<(axum::http::response::Parts, Bytes), String> {
        match self {
            Client::App(app) => {
                let mut request = Request::builder().method(method.clone()).uri(uri.clone());
                for (k, v) in headers {
                    request = request.header(k, v);
                }
                let request = request
                    .body(Body::empty())
                    .expect("a request with a valid URI builds");
                let res = app.clone().oneshot(request).await.expect("infallible");
                read_whole(res).await
            }
            Client::Http { addr, sender } => {
                // A server may close a connection after an answer (a 400 from the HTTP layer,
                // a timeout); the request is then sent once more on a new connection.
                for attempt in 0..2 {
                    let ready = match sender.as_mut() {
                        Some(s) => s.ready().await.is_ok(),
                        None => false,
                    };
                    if !ready {
                        let stream = tokio::net::TcpStream::connect(*addr)
                            .await
                            .map_err(|e| format!("connecting: {e}"))?;
                        let (s, connection) =
                            hyper::client::conn::http1::handshake(TokioIo::new(stream))
                                .await
                                .map_err(|e| format!("handshake: {e}"))?;
                        tokio::spawn(connection);
                        *sender = Some(s);
                    }
                    let mut request = Request::builder()
                        .method(method.clone())
                        .uri(uri.clone())
                        .header("host", addr.to_string());
                    for (k, v) in headers {
                        request = request.header(k, v);
                    }
                    let request = request
                        .body(Empty::<Bytes>::new())
                        .expect("a request with a valid URI builds");
                    let Some(s) = sender.as_mut() else {
                        continue;
                    };
                    match s.send_request(request).await {
                        Ok(res) => return read_whole(res).await,
                        Err(e) if attempt == 0 && (e.is_closed() || e.is_canceled()) => {
                            *sender = None;
                        }
                        Err(e) => return Err(format!("the request failed: {e}")),
                    }
                }
                Err("the server closed two connections in a row".into())
            }
        }
    }
}

/// An answer's head and whole body, from the router in-process or from a server over HTTP.
async fn read_whole<B>(
    res: http::Response<B>,
) -> Result<(axum::http::response::Parts, Bytes), String>
where
    B: axum::body::HttpBody<Data = Bytes>,
    B::Error: std::fmt::Display,
{
    let (parts, body) = res.into_parts();
    let bytes = body
        .collect()
        .await
        .map_err(|e| format!("reading the body: {e}"))?
        .to_bytes();
    Ok((parts, bytes))
}

/// Routes whose answer is a random pick: never cached.
fn is_random(path: &str) -> bool {
    path.contains("/Random_Song_Assignments/")
}

/// The edge's headers on one answer (see the module comment).
fn check_headers(
    method: &Method,
    path: &str,
    status: u16,
    headers: &HeaderMap,
) -> Result<(), String> {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if get("x-content-type-options") != Some("nosniff") {
        return Err(format!(
            "status {status} without X-Content-Type-Options: nosniff"
        ));
    }
    if get("access-control-allow-origin") != Some("*") {
        return Err(format!(
            "status {status} without Access-Control-Allow-Origin: *"
        ));
    }
    let Some(cache) = get("cache-control") else {
        return Err(format!("status {status} without Cache-Control"));
    };
    let is_api = path == "/api" || path.starts_with("/api/");
    let readable = *method == Method::GET || *method == Method::HEAD;
    if is_api && status >= 400 && cache != "no-store" {
        return Err(format!(
            "an API error ({status}) with Cache-Control {cache:?}"
        ));
    }
    if is_api && readable && status == 200 {
        let tagged = headers.contains_key("etag");
        if is_random(path) {
            if cache != "no-store" || tagged {
                return Err(format!(
                    "a random pick with Cache-Control {cache:?} (tagged: {tagged})"
                ));
            }
        } else if cache == "no-store" {
            if tagged {
                return Err("a no-store answer with an ETag".into());
            }
        } else if !(tagged
            && cache.contains("max-age=")
            && cache.contains("stale-while-revalidate="))
        {
            return Err(format!(
                "a cacheable 200 needs an ETag and max-age + stale-while-revalidate: Cache-Control {cache:?}, tagged {tagged}"
            ));
        }
    }
    Ok(())
}

/// Send one request; `Err` says what was wrong with the answer.
async fn check(client: &mut Client, method: Method, uri: Uri) -> Result<(u16, Duration), String> {
    let started = Instant::now();
    let path = uri.path().to_string();
    let is_api = path == "/api" || path.starts_with("/api/");
    let mut headers = HeaderMap::new();
    headers.insert(
        "origin",
        "https://fuzz.example".parse().expect("a header value"),
    );
    if method == Method::OPTIONS {
        headers.insert(
            "access-control-request-method",
            "GET".parse().expect("a header value"),
        );
    }
    let limit = client.limit();
    let (parts, bytes) = tokio::time::timeout(limit, client.send(&method, &uri, &headers))
        .await
        .map_err(|_| format!("no complete answer within {limit:?}"))??;
    let elapsed = started.elapsed();
    let status = parts.status.as_u16();
    if !(parts.status.is_success() || matches!(status, 304 | 400 | 404 | 405)) {
        return Err(format!(
            "status {status}: {}",
            String::from_utf8_lossy(&bytes)
        ));
    }
    check_headers(&method, &path, status, &parts.headers)?;
    let has_body = method != Method::HEAD
        && status != 304
        && !(method == Method::OPTIONS && parts.status.is_success());
    if !has_body && !bytes.is_empty() {
        return Err(format!(
            "{method} answered {status} with a {}-byte body",
            bytes.len()
        ));
    }
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
        let plain = body["status"] == status && body["error"].is_string();
        // The routes shaped like Spotify's answer their own errors in Spotify's form; what the
        // edge answers for them (an unknown path under them, a wrong method) keeps the plain one.
        let spotify = music_v3::openapi::spotify_shaped(&path)
            && body["error"]["status"] == status
            && body["error"]["message"].is_string();
        if status >= 400 && !plain && !spotify {
            return Err(format!("status {status}, error body {body}"));
        }
    }
    Ok((status, elapsed))
}

/// Fuzz one route: `cases` answered inputs. Returns its statistics, the bad answers (at most
/// 20) and how many generated strings were not URIs.
async fn fuzz_route(
    mut client: Client,
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
        match check(&mut client, method.clone(), uri).await {
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

/// Fuzz every template with its own client from `client_for`, and check the answers.
async fn fuzz_all(
    what: &str,
    templates: Vec<Template>,
    cases: u64,
    client_for: impl Fn() -> Client,
) {
    let seed = env_u64("MUSIC_ML_FUZZ_SEED", DEFAULT_SEED);
    let routes = templates.len();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for (ti, t) in templates.into_iter().enumerate() {
        let route_seed = seed ^ (ti as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let path = t.path.clone();
        tasks.push((
            path,
            tokio::spawn(fuzz_route(client_for(), t, cases, route_seed)),
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
        "fuzz ({what}): seed {seed:#x}, {} routes x {cases} inputs in {:.1} s ({unparsable} generated strings were not URIs)\n{summary}",
        routes,
        started.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{what}, seed {seed:#x}: {} bad answers:\n{}",
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
            assert!(
                ok > 0 && client > 0,
                "{what}: {path}: only {:?}",
                s.statuses
            );
        }
    }
}

/// v3's routes that rank the whole catalogue wait for its feature table, which v3 reads on a
/// thread of its own at start-up (seconds in a debug build on a busy machine). The fuzz is about
/// hostile input, not start-up, so the table is waited for once before answers are timed.
async fn wait_for_v3_table(app: &Router) {
    let reply = music_testkit::get(app, "/api/v3/recommendations/available-genre-seeds").await;
    assert_eq!(reply.status, 200, "v3's feature table did not load");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_survives_hostile_inputs() {
    let cases = env_u64("MUSIC_ML_FUZZ_CASES", 1_000);
    let app = site_app(&data_dir()).expect("data/build (run the pipeline)");
    wait_for_v3_table(&app).await;
    fuzz_all("in-process", templates(), cases, || {
        Client::App(app.clone())
    })
    .await;
}

/// The same through the real local server: hyper's parsing, the connection handling and the
/// server's limits are in the path, as they are for a browser.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_survives_hostile_inputs_over_http() {
    let cases = env_u64("MUSIC_ML_FUZZ_HTTP_CASES", 250);
    let app = site_app(&data_dir()).expect("data/build (run the pipeline)");
    wait_for_v3_table(&app).await;
    let server = serve_local(app, music_local::Limits::default()).await;
    let addr = server.addr;
    fuzz_all("real HTTP server", templates(), cases, || {
        Client::http(addr)
    })
    .await;
    server.shutdown().await;
}

/// v2 reading a real DynamoDB API (dynalite, seeded with a real subset by the batch writer),
/// through the real HTTP server: hostile titles and cluster numbers reach DynamoDB's own
/// validation, and must still be 4xx, never a 5xx.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_survives_hostile_inputs_against_dynalite() {
    let Some(dynalite) = dynamo_support::Dynalite::start() else {
        return;
    };
    // Dynalite answers in about a millisecond: as many inputs as in-process.
    let cases = env_u64("MUSIC_ML_FUZZ_CASES", 1_000);
    let tables = music_dynamo::TableNames::default().prefixed("fuzz_");
    let mut options = dynamo_support::sample_writer(&dynalite.endpoint, &tables);
    options.region = Some("us-west-1".into());
    music_scripts::dynamo_writer::run(&options)
        .await
        .unwrap_or_else(|e| panic!("seeding dynalite: {e:#}"));
    let state = music_v2::AppState::dynamodb_with(music_v2::DynamoConfig {
        endpoint_url: Some(dynalite.endpoint.clone()),
        region: Some("us-west-1".into()),
        tables,
        operation_timeout: Some(Duration::from_secs(4)),
        seed: None,
    })
    .await;
    let app = music_http::finish(music_v2::router(state));
    let server = serve_local(app, music_local::Limits::default()).await;
    let addr = server.addr;
    let v2: Vec<Template> = templates()
        .into_iter()
        .filter(|t| t.path.starts_with("/api/v2"))
        .collect();
    assert!(v2.len() >= 4, "the v2 routes: {}", v2.len());
    fuzz_all("v2 on dynalite", v2, cases, || Client::http(addr)).await;
    server.shutdown().await;
}

/// A URI longer than the http crate's limit (64 KiB) never reaches a router, and no HTTP client
/// library will even send one; written by hand on a socket, a 100 KB path or query gets a 4xx
/// (or the connection closed) from hyper, and the server keeps serving.
#[tokio::test]
async fn a_100_kb_uri_is_refused_and_the_server_keeps_serving() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let server = music_testkit::serve(site_app(&data_dir()).unwrap()).await;
    let addr = server.addr;
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
    let res = reqwest::get(server.url("/api/v3/elbow")).await.unwrap();
    assert_eq!(res.status(), 200);
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
    let bare = app.clone();
    let app = music_http::finish(app);
    let mut client = Client::App(app);
    for bad in ["/api/boom", "/api/text", "/api/wrong-body", "/api/slow"] {
        let r = check(&mut client, Method::GET, bad.parse().unwrap()).await;
        assert!(r.is_err(), "{bad} passed the check: {r:?}");
    }
    assert_eq!(
        check(&mut client, Method::GET, "/api/ok".parse().unwrap())
            .await
            .map(|r| r.0),
        Ok(200)
    );
    // A JSON 404 from the shared fallback passes.
    assert_eq!(
        check(&mut client, Method::GET, "/api/nothing".parse().unwrap())
            .await
            .map(|r| r.0),
        Ok(404)
    );
    // Without the edge's layers the headers are missing: CORS, nosniff, caching.
    let mut bare = Client::App(bare);
    let r = check(&mut bare, Method::GET, "/api/ok".parse().unwrap()).await;
    assert!(
        r.as_ref().is_err_and(|e| e.contains("nosniff")),
        "an answer without the edge's headers passed: {r:?}"
    );
    // A cacheable 200 without a tag, and a random pick that may be stored, are refused.
    let mut h = HeaderMap::new();
    h.insert("x-content-type-options", "nosniff".parse().unwrap());
    h.insert("access-control-allow-origin", "*".parse().unwrap());
    h.insert("cache-control", music_http::cache::PUBLIC.parse().unwrap());
    assert!(check_headers(&Method::GET, "/api/v1.0/data_by_year", 200, &h).is_err());
    h.insert("etag", "\"1\"".parse().unwrap());
    assert!(check_headers(&Method::GET, "/api/v1.0/data_by_year", 200, &h).is_ok());
    assert!(check_headers(&Method::GET, "/api/v2.1/Random_Song_Assignments/3", 200, &h).is_err());
    assert!(check_headers(&Method::GET, "/api/v1.0/x", 404, &h).is_err());
}
