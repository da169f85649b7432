//! v2 and the batch writer when DynamoDB misbehaves: unreachable, slow (2 s), throttling. A
//! real local DynamoDB (dynalite) sits behind a proxy that injects each fault; the v2 router and
//! the writer talk to the proxy as they would to AWS.
//!
//! What must hold: v2 answers 503 with a `Retry-After` well before a slow backend would have
//! answered, never hangs and never 500s; once the backend is back, the same process answers 200
//! again by itself; the batch writer, cut off from DynamoDB in the middle of a run, still writes
//! every item.
//!
//! `v2_dynamo.rs` already covers a backend that is down or silent from the first request and the
//! writer under throttling and `UnprocessedItems`; this file adds the transitions (a backend that
//! fails while the process is running, then comes back), a slow backend, throttled reads, a
//! random draw's keys handed back unprocessed, and the writer through an outage. Dynalite comes from the same helper (`dynamo_support`).

mod dynamo_support;

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use axum::body::Body;
use axum::Router;
use dynamo_support::{sample_dir as data_dir, Dynalite};
use http_body_util::BodyExt;
use music_dynamo::TableNames;
use music_e2e::fault_support::{Fault, FaultProxy};
use music_scripts::dynamo_writer;
use tower::ServiceExt;

struct Answer {
    status: u16,
    retry_after: Option<String>,
    body: serde_json::Value,
    elapsed: Duration,
}

/// One request through the router, bounded: a hang is a failure, not a stuck test.
async fn ask(app: &Router, path: &str) -> Answer {
    let started = Instant::now();
    let request = axum::http::Request::get(path).body(Body::empty()).unwrap();
    let res = tokio::time::timeout(Duration::from_secs(10), app.clone().oneshot(request))
        .await
        .unwrap_or_else(|_| panic!("{path}: no answer in 10 s"))
        .unwrap();
    let status = res.status().as_u16();
    let retry_after = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_string());
    assert_eq!(
        res.headers()["content-type"],
        "application/json",
        "{path} ({status})"
    );
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|e| panic!("{path}: body is not JSON ({e}): {bytes:?}"));
    Answer {
        status,
        retry_after,
        body,
        elapsed: started.elapsed(),
    }
}

async fn seed(endpoint: &str, tables: &TableNames) {
    let mut options = dynamo_support::sample_writer(endpoint, tables);
    options.region = Some("us-west-1".into());
    dynamo_writer::run(&options)
        .await
        .expect("seeding dynalite with the batch writer");
}

async fn v2_on(endpoint: &str, tables: &TableNames) -> Router {
    let state = music_v2::AppState::dynamodb_with(music_v2::DynamoConfig {
        endpoint_url: Some(endpoint.to_string()),
        region: Some("us-west-1".into()),
        tables: tables.clone(),
        operation_timeout: None,
        seed: None,
    })
    .await;
    music_http::finish(music_v2::router(state))
}

/// Requests the v2 routes make during a fault (title lookup through the folded index, fixed and
/// random cluster queries).
const PATHS: [&str; 4] = [
    "/api/v2.1/Music_ML_tracks/Se%C3%B1orita",
    "/api/v2.0/Music_ML_tracks/senorita",
    "/api/v2.1/Fixed_Song_Assignments/3",
    "/api/v2.1/Random_Song_Assignments/7",
];

fn assert_unavailable(a: &Answer, path: &str, fault: &str) {
    assert_eq!(a.status, 503, "{fault}: {path}: {}", a.body);
    assert_eq!(a.body["status"], 503, "{fault}: {path}");
    let retry: u32 = a
        .retry_after
        .as_deref()
        .unwrap_or_else(|| panic!("{fault}: {path}: 503 without Retry-After"))
        .parse()
        .expect("Retry-After in whole seconds");
    assert!((1..=60).contains(&retry), "{fault}: Retry-After {retry}");
    eprintln!(
        "{fault}: {path}: 503 in {:.0} ms, Retry-After {retry}",
        a.elapsed.as_secs_f64() * 1000.0
    );
}

