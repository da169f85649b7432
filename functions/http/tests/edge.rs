//! The shared edge (`music_http::finish`) on a small router of its own: what every family gets
//! without writing a line for it. Panics become JSON 500s that keep CORS and the connection;
//! every answer says `nosniff` and how it may be cached; deterministic 200s carry a strong
//! `ETag` and answer `If-None-Match` with 304; error bodies echo only a prefix of the input.

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use music_http::cache::{self, StaticBody};
use music_http::{ApiError, EdgeOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;

fn routes() -> Router {
    Router::new()
        .route("/api/ok", get(|| async { music_http::json(&[1, 2, 3]) }))
        .route(
            "/api/static",
            get(|| async {
                static BODY: std::sync::OnceLock<StaticBody> = std::sync::OnceLock::new();
                BODY.get_or_init(|| StaticBody::json(br#"{"static":true}"#.to_vec()))
                    .response()
            }),
        )
        .route(
            "/api/random",
            get(|| async { cache::no_store(music_http::json(&[rand_like()])) }),
        )
        .route(
            "/api/panic",
            get(|| async {
                if std::hint::black_box(true) {
                    panic!("a bug in a handler");
                }
                music_http::json(&0)
            }),
        )
        .route(
            "/api/sync-panic",
            get(|| {
                // Panics while the handler's future is being built, before any await.
                let v: Vec<u8> = Vec::new();
                let _ = v[std::hint::black_box(3)];
                async { music_http::json(&0) }
            }),
        )
        .route(
            "/api/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                music_http::json(&0)
            }),
        )
        .route(
            "/api/missing/{x}",
            get(|music_http::Path(x): music_http::Path<String>| async move {
                Err::<Response, _>(ApiError::NotFound(format!("nothing called {x}")))
            }),
        )
}

fn rand_like() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn app() -> Router {
    music_http::finish(routes())
}

async fn send(app: &Router, method: Method, uri: &str, headers: &[(&str, &str)]) -> Response {
    let mut request = Request::builder().method(method).uri(uri);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    app.clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap()
}

async fn body(response: Response) -> Vec<u8> {
    axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .to_vec()
}

fn header_of(response: &Response, name: header::HeaderName) -> Option<&str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

/// What every answer of the edge must carry.
fn assert_edge_headers(response: &Response, what: &str) {
    assert_eq!(
        header_of(response, header::X_CONTENT_TYPE_OPTIONS),
        Some("nosniff"),
        "{what}: nosniff"
    );
    assert_eq!(
        header_of(response, header::ACCESS_CONTROL_ALLOW_ORIGIN),
        Some("*"),
        "{what}: CORS"
    );
    assert!(
        response.headers().contains_key(header::CACHE_CONTROL),
        "{what}: no Cache-Control"
    );
}

#[tokio::test]
async fn a_panicking_handler_is_a_json_500_with_cors() {
    let app = app();
    for uri in ["/api/panic", "/api/sync-panic"] {
        let response = send(&app, Method::GET, uri, &[("origin", "https://example.org")]).await;
        assert_eq!(
            response.status(),
            StatusCode::INTERNAL_SERVER_ERROR,
            "{uri}"
        );
        assert_edge_headers(&response, uri);
        assert_eq!(
            header_of(&response, header::CACHE_CONTROL),
            Some("no-store")
        );
        assert_eq!(
            header_of(&response, header::CONTENT_TYPE),
            Some("application/json")
        );
        let body: serde_json::Value = serde_json::from_slice(&body(response).await).unwrap();
        assert_eq!(body["status"], 500, "{uri}");
        // The panic message is logged, never sent.
        assert_eq!(body["error"], "internal error", "{uri}");
    }
}

/// Reads one HTTP/1.1 response with a Content-Length body off `stream`.
async fn read_response(stream: &mut tokio::net::TcpStream) -> (u16, String, Vec<u8>) {
    let mut buf = Vec::new();
    let head_end = loop {
        let mut chunk = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .expect("an answer within 10 s")
            .expect("reading the answer");
        assert!(n > 0, "connection closed before a full head: {buf:?}");
        buf.extend_from_slice(&chunk[..n]);
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let status: u16 = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .expect("a content-length");
    while buf.len() < head_end + length {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed inside the body");
        buf.extend_from_slice(&chunk[..n]);
    }
    (status, head, buf[head_end..head_end + length].to_vec())
}

#[tokio::test]
async fn the_connection_survives_a_panic() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app()).await.unwrap() });
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    for (path, expected) in [
        ("/api/panic", 500),
        ("/api/ok", 200),
        ("/api/sync-panic", 500),
        ("/api/ok", 200),
    ] {
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: x\r\nOrigin: https://a.example\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let (status, head, _) = read_response(&mut stream).await;
        assert_eq!(status, expected, "{path} on the same connection: {head}");
        assert!(
            head.to_ascii_lowercase()
                .contains("access-control-allow-origin: *"),
            "{path}: {head}"
        );
    }
    server.abort();
}

