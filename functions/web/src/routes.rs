//! The router: pages with revalidation, pinned assets cached for a year, HTML or JSON 404s.

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use music_http::ApiError;

use crate::site::{content_type, embedded, page, PAGES};

/// The Content-Security-Policy of every page. Scripts may also come from Spotify for its iFrame
/// API (the application page's queue moves on when a track ends through it):
/// `open.spotify.com/embed/iframe-api/v1` is a loader that adds the API's bundle from
/// `embed-cdn.spotifycdn.com`. The players are frames from `open.spotify.com`.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; \
     script-src 'self' https://open.spotify.com https://embed-cdn.spotifycdn.com; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-src https://open.spotify.com; \
     connect-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'";

/// Headers every page gets. The CSP allows only our own scripts, Spotify's iFrame API and
/// Spotify's player frames (no inline script, no `eval`), so a data value that slipped into the
/// DOM unescaped still could not run code; `frame-ancestors` keeps other sites from framing the
/// pages (clickjacking), `X-Frame-Options` says the same to browsers that predate it.
fn page_headers(etag: &str) -> [(header::HeaderName, HeaderValue); 7] {
    [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (
            header::ETAG,
            HeaderValue::from_str(etag).unwrap_or(HeaderValue::from_static("\"0\"")),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ),
        (
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("SAMEORIGIN"),
        ),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
    ]
}

fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
}

fn serve_page(name: &str, headers: &HeaderMap) -> Response {
    let Some((_, html, hash)) = embedded::PAGES.iter().find(|(n, _, _)| *n == name) else {
        return not_found_page();
    };
    let etag = format!("\"{hash:016x}\"");
    if not_modified(headers, &etag) {
        return (StatusCode::NOT_MODIFIED, page_headers(&etag)).into_response();
    }
    (page_headers(&etag), *html).into_response()
}

fn not_found_page() -> Response {
    let html =
        page("404").unwrap_or("<!doctype html><title>Not found</title><h1>Page not found</h1>");
    let mut response = (StatusCode::NOT_FOUND, page_headers("\"404\""), html).into_response();
    response.headers_mut().remove(header::ETAG);
    response
}

async fn index(headers: HeaderMap) -> Response {
    serve_page("index", &headers)
}

/// One path segment at the root: a page (`about.html`), else a 404 — an HTML page for `.html`
/// paths (a person typed it), the API's JSON error for anything else (a program did).
async fn root_segment(
    music_http::Path(segment): music_http::Path<String>,
    headers: HeaderMap,
) -> Response {
    match segment.strip_suffix(".html") {
        Some(name) if PAGES.contains(&name) => serve_page(name, &headers),
        Some(_) => not_found_page(),
        None => ApiError::NotFound(format!("no route for /{segment}")).into_response(),
    }
}

async fn static_asset(request: Request) -> Response {
    let path = request.uri().path().trim_start_matches('/');
    let Some((url, bytes, hash)) = embedded::ASSETS.iter().find(|(p, _, _)| *p == path) else {
        return ApiError::NotFound(format!("no asset {}", request.uri().path())).into_response();
    };
    let etag = format!("\"{hash:016x}\"");
    // Only a link that names this exact content may be cached for good.
    let pinned = request
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|kv| kv == format!("v={:08x}", hash >> 32)));
    let cache = if pinned {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=300"
    };
    let mut headers = vec![
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static(content_type(url)),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ];
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.push((header::ETAG, value));
    }
    if not_modified(request.headers(), &etag) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        for (name, value) in headers {
            response.headers_mut().insert(name, value);
        }
        return response;
    }
    let mut response = (*bytes).into_response();
    for (name, value) in headers {
        response.headers_mut().insert(name, value);
    }
    response
}

