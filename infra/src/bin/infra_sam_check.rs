//! Checks of the built functions running in containers (`sam local`), used by
//! scripts/test.d/post-45-sam-local.sh; see `--help`.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use music_http::catalog::{routes, Family};
use music_infra::check::{check_answer, Answer, DataSources};
use music_infra::events::{events_dir, load_all, match_route};
use music_infra::{apigw_path, function_id, repo_root};
use serde_json::Value;

/// Checks of the SAM-built functions as they run locally in containers.
///
/// `events` sends every event file of infra/events/ to a Lambda invoke endpoint (`sam local
/// start-lambda`) and checks each answer against its `.expect.json`, with the same code as
/// `cargo test -p music-infra --test events_through_handlers`. `routes` asks every example URL of
/// the route catalogue once over HTTP (`sam local start-api`). `seed-items` writes the subset of
/// the v2 item files that the events and the catalogue examples read, for seeding a local
/// DynamoDB quickly.
#[derive(Parser, Debug)]
#[command(version, about, long_about)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Every event file through a Lambda invoke endpoint, checked against its expectation.
    Events {
        /// The endpoint, e.g. http://127.0.0.1:3001 (`sam local start-lambda`).
        #[arg(long)]
        lambda_url: String,
        /// The event files and their expectations.
        #[arg(long, default_value_os_t = events_dir())]
        events_dir: PathBuf,
        /// Where the expectations' SQL and item facts read (musicData.sqlite, *.jsonl).
        #[arg(long, default_value_os_t = repo_root().join("data/build"))]
        data_dir: PathBuf,
        /// Only the events whose name starts with this (e.g. `v2-`).
        #[arg(long, default_value = "")]
        only: String,
        /// Per-invocation budget, seconds (the first one of a function includes its start).
        #[arg(long, default_value_t = 120)]
        timeout: u64,
    },
    /// Every catalogue example URL once over HTTP; each must answer 200.
    Routes {
        /// The server, e.g. http://127.0.0.1:3000 (`sam local start-api`).
        #[arg(long)]
        base_url: String,
        /// Per-request budget, seconds.
        #[arg(long, default_value_t = 120)]
        timeout: u64,
    },
    /// Write the items the events and catalogue examples read (every fixed assignment, the
    /// titles they ask for, a few random assignments per cluster) as item files into `--out`.
    SeedItems {
        #[arg(long, default_value_os_t = repo_root().join("data/build"))]
        data_dir: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// Random assignments kept per cluster (the random route answers 10).
        #[arg(long, default_value_t = 30)]
        per_cluster: usize,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run(Args::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("infra-sam-check: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<()> {
    match args.command {
        Command::Events {
            lambda_url,
            events_dir,
            data_dir,
            only,
            timeout,
        } => events(&lambda_url, &events_dir, &data_dir, &only, timeout).await,
        Command::Routes { base_url, timeout } => check_routes(&base_url, timeout).await,
        Command::SeedItems {
            data_dir,
            out,
            per_cluster,
        } => seed_items(&data_dir, &out, per_cluster),
    }
}

fn client(timeout: u64) -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(timeout))
        .build()?)
}

/// Seconds, for the per-function summary.
fn summary(times: &BTreeMap<String, Vec<f64>>) {
    for (what, t) in times {
        let mut t = t.clone();
        t.sort_by(f64::total_cmp);
        let median = t[t.len() / 2];
        eprintln!(
            "  {what:<12} {:>3} calls  first {:6.2} s  median {:6.2} s  max {:6.2} s",
            t.len(),
            times[what][0],
            median,
            t[t.len() - 1]
        );
    }
}

async fn events(
    lambda_url: &str,
    dir: &Path,
    data_dir: &Path,
    only: &str,
    timeout: u64,
) -> Result<()> {
    let cases: Vec<_> = load_all(dir)?
        .into_iter()
        .filter(|c| c.name.starts_with(only))
        .collect();
    if cases.is_empty() {
        bail!("no event files in {} (filter {only:?})", dir.display());
    }
    let http = client(timeout)?;
    let data = DataSources { data_dir };
    let mut problems = Vec::new();
    let mut times: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let started = Instant::now();
    for case in &cases {
        let function = function_id(case.family);
        let url = format!(
            "{}/2015-03-31/functions/{function}/invocations",
            lambda_url.trim_end_matches('/')
        );
        let t0 = Instant::now();
        let sent = http.post(&url).json(&case.event).send().await;
        let answer = match sent {
            Ok(r) if r.status().is_success() => {
                let payload: Value = r
                    .json()
                    .await
                    .with_context(|| format!("{}: the answer is not JSON", case.name))?;
                Answer::from_proxy_response(&payload)
            }
            Ok(r) => {
                let status = r.status();
                let text = r.text().await.unwrap_or_default();
                Err(anyhow::anyhow!(
                    "the invoke endpoint answered {status}: {text}"
                ))
            }
            Err(e) => Err(anyhow::anyhow!("invoking {url}: {e}")),
        };
        let secs = t0.elapsed().as_secs_f64();
        times.entry(function.to_string()).or_default().push(secs);
        let found = match answer {
            Ok(answer) => {
                let p = check_answer(case, &answer, &data);
                eprintln!(
                    "  {:<36} {function:<12} {} {secs:6.2} s  {}",
                    case.name,
                    answer.status,
                    if p.is_empty() { "ok" } else { "FAILED" }
                );
                p
            }
            Err(e) => {
                eprintln!(
                    "  {:<36} {function:<12} --- {secs:6.2} s  FAILED",
                    case.name
                );
                vec![format!("{}: {e:#}", case.name)]
            }
        };
        problems.extend(found);
        let _ = std::io::stderr().flush();
    }
    report(
        &format!("{} events", cases.len()),
        started,
        &times,
        problems,
    )
}

