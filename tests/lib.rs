//! Helpers shared by the end-to-end tests in `tests/tests/` and the load benchmark.

pub mod fault_support;
pub mod fuzz_gen;
pub mod load_gen;
pub mod local;
pub mod spread;

/// Every catalogue example of `family` asked once over real HTTP at `base` (with an `Origin`
/// header): each answers 200 with a JSON object or array, `Content-Type: application/json` and
/// CORS open to any origin.
pub async fn assert_examples_over_http(base: &str, family: music_http::catalog::Family) {
    let client = reqwest::Client::new();
    for r in music_http::catalog::routes_of(family) {
        let res = client
            .get(format!("{base}{}", r.example))
            .header("Origin", "http://example.org")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{}", r.example);
        assert_eq!(
            res.headers()["content-type"],
            "application/json",
            "{}",
            r.example
        );
        assert_eq!(
            res.headers()["access-control-allow-origin"],
            "*",
            "{}",
            r.example
        );
        let body: serde_json::Value = res.json().await.unwrap();
        assert!(body.is_object() || body.is_array(), "{}", r.example);
    }
}

/// `method` on `url` over real HTTP, answered with the error `status` and a JSON body that names
/// it too. The headers and the body, for what a family checks beyond that.
pub async fn assert_json_error(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    status: u16,
) -> (reqwest::header::HeaderMap, serde_json::Value) {
    let res = client.request(method, url).send().await.unwrap();
    assert_eq!(res.status(), status, "{url}");
    let headers = res.headers().clone();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["status"], status, "{url}");
    (headers, body)
}
