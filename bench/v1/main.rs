//! v1 benchmark driver (run on demand by `bench/v1/run.sh`, never by `./scripts/test`).
//!
//! * `inproc` — the finished v1 router called with `tower::ServiceExt::oneshot`, one request
//!   at a time, so the figures are the handler's own cost without sockets.
//! * `serve` — the same router on 127.0.0.1 (axum, tokio multi-thread), for the HTTP runs.
//! * `load` — a closed-loop HTTP/1.1 load generator over plain `std::net` sockets: each
//!   connection is a thread sending one request after another for a bounded time and count.
//!   It follows `Connection: close` (gunicorn's sync workers close after every response), so the
//!   same generator measures both the Rust server and the Flask baseline.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use axum::body::Body;
use axum::http::Request;
use clap::{Parser, Subcommand};
use tower::ServiceExt;

#[derive(Parser)]
#[command(about = "Benchmark the v1 routes in-process and over local HTTP")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Time every route in-process, one request at a time; prints a Markdown table.
    Inproc {
        /// SQLite file (default: as the Lambda finds it).
        #[command(flatten)]
        db: music_db::DbArg,
        /// Timed requests per route (after a warm-up of a tenth as many).
        #[arg(long, default_value_t = 20_000)]
        requests: usize,
    },
    /// Serve the v1 router on 127.0.0.1 until killed.
    Serve {
        #[command(flatten)]
        db: music_db::DbArg,
        #[arg(long, default_value_t = 3001)]
        port: u16,
    },
    /// Closed-loop load on one path of a local server; prints one Markdown table row.
    Load {
        /// Server address, e.g. 127.0.0.1:3001 (local only).
        #[arg(long)]
        addr: SocketAddr,
        /// Request path, already percent-encoded.
        #[arg(long)]
        path: String,
        /// Label for the first column of the row.
        #[arg(long)]
        label: String,
        /// Concurrent connections (one thread each).
        #[arg(long, default_value_t = 4)]
        connections: usize,
        /// Stop after this many seconds...
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        /// ...or after this many requests in all, whichever comes first.
        #[arg(long, default_value_t = 1_000_000)]
        max_requests: usize,
        /// Ask for `Connection: close` (a new TCP connection per request).
        #[arg(long)]
        close: bool,
        /// The status every response must have; others count as errors.
        #[arg(long, default_value_t = 200)]
        expect: u16,
    },
}

/// The routes measured, with the status each must answer.
const CASES: &[(&str, &str, u16)] = &[
    ("data_by_year (102 rows)", "/api/v1.0/data_by_year", 200),
    ("top_51_genres (51 rows)", "/api/v1.0/top_51_genres", 200),
    (
        "artist, exact name",
        "/api/v1.0/data_by_artist_clean/The%20B-52's",
        200,
    ),
    (
        "artist, folded name",
        "/api/v1.0/data_by_artist_clean/beyonce",
        200,
    ),
    (
        "artist, unknown (404)",
        "/api/v1.0/data_by_artist_clean/x%22%20OR%20%221%22%3D%221",
        404,
    ),
    ("/api listing", "/api", 200),
];

fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Inproc { db, requests } => inproc(db, requests),
        Command::Serve { db, port } => serve(db, port),
        Command::Load {
            addr,
            path,
            label,
            connections,
            seconds,
            max_requests,
            close,
            expect,
        } => {
            if !addr.ip().is_loopback() {
                bail!("load tests run against 127.0.0.1 only");
            }
            let spec = LoadSpec {
                addr,
                path,
                connections,
                seconds,
                max_requests,
                close,
                expect,
            };
            let stats = load(&spec)?;
            println!(
                "| {label} | {} | {} | {:.0} | {:.0} | {:.0} | {} |",
                connections,
                stats.latencies.len(),
                stats.latencies.len() as f64 / stats.elapsed.as_secs_f64(),
                percentile(&stats.latencies, 0.50),
                percentile(&stats.latencies, 0.99),
                stats.errors
            );
            Ok(())
        }
    }
}

fn open(db: music_db::DbArg) -> Result<music_v1::AppState> {
    let path = db.path();
    music_v1::AppState::open(&path).with_context(|| format!("opening {}", path.display()))
}

/// Microseconds at quantile `q` of sorted latencies (nearest rank).
fn percentile(sorted_us: &[f64], q: f64) -> f64 {
    if sorted_us.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted_us.len() as f64).ceil() as usize).clamp(1, sorted_us.len());
    sorted_us[rank - 1]
}

