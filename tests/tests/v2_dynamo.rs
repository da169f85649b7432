//! v2 against a real DynamoDB API (dynalite): the batch writer seeds the tables from a real
//! subset of the item files (`dynamo_support::sample_dir`), every v2 route is asked over real HTTP, and the tables are counted. Plus the
//! failure modes: a proxy that throttles and half-processes BatchWriteItem calls (the writer must
//! still land every item), and DynamoDB unreachable or silent (v2 must answer 503).

mod dynamo_support;

use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use dynamo_support::*;
use music_dynamo::TableNames;
use music_http::catalog::{routes_of, Family};
use music_scripts::dynamo_writer;
use music_testkit::v2_answers::{fixed_rows, plain_lookup_path, typed_fields, upper_case_query};
use music_v2::{AppState, DynamoConfig};
use serde_json::{json, Value};

const FILES: [&str; 3] = [
    "Music_ML3.jsonl",
    "Music_ML_IDs.jsonl",
    "Music_ML_Assignments.jsonl",
];

fn table_of(tables: &TableNames, file: &str) -> String {
    match file {
        "Music_ML3.jsonl" => tables.tracks.clone(),
        "Music_ML_IDs.jsonl" => tables.track_ids.clone(),
        _ => tables.assignments.clone(),
    }
}

/// Each table at `endpoint` holds as many items as its sample file has lines, counted by the
/// writer's own count with a client of its own.
async fn assert_sample_counts(endpoint: &str, tables: &TableNames) {
    let client = dynamo_writer::client(Some(endpoint), None).await;
    for file in FILES {
        let counted = dynamo_writer::count_items(&client, &table_of(tables, file))
            .await
            .unwrap();
        assert_eq!(counted, sample_lines(file).len() as u64, "{file}");
    }
}

