//! Times each function binary from process start to its first answered request, through a local
//! Lambda runtime API (no container), and prints a Markdown table for bench/results/infra.md.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Parser;
use music_infra::runtime_api::first_answer;

/// Start each function binary N times as Lambda would and time process start -> first response.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// Directory holding the binaries (music-v1, music-v2, ...), e.g. $CARGO_TARGET_DIR/release.
    #[arg(long)]
    bin_dir: PathBuf,
    /// `binary=event-file` pairs; the event file is one of infra/events/.
    #[arg(long = "case", required = true)]
    cases: Vec<String>,
    /// Extra environment for every binary, `KEY=VALUE` (e.g. MUSIC_ML_DB=...).
    #[arg(long = "env")]
    envs: Vec<String>,
    /// Starts per binary.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u16).range(1..))]
    runs: u16,
}

fn pair(s: &str) -> Result<(String, String)> {
    match s.split_once('=') {
        Some((k, v)) => Ok((k.to_string(), v.to_string())),
        None => bail!("expected KEY=VALUE, got {s}"),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let args = Args::parse();
    let env = args
        .envs
        .iter()
        .map(|s| pair(s))
        .collect::<Result<Vec<_>>>()?;
    println!("| binary | event | status | min ms | median ms | max ms | runs |");
    println!("|---|---|---|---|---|---|---|");
    for case in &args.cases {
        let (binary, event_file) = pair(case)?;
        let event: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(&event_file)
                .with_context(|| format!("reading {event_file}"))?,
        )?;
        let path = args.bin_dir.join(&binary);
        let mut times: Vec<Duration> = Vec::with_capacity(args.runs.into());
        let mut status = 0;
        for _ in 0..args.runs {
            let (took, response) = first_answer(&path, &env, &event)
                .await
                .with_context(|| binary.clone())?;
            status = response
                .get("statusCode")
                .and_then(|s| s.as_u64())
                .unwrap_or(0);
            times.push(took);
        }
        times.sort();
        let ms = |d: Duration| format!("{:.1}", d.as_secs_f64() * 1e3);
        let name = std::path::Path::new(&event_file)
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or(&event_file);
        println!(
            "| {binary} | {name} | {status} | {} | {} | {} | {} |",
            ms(times[0]),
            ms(times[times.len() / 2]),
            ms(times[times.len() - 1]),
            times.len()
        );
    }
    Ok(())
}
