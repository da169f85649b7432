//! The merged local app over real HTTP on 127.0.0.1: every family answers on one address, the
//! fallbacks come from `music_http::finish` exactly once, and every catalogue example (of every
//! family) answers 200, so the local server serves the whole catalogue.

mod common;

use common::serve_local_app as start;

#[tokio::test]
async fn every_catalogue_example_answers_on_the_one_local_address() {
    let server = start().await;
    let base = &server.base;
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
    let server = start().await;
    let base = &server.base;
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
