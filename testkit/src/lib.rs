//! What the tests and benchmarks of every crate share, written once: where the checkout's data
//! is ([`root`], [`data_build`], [`built_db`], [`raw`], [`json_lines`]), percent-encoding
//! ([`encode`]), a router served on a free 127.0.0.1 port ([`serve`]), and a request answered in
//! process ([`request`], [`get`]) or over real HTTP ([`fetch`]), as a [`Reply`]; the routes'
//! JSON error contract ([`errors`]) and reading a musicData.sqlite ([`sql`]).
//!
//! A dev-dependency only: no crate that ships depends on it. It depends on no crate of the
//! project, so every crate (even the ones it would serve) can use it without a cycle.

use std::path::{Path, PathBuf};

use axum::body::{Body, Bytes};
use axum::Router;
use http::{header, HeaderMap, Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

pub mod errors;
pub mod sql;
pub mod v2_answers;

/// The checkout's root directory.
pub fn root() -> PathBuf {
    let testkit = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = testkit.parent().map(Path::to_path_buf);
    root.expect("testkit/ sits in the checkout's root")
}

/// `data/build/`, what the pipeline writes.
pub fn data_build() -> PathBuf {
    root().join("data/build")
}

/// `data/build/musicData.sqlite`, the store of v1 and v3.
pub fn built_db() -> PathBuf {
    data_build().join("musicData.sqlite")
}

/// A file of `data/raw/`, the real inputs.
pub fn raw(name: &str) -> PathBuf {
    root().join("data/raw").join(name)
}

/// `$MUSIC_ML_TOOLS`, where the scripts install the tools some tests need (dynalite, the Python
/// venvs), defaulting as `scripts/lib/env.sh` does: `${XDG_CACHE_HOME:-$HOME/.cache}/music-ml/tools`.
pub fn tools_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MUSIC_ML_TOOLS") {
        return PathBuf::from(dir);
    }
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(".cache")
        });
    cache.join("music-ml/tools")
}

/// A port of 127.0.0.1 that nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// The JSON objects of a JSON-lines file (blank lines skipped), e.g. a v2 item file.
pub fn json_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (build data/build/ with the pipeline first)",
                path.display()
            )
        })
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The extremes the scaled features follow from, as the pipeline stored them in a
/// musicData.sqlite's `build_info`: `(min_loudness, max_tempo, max_duration_ms)`.
pub fn scale_extremes(conn: &rusqlite::Connection) -> (f64, f64, f64) {
    let info = |key: &str| -> f64 {
        let value: String = conn
            .query_row("SELECT value FROM build_info WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .unwrap_or_else(|e| panic!("build_info {key}: {e}"));
        value
            .parse()
            .unwrap_or_else(|e| panic!("build_info {key} = {value:?}: {e}"))
    };
    (
        info("min_loudness"),
        info("max_tempo"),
        info("max_duration_ms"),
    )
}

/// Percent-encoding of a path segment or query value: everything but RFC 3986's unreserved
/// characters (`A-Z a-z 0-9 - _ . ~`) is escaped, byte by byte of the UTF-8, as a browser's
/// `encodeURIComponent` nearly does.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// v2's item shapes as DynamoDB holds them, written here independently of the code under test.
pub mod dynamo {
    use serde_json::{json, Value};

    /// DynamoDB typed JSON of a plain JSON value (strings S, numbers N as strings, arrays L).
    pub fn typed(v: &Value) -> Value {
        match v {
            Value::String(s) => json!({ "S": s }),
            Value::Number(n) => json!({ "N": n.to_string() }),
            Value::Array(a) => json!({ "L": a.iter().map(typed).collect::<Vec<_>>() }),
            other => panic!("unexpected value in an item: {other}"),
        }
    }

    /// An item file's line without `name_folded` (the GSI key the routes never show).
    pub fn without_folded(item: &Value) -> Value {
        let mut item = item.clone();
        item.as_object_mut()
            .expect("an item is an object")
            .remove("name_folded");
        item
    }
}

/// A router served by axum on a free 127.0.0.1 port; dropping it stops the server task.
pub struct TestServer {
    pub addr: std::net::SocketAddr,
    /// `http://127.0.0.1:<port>` (no trailing slash)
    pub base: String,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    /// `base` followed by `path_and_query` (which starts with `/`).
    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.base)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serve `app` on 127.0.0.1:0 (from inside a tokio runtime) until the returned server is dropped.
pub async fn serve(app: Router) -> TestServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("bound address");
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.expect("axum::serve");
    });
    TestServer {
        addr,
        base: format!("http://{addr}"),
        task,
    }
}

/// An answer, read whole.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Reply {
    /// The body as JSON; panics, showing the body, if it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The body as text (lossy UTF-8).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `Content-Type` header, or "".
    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Status, headers and the body as JSON, for `let (status, headers, body) = ...`.
    pub fn into_json_parts(self) -> (StatusCode, HeaderMap, Value) {
        let body = self.json();
        (self.status, self.headers, body)
    }
}

/// `request` answered by `app` in process (`tower::ServiceExt::oneshot`), body read whole.
pub async fn request(app: &Router, request: Request<Body>) -> Reply {
    let response = app.clone().oneshot(request).await.expect("infallible");
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .expect("reading the body");
    Reply {
        status,
        headers,
        body,
    }
}

/// GET `uri` answered by `app` in process.
pub async fn get(app: &Router, uri: &str) -> Reply {
    request(app, Request::get(uri).body(Body::empty()).unwrap()).await
}

/// GET `url` over real HTTP with `client`, body read whole.
pub async fn fetch(client: &reqwest::Client, url: &str) -> Reply {
    let response = client
        .get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{url}: {e}"));
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .unwrap_or_else(|e| panic!("{url}: reading the body: {e}"));
    Reply {
        status,
        headers,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_escapes_everything_but_unreserved() {
        for (plain, encoded) in [
            ("A-z_0.9~", "A-z_0.9~"),
            ("a b/c?d&e=f'", "a%20b%2Fc%3Fd%26e%3Df%27"),
            ("Beyoncé", "Beyonc%C3%A9"),
            ("a b/é?&%", "a%20b%2F%C3%A9%3F%26%25"),
        ] {
            assert_eq!(encode(plain), encoded, "{plain}");
        }
    }

    #[tokio::test]
    async fn a_served_router_answers_in_process_and_over_http() {
        let app = Router::new().route("/x", axum::routing::get(|| async { "{\"ok\":1}" }));
        let reply = get(&app, "/x").await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.json()["ok"], 1);
        let server = serve(app).await;
        let reply = fetch(&reqwest::Client::new(), &server.url("/x")).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.text(), "{\"ok\":1}");
    }
}