#[tokio::test]
async fn every_answer_says_nosniff_and_how_to_cache_it() {
    let app = app();
    let origin = [("origin", "https://example.org")];
    for (method, uri, status) in [
        (Method::GET, "/api/ok", 200),
        (Method::HEAD, "/api/ok", 200),
        (Method::GET, "/api/static", 200),
        (Method::GET, "/api/random", 200),
        (Method::GET, "/api/nothing-here", 404),
        (Method::GET, "/api/missing/abc", 404),
        (Method::POST, "/api/ok", 405),
        (Method::DELETE, "/api/nothing-here", 404),
        // Any OPTIONS is answered by the CORS layer, as a preflight.
        (Method::OPTIONS, "/api/ok", 200),
        (Method::GET, "/api/panic", 500),
    ] {
        let response = send(&app, method.clone(), uri, &origin).await;
        assert_eq!(response.status().as_u16(), status, "{method} {uri}");
        assert_edge_headers(&response, &format!("{method} {uri}"));
        if status != 200 {
            assert_eq!(
                header_of(&response, header::CACHE_CONTROL),
                Some("no-store"),
                "{method} {uri}: errors are not cached"
            );
            assert!(!response.headers().contains_key(header::ETAG));
        }
    }
    // A browser's CORS preflight, answered before any route.
    let preflight = send(
        &app,
        Method::OPTIONS,
        "/api/ok",
        &[
            ("origin", "https://example.org"),
            ("access-control-request-method", "GET"),
        ],
    )
    .await;
    assert!(preflight.status().is_success());
    assert_edge_headers(&preflight, "preflight");
    assert!(header_of(&preflight, header::ACCESS_CONTROL_ALLOW_METHODS)
        .unwrap()
        .contains("GET"));
}

