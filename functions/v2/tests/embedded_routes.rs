//! The v2 routes in-process on the embedded store, loaded from the real item files. Expected
//! answers are computed here from the raw JSON lines, not by the code under test.

use std::collections::{BTreeSet, HashSet};

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use music_http::catalog::{routes_of, Family};
use music_testkit::dynamo::{typed, without_folded};
use music_testkit::errors::assert_json_errors;
use music_testkit::{data_build as data_dir, encode as url_escape};
use serde_json::{json, Value};

fn lines(file: &str) -> Vec<Value> {
    music_testkit::json_lines(&data_dir().join(file))
}

fn app() -> axum::Router {
    music_http::finish(music_v2::router(
        music_v2::AppState::embedded(&data_dir()).unwrap(),
    ))
}

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, HeaderMap, Value) {
    music_testkit::get(app, uri).await.into_json_parts()
}

async fn if_none_match(app: &axum::Router, uri: &str, tag: &str) -> music_testkit::Reply {
    let request = Request::get(uri)
        .header("if-none-match", tag)
        .body(Body::empty())
        .unwrap();
    music_testkit::request(app, request).await
}

#[tokio::test]
async fn every_catalogue_example_answers_200() {
    let app = app();
    let routes = routes_of(Family::V2);
    assert_eq!(routes.len(), 4);
    for route in routes {
        let (status, _, body) = get(&app, route.example).await;
        assert_eq!(status, StatusCode::OK, "{}: {body}", route.example);
    }
}

#[tokio::test]
async fn titles_in_both_tables_typed_and_plain() {
    let app = app();
    for (version, file) in [("v2.0", "Music_ML3.jsonl"), ("v2.1", "Music_ML_IDs.jsonl")] {
        let items = lines(file);
        assert!(items.len() > 100, "{file} has only {} items", items.len());
        // Every title that is not plain ASCII (the awkward ones) and every 8th of the rest: all
        // 64k titles twice over take most of a minute in a debug build.
        let mut asked = 0;
        for (i, item) in items.iter().enumerate() {
            let name = item["name"].as_str().unwrap();
            if name.is_ascii() && i % 8 != 0 {
                continue;
            }
            asked += 1;
            let url = format!("/api/{version}/Music_ML_tracks/{}", url_escape(name));
            let (status, headers, body) = get(&app, &url).await;
            assert_eq!(status, StatusCode::OK, "{url}: {body}");
            assert_eq!(headers["content-type"], "application/json");
            let plain = without_folded(item);
            let mut expected_keys: Vec<&String> = plain.as_object().unwrap().keys().collect();
            expected_keys.sort();
            let got_keys: Vec<&String> = body["Item"].as_object().unwrap().keys().collect();
            assert_eq!(got_keys, expected_keys, "{url}: keys sorted like jsonify");
            let expected: serde_json::Map<String, Value> = plain
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), typed(v)))
                .collect();
            assert_eq!(body, json!({ "Item": expected }), "{url}");
            let (status, _, body) = get(&app, &format!("{url}?format=plain")).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(body, plain, "{url}?format=plain");
        }
        assert!(asked > items.len() / 8, "{file}: only {asked} titles asked");
    }
}

#[tokio::test]
async fn folded_titles_find_the_first_title_by_name() {
    let app = app();
    let items = lines("Music_ML_IDs.jsonl");
    // Indexes built once: the catalogue has tens of thousands of titles.
    let names: std::collections::HashSet<&str> =
        items.iter().map(|i| i["name"].as_str().unwrap()).collect();
    let mut first_by_folded: std::collections::HashMap<&str, &str> =
        std::collections::HashMap::new();
    for i in &items {
        let name = i["name"].as_str().unwrap();
        first_by_folded
            .entry(i["name_folded"].as_str().unwrap())
            .and_modify(|n| *n = (*n).min(name))
            .or_insert(name);
    }
    let mut checked = 0;
    for item in &items {
        let name = item["name"].as_str().unwrap();
        let folded = item["name_folded"].as_str().unwrap();
        // Ask with the folded form in upper case (an exact title nowhere), expect the first title
        // by name among those that fold alike.
        let is_title = |q: &str| names.contains(q);
        let Some(query) =
            music_testkit::v2_answers::upper_case_query(folded, is_title, music_shared::fold_name)
        else {
            continue;
        };
        let expected = first_by_folded[folded];
        let (status, _, body) =
            get(&app, &music_testkit::v2_answers::plain_lookup_path(&query)).await;
        assert_eq!(status, StatusCode::OK, "{name} as {query}");
        assert_eq!(body["name"], expected, "{query}");
        checked += 1;
    }
    assert!(checked > 500, "only {checked} titles checked");
    let (status, _, body) = get(&app, "/api/v2.0/Music_ML_tracks/senorita").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["Item"]["name"]["S"], "Señorita");
}

