//! v3 latency benchmark on the shipped catalogue (`data/build/musicData.sqlite`), through a real
//! local HTTP server, with the same router called in process as the baseline of the same run.
//!
//! * The app: `music_v3::router` wrapped by `music_http::finish_with` with the local server's
//!   request time limit, which is what `music_local::app` does to the v3 routes (it also merges
//!   the v1, v2 and web routers, which `music-v3` cannot depend on). Served with `axum::serve` on
//!   127.0.0.1:0 by a multi-thread Tokio runtime (one worker per core, like `music-ml-serve`).
//! * Clients: N concurrent keep-alive HTTP/1.1 connections (default 8, plus a 1-connection pass),
//!   closed loop, on their own thread; each request is timed from its write to the last byte of
//!   its answer. A small layer around the app measures the server's thread CPU time spent on each
//!   request (every poll of the response future: routing, edge layers, handler, JSON) and returns
//!   it in a header, so the CPU column is the server's own work, whatever the load.
//! * Baseline: the same router through `tower::ServiceExt::oneshot` on one thread (no sockets),
//!   wall and thread CPU per request, body read whole.
//! * Search queries are seeded and built from real rows: prefixes of titles and artist names,
//!   title words with artist words (either order), two or three words, one word in three gets a
//!   typo anywhere (substitution, deletion, insertion, swap), plus the examples.
//!   Recommendations: random seed tracks, n=10, method=cluster (scope=cluster), method=nearest
//!   (scope=all) and the default method=similar; Spotify-shaped `/api/v3/recommendations` with
//!   5 seeds (2 tracks, 1 artist, 2 genres) + 3 targets + 2 filters (issue 12's goal), and with
//!   filters that leave few candidates.
//!
//! Run: `cargo bench -p music-v3 --bench v3 -- --help`. Figures go to bench/results/v3.md.
//! Not part of ./scripts/test. Every figure is taken on whatever the machine is doing.

#[path = "../common/latency.rs"]
mod latency;
#[path = "../common/typo.rs"]
mod typo;

use std::convert::Infallible;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{HeaderValue, Request};
use axum::response::Response;
use latency::{clock, thread_cpu, Latency};
use music_shared::fold_name;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rusqlite::{Connection, OpenFlags};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

const SEED: u64 = 11;
const CPU_HEADER: &str = "x-bench-server-cpu-ns";
/// `music_local::Limits::default().request_timeout`.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

const HELP: &str = "\
v3 search and recommendation latency through a local HTTP server (8 keep-alive clients), with
the same router called in process as the baseline, on the shipped catalogue.

Usage: cargo bench -p music-v3 --bench v3 -- [OPTIONS]

Options:
  --db PATH        SQLite file to serve, relative to the checkout
                   [default: data/build/musicData.sqlite]
  --requests N     requests per workload and pass [default: 3000]
  --clients N      concurrent keep-alive connections of the main pass [default: 8]
  --quick          500 requests per workload
  --only TEXT      run only the workloads whose name contains TEXT
  -h, --help       this text

Prints markdown tables (p50/p99/max wall, p50/p99 CPU per request) for bench/results/v3.md.";

// ---------- clocks and statistics ----------

/// CPU time of the whole process (server workers and clients together).
fn process_cpu() -> Duration {
    clock(libc::CLOCK_PROCESS_CPUTIME_ID)
}

/// `f`'s result, with the wall time and the process CPU time it took.
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration, Duration) {
    let (t, c) = (Instant::now(), process_cpu());
    let out = f();
    (out, t.elapsed(), process_cpu() - c)
}

/// One timed request: wall time at the caller, CPU time (the server's own, for HTTP), status.
#[derive(Clone, Copy)]
struct Sample {
    wall: Duration,
    cpu: Duration,
    ok: bool,
}

/// A workload's latency and how many of its requests failed.
struct Stats {
    latency: Latency,
    errors: usize,
}

fn stats(v: &[Sample]) -> Stats {
    Stats {
        latency: Latency::of(
            v.iter().map(|s| s.wall).collect(),
            v.iter().map(|s| s.cpu).collect(),
        ),
        errors: v.iter().filter(|s| !s.ok).count(),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1e3)
}

/// One table row; `extra` is the throughput / process-CPU cell.
fn row(what: &str, path: &str, s: &Stats, extra: &str) {
    println!(
        "| {what} | {path} | {} | {} | {} | {extra} |",
        s.latency.n,
        s.errors,
        s.latency.cells(ms)
    );
}