#[tokio::test]
async fn deterministic_answers_carry_a_strong_etag_and_revalidate_to_304() {
    let app = app();
    for uri in ["/api/ok", "/api/static"] {
        let first = send(&app, Method::GET, uri, &[]).await;
        assert_eq!(first.status(), StatusCode::OK);
        let etag = header_of(&first, header::ETAG)
            .unwrap_or_else(|| panic!("{uri}: no ETag"))
            .to_string();
        assert!(
            etag.starts_with('"') && etag.ends_with('"') && !etag.starts_with("W/"),
            "{uri}: a strong ETag, got {etag}"
        );
        let cache_control = header_of(&first, header::CACHE_CONTROL)
            .unwrap()
            .to_string();
        assert_eq!(cache_control, cache::PUBLIC, "{uri}");
        assert!(
            cache_control.contains("max-age=") && cache_control.contains("stale-while-revalidate=")
        );
        let full = body(first).await;
        assert!(!full.is_empty());

        // The same bytes give the same tag (a second instance of the function agrees).
        let again = send(&app, Method::GET, uri, &[]).await;
        assert_eq!(
            header_of(&again, header::ETAG),
            Some(etag.as_str()),
            "{uri}"
        );

        for conditional in [
            etag.clone(),
            format!("\"nope\", {etag}"),
            format!("W/{etag}"),
            "*".to_string(),
        ] {
            let revalidated = send(
                &app,
                Method::GET,
                uri,
                &[("if-none-match", conditional.as_str())],
            )
            .await;
            assert_eq!(
                revalidated.status(),
                StatusCode::NOT_MODIFIED,
                "{uri} If-None-Match: {conditional}"
            );
            assert_eq!(header_of(&revalidated, header::ETAG), Some(etag.as_str()));
            assert_eq!(
                header_of(&revalidated, header::CACHE_CONTROL),
                Some(cache::PUBLIC)
            );
            assert_edge_headers(&revalidated, "304");
            assert!(body(revalidated).await.is_empty());
        }
        let changed = send(&app, Method::GET, uri, &[("if-none-match", "\"other\"")]).await;
        assert_eq!(changed.status(), StatusCode::OK);
        assert_eq!(body(changed).await, full);

        // HEAD: the GET's tag and length, no body.
        let head = send(&app, Method::HEAD, uri, &[]).await;
        assert_eq!(head.status(), StatusCode::OK);
        assert_eq!(
            header_of(&head, header::ETAG),
            Some(etag.as_str()),
            "HEAD {uri}"
        );
        assert_eq!(
            header_of(&head, header::CONTENT_LENGTH),
            Some(full.len().to_string().as_str())
        );
        assert!(body(head).await.is_empty());
        let head_304 = send(&app, Method::HEAD, uri, &[("if-none-match", etag.as_str())]).await;
        assert_eq!(head_304.status(), StatusCode::NOT_MODIFIED);
    }
    // A static body's tag is computed once, from its bytes.
    let s = StaticBody::json(b"[1,2,3]".to_vec());
    assert_eq!(s.etag(), cache::etag_of(b"[1,2,3]").to_str().unwrap());
    assert_ne!(cache::etag_of(b"[1,2,3]"), cache::etag_of(b"[1,2,4]"));
}

#[tokio::test]
async fn random_answers_are_never_stored_nor_tagged() {
    let app = app();
    let response = send(&app, Method::GET, "/api/random", &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header_of(&response, header::CACHE_CONTROL),
        Some("no-store")
    );
    assert!(!response.headers().contains_key(header::ETAG));
    let response = send(&app, Method::GET, "/api/random", &[("if-none-match", "*")]).await;
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "no-store never answers 304"
    );
}

#[tokio::test]
async fn error_bodies_echo_only_a_prefix_of_the_path() {
    let app = app();
    let long = "a".repeat(60_000);
    for uri in [
        format!("/api/{long}"),
        format!("/api/missing/{long}"),
        format!("/{long}"),
    ] {
        let response = send(&app, Method::GET, &uri, &[]).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let bytes = body(response).await;
        assert!(
            bytes.len() < 400,
            "{}...: a {}-byte error body",
            &uri[..20],
            bytes.len()
        );
        let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert!(body["error"].as_str().unwrap().contains("aaaa"), "{body}");
    }
    // A short path is still echoed whole.
    let response = send(&app, Method::GET, "/api/short-path", &[]).await;
    let body: serde_json::Value = serde_json::from_slice(&body(response).await).unwrap();
    assert_eq!(body["error"], "no route for /api/short-path");
}

#[tokio::test]
async fn a_request_over_the_time_limit_is_a_json_503() {
    let app = music_http::finish_with(
        routes(),
        &EdgeOptions {
            request_timeout: Some(Duration::from_millis(100)),
        },
    );
    let response = send(
        &app,
        Method::GET,
        "/api/slow",
        &[("origin", "https://a.example")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_edge_headers(&response, "timeout");
    assert!(response.headers().contains_key(header::RETRY_AFTER));
    let body: serde_json::Value = serde_json::from_slice(&body(response).await).unwrap();
    assert_eq!(body["status"], 503);
    // Fast routes are unaffected.
    assert_eq!(
        send(&app, Method::GET, "/api/ok", &[]).await.status(),
        StatusCode::OK
    );
}
