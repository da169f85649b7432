//! `music-stalled`: how the local server copes with clients that never finish their request
//! head (see `bench/load/stalled.sh`). Only 127.0.0.1 is ever targeted.

#[path = "server.rs"]
mod server;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use server::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Start music-ml-serve (default limits unless --server-arg says otherwise), open N connections
/// that send half a request head and then one more header byte per second (a "slowloris"
/// client), and meanwhile ask a real URL on a fresh connection every few milliseconds. Reports
/// when the server cut each stalled client off, and how the other requests fared before and
/// during the attack.
#[derive(Parser, Debug)]
#[command(name = "music-stalled", version, about)]
struct Args {
    /// The music-ml-serve binary to start on a free 127.0.0.1 port (killed at the end).
    #[arg(long)]
    serve: PathBuf,
    /// Extra arguments for the server (e.g. --server-arg=--header-timeout=5).
    #[arg(long = "server-arg", allow_hyphen_values = true)]
    server_args: Vec<String>,
    /// data/build/ for the server.
    #[arg(long, default_value = "data/build")]
    data_dir: PathBuf,
    /// Stalled clients opened at once.
    #[arg(long, default_value_t = 1000)]
    stalled: usize,
    /// Give up waiting for the server to cut the stalled clients off after this many seconds.
    #[arg(long, default_value_t = 90)]
    patience: u64,
    /// The URL the other client asks.
    #[arg(long, default_value = "/api/v1.0/data_by_year")]
    probe_path: String,
    /// Milliseconds between the other client's requests.
    #[arg(long, default_value_t = 20)]
    probe_every_ms: u64,
    /// Seconds of probing before the attack (the baseline of the same run).
    #[arg(long, default_value_t = 5)]
    baseline_secs: u64,
    /// The goal: every stalled client is cut off within this many seconds (issue 13: 30).
    #[arg(long, default_value_t = 30)]
    goal_secs: u64,
}

/// One request on a fresh connection: the status (0 for a failure) and the time it took.
async fn probe(addr: SocketAddr, path: &str) -> (u16, Duration) {
    let started = Instant::now();
    let attempt = async {
        let mut s = TcpStream::connect(addr).await?;
        s.set_nodelay(true)?;
        let request = format!("GET {path} HTTP/1.1\r\nHost: local\r\nConnection: close\r\n\r\n");
        s.write_all(request.as_bytes()).await?;
        let mut answer = Vec::new();
        s.read_to_end(&mut answer).await?;
        let head = String::from_utf8_lossy(&answer[..answer.len().min(32)]).to_string();
        Ok::<u16, std::io::Error>(
            head.split_whitespace()
                .nth(1)
                .and_then(|c| c.parse().ok())
                .unwrap_or(0),
        )
    };
    let status = match tokio::time::timeout(Duration::from_secs(10), attempt).await {
        Ok(Ok(status)) => status,
        _ => 0,
    };
    (status, started.elapsed())
}

#[derive(Default)]
struct Probes {
    ok: u64,
    failed: u64,
    latencies: Vec<Duration>,
}

impl Probes {
    fn line(&self, what: &str) -> String {
        let mut l = self.latencies.clone();
        l.sort();
        let pct = |p: f64| -> f64 {
            if l.is_empty() {
                return f64::NAN;
            }
            let i = ((p / 100.0) * (l.len() - 1) as f64).round() as usize;
            l[i].as_secs_f64() * 1000.0
        };
        format!(
            "| {what} | {} | {} | {} | {:.2} | {:.2} | {:.2} |",
            self.ok + self.failed,
            self.ok,
            self.failed,
            pct(50.0),
            pct(99.0),
            pct(100.0)
        )
    }
}

/// Ask `path` every `every` until `stop` is set.
async fn probe_while(
    addr: SocketAddr,
    path: String,
    every: Duration,
    stop: Arc<AtomicBool>,
) -> Probes {
    let mut p = Probes::default();
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !stop.load(Ordering::SeqCst) {
        tick.tick().await;
        let (status, took) = probe(addr, &path).await;
        if status == 200 {
            p.ok += 1;
        } else {
            p.failed += 1;
        }
        p.latencies.push(took);
    }
    p
}