// ---------- the server-side CPU layer ----------

/// Wraps the app: sums the thread CPU time of every poll of each request's future (so it stays
/// right if the runtime moves the task between workers) and returns it in [`CPU_HEADER`].
#[derive(Clone)]
struct CpuLayer;

impl<S> tower::Layer<S> for CpuLayer {
    type Service = CpuService<S>;
    fn layer(&self, inner: S) -> CpuService<S> {
        CpuService(inner)
    }
}

#[derive(Clone)]
struct CpuService<S>(S);

impl<S> tower::Service<Request<Body>> for CpuService<S>
where
    S: tower::Service<Request<Body>, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = CpuTimed<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let start = thread_cpu();
        let inner = Box::pin(self.0.call(req));
        CpuTimed {
            inner,
            cpu: thread_cpu() - start,
        }
    }
}

struct CpuTimed<F> {
    inner: Pin<Box<F>>,
    cpu: Duration,
}

impl<F, E> Future for CpuTimed<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let start = thread_cpu();
        let polled = self.inner.as_mut().poll(cx);
        self.cpu += thread_cpu() - start;
        match polled {
            Poll::Ready(Ok(mut res)) => {
                let ns = u64::try_from(self.cpu.as_nanos()).unwrap_or(u64::MAX);
                res.headers_mut().insert(CPU_HEADER, HeaderValue::from(ns));
                Poll::Ready(Ok(res))
            }
            other => other,
        }
    }
}

/// The v3 routes as `music_local::app` serves them, plus the CPU layer outermost.
fn app(state: music_v3::AppState) -> axum::Router {
    music_http::finish_with(
        music_v3::router(state),
        &music_http::EdgeOptions {
            request_timeout: Some(REQUEST_TIMEOUT),
        },
    )
    .layer(CpuLayer)
}

// ---------- a minimal keep-alive HTTP/1.1 client ----------

/// One connection. Written here rather than pulling an HTTP client into music-v3's
/// dev-dependencies; it reads `Content-Length` and chunked bodies, which is all axum sends.
struct Client {
    stream: tokio::net::TcpStream,
    buf: Vec<u8>,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl Client {
    async fn connect(addr: std::net::SocketAddr) -> std::io::Result<Client> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Client {
            stream,
            buf: Vec::with_capacity(1 << 16),
        })
    }

    async fn fill(&mut self) -> std::io::Result<()> {
        let mut chunk = [0u8; 16384];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "server closed the connection",
            ));
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }

    /// GET `uri`; returns (status, server CPU from the header, body length).
    async fn get(&mut self, uri: &str) -> std::io::Result<(u16, Duration, usize)> {
        let req = format!("GET {uri} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: v3-bench\r\n\r\n");
        self.stream.write_all(req.as_bytes()).await?;
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i + 4;
            }
            self.fill().await?;
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        let bad =
            |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
        let status: u16 = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("no status line"))?;
        let (mut length, mut chunked, mut cpu) = (None, false, Duration::ZERO);
        for line in head.lines().skip(1) {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
            match name.as_str() {
                "content-length" => length = value.parse::<usize>().ok(),
                "transfer-encoding" => chunked = value.eq_ignore_ascii_case("chunked"),
                n if n == CPU_HEADER => {
                    cpu = Duration::from_nanos(value.parse().map_err(|_| bad("cpu header"))?)
                }
                _ => {}
            }
        }
        self.buf.drain(..head_end);
        let body = if chunked {
            let mut total = 0;
            loop {
                let line_end = loop {
                    if let Some(i) = find(&self.buf, b"\r\n") {
                        break i;
                    }
                    self.fill().await?;
                };
                let size_text = String::from_utf8_lossy(&self.buf[..line_end]).into_owned();
                let size =
                    usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
                        .map_err(|_| bad("chunk size"))?;
                while self.buf.len() < line_end + 2 + size + 2 {
                    self.fill().await?;
                }
                self.buf.drain(..line_end + 2 + size + 2);
                total += size;
                if size == 0 {
                    break total;
                }
            }
        } else {
            let len = length.ok_or_else(|| bad("neither Content-Length nor chunked"))?;
            while self.buf.len() < len {
                self.fill().await?;
            }
            self.buf.drain(..len);
            len
        };
        Ok((status, cpu, body))
    }
}

