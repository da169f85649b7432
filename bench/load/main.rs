//! `music-load`: the load benchmark of the local server (see `bench/load/run.sh`).

#[path = "server.rs"]
mod server;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Parser;
use music_e2e::load_gen::{self, percentile_us, LoadConfig, LoadReport};
use server::Server;

/// Put the local server (music-ml-serve) under N concurrent keep-alive connections for a fixed
/// time, over a weighted mix of real v1/v2/v3 and page URLs drawn from data/build, and report
/// requests/s, p50/p90/p99/max latency, errors, and the server's RSS before and after. Only
/// 127.0.0.1 is ever targeted.
#[derive(Parser, Debug)]
#[command(name = "music-load", version, about)]
struct Args {
    /// Start this music-ml-serve binary on a free port (killed at the end) and measure it.
    #[arg(long, conflicts_with = "port")]
    serve: Option<PathBuf>,
    /// Or load a server already listening on 127.0.0.1:PORT.
    #[arg(long)]
    port: Option<u16>,
    /// The server's process id, for RSS, when --port is used.
    #[arg(long, requires = "port")]
    pid: Option<u32>,
    /// Concurrent connections (closed-loop clients).
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Seconds of load.
    #[arg(long, default_value_t = 60)]
    seconds: u64,
    /// A request slower than this (ms) counts as an error.
    #[arg(long, default_value_t = 5000)]
    timeout_ms: u64,
    /// data/build/, where the mix's names and ids come from.
    #[arg(long, default_value = "data/build")]
    data_dir: PathBuf,
    /// Seed of the mix and of each client's choices.
    #[arg(long, default_value_t = 8)]
    seed: u64,
    /// Also write the results as a Markdown section to this file.
    #[arg(long)]
    out: Option<PathBuf>,
}

fn markdown(report: &LoadReport, args: &Args, rss: (Option<u64>, Option<u64>)) -> String {
    let mut s = String::new();
    let mb = |k: Option<u64>| {
        k.map_or("n/a".to_string(), |k| {
            format!("{:.1} MiB", k as f64 / 1024.0)
        })
    };
    s.push_str(&format!(
        "| connections | seconds | requests | requests/s | errors | timeouts | p50 ms | p90 ms | p99 ms | max ms | RSS start | RSS end |\n\
         |---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n\
         | {} | {:.1} | {} | {:.0} | {} | {} | {:.2} | {:.2} | {:.2} | {:.1} | {} | {} |\n\n",
        args.connections,
        report.elapsed.as_secs_f64(),
        report.requests,
        report.requests_per_sec(),
        report.errors,
        report.timeouts,
        report.percentile_ms(50.0),
        report.percentile_ms(90.0),
        report.percentile_ms(99.0),
        report.percentile_ms(100.0),
        mb(rss.0),
        mb(rss.1),
    ));
    s.push_str("| kind | requests | share | p50 ms | p99 ms |\n|---|---:|---:|---:|---:|\n");
    for (kind, stats) in &report.by_kind {
        s.push_str(&format!(
            "| {kind} | {} | {:.1}% | {:.2} | {:.2} |\n",
            stats.requests,
            100.0 * stats.requests as f64 / report.requests.max(1) as f64,
            percentile_us(&stats.latencies_us, 50.0) as f64 / 1000.0,
            percentile_us(&stats.latencies_us, 99.0) as f64 / 1000.0,
        ));
    }
    let statuses: Vec<String> = report
        .statuses
        .iter()
        .map(|(s, n)| format!("{s}: {n}"))
        .collect();
    s.push_str(&format!("\nStatuses: {}.\n", statuses.join(", ")));
    if !report.error_samples.is_empty() {
        s.push_str(&format!(
            "\nError samples: {}\n",
            report.error_samples.join("; ")
        ));
    }
    s
}

async fn run(args: Args) -> anyhow::Result<bool> {
    let (server, port, pid) = match (&args.serve, args.port) {
        (Some(bin), _) => {
            let server = Server::start(bin, &args.data_dir, &[])?;
            let (port, pid) = (server.port, server.child.id());
            (Some(server), port, Some(pid))
        }
        (None, Some(port)) => (None, port, args.pid),
        (None, None) => bail!("give --serve <music-ml-serve binary> or --port"),
    };
    let base = format!("http://127.0.0.1:{port}");
    let mix = load_gen::realistic_mix(&args.data_dir, args.seed)?;
    eprintln!("checking the {} URLs of the mix on {base}", mix.len());
    load_gen::check_mix(&base, &mix).await?;
    let rss_start = pid.and_then(load_gen::rss_kib);
    eprintln!(
        "{} connections for {} s against {base}",
        args.connections, args.seconds
    );
    let config = LoadConfig {
        base,
        connections: args.connections,
        duration: Duration::from_secs(args.seconds),
        timeout: Duration::from_millis(args.timeout_ms),
        seed: args.seed,
    };
    // RSS every 5 s during the run: flat memory shows as a plateau, a leak as a slope.
    let samples = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(u64, u64)>::new()));
    let sampler = pid.map(|pid| {
        let samples = std::sync::Arc::clone(&samples);
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            loop {
                if let Some(kib) = load_gen::rss_kib(pid) {
                    let mut s = samples.lock().unwrap_or_else(|e| e.into_inner());
                    s.push((started.elapsed().as_secs(), kib));
                }
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        })
    });
    let report = load_gen::run(&config, &mix).await;
    let rss_end = pid.and_then(load_gen::rss_kib);
    if let Some(sampler) = sampler {
        sampler.abort();
    }
    drop(server);
    let mut text = markdown(&report, &args, (rss_start, rss_end));
    let samples = samples.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if !samples.is_empty() {
        let shown: Vec<String> = samples
            .iter()
            .map(|(t, kib)| format!("{t} s: {:.1}", *kib as f64 / 1024.0))
            .collect();
        text.push_str(&format!(
            "\nServer RSS (MiB) during the run: {}.\n",
            shown.join(", ")
        ));
    }
    println!("{text}");
    if let Some(out) = &args.out {
        std::fs::write(out, &text).with_context(|| format!("writing {}", out.display()))?;
    }
    Ok(report.errors == 0 && report.requests > 0)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("music-load: errors during the run (see above)");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("music-load: {e:#}");
            ExitCode::FAILURE
        }
    }
}