/// One stalled client: connect, half a head, then a header byte a second until the server
/// closes. `Some(time connected)` when the server cut it off, `None` if still open at `deadline`.
async fn stalled_client(addr: SocketAddr, deadline: Instant) -> anyhow::Result<Option<Duration>> {
    let mut s = TcpStream::connect(addr).await?;
    let connected = Instant::now();
    s.write_all(b"GET /api/v1.0/data_by_year HTTP/1.1\r\nHost: local\r\nX-Slow: ")
        .await?;
    let mut buf = [0u8; 512];
    loop {
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        let wait = (deadline - now).min(Duration::from_secs(1));
        match tokio::time::timeout(wait, s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Ok(Some(connected.elapsed())),
            Ok(Ok(_)) => continue, // an answer (e.g. 408) before the close
            Err(_) => {
                if s.write_all(b"a").await.is_err() {
                    return Ok(Some(connected.elapsed()));
                }
            }
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(&args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("music-stalled: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: &Args) -> anyhow::Result<bool> {
    music_local::raise_open_files_limit();
    let server = Server::start(&args.serve, &args.data_dir, &args.server_args)?;
    let addr = SocketAddr::from(([127, 0, 0, 1], server.port));
    let every = Duration::from_millis(args.probe_every_ms.max(1));

    // Probes the server every `every` until `stop` is set; the same probe before and during.
    let probe = |stop: &Arc<AtomicBool>| {
        tokio::spawn(probe_while(
            addr,
            args.probe_path.clone(),
            every,
            Arc::clone(stop),
        ))
    };
    let stop = Arc::new(AtomicBool::new(false));
    let baseline = probe(&stop);
    tokio::time::sleep(Duration::from_secs(args.baseline_secs)).await;
    stop.store(true, Ordering::SeqCst);
    let baseline = baseline.await?;

    let attack_started = Instant::now();
    let deadline = attack_started + Duration::from_secs(args.patience);
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..args.stalled {
        clients.spawn(stalled_client(addr, deadline));
    }
    let stop = Arc::new(AtomicBool::new(false));
    let during = probe(&stop);
    let mut cut = Vec::new();
    let mut open_at_end = 0usize;
    let mut connect_failed = 0usize;
    while let Some(done) = clients.join_next().await {
        match done {
            Ok(Ok(Some(after))) => cut.push(after),
            Ok(Ok(None)) => open_at_end += 1,
            Ok(Err(_)) | Err(_) => connect_failed += 1,
        }
    }
    let all_gone = attack_started.elapsed();
    stop.store(true, Ordering::SeqCst);
    let during = during.await?;
    drop(server);

    cut.sort();
    let pct = |p: f64| -> f64 {
        if cut.is_empty() {
            return f64::NAN;
        }
        cut[((p / 100.0) * (cut.len() - 1) as f64).round() as usize].as_secs_f64()
    };
    println!(
        "| stalled clients | cut off | still open after {} s | connect failed | cut off after: min s | p50 s | p99 s | max s | all gone after s |",
        args.patience
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {} | {} | {} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
        args.stalled,
        cut.len(),
        open_at_end,
        connect_failed,
        pct(0.0),
        pct(50.0),
        pct(99.0),
        pct(100.0),
        all_gone.as_secs_f64()
    );
    println!();
    println!(
        "| other client: GET {} on a new connection every {} ms | requests | 200 | failed | p50 ms | p99 ms | max ms |",
        args.probe_path, args.probe_every_ms
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    println!("{}", baseline.line("before the attack"));
    println!("{}", during.line("while the stalled clients are connected"));
    let slow = |p: &Probes| p.latencies.iter().filter(|l| l.as_millis() >= 500).count();
    println!();
    println!(
        "Other client's requests that took 500 ms or more: {} before, {} during the attack.",
        slow(&baseline),
        slow(&during)
    );
    let in_time = open_at_end == 0
        && connect_failed == 0
        && cut
            .last()
            .is_some_and(|l| l.as_secs_f64() <= args.goal_secs as f64);
    let served = during.failed == 0 && baseline.failed == 0;
    println!();
    println!(
        "Goal (every stalled client cut off within {} s): {}. Goal (the other client still served, no failed request): {}.",
        args.goal_secs,
        if in_time { "met" } else { "**not met**" },
        if served { "met" } else { "**not met**" }
    );
    Ok(in_time && served)
}