#[tokio::test]
async fn bad_and_unknown_titles_are_json_4xx() {
    let app = app();
    let long = "a".repeat(10_000);
    let cases = [
        (
            "/api/v2.1/Music_ML_tracks/No%20Such%20Song%20Anywhere",
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/v2.1/Music_ML_tracks/%22%20OR%20%221%22%3D%221",
            StatusCode::NOT_FOUND,
        ),
        ("/api/v2.1/Music_ML_tracks/100%25", StatusCode::NOT_FOUND),
        ("/api/v2.1/Music_ML_tracks/%20", StatusCode::NOT_FOUND),
        (
            "/api/v2.1/Music_ML_tracks/%E2%80%8B%F0%9F%8E%B5",
            StatusCode::NOT_FOUND,
        ),
        ("/api/v2.1/Music_ML_tracks/%FF%FE", StatusCode::BAD_REQUEST),
        (
            "/api/v2.0/Music_ML_tracks/Se%C3%B1orita?format=xml",
            StatusCode::BAD_REQUEST,
        ),
        ("/api/v2.0/Music_ML_tracks/", StatusCode::NOT_FOUND),
    ];
    let long_url = format!("/api/v2.0/Music_ML_tracks/{long}");
    for (url, expected) in cases
        .iter()
        .copied()
        .chain([(long_url.as_str(), StatusCode::BAD_REQUEST)])
    {
        let (status, headers, body) = get(&app, url).await;
        assert_eq!(status, expected, "{url}: {body}");
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(body["status"], expected.as_u16());
        assert!(
            body["error"]
                .as_str()
                .is_some_and(|e| !e.is_empty() && e.len() < 1000),
            "{url}: {body}"
        );
    }
}

#[tokio::test]
async fn fixed_rows_are_the_clusters_fixed_items_in_order() {
    let app = app();
    let items = lines("Music_ML_Assignments.jsonl");
    for n in 0..=9u64 {
        let mut expected: Vec<&Value> = items
            .iter()
            .filter(|i| i["Assignments"] == n && i["sort"].as_str().unwrap().starts_with("fixed#"))
            .collect();
        expected.sort_by_key(|i| i["sort"].as_str().unwrap());
        let expected: Vec<Value> = expected
            .iter()
            .map(|i| json!({"name": i["name"], "id": i["id"], "artists": i["artists"], "Assignments": i["Assignments"]}))
            .collect();
        assert_eq!(expected.len(), 10, "cluster {n}");
        let (status, _, body) = get(&app, &format!("/api/v2.1/Fixed_Song_Assignments/{n}")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, Value::Array(expected), "cluster {n}");
        let keys: Vec<&String> = body[0].as_object().unwrap().keys().collect();
        assert_eq!(keys, ["name", "id", "artists", "Assignments"]);
    }
}

#[tokio::test]
async fn random_rows_are_distinct_members_and_vary() {
    let app = app();
    let items = lines("Music_ML_Assignments.jsonl");
    for n in 0..=9u64 {
        let members: HashSet<String> = items
            .iter()
            .filter(|i| i["Assignments"] == n && i["sort"].as_str().unwrap().starts_with("rand#"))
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect();
        let mut seen = BTreeSet::new();
        for _ in 0..20 {
            let (status, _, body) =
                get(&app, &format!("/api/v2.1/Random_Song_Assignments/{n}")).await;
            assert_eq!(status, StatusCode::OK);
            let rows = body.as_array().unwrap();
            assert_eq!(rows.len(), members.len().min(10), "cluster {n}");
            let ids: HashSet<&str> = rows.iter().map(|r| r["id"].as_str().unwrap()).collect();
            assert_eq!(ids.len(), rows.len(), "cluster {n}: duplicate rows");
            for r in rows {
                assert!(
                    members.contains(r["id"].as_str().unwrap()),
                    "cluster {n}: {r} is not a member"
                );
                assert_eq!(r["Assignments"], n);
                seen.insert(r["id"].as_str().unwrap().to_string());
            }
        }
        if members.len() > 12 {
            assert!(
                seen.len() > 10,
                "cluster {n}: 20 calls returned only {} distinct tracks",
                seen.len()
            );
        }
    }
}

/// Anything but a cluster number 0..=9, on both assignment routes.
#[tokio::test]
async fn bad_cluster_numbers_are_400() {
    let app = app();
    let numbers = [
        "abc",
        "-1",
        "10",
        "42",
        "3.0",
        "%20",
        "99999999999999999999",
        "%FF",
    ];
    for route in ["Fixed_Song_Assignments", "Random_Song_Assignments"] {
        let uris = numbers.map(|n| format!("/api/v2.1/{route}/{n}"));
        assert_json_errors(&app, StatusCode::BAD_REQUEST, uris).await;
    }
}

/// A random pick is never cached nor revalidated (a cache would hand back the same ten songs);
/// the deterministic routes carry a tag and revalidate to 304.
#[tokio::test]
async fn random_picks_are_no_store_and_the_rest_revalidate() {
    let app = app();
    for n in [0, 4, 9] {
        let uri = format!("/api/v2.1/Random_Song_Assignments/{n}");
        let (status, headers, _) = get(&app, &uri).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["cache-control"], "no-store", "{uri}");
        assert!(
            headers.get("etag").is_none(),
            "{uri}: a random pick has no tag"
        );
        let again = if_none_match(&app, &uri, "*").await;
        assert_eq!(again.status, StatusCode::OK, "{uri}: never a 304");
    }
    for route in routes_of(Family::V2) {
        if route.path.contains("Random") {
            continue;
        }
        let (status, headers, _) = get(&app, route.example).await;
        assert_eq!(status, StatusCode::OK, "{}", route.example);
        assert_eq!(
            headers["cache-control"],
            music_http::cache::PUBLIC,
            "{}",
            route.example
        );
        let etag = headers["etag"].to_str().unwrap().to_string();
        let again = if_none_match(&app, route.example, &etag).await;
        assert_eq!(again.status, StatusCode::NOT_MODIFIED, "{}", route.example);
    }
}