/// Every URI once, over `clients` keep-alive connections in a closed loop (each client takes the
/// next URI as soon as it has its answer). Returns the samples and the process CPU and wall time
/// the pass took.
fn http_pass(
    rt: &tokio::runtime::Runtime,
    addr: std::net::SocketAddr,
    uris: &Arc<Vec<String>>,
    clients: usize,
) -> (Vec<Sample>, Duration, Duration) {
    let next = Arc::new(AtomicUsize::new(0));
    let (cpu0, wall0) = (process_cpu(), Instant::now());
    let samples = rt.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let (next, uris) = (next.clone(), uris.clone());
            tasks.push(tokio::spawn(async move {
                let mut client = Client::connect(addr).await.expect("connect");
                let mut out = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(uri) = uris.get(i) else { break };
                    let t = Instant::now();
                    let (status, cpu, len) = client.get(uri).await.expect("request");
                    std::hint::black_box(len);
                    out.push(Sample {
                        wall: t.elapsed(),
                        cpu,
                        ok: status == 200,
                    });
                }
                out
            }));
        }
        let mut all = Vec::with_capacity(uris.len());
        for t in tasks {
            all.extend(t.await.expect("client task"));
        }
        all
    });
    (samples, process_cpu() - cpu0, wall0.elapsed())
}

/// Every URI once through the router in process, one at a time.
fn oneshot_pass(rt: &tokio::runtime::Runtime, app: &axum::Router, uris: &[String]) -> Vec<Sample> {
    uris.iter()
        .map(|uri| {
            let (t, c) = (Instant::now(), thread_cpu());
            let ok = rt.block_on(async {
                let res = app
                    .clone()
                    .oneshot(
                        Request::get(uri.as_str())
                            .body(Body::empty())
                            .expect("request"),
                    )
                    .await
                    .unwrap_or_else(|e: Infallible| match e {});
                let ok = res.status().is_success();
                let body = axum::body::to_bytes(res.into_body(), 64 << 20)
                    .await
                    .expect("body");
                std::hint::black_box(body.len());
                ok
            });
            Sample {
                wall: t.elapsed(),
                cpu: thread_cpu() - c,
                ok,
            }
        })
        .collect()
}

// ---------- workloads from the real rows ----------

