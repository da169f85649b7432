//! `Random_Song_Assignments` draws a uniform sample of the cluster on every call, on the embedded
//! store (the whole real catalogue of data/build) and on DynamoDB (dynalite, seeded by the batch
//! writer with the real subset of `dynamo_support::sample_dir`, asked over real HTTP). The
//! statistics and their bounds are in `music_e2e::spread`; each run fails with probability at
//! most about `ALPHA` per check when the draws are uniform, and the stores' generators are seeded
//! here, so a run is reproducible.

mod dynamo_support;

use std::sync::Arc;

use dynamo_support::*;
use music_e2e::spread::Spread;
use music_v2::store::{EmbeddedStore, TrackStore};
use music_v2::RANDOM_TRACKS;
use serde_json::Value;

/// The chance that uniform draws fail one check.
const ALPHA: f64 = 1e-4;
/// The stores' generators are seeded, so that a run can be repeated exactly.
const SEED: u64 = 20_240_612;
/// The issue's measurement: 200 draws of cluster 2.
const ISSUE_DRAWS: usize = 200;
const ISSUE_CLUSTER: u8 = 2;

/// The ids of a cluster's tracks, from the item file itself (not from the code under test).
fn members(items: &[Value], cluster: u8) -> Vec<String> {
    items
        .iter()
        .filter(|i| {
            i["Assignments"] == u64::from(cluster)
                && i["sort"].as_str().unwrap().starts_with("rand#")
        })
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

/// The spread of `draws`, logged; what is wrong with it goes to `problems`, so that a failing
/// run reports every check at once.
fn check(label: &str, members: &[String], draws: &[Vec<String>], problems: &mut Vec<String>) {
    let spread = Spread::of(members, draws, ALPHA);
    eprintln!("{label}: {}", spread.summary());
    problems.extend(
        spread
            .problems(ALPHA)
            .into_iter()
            .map(|p| format!("{label}: {p}")),
    );
}

fn assert_uniform(problems: &[String]) {
    assert!(
        problems.is_empty(),
        "not uniform samples:\n{}",
        problems.join("\n")
    );
}

#[tokio::test]
async fn embedded_draws_are_uniform_samples_of_the_whole_cluster() {
    let store: Arc<dyn TrackStore> =
        Arc::new(EmbeddedStore::load(&data_dir()).unwrap().with_seed(SEED));
    let items = lines("Music_ML_Assignments.jsonl");
    let mut problems = Vec::new();
    // The largest cluster (the issue's) and the smallest; about 20 draws per track, enough for
    // the chi-square of the counts.
    for cluster in [ISSUE_CLUSTER, 6] {
        let members = members(&items, cluster);
        assert!(members.len() > 1000, "cluster {cluster}: {}", members.len());
        let draws: Vec<Vec<String>> = {
            let mut out = Vec::new();
            for _ in 0..members.len() * 20 / RANDOM_TRACKS {
                let rows = store.random(cluster, RANDOM_TRACKS).await.unwrap();
                assert!(rows.iter().all(|r| r.assignments == cluster));
                out.push(rows.into_iter().map(|r| r.id).collect());
            }
            out
        };
        if cluster == ISSUE_CLUSTER {
            check(
                &format!("embedded, cluster {cluster}, first {ISSUE_DRAWS}"),
                &members,
                &draws[..ISSUE_DRAWS],
                &mut problems,
            );
        }
        check(
            &format!("embedded, cluster {cluster}"),
            &members,
            &draws,
            &mut problems,
        );
    }
    assert_uniform(&problems);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_draws_over_http_are_uniform_samples_of_the_cluster() {
    let Some(dynalite) = Dynalite::start() else {
        return;
    };
    let tables = seed_sample(&dynalite.endpoint, "spread_").await;
    let server = serve_v2_on(&dynalite.endpoint, tables, Some(SEED)).await;
    let client = reqwest::Client::new();
    let members = members(&sample_lines("Music_ML_Assignments.jsonl"), ISSUE_CLUSTER);
    assert_eq!(members.len(), SAMPLE_RANDOM_PER_CLUSTER);
    // 600 draws of 10 from 60: 100 expected per track, 15.3 per pair.
    let url = format!(
        "{}/api/v2.1/Random_Song_Assignments/{ISSUE_CLUSTER}",
        server.base
    );
    let mut draws = Vec::new();
    for _ in 0..600 {
        let res = client.get(&url).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 200);
        let rows: Vec<Value> = res.json().await.unwrap();
        for r in &rows {
            let keys: Vec<&String> = r.as_object().unwrap().keys().collect();
            assert_eq!(keys, ["name", "id", "artists", "Assignments"]);
            assert_eq!(r["Assignments"], u64::from(ISSUE_CLUSTER));
        }
        draws.push(
            rows.iter()
                .map(|r| r["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>(),
        );
    }
    let mut problems = Vec::new();
    check(
        &format!("dynalite, cluster {ISSUE_CLUSTER}, first {ISSUE_DRAWS}"),
        &members,
        &draws[..ISSUE_DRAWS],
        &mut problems,
    );
    check(
        &format!("dynalite, cluster {ISSUE_CLUSTER}"),
        &members,
        &draws,
        &mut problems,
    );
    assert_uniform(&problems);
}