/// The site's routes, without fallback or layers (see `music_http::finish`), so the local server
/// can merge it with the API families.
pub fn router() -> Router {
    Router::new()
        .route("/", get(index))
        .route("/{page}", get(root_segment))
        .route("/static/{*path}", get(static_asset))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::site::asset_paths;
    use axum::body::Body;
    use tower::ServiceExt;

    async fn get_response(uri: &str, headers: &[(&str, &str)]) -> Response {
        let mut request = Request::builder().uri(uri);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        music_http::finish(router())
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    async fn body_text(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[tokio::test]
    async fn every_page_is_served_as_html_with_the_shared_layout() {
        for name in PAGES {
            let response = get_response(&format!("/{name}.html"), &[]).await;
            assert_eq!(response.status(), StatusCode::OK, "{name}");
            assert_eq!(
                response.headers()[header::CONTENT_TYPE],
                "text/html; charset=utf-8"
            );
            assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
            let html = body_text(response).await;
            assert!(html.starts_with("<!doctype html>"), "{name}");
            assert!(
                html.contains(&format!("href=\"{name}.html\" aria-current=\"page\"")),
                "{name}: nav marks the page as current"
            );
            assert!(
                !html.contains("{{"),
                "{name}: a template marker was left unrendered"
            );
        }
        let root = body_text(get_response("/", &[]).await).await;
        assert_eq!(root, page("index").unwrap());
    }

    #[tokio::test]
    async fn every_link_from_a_page_to_an_asset_resolves_and_pinned_links_are_immutable() {
        for name in PAGES {
            let html = page(name).unwrap();
            for link in html
                .split("\"static/")
                .skip(1)
                .map(|s| &s[..s.find('"').unwrap()])
            {
                let response = get_response(&format!("/static/{link}"), &[]).await;
                assert_eq!(
                    response.status(),
                    StatusCode::OK,
                    "{name} links to static/{link}"
                );
                if link.contains("?v=") {
                    assert_eq!(
                        response.headers()[header::CACHE_CONTROL],
                        "public, max-age=31536000, immutable",
                        "{link}"
                    );
                }
            }
        }
    }

    #[tokio::test]
    async fn assets_have_their_content_type_and_revalidate_with_etag() {
        let cases = [
            (
                "/static/vendor/d3/d3.min.js",
                "text/javascript; charset=utf-8",
            ),
            (
                "/static/vendor/bootstrap/bootstrap.min.css",
                "text/css; charset=utf-8",
            ),
            ("/static/favicon.svg", "image/svg+xml"),
        ];
        for (uri, expected) in cases {
            let response = get_response(uri, &[]).await;
            assert_eq!(response.status(), StatusCode::OK, "{uri}");
            assert_eq!(response.headers()[header::CONTENT_TYPE], expected, "{uri}");
            assert_eq!(
                response.headers()[header::CACHE_CONTROL],
                "public, max-age=300",
                "unpinned {uri}"
            );
            let etag = response.headers()[header::ETAG]
                .to_str()
                .unwrap()
                .to_string();
            let on_disk = std::fs::read(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/assets/vendor/d3/d3.min.js"
            ))
            .unwrap();
            if uri.ends_with("d3.min.js") {
                assert_eq!(
                    axum::body::to_bytes(response.into_body(), usize::MAX)
                        .await
                        .unwrap()
                        .as_ref(),
                    on_disk.as_slice()
                );
            }
            let again = get_response(uri, &[("if-none-match", &etag)]).await;
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{uri}");
        }
        let page = get_response("/about.html", &[]).await;
        let etag = page.headers()[header::ETAG].to_str().unwrap().to_string();
        assert_eq!(
            get_response("/about.html", &[("if-none-match", &etag)])
                .await
                .status(),
            StatusCode::NOT_MODIFIED
        );
    }

    #[tokio::test]
    async fn unknown_pages_are_html_404s_and_other_unknown_paths_json_404s() {
        let html_404 = ("text/html; charset=utf-8", "Page not found");
        let json_404 = ("application/json", "\"status\":404");
        for (uri, (content_type, body_has)) in [
            ("/nope.html", html_404),
            ("/INDEX.html", html_404),
            ("/%E2%80%AE.html", html_404),
            ("/404.html", html_404),
            ("/.html", html_404),
            ("/nope", json_404),
            ("/static/missing.js", json_404),
            ("/static/../Cargo.toml", json_404),
            ("/static/vendor/d3", json_404),
            ("/a/b/c", json_404),
        ] {
            let response = get_response(uri, &[]).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{uri}");
            assert_eq!(
                response.headers()[header::CONTENT_TYPE],
                content_type,
                "{uri}"
            );
            let body: String = body_text(response).await;
            assert!(body.contains(body_has), "{uri}: {body}");
        }
        let response = get_response("/%FF%FE.html", &[]).await;
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "invalid UTF-8 in the path"
        );
        assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
        let long = format!("/{}.html", "a".repeat(10_000));
        assert_eq!(
            get_response(&long, &[]).await.status(),
            StatusCode::NOT_FOUND
        );
    }

    /// The answer to `uri` and its Content-Security-Policy header.
    async fn response_and_csp(uri: &str) -> (Response, String) {
        let response = get_response(uri, &[]).await;
        let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_string();
        (response, csp)
    }

    #[tokio::test]
    async fn pages_may_only_be_framed_by_the_site_itself() {
        for uri in ["/", "/application.html", "/nope.html"] {
            let (response, csp) = response_and_csp(uri).await;
            let ancestors = csp
                .split(';')
                .map(str::trim)
                .find(|d| d.starts_with("frame-ancestors"))
                .unwrap_or_else(|| panic!("{uri}: no frame-ancestors in {csp}"));
            assert_eq!(ancestors, "frame-ancestors 'self'", "{uri}");
            assert_eq!(response.headers()[header::X_FRAME_OPTIONS], "SAMEORIGIN");
        }
    }

    /// The CSP as (directive, sources) pairs.
    fn csp_directives(csp: &str) -> Vec<(String, Vec<String>)> {
        csp.split(';')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(|d| {
                let mut words = d.split_whitespace().map(str::to_string);
                (words.next().unwrap(), words.collect())
            })
            .collect()
    }

    #[tokio::test]
    async fn scripts_come_only_from_the_site_and_spotifys_iframe_api() {
        for uri in ["/", "/application.html", "/nope.html"] {
            let (_, csp) = response_and_csp(uri).await;
            let directives = csp_directives(&csp);
            let names: Vec<_> = directives.iter().map(|(n, _)| n.as_str()).collect();
            let mut unique = names.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(
                unique.len(),
                names.len(),
                "{uri}: a directive twice in {csp}"
            );
            let sources = |name: &str| {
                directives
                    .iter()
                    .find(|(n, _)| n == name)
                    .map(|(_, s)| s.clone())
                    .unwrap_or_else(|| panic!("{uri}: no {name} in {csp}"))
            };
            assert_eq!(
                sources("script-src"),
                [
                    "'self'",
                    "https://open.spotify.com",
                    "https://embed-cdn.spotifycdn.com"
                ],
                "{uri}: no inline script, no eval, no other origin"
            );
            assert_eq!(sources("frame-src"), ["https://open.spotify.com"], "{uri}");
            assert_eq!(sources("default-src"), ["'self'"], "{uri}");
            assert_eq!(sources("connect-src"), ["'self'"], "{uri}");
            assert_eq!(sources("base-uri"), ["'self'"], "{uri}");
        }
    }

    /// The application page loads Spotify's iFrame API from an origin the CSP allows, and no page
    /// has an inline script (the CSP would block it).
    #[test]
    fn the_pages_scripts_are_ones_the_csp_allows() {
        let script_src = csp_directives(CONTENT_SECURITY_POLICY)
            .into_iter()
            .find(|(n, _)| n == "script-src")
            .unwrap()
            .1;
        let app_js = embedded::ASSETS
            .iter()
            .find(|(p, _, _)| *p == "static/js/application.js")
            .map(|(_, bytes, _)| String::from_utf8(bytes.to_vec()).unwrap())
            .unwrap();
        let api = "https://open.spotify.com/embed/iframe-api/v1";
        assert!(
            app_js.contains(&format!("\"{api}\"")),
            "application.js loads {api}"
        );
        assert!(script_src.iter().any(|s| api.starts_with(&format!("{s}/"))));
        for name in PAGES {
            let html = page(name).unwrap();
            for tag in html.split("<script").skip(1) {
                let open = &tag[..tag.find('>').unwrap()];
                assert!(
                    open.contains(" src=\"static/"),
                    "{name}: inline or foreign script <script{open}>"
                );
            }
        }
    }

    #[tokio::test]
    async fn pages_only_answer_reads() {
        let request = Request::builder()
            .method("POST")
            .uri("/about.html")
            .body(Body::empty())
            .unwrap();
        let response = music_http::finish(router()).oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        let head = Request::builder()
            .method("HEAD")
            .uri("/static/vendor/d3/d3.min.js")
            .body(Body::empty())
            .unwrap();
        assert_eq!(
            music_http::finish(router())
                .oneshot(head)
                .await
                .unwrap()
                .status(),
            StatusCode::OK
        );
    }

    /// The catalogue (which feeds `/api` and the OpenAPI document) lists exactly these routes,
    /// and each example answers.
    #[tokio::test]
    async fn the_catalogue_lists_the_served_routes_and_its_examples_answer() {
        let routes = music_http::catalog::routes_of(music_http::catalog::Family::Web);
        let paths: Vec<_> = routes.iter().map(|r| r.path).collect();
        assert_eq!(paths, ["/", "/{page}", "/static/{*path}"]);
        for route in routes {
            let response = get_response(route.example, &[]).await;
            assert_eq!(response.status(), StatusCode::OK, "{}", route.example);
        }
    }

    #[test]
    fn vendored_libraries_ship_with_their_licences() {
        let paths: Vec<_> = asset_paths().collect();
        for needed in [
            "static/vendor/d3/LICENSE",
            "static/vendor/bootstrap/LICENSE",
            "static/vendor/bootstrap/bootstrap.bundle.min.js",
        ] {
            assert!(paths.contains(&needed), "{needed} missing from {paths:?}");
        }
    }
}