fn enc(q: &str) -> String {
    q.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Words a person would type for a name: folded, split on anything but letters and digits.
fn words_of(name: &str) -> Vec<String> {
    fold_name(name)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// One slip of the fingers somewhere in `w`: a wrong letter, a missing or extra one, or two
/// neighbours swapped. Words of one or two characters are left alone.
fn with_typo(rng: &mut Xoshiro256PlusPlus, w: &str) -> String {
    typo::typo(rng, w, 3, |rng| {
        char::from(b"abcdefghijklmnopqrstuvwxyz"[rng.gen_range(0..26)])
    })
}

struct Row {
    id: String,
    title: Vec<String>,
    artist: Vec<String>,
}

fn read_rows(conn: &Connection) -> Vec<Row> {
    let mut st = conn
        .prepare("SELECT id, name, artists FROM tracks ORDER BY track")
        .expect("tracks table");
    st.query_map([], |r| {
        let artists: String = r.get(2)?;
        let artists: Vec<String> = serde_json::from_str(&artists).unwrap_or_default();
        Ok(Row {
            id: r.get(0)?,
            title: words_of(&r.get::<_, String>(1)?),
            artist: artists.first().map(|a| words_of(a)).unwrap_or_default(),
        })
    })
    .expect("query")
    .map(|r| r.expect("row"))
    .collect()
}

/// Queries as people type them into the search box, seeded.
fn search_queries(rows: &[Row], count: usize, rng: &mut Xoshiro256PlusPlus) -> Vec<String> {
    let mut out: Vec<String> = [
        "fleetwod mac dre",
        "bohemian rhapsody queen",
        "purple rain",
        "wonderwall",
        "yesterday beatles",
        "beyonce",
        "kendrick lamar",
        "a",
    ]
    .map(String::from)
    .to_vec();
    while out.len() < count {
        let r = &rows[rng.gen_range(0..rows.len())];
        if r.title.is_empty() {
            continue;
        }
        let mut q: Vec<String> = match rng.gen_range(0..10) {
            // Still typing a title or an artist's name: its first 1..15 characters.
            0..=2 => {
                let whole = if rng.gen_bool(0.35) && !r.artist.is_empty() {
                    r.artist.join(" ")
                } else {
                    r.title.join(" ")
                };
                let keep = rng.gen_range(1..=15);
                vec![whole
                    .chars()
                    .take(keep)
                    .collect::<String>()
                    .trim_end()
                    .to_owned()]
            }
            // Two or three title words, then an artist word.
            3..=5 => {
                let n = rng.gen_range(1..=2);
                let mut q: Vec<String> = r.title.iter().take(n).cloned().collect();
                q.extend(r.artist.first().cloned());
                q
            }
            // The artist first, then a title word or two.
            6..=7 => {
                let mut q: Vec<String> = r.artist.iter().take(2).cloned().collect();
                q.extend(r.title.iter().take(rng.gen_range(1..=2)).cloned());
                q
            }
            // The whole title (up to three words).
            _ => r.title.iter().take(3).cloned().collect(),
        };
        q.retain(|w| !w.is_empty());
        if q.is_empty() {
            continue;
        }
        // Half the multi-word queries are sent while the last word is still being typed.
        if q.len() > 1 && rng.gen_bool(0.5) {
            let last = q.last_mut().expect("non-empty");
            let keep = rng.gen_range(1..=last.chars().count());
            *last = last.chars().take(keep).collect();
        }
        if rng.gen_bool(1.0 / 3.0) {
            let i = rng.gen_range(0..q.len());
            q[i] = with_typo(rng, &q[i]);
        }
        let q = q.join(" ");
        if !fold_name(&q).is_empty() {
            out.push(q);
        }
    }
    out.shuffle(rng);
    out
}

// ---------- main ----------

struct Options {
    db: PathBuf,
    requests: usize,
    clients: usize,
    only: Option<String>,
}

fn options() -> Options {
    let mut o = Options {
        db: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/build/musicData.sqlite"),
        requests: 3000,
        clients: 8,
        only: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .unwrap_or_else(|| panic!("{name} needs a value (see --help)"))
        };
        match a.as_str() {
            "-h" | "--help" => {
                println!("{HELP}");
                std::process::exit(0);
            }
            "--bench" => {} // cargo bench passes it to every bench binary
            "--quick" => o.requests = 500,
            "--db" => {
                // cargo bench runs this in functions/v3: a relative path is the checkout's.
                let db = PathBuf::from(value("--db"));
                o.db = if db.is_relative() && !db.exists() {
                    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                        .join("../..")
                        .join(db)
                } else {
                    db
                };
            }
            "--requests" => o.requests = value("--requests").parse().expect("--requests N"),
            "--clients" => o.clients = value("--clients").parse().expect("--clients N"),
            "--only" => o.only = Some(value("--only")),
            other => {
                eprintln!("unknown argument {other}; see --help");
                std::process::exit(2);
            }
        }
    }
    o
}

/// `/api/v3/recommendations` as issue 12's goal states it (5 seeds: 2 tracks, 1 artist, 2
/// genres; 3 targets; 2 filters), and with filters that leave few candidates.
fn spotify_workloads(
    f: &music_v3::features::Features,
    rows: &[Row],
    count: usize,
    rng: &mut Xoshiro256PlusPlus,
) -> Vec<(String, Arc<Vec<String>>)> {
    let genres: Vec<&str> = (0..f.genres.len() as u32)
        .filter(|&g| f.genre_tracks(g).len() >= 10)
        .map(|g| &*f.genres[g as usize])
        .collect();
    let artists: Vec<&str> = f
        .artists
        .iter()
        .filter(|a| !a.tracks.is_empty())
        .filter_map(|a| a.spotify_id.as_deref())
        .collect();
    let mut full = Vec::with_capacity(count);
    let mut few = Vec::with_capacity(count);
    for _ in 0..count {
        let track = |rng: &mut Xoshiro256PlusPlus| rows[rng.gen_range(0..rows.len())].id.clone();
        let (t1, t2) = (track(rng), track(rng));
        let artist = artists[rng.gen_range(0..artists.len())];
        let g1 = enc(genres[rng.gen_range(0..genres.len())]);
        let g2 = enc(genres[rng.gen_range(0..genres.len())]);
        full.push(format!(
            "/api/v3/recommendations?seed_tracks={t1},{t2}&seed_artists={artist}&seed_genres={g1},{g2}\
             &target_energy={:.2}&target_valence={:.2}&target_tempo={}\
             &min_popularity={}&max_year={}&limit=20",
            rng.gen_range(0.0..1.0),
            rng.gen_range(0.0..1.0),
            rng.gen_range(60..180),
            rng.gen_range(0..60),
            rng.gen_range(1960..2022),
        ));
        few.push(format!(
            "/api/v3/recommendations?seed_tracks={t1}&seed_genres={g1}\
             &min_popularity={}&min_year=2019&max_per_artist=1&explicit=false&limit=100",
            rng.gen_range(70..95),
        ));
    }
    vec![
        (
            "Spotify-shaped: 5 seeds + 3 targets + 2 filters, limit=20".to_owned(),
            Arc::new(full),
        ),
        (
            "Spotify-shaped: filters leaving few (popularity>=70-95, year>=2019), limit=100"
                .to_owned(),
            Arc::new(few),
        ),
    ]
}

fn main() {
    let o = options();
    let conn = Connection::open_with_flags(&o.db, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap_or_else(|e| panic!("{}: {e} (run the pipeline first)", o.db.display()));
    let rows = read_rows(&conn);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED);
    let queries = search_queries(&rows, o.requests, &mut rng);
    let workloads: Vec<(String, Arc<Vec<String>>)> = {
        let mut w = vec![(
            "search (limit=10)".to_owned(),
            Arc::new(
                queries
                    .iter()
                    .map(|q| format!("/api/v3/search?q={}&limit=10", enc(q)))
                    .collect(),
            ),
        )];
        for scope in ["cluster", "all"] {
            let uris = (0..o.requests)
                .map(|_| {
                    let id = &rows[rng.gen_range(0..rows.len())].id;
                    format!("/api/v3/tracks/{id}/recommendations?n=10&scope={scope}")
                })
                .collect();
            w.push((
                format!("recommendations n=10 scope={scope}"),
                Arc::new(uris),
            ));
        }
        let uris = (0..o.requests)
            .map(|_| {
                let id = &rows[rng.gen_range(0..rows.len())].id;
                format!("/api/v3/tracks/{id}/recommendations?n=10")
            })
            .collect();
        w.push((
            "recommendations n=10 method=similar (default)".to_owned(),
            Arc::new(uris),
        ));
        w
    };

    let (state, load_wall, load_cpu) =
        timed(|| music_v3::AppState::open(&o.db).expect("v3 opens the database"));
    let (features, table_wall, table_cpu) =
        timed(|| state.features().expect("the v3 feature table"));
    let mut workloads = workloads;
    workloads.extend(spotify_workloads(&features, &rows, o.requests, &mut rng));
    if let Some(only) = &o.only {
        workloads.retain(|(name, _)| name.contains(only.as_str()));
    }
    let tracks = state.track_count();
    let router = app(state);

    let server_rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("server runtime");
    let listener = server_rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    let served = router.clone();
    server_rt.spawn(async move { axum::serve(listener, served).await });
    let client_rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");

    println!(
        "### {tracks} tracks, {} (v3 state loaded in {} ms wall, {} ms CPU; then the feature table, on its own thread, ready {} ms later, {} ms CPU); server on {addr}, {} worker threads\n",
        o.db.display(),
        ms(load_wall),
        ms(load_cpu),
        ms(table_wall),
        ms(table_cpu),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    );
    println!("Times in ms. HTTP rows: wall at the client (write to last byte), CPU = the server's thread CPU for the request. In-process rows: wall and thread CPU of one oneshot call.\n");
    println!("| workload | path | requests | non-200 | p50 wall | p99 wall | max wall | p50 CPU | p99 CPU | req/s, process CPU per request (ms) |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (name, uris) in &workloads {
        // Warm-up: 300 URIs in process (caches, allocator), then the same over HTTP.
        oneshot_pass(&client_rt, &router, &uris[..uris.len().min(300)]);
        let warm: Arc<Vec<String>> = Arc::new(uris.iter().take(300).cloned().collect());
        http_pass(&client_rt, addr, &warm, o.clients);
        let (samples, wall, cpu) = timed(|| oneshot_pass(&client_rt, &router, uris));
        let per = |samples: &[Sample], cpu: Duration, wall: Duration| {
            format!(
                "{:.0} req/s, {:.3} ms",
                samples.len() as f64 / wall.as_secs_f64(),
                cpu.as_secs_f64() * 1e3 / samples.len() as f64
            )
        };
        row(
            name,
            "in process (oneshot), baseline",
            &stats(&samples),
            &per(&samples, cpu, wall),
        );
        for clients in [1, o.clients] {
            let (samples, cpu, wall) = http_pass(&client_rt, addr, uris, clients);
            row(
                name,
                &format!("HTTP, {clients} keep-alive client(s)"),
                &stats(&samples),
                &per(&samples, cpu, wall),
            );
        }
    }
    server_rt.shutdown_background();
}