fn inproc(db: music_db::DbArg, requests: usize) -> Result<()> {
    let app = music_http::finish(music_v1::router(open(db)?));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    println!("| route | requests | req/s | p50 µs | p99 µs | max µs |");
    println!("|---|---:|---:|---:|---:|---:|");
    for &(label, path, status) in CASES {
        let mut latencies = Vec::with_capacity(requests);
        for i in 0..requests + requests / 10 {
            let request = Request::get(path).body(Body::empty())?;
            let t = Instant::now();
            let got = rt.block_on(async {
                let response = app.clone().oneshot(request).await?;
                let got = response.status().as_u16();
                axum::body::to_bytes(response.into_body(), usize::MAX).await?;
                anyhow::Ok(got)
            })?;
            let us = t.elapsed().as_secs_f64() * 1e6;
            if got != status {
                bail!("{path}: status {got} (expected {status})");
            }
            if i >= requests / 10 {
                latencies.push(us);
            }
        }
        let total: f64 = latencies.iter().sum::<f64>() / 1e6;
        latencies.sort_by(f64::total_cmp);
        println!(
            "| {label} | {} | {:.0} | {:.1} | {:.1} | {:.1} |",
            latencies.len(),
            latencies.len() as f64 / total,
            percentile(&latencies, 0.50),
            percentile(&latencies, 0.99),
            latencies.last().copied().unwrap_or(f64::NAN)
        );
    }
    Ok(())
}

fn serve(db: music_db::DbArg, port: u16) -> Result<()> {
    let app = music_http::finish(music_v1::router(open(db)?));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        eprintln!("v1-bench serving on http://{}", listener.local_addr()?);
        axum::serve(listener, app).await?;
        Ok(())
    })
}

struct LoadSpec {
    addr: SocketAddr,
    path: String,
    connections: usize,
    seconds: f64,
    max_requests: usize,
    close: bool,
    expect: u16,
}

struct Stats {
    latencies: Vec<f64>,
    errors: usize,
    elapsed: Duration,
}

fn load(spec: &LoadSpec) -> Result<Stats> {
    let deadline = Instant::now() + Duration::from_secs_f64(spec.seconds);
    let per_connection = spec.max_requests.div_ceil(spec.connections.max(1));
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: v1-bench\r\n{}\r\n",
        spec.path,
        spec.addr,
        if spec.close {
            "Connection: close\r\n"
        } else {
            ""
        }
    );
    let started = Instant::now();
    let results: Vec<(Vec<f64>, usize)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..spec.connections.max(1))
            .map(|_| s.spawn(|| client_loop(spec, request.as_bytes(), deadline, per_connection)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let elapsed = started.elapsed();
    let mut latencies: Vec<f64> = results
        .iter()
        .flat_map(|(l, _)| l.iter().copied())
        .collect();
    latencies.sort_by(f64::total_cmp);
    let errors = results.iter().map(|(_, e)| e).sum();
    Ok(Stats {
        latencies,
        errors,
        elapsed,
    })
}

/// One connection's loop. A request's latency includes the TCP connect when the previous
/// response closed the connection, as it would for any client of that server.
fn client_loop(
    spec: &LoadSpec,
    request: &[u8],
    deadline: Instant,
    limit: usize,
) -> (Vec<f64>, usize) {
    let mut latencies = Vec::with_capacity(limit.min(1 << 20));
    let mut errors = 0;
    let mut stream: Option<TcpStream> = None;
    let mut buf = Vec::with_capacity(64 * 1024);
    while latencies.len() < limit && Instant::now() < deadline {
        let t = Instant::now();
        let outcome = (|| -> Result<(u16, bool)> {
            if stream.is_none() {
                let s = TcpStream::connect_timeout(&spec.addr, Duration::from_secs(5))?;
                s.set_nodelay(true)?;
                s.set_read_timeout(Some(Duration::from_secs(10)))?;
                stream = Some(s);
            }
            let s = stream.as_mut().expect("connected above");
            s.write_all(request)?;
            read_response(s, &mut buf)
        })();
        match outcome {
            Ok((status, keep_alive)) => {
                latencies.push(t.elapsed().as_secs_f64() * 1e6);
                if status != spec.expect {
                    errors += 1;
                }
                if !keep_alive {
                    stream = None;
                }
            }
            Err(_) => {
                errors += 1;
                stream = None;
            }
        }
    }
    (latencies, errors)
}

/// Reads one response with a `Content-Length` body; returns its status and whether the
/// connection stays open.
fn read_response(s: &mut TcpStream, buf: &mut Vec<u8>) -> Result<(u16, bool)> {
    buf.clear();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let n = s.read(&mut chunk)?;
        if n == 0 {
            bail!("connection closed before the response head");
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = std::str::from_utf8(&buf[..head_end]).context("response head is not UTF-8")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status: u16 = status_line
        .split(' ')
        .nth(1)
        .unwrap_or("")
        .parse()
        .context("status line")?;
    let mut length = None;
    let mut keep_alive = status_line.starts_with("HTTP/1.1");
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.parse::<usize>().context("content-length")?);
        } else if name.eq_ignore_ascii_case("connection") {
            keep_alive = !value.eq_ignore_ascii_case("close");
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            bail!("chunked bodies are not supported by this generator");
        }
    }
    let length = length.context("response without content-length")?;
    let mut have = buf.len() - head_end;
    while have < length {
        let n = s.read(&mut chunk)?;
        if n == 0 {
            bail!("connection closed mid-body");
        }
        have += n;
    }
    Ok((status, keep_alive))
}