async fn check_routes(base_url: &str, timeout: u64) -> Result<()> {
    let http = client(timeout)?;
    let base = base_url.trim_end_matches('/');
    let mut problems = Vec::new();
    let mut times: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let all = routes();
    let started = Instant::now();
    for route in &all {
        let url = format!("{base}{}", route.example);
        let t0 = Instant::now();
        let result = http.get(&url).send().await;
        let secs = t0.elapsed().as_secs_f64();
        times
            .entry(function_id(route.family).to_string())
            .or_default()
            .push(secs);
        let problem = match result {
            Err(e) => Some(format!("{}: {e}", route.example)),
            Ok(r) => {
                let answer = Answer::from_http(r).await;
                let status = answer.status;
                eprintln!("  {status} {secs:6.2} s  {}", route.example);
                if status != 200 {
                    Some(format!(
                        "{}: status {status} (body {})",
                        route.example,
                        answer.body_excerpt(200)
                    ))
                } else if route.family != Family::Web
                    && serde_json::from_slice::<Value>(&answer.body).is_err()
                {
                    Some(format!(
                        "{}: not a JSON body ({})",
                        route.example, answer.content_type
                    ))
                } else if answer.body.is_empty() {
                    Some(format!("{}: empty body", route.example))
                } else {
                    None
                }
            }
        };
        problems.extend(problem);
    }
    report(
        &format!("{} catalogue routes", all.len()),
        started,
        &times,
        problems,
    )
}

/// The end of a check: how long `what` took, the per-function times, and every problem found.
fn report(
    what: &str,
    started: Instant,
    times: &BTreeMap<String, Vec<f64>>,
    problems: Vec<String>,
) -> Result<()> {
    eprintln!(
        "{what} in {:.1} s (measured through SAM's emulator and qemu on this machine):",
        started.elapsed().as_secs_f64()
    );
    summary(times);
    if !problems.is_empty() {
        bail!("{} problem(s):\n{}", problems.len(), problems.join("\n"));
    }
    Ok(())
}

/// The titles a v2 event or catalogue example asks for, folded.
fn wanted_titles() -> Result<BTreeSet<String>> {
    let mut titles = BTreeSet::new();
    for case in load_all(&events_dir())? {
        if case.family != Family::V2 {
            continue;
        }
        if let Some(t) = case.event["pathParameters"]["track"].as_str() {
            titles.insert(music_shared::fold_name(t));
        }
    }
    for route in routes().iter().filter(|r| r.family == Family::V2) {
        let path = route.example.split('?').next().unwrap_or_default();
        if let Some(caps) = match_route(&apigw_path(route.path), path) {
            if let Some(t) = caps.get("track").and_then(Value::as_str) {
                titles.insert(music_shared::fold_name(t));
            }
        }
    }
    Ok(titles)
}

fn seed_items(data_dir: &Path, out: &Path, per_cluster: usize) -> Result<()> {
    use music_shared::items::{
        ITEMS_ASSIGNMENTS, ITEMS_TRACKS, ITEMS_TRACKS_WITH_IDS, SORT_FIXED, SORT_RANDOM,
    };
    let titles = wanted_titles()?;
    std::fs::create_dir_all(out)?;
    for file in [ITEMS_TRACKS, ITEMS_TRACKS_WITH_IDS] {
        let text = read_items(&data_dir.join(file))?;
        let mut kept = Vec::new();
        let total = for_each_item(&text, |line, item| {
            let name = item["name"].as_str().unwrap_or_default();
            if titles.contains(&music_shared::fold_name(name)) {
                kept.push(line);
            }
        })?;
        write_items(&out.join(file), &kept)?;
        eprintln!(
            "  {file}: {} of {total} items (the titles asked for)",
            kept.len()
        );
    }
    let text = read_items(&data_dir.join(ITEMS_ASSIGNMENTS))?;
    let mut kept = Vec::new();
    let mut random: BTreeMap<i64, Vec<(String, &str)>> = BTreeMap::new();
    let total = for_each_item(&text, |line, item| {
        let sort = item["sort"].as_str().unwrap_or_default();
        if sort.starts_with(SORT_FIXED) {
            kept.push(line);
        } else if sort.starts_with(SORT_RANDOM) {
            let cluster = item["Assignments"].as_i64().unwrap_or(-1);
            random
                .entry(cluster)
                .or_default()
                .push((sort.to_string(), line));
        }
    })?;
    let fixed = kept.len();
    for items in random.values_mut() {
        // The first few keys in key order: the dense indices 0..per_cluster, which keeps the
        // cluster's size (its last key plus one) true of the subset, and a fair sample of the
        // cluster (the pipeline numbers it in a fixed shuffle).
        items.sort();
        kept.extend(items.iter().take(per_cluster).map(|(_, line)| *line));
    }
    write_items(&out.join(ITEMS_ASSIGNMENTS), &kept)?;
    eprintln!(
        "  {ITEMS_ASSIGNMENTS}: {} of {total} items ({fixed} fixed, {} random over {} clusters)",
        kept.len(),
        kept.len() - fixed,
        random.len()
    );
    Ok(())
}

fn read_items(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Calls `f` with each line of an item file and the item it holds; returns how many there are.
fn for_each_item<'a>(text: &'a str, mut f: impl FnMut(&'a str, &Value)) -> Result<usize> {
    let mut total = 0;
    for line in text.lines() {
        f(line, &serde_json::from_str(line)?);
        total += 1;
    }
    Ok(total)
}

/// An item file of these lines, as the batch writer reads it (one item a line).
fn write_items(path: &Path, lines: &[&str]) -> Result<()> {
    let mut text = String::new();
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}
