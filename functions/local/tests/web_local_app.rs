//! The merged local app over real HTTP on 127.0.0.1: every family answers on one address, the
//! fallbacks come from `music_http::finish` exactly once, and every catalogue example (of every
//! family) answers 200, so the local server serves the whole catalogue.

use std::path::Path;

async fn start() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let config = music_local::Config {
        db: root.join("data/build/musicData.sqlite"),
        data_dir: root.join("data/build"),
        dynamodb_endpoint: None,
        tables: Default::default(),
    };
    let app = music_local::app_from(&config)
        .await
        .expect("data/build is built");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn every_catalogue_example_answers_on_the_one_local_address() {
    let base = start().await;
    let http = reqwest::Client::new();
    let routes = music_http::catalog::routes();
    for family in [
        music_http::catalog::Family::V1,
        music_http::catalog::Family::V2,
        music_http::catalog::Family::V3,
        music_http::catalog::Family::Web,
    ] {
        assert!(
            routes.iter().any(|r| r.family == family),
            "no {family:?} route in the catalogue"
        );
    }
    for route in routes {
        let response = http
            .get(format!("{base}{}", route.example))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            200,
            "{:?} {}",
            route.family,
            route.example
        );
    }
}

#[tokio::test]
async fn pages_are_html_and_unknown_paths_get_the_shared_json_404() {
    let base = start().await;
    let http = reqwest::Client::new();
    let page = http.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    assert_eq!(
        page.text().await.unwrap(),
        music_web::page("index").unwrap()
    );
    for path in ["/api/v9/nothing", "/nothing", "/static/nothing.js"] {
        let response = http.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{path}"
        );
        assert_eq!(
            response.headers()["access-control-allow-origin"],
            "*",
            "{path}: CORS from finish()"
        );
    }
    let post = http
        .post(format!("{base}/api/v3/elbow"))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 405);
}