async fn get(client: &reqwest::Client, url: &str) -> (StatusCode, HeaderMap, Value) {
    music_testkit::fetch(client, url).await.into_json_parts()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writer_seeds_dynalite_then_every_v2_route_over_http() {
    let Some(dynalite) = Dynalite::start() else {
        return;
    };
    let tables = TableNames::default().prefixed("e2e_");
    let options = sample_writer(&dynalite.endpoint, &tables);

    // Seed, then seed again: the second run must leave the same counts (puts overwrite by key).
    for run in 0..2 {
        let report = dynamo_writer::run(&options)
            .await
            .unwrap_or_else(|e| panic!("writer run {run}: {e:#}"));
        for file in FILES {
            let expected = sample_lines(file).len() as u64;
            let t = report
                .tables
                .iter()
                .find(|t| t.table == table_of(&tables, file))
                .unwrap();
            assert_eq!(
                (t.items, t.written, t.counted),
                (expected, expected, expected),
                "run {run}, {file}"
            );
        }
    }

    let server = serve_v2_on(&dynalite.endpoint, tables.clone(), None).await;
    let client = reqwest::Client::new();
    let base = &server.base;

    for route in routes_of(Family::V2) {
        let (status, _, body) = get(&client, &format!("{base}{}", route.example)).await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", route.example);
    }

    // Every title of both tables, typed and plain.
    for (version, file) in [("v2.0", FILES[0]), ("v2.1", FILES[1])] {
        for item in sample_lines(file) {
            let url = format!(
                "{base}/api/{version}/Music_ML_tracks/{}",
                encode(item["name"].as_str().unwrap())
            );
            let plain = without_folded(&item);
            let expected = typed_fields(&plain);
            let (status, headers, body) = get(&client, &url).await;
            assert_eq!(status, StatusCode::OK, "{url}: {body}");
            assert_eq!(headers["content-type"], "application/json");
            assert_eq!(body, json!({ "Item": expected }), "{url}");
            let mut keys: Vec<&String> = expected.keys().collect();
            keys.sort();
            assert_eq!(
                body["Item"].as_object().unwrap().keys().collect::<Vec<_>>(),
                keys,
                "{url}: sorted keys"
            );
            let (status, _, body) = get(&client, &format!("{url}?format=plain")).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(body, plain, "{url}?format=plain");
        }
    }

    // Folded lookups through the GSI: upper-cased folded titles that are no exact title.
    let items = sample_lines(FILES[1]);
    let mut folded_checked = 0;
    for item in items.iter().step_by(3) {
        let folded = item["name_folded"].as_str().unwrap();
        let is_title = |q: &str| items.iter().any(|i| i["name"] == q);
        let Some(query) = upper_case_query(folded, is_title, music_shared::fold_name) else {
            continue;
        };
        let expected = items
            .iter()
            .filter(|i| i["name_folded"] == folded)
            .map(|i| i["name"].as_str().unwrap())
            .min()
            .unwrap();
        let (status, _, body) = get(&client, &format!("{base}{}", plain_lookup_path(&query))).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(body["name"], expected, "{query}");
        folded_checked += 1;
    }
    assert!(
        folded_checked > 50,
        "only {folded_checked} folded lookups checked"
    );

    // Bad and unknown input: JSON 4xx, never a 500 from DynamoDB validation errors.
    let long = "a".repeat(10_000);
    let two_k = "é".repeat(1024); // 2048 bytes: the longest key DynamoDB accepts
    for (path, expected) in [
        (
            "/api/v2.1/Music_ML_tracks/No%20Such%20Song%20Anywhere".to_string(),
            404,
        ),
        (
            "/api/v2.0/Music_ML_tracks/%22%20OR%20%221%22%3D%221".to_string(),
            404,
        ),
        ("/api/v2.0/Music_ML_tracks/100%25".to_string(), 404),
        ("/api/v2.0/Music_ML_tracks/%20".to_string(), 404),
        ("/api/v2.0/Music_ML_tracks/%00".to_string(), 404),
        (format!("/api/v2.0/Music_ML_tracks/{}", encode(&two_k)), 404),
        (format!("/api/v2.0/Music_ML_tracks/{long}"), 400),
        ("/api/v2.1/Music_ML_tracks/%FF".to_string(), 400),
        ("/api/v2.1/Fixed_Song_Assignments/abc".to_string(), 400),
        ("/api/v2.1/Random_Song_Assignments/10".to_string(), 400),
        ("/api/v2.1/Random_Song_Assignments/-1".to_string(), 400),
    ] {
        let (status, _, body) = get(&client, &format!("{base}{path}")).await;
        assert_eq!(status.as_u16(), expected, "{path}: {body}");
        assert_eq!(body["status"], expected, "{path}");
    }

    // Fixed and random rows of every cluster, checked against the assignments file.
    let assignments = sample_lines(FILES[2]);
    for n in 0..=9u64 {
        let fixed = fixed_rows(&assignments, n);
        let (status, _, body) = get(
            &client,
            &format!("{base}/api/v2.1/Fixed_Song_Assignments/{n}"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, Value::Array(fixed), "fixed {n}");

        let members: HashSet<&str> = assignments
            .iter()
            .filter(|i| i["Assignments"] == n && i["sort"].as_str().unwrap().starts_with("rand#"))
            .map(|i| i["id"].as_str().unwrap())
            .collect();
        let mut seen = BTreeSet::new();
        for _ in 0..15 {
            let (status, _, body) = get(
                &client,
                &format!("{base}/api/v2.1/Random_Song_Assignments/{n}"),
            )
            .await;
            assert_eq!(status, StatusCode::OK);
            let rows = body.as_array().unwrap();
            assert_eq!(rows.len(), members.len().min(10), "random {n}");
            let ids: HashSet<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
            assert_eq!(ids.len(), rows.len(), "random {n}: duplicates");
            assert!(
                ids.iter().all(|id| members.contains(id)),
                "random {n}: {body}"
            );
            seen.extend(ids.iter().map(|s| s.to_string()));
        }
        if members.len() > 12 {
            assert!(
                seen.len() > 10,
                "random {n}: 15 calls gave only {} distinct tracks",
                seen.len()
            );
        }
    }

    // The count check, with a client of our own.
    assert_sample_counts(&dynalite.endpoint, &tables).await;
}

/// A cluster's size is read once and cached; a table seeded again with fewer tracks in a cluster
/// makes drawn keys come back missing, and the store reads the size again instead of answering
/// short lists. A table still holding a key of the older pipeline (`rand#<16 hex>`) is refused
/// (500) rather than read as a size.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn draws_follow_a_cluster_seeded_again_smaller_and_refuse_keys_of_an_older_build() {
    let Some(dynalite) = Dynalite::start() else {
        return;
    };
    let tables = seed_sample(&dynalite.endpoint, "reseed_").await;
    let server = serve_v2_on(&dynalite.endpoint, tables.clone(), Some(5)).await;
    let http = reqwest::Client::new();
    let url = |n: u8| format!("{}/api/v2.1/Random_Song_Assignments/{n}", server.base);

    let (status, _, body) = get(&http, &url(3)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body.as_array().unwrap().len(), 10);
    // Cluster 3 again, with its first 12 tracks only.
    let client = dynamo_writer::client(Some(&dynalite.endpoint), None).await;
    let mut kept = HashSet::new();
    for item in sample_lines(FILES[2]) {
        let sort = item["sort"].as_str().unwrap();
        let Some(index) = music_shared::items::random_key_index(sort) else {
            continue;
        };
        if item["Assignments"] != 3 {
            continue;
        }
        if index < 12 {
            kept.insert(item["id"].as_str().unwrap().to_string());
            continue;
        }
        client
            .delete_item()
            .table_name(&tables.assignments)
            .key("Assignments", AttributeValue::N("3".into()))
            .key("sort", AttributeValue::S(sort.to_string()))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(kept.len(), 12);
    let mut seen = HashSet::new();
    for _ in 0..20 {
        let (status, _, body) = get(&http, &url(3)).await;
        assert_eq!(status, StatusCode::OK);
        let ids: Vec<&str> = body
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 10, "{body}");
        assert!(ids.iter().all(|id| kept.contains(*id)), "{body}");
        seen.extend(ids.iter().map(|id| id.to_string()));
    }
    assert_eq!(seen.len(), 12, "every remaining track drawn in 20 draws");

    // An item of the older pipeline, never read yet by this process: refused, not guessed.
    client
        .put_item()
        .table_name(&tables.assignments)
        .item("Assignments", AttributeValue::N("5".into()))
        .item("sort", AttributeValue::S("rand#3fa2c0d1e4b5a697".into()))
        .item("name", AttributeValue::S("Old".into()))
        .item("id", AttributeValue::S("old".into()))
        .item("artists", AttributeValue::S("['Old']".into()))
        .send()
        .await
        .unwrap();
    let (status, _, body) = get(&http, &url(5)).await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
    let (status, _, body) = get(&http, &url(4)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

/// What the fault proxy did.
#[derive(Default)]
struct Faults {
    calls: AtomicU64,
    throttled: AtomicU64,
    half_processed: AtomicU64,
}

/// A DynamoDB front that passes everything to dynalite, except BatchWriteItem calls: of every
/// three, one is refused with ProvisionedThroughputExceededException, one has only its first half
/// of items forwarded and the rest returned as UnprocessedItems, one passes untouched.
async fn fault_proxy(upstream: String, faults: Arc<Faults>) -> TestServer {
    let http = reqwest::Client::new();
    let app = axum::Router::new().fallback(move |headers: HeaderMap, body: Bytes| {
        let (http, upstream, faults) = (http.clone(), upstream.clone(), faults.clone());
        async move {
            let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            let mut body = body.to_vec();
            let mut held_back: Option<Value> = None;
            if target.ends_with(".BatchWriteItem") {
                let n = faults.calls.fetch_add(1, Ordering::SeqCst);
                match n % 3 {
                    0 => {
                        faults.throttled.fetch_add(1, Ordering::SeqCst);
                        let error = json!({
                            "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                            "message": "injected by the test proxy"
                        });
                        return (StatusCode::BAD_REQUEST, [("content-type", "application/x-amz-json-1.0")], error.to_string()).into_response();
                    }
                    1 => {
                        let mut request: Value = serde_json::from_slice(&body).unwrap();
                        let mut rest = serde_json::Map::new();
                        for (table, list) in request["RequestItems"].as_object_mut().unwrap() {
                            let list = list.as_array_mut().unwrap();
                            let keep = list.len() / 2;
                            rest.insert(table.clone(), Value::Array(list.split_off(keep)));
                        }
                        if request["RequestItems"].as_object().unwrap().values().all(|l| l.as_array().unwrap().is_empty()) {
                            // Nothing left to forward: everything comes back unprocessed.
                            faults.half_processed.fetch_add(1, Ordering::SeqCst);
                            let answer = json!({ "UnprocessedItems": rest });
                            return (StatusCode::OK, [("content-type", "application/x-amz-json-1.0")], answer.to_string()).into_response();
                        }
                        faults.half_processed.fetch_add(1, Ordering::SeqCst);
                        body = serde_json::to_vec(&request).unwrap();
                        held_back = Some(Value::Object(rest));
                    }
                    _ => {}
                }
            }
            let mut forward = http.post(&upstream).body(body);
            for (name, value) in &headers {
                if !matches!(name.as_str(), "host" | "content-length") {
                    forward = forward.header(name, value);
                }
            }
            let res = forward.send().await.expect("dynalite answers the proxy");
            let status = StatusCode::from_u16(res.status().as_u16()).unwrap();
            let content_type = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("application/x-amz-json-1.0").to_string();
            // x-amz-crc32 is not copied: the body may change below, and the SDK checks it.
            let mut answer = res.bytes().await.unwrap().to_vec();
            if let (Some(rest), true) = (held_back, status.is_success()) {
                let mut parsed: Value = serde_json::from_slice(&answer).unwrap();
                let unprocessed = parsed.as_object_mut().unwrap().entry("UnprocessedItems").or_insert_with(|| json!({}));
                for (table, list) in rest.as_object().unwrap() {
                    let slot = unprocessed.as_object_mut().unwrap().entry(table.clone()).or_insert_with(|| json!([]));
                    slot.as_array_mut().unwrap().extend(list.as_array().unwrap().iter().cloned());
                }
                answer = serde_json::to_vec(&parsed).unwrap();
            }
            Response::builder().status(status).header("content-type", content_type).body(axum::body::Body::from(answer)).unwrap()
        }
    });
    serve(app).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writer_lands_every_item_through_throttling_and_unprocessed_items() {
    let Some(dynalite) = Dynalite::start() else {
        return;
    };
    let faults = Arc::new(Faults::default());
    let proxy = fault_proxy(dynalite.endpoint.clone(), faults.clone()).await;
    let tables = TableNames::default().prefixed("faults_");
    let options = patient_sample_writer(
        &proxy.base,
        &tables,
        Duration::from_millis(1),
        Duration::from_millis(40),
    );
    let report = dynamo_writer::run(&options)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));

    let expected: u64 = FILES.iter().map(|f| sample_lines(f).len() as u64).sum();
    assert_eq!(report.items(), expected);
    assert!(
        faults.throttled.load(Ordering::SeqCst) > 10
            && faults.half_processed.load(Ordering::SeqCst) > 10
    );
    assert_eq!(
        report.throttled_retries,
        faults.throttled.load(Ordering::SeqCst),
        "every refusal retried"
    );
    assert!(report.unprocessed_retries >= faults.half_processed.load(Ordering::SeqCst));
    // Counted behind the proxy's back, straight from dynalite.
    assert_sample_counts(&dynalite.endpoint, &tables).await;
}

#[tokio::test]
async fn v2_answers_503_with_retry_after_when_dynamodb_is_down_or_silent() {
    // Down: a port nobody listens on. Silent: a listener that accepts and never answers.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_endpoint = format!("http://{}", silent.local_addr().unwrap());
    let _hold = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            open.push(socket);
        }
    });
    let down_endpoint = format!("http://127.0.0.1:{}", free_port());
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    for endpoint in [down_endpoint, silent_endpoint] {
        let state = AppState::dynamodb_with(DynamoConfig {
            endpoint_url: Some(endpoint.clone()),
            ..Default::default()
        })
        .await;
        let server = serve(music_http::finish(music_v2::router(state))).await;
        for path in [
            "/api/v2.1/Music_ML_tracks/Se%C3%B1orita",
            "/api/v2.1/Fixed_Song_Assignments/3",
            "/api/v2.1/Random_Song_Assignments/3",
        ] {
            let (status, headers, body) = get(&client, &format!("{}{path}", server.base)).await;
            assert_eq!(
                status,
                StatusCode::SERVICE_UNAVAILABLE,
                "{endpoint}{path}: {body}"
            );
            let retry: u32 = headers["retry-after"].to_str().unwrap().parse().unwrap();
            assert!(retry >= 1, "{endpoint}{path}");
            assert_eq!(body["status"], 503);
            assert!(
                !body["error"].as_str().unwrap().contains("127.0.0.1"),
                "no backend detail leaks: {body}"
            );
        }
        // Client mistakes are still 400s, checked before the store is asked.
        let (status, _, _) = get(
            &client,
            &format!("{}/api/v2.1/Fixed_Song_Assignments/x", server.base),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
}
