//! A small closed-loop load generator (used by `bench/load` and the short load test): N client
//! tasks, each with its own keep-alive connection, send requests one after another for a fixed
//! time over a weighted mix of real URLs, and every latency is kept so that the percentiles are
//! exact rather than bucketed. Anything but a 2xx, a transport error or a request over the
//! timeout counts as an error, with a few samples kept to say which.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use music_testkit::encode;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The whole site as `music-ml-serve` builds it (`music_local::app`, so the merge is the same
/// code), with v2 on the embedded item files.
pub fn site_app(data_dir: &Path) -> anyhow::Result<axum::Router> {
    let db = data_dir.join("musicData.sqlite");
    let states = music_local::States {
        v1: music_v1::AppState::open(&db).with_context(|| format!("v1: {}", db.display()))?,
        v2: music_v2::AppState::embedded(data_dir)
            .with_context(|| format!("v2: {}", data_dir.display()))?,
        v3: music_v3::AppState::open(&db).with_context(|| format!("v3: {}", db.display()))?,
    };
    Ok(music_local::app(states))
}

/// One URL of the mix and how often it is asked, relative to the others.
#[derive(Debug, Clone)]
pub struct Target {
    pub path: String,
    pub weight: u32,
    /// A label for the per-kind table (`v3 search`, `v1 artist`, ...).
    pub kind: &'static str,
}

/// A traffic mix drawn from the shipped data (fixed seed): what the site's pages ask for when
/// people browse it, weighted towards search, track pages and recommendations (v3), with the
/// original's v1 and v2 routes and the pages themselves. Every URL answers 200 on the shipped
/// data; [`check_mix`] verifies that before a run.
pub fn realistic_mix(data_dir: &Path, seed: u64) -> anyhow::Result<Vec<Target>> {
    let mut rng = StdRng::seed_from_u64(seed);
    let db = data_dir.join("musicData.sqlite");
    let conn =
        rusqlite::Connection::open_with_flags(&db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .with_context(|| format!("opening {}", db.display()))?;
    let column = |sql: &str| -> anyhow::Result<Vec<String>> {
        let mut stmt = conn.prepare(sql)?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    };
    let track_ids = column("SELECT id FROM tracks ORDER BY id")?;
    let track_names = column("SELECT name FROM tracks ORDER BY id")?;
    let artists = column("SELECT artists FROM Clean_Artists ORDER BY artists")?;
    if track_ids.is_empty() || artists.is_empty() {
        bail!("{} has no tracks or artists", db.display());
    }
    // v2 titles come from its own item file, so the mix asks what that table holds.
    let titles: Vec<String> = std::fs::read_to_string(data_dir.join("Music_ML_IDs.jsonl"))
        .context("reading Music_ML_IDs.jsonl")?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l)?;
            Ok(v["name"].as_str().unwrap_or_default().to_string())
        })
        .collect::<anyhow::Result<_>>()?;
    let pick = |rng: &mut StdRng, v: &[String]| v[rng.gen_range(0..v.len())].clone();
    let mut mix = Vec::new();
    let mut add =
        |kind: &'static str, weight: u32, path: String| mix.push(Target { path, weight, kind });
    for _ in 0..40 {
        // What someone types: the first word or two of a title or an artist, lower case.
        let source = if rng.gen_bool(0.5) {
            pick(&mut rng, &track_names)
        } else {
            pick(&mut rng, &artists)
        };
        let words: Vec<&str> = source.split_whitespace().take(2).collect();
        let q = words.join(" ").to_lowercase();
        if q.chars().any(char::is_alphanumeric) {
            add(
                "v3 search",
                6,
                format!("/api/v3/search?q={}&limit=10", encode(&q)),
            );
        }
    }
    for _ in 0..40 {
        let id = pick(&mut rng, &track_ids);
        add("v3 track", 4, format!("/api/v3/tracks/{id}"));
        let scope = if rng.gen_bool(0.5) { "cluster" } else { "all" };
        add(
            "v3 recommendations",
            4,
            format!("/api/v3/tracks/{id}/recommendations?n=10&scope={scope}"),
        );
    }
    add("v3 clusters", 4, "/api/v3/clusters".into());
    for n in 0..10 {
        add("v3 cluster", 1, format!("/api/v3/clusters/{n}"));
        add(
            "v2 fixed",
            1,
            format!("/api/v2.1/Fixed_Song_Assignments/{n}"),
        );
        add(
            "v2 random",
            2,
            format!("/api/v2.1/Random_Song_Assignments/{n}"),
        );
    }
    add("v3 elbow", 2, "/api/v3/elbow".into());
    for _ in 0..40 {
        add(
            "v1 artist",
            3,
            format!(
                "/api/v1.0/data_by_artist_clean/{}",
                encode(&pick(&mut rng, &artists))
            ),
        );
        let title = pick(&mut rng, &titles);
        let version = if rng.gen_bool(0.5) { "v2.0" } else { "v2.1" };
        add(
            "v2 title",
            3,
            format!("/api/{version}/Music_ML_tracks/{}", encode(&title)),
        );
    }
    add("v1 years", 4, "/api/v1.0/data_by_year".into());
    add("v1 genres", 4, "/api/v1.0/top_51_genres".into());
    add("api listing", 2, "/api".into());
    add("web page", 10, "/".into());
    Ok(mix)
}