/// After the fault is lifted, the same router (same SDK client) must answer 200 again without
/// a restart; a few seconds are allowed for pooled connections to be replaced.
async fn assert_recovers(app: &Router, expected: &[serde_json::Value], fault: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    for (path, want) in PATHS.iter().zip(expected) {
        loop {
            let a = ask(app, path).await;
            if a.status == 200 {
                if !path.contains("Random") {
                    assert_eq!(&a.body, want, "after {fault}: {path}");
                }
                break;
            }
            assert_eq!(a.status, 503, "after {fault}: {path}: {}", a.body);
            assert!(
                Instant::now() < deadline,
                "after {fault}: {path} still 503 10 s after the backend came back"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn v2_answers_503_during_dynamodb_faults_and_recovers_by_itself() {
    let Some(dynalite) = Dynalite::start() else {
        return;
    };
    let tables = TableNames::default();
    seed(&dynalite.endpoint, &tables).await;
    let proxy = FaultProxy::start(&dynalite.endpoint).await;
    let app = v2_on(&proxy.endpoint, &tables).await;

    // What the routes should say, from the embedded store over the same item files.
    let embedded = music_http::finish(music_v2::router(
        music_v2::AppState::embedded(&data_dir()).unwrap(),
    ));
    let mut expected = Vec::new();
    for path in PATHS {
        let want = ask(&embedded, path).await;
        assert_eq!(want.status, 200, "embedded {path}");
        let got = ask(&app, path).await;
        assert_eq!(
            got.status, 200,
            "through the proxy, no fault: {path}: {}",
            got.body
        );
        if !path.contains("Random") {
            assert_eq!(got.body, want.body, "DynamoDB vs embedded: {path}");
        } else {
            assert_eq!(
                got.body.as_array().map(Vec::len),
                Some(music_v2::RANDOM_TRACKS)
            );
        }
        expected.push(want.body);
    }

    // Each fault in turn: every route answers 503 while it lasts, promptly (the time bound only
    // catches a hang, and is loose because the test shares 2 cores with the rest of the suite),
    // and recovers by itself once it ends. Where the proxy counts the fault, it must have struck.
    let counters = &proxy.counters;
    for (fault, what, struck) in [
        // Unreachable: nothing listens on the endpoint.
        (Fault::Down, "unreachable", None),
        // Slow: every answer 2 s late. The 503 itself proves the client gave up before the
        // answer came (waiting would have given a 200 after 2 s).
        (
            Fault::Slow(Duration::from_secs(2)),
            "slow",
            Some(&counters.delayed),
        ),
        // Throttling: DynamoDB's ThrottlingException / ProvisionedThroughputExceededException.
        (Fault::throttle(), "throttled", Some(&counters.refused)),
    ] {
        let before = struck.map(|counter| (counter, counter.load(Ordering::SeqCst)));
        proxy.set(fault);
        for path in PATHS {
            let a = ask(&app, path).await;
            assert_unavailable(&a, path, what);
            assert!(
                a.elapsed < Duration::from_secs(3),
                "{what}: {path} took {:?}",
                a.elapsed
            );
        }
        if let Some((counter, before)) = before {
            assert!(
                counter.load(Ordering::SeqCst) > before,
                "{what}: the proxy never struck"
            );
        }
        proxy.set(Fault::Pass);
        assert_recovers(&app, &expected, what).await;
    }
}

/// A throttled table answers BatchGetItem with part of the keys unprocessed: a random draw asks
/// for them again and still answers the whole draw, in the order drawn. Both stores are seeded
/// alike over the same item files, so the DynamoDB draws through the faulty proxy must be exactly
/// the embedded store's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_draws_ask_again_for_unprocessed_keys_and_keep_the_order_drawn() {
    let Some(dynalite) = Dynalite::start() else {
        return;
    };
    let tables = TableNames::default().prefixed("unprocessed_");
    seed(&dynalite.endpoint, &tables).await;
    let proxy = FaultProxy::start(&dynalite.endpoint).await;
    proxy.set(Fault::HalfUnprocessedKeys);
    let dynamo = music_http::finish(music_v2::router(
        music_v2::AppState::dynamodb_with(music_v2::DynamoConfig {
            endpoint_url: Some(proxy.endpoint.clone()),
            region: Some("us-west-1".into()),
            tables: tables.clone(),
            operation_timeout: None,
            seed: Some(77),
        })
        .await,
    ));
    let embedded = music_http::finish(music_v2::router(music_v2::AppState::with_store(
        std::sync::Arc::new(
            music_v2::store::EmbeddedStore::load(&data_dir())
                .unwrap()
                .with_seed(77),
        ),
    )));
    for round in 0..20 {
        for cluster in [7, 0] {
            let path = format!("/api/v2.1/Random_Song_Assignments/{cluster}");
            let got = ask(&dynamo, &path).await;
            assert_eq!(got.status, 200, "{path}: {}", got.body);
            assert_eq!(
                got.body.as_array().map(Vec::len),
                Some(music_v2::RANDOM_TRACKS)
            );
            let want = ask(&embedded, &path).await;
            assert_eq!(
                got.body, want.body,
                "round {round}, {path}: DynamoDB vs embedded"
            );
        }
    }
    // Every draw of 10 keys went through at least one partial answer.
    let partial = proxy.counters.partial.load(Ordering::SeqCst);
    assert!(partial >= 40, "{partial} partial answers");
    assert!(proxy.counters.held_back.load(Ordering::SeqCst) >= 40 * 5);
}

/// Keys of an item file, as the table's key attributes print.
fn file_keys(file: &str, hash: &str, range: Option<&str>) -> BTreeSet<String> {
    std::fs::read_to_string(data_dir().join(file))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            match range {
                Some(r) => format!("{}|{}", v[hash], v[r].as_str().unwrap()),
                None => v[hash].as_str().unwrap().to_string(),
            }
        })
        .collect()
}

async fn table_keys(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
    hash: &str,
    range: Option<&str>,
) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(table)
            .consistent_read(true)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .unwrap();
        for item in page.items() {
            let show = |v: &AttributeValue| match v {
                AttributeValue::S(s) => s.clone(),
                AttributeValue::N(n) => n.clone(),
                other => panic!("unexpected key {other:?}"),
            };
            keys.insert(match range {
                Some(r) => format!("{}|{}", show(&item[hash]), show(&item[r])),
                None => show(&item[hash]),
            });
        }
        match page.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => return keys,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batch_writer_loses_nothing_through_an_outage_in_the_middle_of_a_run() {
    let Some(dynalite) = Dynalite::start() else {
        return;
    };
    let proxy = std::sync::Arc::new(FaultProxy::start(&dynalite.endpoint).await);
    // After the 10th BatchWriteItem, nothing listens for 1.5 s (connections refused, open ones
    // cut), then DynamoDB is back.
    let outage = {
        let proxy = std::sync::Arc::clone(&proxy);
        tokio::spawn(async move {
            while proxy.counters.batch_writes.load(Ordering::SeqCst) < 10 {
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            proxy.set(Fault::Down);
            let during = proxy.counters.batch_writes.load(Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(1500)).await;
            proxy.set(Fault::Pass);
            during
        })
    };
    let tables = TableNames::default().prefixed("outage_");
    let mut options = dynamo_support::patient_sample_writer(
        &proxy.endpoint,
        &tables,
        Duration::from_millis(20),
        Duration::from_millis(400),
    );
    options.region = Some("us-west-1".into());
    let report = dynamo_writer::run(&options)
        .await
        .unwrap_or_else(|e| panic!("the writer gave up: {e:#}"));
    let at_outage = outage.await.unwrap();
    let total_batches = proxy.counters.batch_writes.load(Ordering::SeqCst);
    assert!(
        total_batches > at_outage,
        "the outage happened during the writes ({at_outage} of {total_batches} batches before it)"
    );
    assert!(
        report.throttled_retries > 0,
        "the writer saw the outage and retried"
    );

    // Every key of every item file is in its table: read the tables directly, not via the proxy.
    let client = dynamo_writer::client(Some(&dynalite.endpoint), Some("us-west-1")).await;
    for (file, table, hash, range) in [
        ("Music_ML3.jsonl", &tables.tracks, "name", None),
        ("Music_ML_IDs.jsonl", &tables.track_ids, "name", None),
        (
            "Music_ML_Assignments.jsonl",
            &tables.assignments,
            "Assignments",
            Some("sort"),
        ),
    ] {
        let want = file_keys(file, hash, range);
        let have = table_keys(&client, table, hash, range).await;
        assert!(!want.is_empty());
        let missing: Vec<_> = want.difference(&have).take(5).collect();
        assert!(
            missing.is_empty(),
            "{table}: items of {file} missing, e.g. {missing:?}"
        );
        assert_eq!(have.len(), want.len(), "{table}: extra items");
    }
}
