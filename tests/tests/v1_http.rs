//! The v1 family over real local HTTP: the router with the shared layers (`music_http::finish`)
//! served by axum on a free 127.0.0.1 port, called with reqwest, so percent-encoding, HEAD,
//! CORS and error bodies are checked as a real client sees them.

use music_http::catalog::Family;
use music_testkit::{built_db, raw, serve, TestServer};

async fn start() -> TestServer {
    let state = music_v1::AppState::open(built_db())
        .expect("data/build/musicData.sqlite (run the pipeline)");
    serve(music_http::finish(music_v1::router(state))).await
}

/// The first `year` of data_by_year.csv, read independently of the server.
fn first_year_in_csv() -> i64 {
    let csv = std::fs::read_to_string(raw("data_by_year.csv")).unwrap();
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("year,"));
    lines
        .next()
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn v1_routes_over_http() {
    let server = start().await;
    let client = reqwest::Client::new();
    music_e2e::assert_examples_over_http(&server.base, Family::V1).await;

    let years = music_testkit::fetch(&client, &server.url("/api/v1.0/data_by_year"))
        .await
        .json();
    assert_eq!(years[0]["year"], first_year_in_csv());

    // A name with `/` must arrive percent-encoded; reqwest keeps `%2F` as sent.
    for (path, artist) in [
        ("AC%2FDC", "AC/DC"),
        ("beyonce", "Beyoncé"),
        ("Beyonc%C3%A9", "Beyoncé"),
        ("%22Weird%20Al%22%20Yankovic", "\"Weird Al\" Yankovic"),
        ("%3F%20%26%20The%20Mysterians", "? & The Mysterians"),
    ] {
        let res = client
            .get(format!(
                "{}/api/v1.0/data_by_artist_clean/{path}",
                server.base
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let rows: serde_json::Value = res.json().await.unwrap();
        assert_eq!(rows.as_array().map(Vec::len), Some(1), "{path}");
        assert_eq!(rows[0]["artists"], artist, "{path}");
    }
}

#[tokio::test]
async fn v1_errors_over_http_are_json() {
    let server = start().await;
    let client = reqwest::Client::new();
    let long = "a".repeat(10 * 1024);
    for (method, path, status) in [
        (
            "GET",
            "/api/v1.0/data_by_artist_clean/x%22%20OR%20%221%22%3D%221".to_string(),
            404,
        ),
        ("GET", "/api/v1.0/data_by_artist_clean/%FF".to_string(), 400),
        ("GET", format!("/api/v1.0/data_by_artist_clean/{long}"), 400),
        ("GET", "/api/v1.0/data_by_artist_clean/".to_string(), 404),
        ("GET", "/api/v1.0/no_such_route".to_string(), 404),
        ("POST", "/api/v1.0/data_by_year".to_string(), 405),
        (
            "DELETE",
            "/api/v1.0/data_by_artist_clean/AC%2FDC".to_string(),
            405,
        ),
    ] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let (headers, body) =
            music_e2e::assert_json_error(&client, method, &server.url(&path), status).await;
        assert_eq!(headers["content-type"], "application/json", "{path}");
        assert!(body["error"].is_string(), "{path}");
    }

    let head = client
        .head(format!("{}/api/v1.0/top_51_genres", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-type"], "application/json");
    assert!(head.bytes().await.unwrap().is_empty());
}