/// Ask every URL of the mix once; fail naming those that do not answer 2xx, so that a load run
/// never counts a broken URL of the mix as a server error.
pub async fn check_mix(base: &str, mix: &[Target]) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let mut bad = Vec::new();
    for t in mix {
        let res = client.get(format!("{base}{}", t.path)).send().await?;
        if !res.status().is_success() {
            bad.push(format!("{} -> {}", t.path, res.status()));
        }
    }
    if !bad.is_empty() {
        bail!("URLs of the mix that do not answer 2xx: {}", bad.join("; "));
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct LoadConfig {
    pub base: String,
    pub connections: usize,
    pub duration: Duration,
    /// A request slower than this counts as an error.
    pub timeout: Duration,
    pub seed: u64,
}

#[derive(Debug, Default)]
pub struct KindStats {
    pub requests: u64,
    pub latencies_us: Vec<u64>,
}

#[derive(Debug, Default)]
pub struct LoadReport {
    pub requests: u64,
    pub errors: u64,
    pub timeouts: u64,
    pub statuses: BTreeMap<u16, u64>,
    pub error_samples: Vec<String>,
    /// Every latency in microseconds, sorted.
    pub latencies_us: Vec<u64>,
    pub by_kind: BTreeMap<&'static str, KindStats>,
    pub elapsed: Duration,
    pub bytes: u64,
}

/// The `p`-th percentile (0..=100) of sorted microsecond latencies, nearest-rank.
pub fn percentile_us(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

impl LoadReport {
    pub fn requests_per_sec(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
    pub fn percentile_ms(&self, p: f64) -> f64 {
        percentile_us(&self.latencies_us, p) as f64 / 1000.0
    }
}

#[derive(Default)]
struct WorkerResult {
    report: LoadReport,
}

/// Run the mix against `config.base` with `config.connections` closed-loop clients.
pub async fn run(config: &LoadConfig, mix: &[Target]) -> LoadReport {
    let mix = Arc::new(mix.to_vec());
    let total_weight: u32 = mix.iter().map(|t| t.weight).sum();
    let started = Instant::now();
    let deadline = started + config.duration;
    let mut tasks = Vec::new();
    for worker in 0..config.connections {
        let mix = Arc::clone(&mix);
        let config = config.clone();
        tasks.push(tokio::spawn(async move {
            // One client per worker: one keep-alive connection each, like N browsers.
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .timeout(config.timeout)
                .build()
                .expect("a plain HTTP client builds");
            let mut rng =
                StdRng::seed_from_u64(config.seed ^ (worker as u64).wrapping_mul(0x9E37_79B9));
            let mut out = WorkerResult::default();
            while Instant::now() < deadline {
                let mut roll = rng.gen_range(0..total_weight);
                let target = mix
                    .iter()
                    .find(|t| {
                        if roll < t.weight {
                            true
                        } else {
                            roll -= t.weight;
                            false
                        }
                    })
                    .expect("the roll is below the total weight");
                let url = format!("{}{}", config.base, target.path);
                let sent = Instant::now();
                let outcome = match client.get(&url).send().await {
                    Ok(res) => {
                        let status = res.status().as_u16();
                        match res.bytes().await {
                            Ok(body) => Ok((status, body.len() as u64)),
                            Err(e) => {
                                Err((e.is_timeout(), format!("{url}: reading the body: {e}")))
                            }
                        }
                    }
                    Err(e) => Err((e.is_timeout(), format!("{url}: {e}"))),
                };
                let us = sent.elapsed().as_micros() as u64;
                let r = &mut out.report;
                r.requests += 1;
                r.latencies_us.push(us);
                let kind = r.by_kind.entry(target.kind).or_default();
                kind.requests += 1;
                kind.latencies_us.push(us);
                match outcome {
                    Ok((status, bytes)) => {
                        *r.statuses.entry(status).or_default() += 1;
                        r.bytes += bytes;
                        if !(200..300).contains(&status) {
                            r.errors += 1;
                            if r.error_samples.len() < 5 {
                                r.error_samples.push(format!("{url} -> {status}"));
                            }
                        }
                    }
                    Err((timeout, message)) => {
                        r.errors += 1;
                        if timeout {
                            r.timeouts += 1;
                        }
                        if r.error_samples.len() < 5 {
                            r.error_samples.push(message);
                        }
                    }
                }
            }
            out
        }));
    }
    let mut total = LoadReport::default();
    for task in tasks {
        let part = match task.await {
            Ok(part) => part.report,
            Err(e) => {
                total.errors += 1;
                total
                    .error_samples
                    .push(format!("a client task failed: {e}"));
                continue;
            }
        };
        total.requests += part.requests;
        total.errors += part.errors;
        total.timeouts += part.timeouts;
        total.bytes += part.bytes;
        total.latencies_us.extend(part.latencies_us);
        for (s, n) in part.statuses {
            *total.statuses.entry(s).or_default() += n;
        }
        for (k, stats) in part.by_kind {
            let into = total.by_kind.entry(k).or_default();
            into.requests += stats.requests;
            into.latencies_us.extend(stats.latencies_us);
        }
        for s in part.error_samples {
            if total.error_samples.len() < 10 {
                total.error_samples.push(s);
            }
        }
    }
    total.elapsed = started.elapsed();
    total.latencies_us.sort_unstable();
    for stats in total.by_kind.values_mut() {
        stats.latencies_us.sort_unstable();
    }
    total
}

/// Resident set size of a process in KiB, from `/proc/<pid>/status` (Linux).
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile_us(&v, 50.0), 50);
        assert_eq!(percentile_us(&v, 99.0), 99);
        assert_eq!(percentile_us(&v, 100.0), 100);
        assert_eq!(percentile_us(&v, 0.0), 1);
        assert_eq!(percentile_us(&[7], 99.0), 7);
        assert_eq!(percentile_us(&[], 50.0), 0);
    }

    #[test]
    fn rss_of_this_process_is_read() {
        assert!(rss_kib(std::process::id()).is_some_and(|k| k > 0));
    }
}
