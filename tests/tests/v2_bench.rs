//! The v2 lookup latency measurement behind `bench/v2/run.sh` (ignored in the normal test run;
//! it asserts nothing about speed, it prints figures). It serves the v2 router on 127.0.0.1
//! against the DynamoDB endpoint the script started and seeded, and times requests end to end
//! over real HTTP (keep-alive client, one request at a time).
//!
//! MUSIC_ML_BENCH_ENDPOINT=http://127.0.0.1:PORT MUSIC_ML_BENCH_PREFIX=rs_ \
//!   cargo test -p music-e2e --test v2_bench -- --ignored --nocapture

mod dynamo_support;

use std::time::{Duration, Instant};

use dynamo_support::*;
use music_dynamo::TableNames;
use rand::seq::SliceRandom;
use rand::SeedableRng;

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

async fn measure(client: &reqwest::Client, label: &str, urls: &[String]) {
    for url in urls.iter().take(100) {
        client.get(url).send().await.unwrap().bytes().await.unwrap();
    }
    let mut times = Vec::with_capacity(urls.len());
    for url in urls {
        let start = Instant::now();
        let res = client.get(url).send().await.unwrap();
        let status = res.status();
        res.bytes().await.unwrap();
        times.push(start.elapsed());
        assert!(status.is_success(), "{url}: {status}");
    }
    times.sort();
    println!(
        "| {label} | {} | {:.2} | {:.2} | {:.2} | {:.2} |",
        times.len(),
        percentile(&times, 0.50),
        percentile(&times, 0.90),
        percentile(&times, 0.99),
        percentile(&times, 1.0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run by bench/v2/run.sh"]
async fn v2_lookup_latency() {
    let endpoint = std::env::var("MUSIC_ML_BENCH_ENDPOINT")
        .expect("MUSIC_ML_BENCH_ENDPOINT (bench/v2/run.sh sets it)");
    let prefix = std::env::var("MUSIC_ML_BENCH_PREFIX").unwrap_or_default();
    let n: usize = std::env::var("MUSIC_ML_BENCH_REQUESTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000);
    let tables = TableNames::default().prefixed(&prefix);
    let server = serve_v2_on(&endpoint, tables, None).await;
    let client = reqwest::Client::new();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let titles: Vec<String> = lines("Music_ML_IDs.jsonl")
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect();
    let pick = |rng: &mut rand::rngs::StdRng, f: &dyn Fn(&str) -> String| -> Vec<String> {
        (0..n).map(|_| f(titles.choose(rng).unwrap())).collect()
    };
    let base = server.base.clone();
    let exact = pick(&mut rng, &|t| {
        format!("{base}/api/v2.1/Music_ML_tracks/{}", encode(t))
    });
    // Upper-cased folded titles, where that still folds back (so each one is found via the index).
    let upper: Vec<String> = titles
        .iter()
        .map(|t| music_shared::fold_name(t))
        .filter(|f| music_shared::fold_name(&f.to_uppercase()) == *f)
        .map(|f| f.to_uppercase())
        .collect();
    let folded: Vec<String> = (0..n)
        .map(|_| {
            format!(
                "{base}/api/v2.1/Music_ML_tracks/{}",
                encode(upper.choose(&mut rng).unwrap())
            )
        })
        .collect();
    let random: Vec<String> = (0..n)
        .map(|i| format!("{base}/api/v2.1/Random_Song_Assignments/{}", i % 10))
        .collect();
    println!("| request | n | p50 ms | p90 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|---|");
    measure(&client, "v2.1 title, exact (GetItem)", &exact).await;
    measure(
        &client,
        "v2.1 title, folded (GetItem miss + GSI Query)",
        &folded,
    )
    .await;
    measure(
        &client,
        "v2.1 Random_Song_Assignments (1 BatchGetItem)",
        &random,
    )
    .await;
}
