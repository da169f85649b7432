//! The v3 family over real local HTTP: a server on a free 127.0.0.1 port, requests with a real
//! client, the same layers (`music_http::finish`) the Lambda and the local server add.

use music_http::catalog::Family;
use music_testkit::{built_db, serve, TestServer};

async fn start() -> TestServer {
    let state = music_v3::AppState::open(&built_db())
        .expect("data/build/musicData.sqlite (run the pipeline)");
    serve(music_http::finish(music_v3::router(state))).await
}

#[tokio::test]
async fn v3_catalogue_examples_over_http() {
    let server = start().await;
    music_e2e::assert_examples_over_http(&server.base, Family::V3).await;
}

#[tokio::test]
async fn v3_errors_over_http_are_json() {
    let server = start().await;
    let client = reqwest::Client::new();
    for (path, status) in [
        ("/api/v3/search?q=", 400),
        ("/api/v3/search?q=abc&limit=-1", 400),
        ("/api/v3/tracks/AAAAAAAAAAAAAAAAAAAAAA", 404),
        ("/api/v3/clusters/abc", 400),
        ("/api/v3/does-not-exist", 404),
    ] {
        let url = server.url(path);
        music_e2e::assert_json_error(&client, reqwest::Method::GET, &url, status).await;
    }
    let elbow = server.url("/api/v3/elbow");
    music_e2e::assert_json_error(&client, reqwest::Method::POST, &elbow, 405).await;
    // A search as a browser would type it, through real percent-encoding.
    let res = client
        .get(format!("{}/api/v3/search", server.base))
        .query(&[("q", "Beyoncé"), ("limit", "5")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["hits"][0]["kind"], "artist");
    assert_eq!(
        music_shared::fold_name(body["hits"][0]["name"].as_str().unwrap()),
        "beyonce"
    );
}
