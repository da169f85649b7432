//! Shared by the DynamoDB end-to-end tests: a real dynalite process on a free port (killed on
//! drop), the v2 router served over real HTTP, and the item files read back as plain JSON.
#![allow(dead_code)]

use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Set to 1 to skip the tests that need dynalite (they say so on stderr). Without it, a missing
/// dynalite is a failure, not a silent pass.
pub const SKIP_VAR: &str = "MUSIC_ML_SKIP_DYNALITE";

pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/build")
}

pub fn lines(file: &str) -> Vec<Value> {
    std::fs::read_to_string(data_dir().join(file))
        .unwrap_or_else(|e| panic!("{file}: {e} (build data/build/ with the pipeline first)"))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A port that nothing listens on right now.
pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn dynalite_path() -> PathBuf {
    if let Some(p) = std::env::var_os("MUSIC_ML_DYNALITE") {
        return PathBuf::from(p);
    }
    let tools = std::env::var_os("MUSIC_ML_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let cache = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| {
                    PathBuf::from(std::env::var_os("HOME").expect("HOME is set")).join(".cache")
                });
            cache.join("music-ml/tools")
        });
    tools.join("npm/node_modules/.bin/dynalite")
}

pub struct Dynalite {
    child: Child,
    pub endpoint: String,
}

impl Dynalite {
    /// Start dynalite, or return `None` when the caller opted out with `MUSIC_ML_SKIP_DYNALITE=1`.
    pub fn start() -> Option<Dynalite> {
        if std::env::var(SKIP_VAR).is_ok_and(|v| v == "1") {
            eprintln!("SKIPPED: {SKIP_VAR}=1, not running the dynalite tests");
            return None;
        }
        let path = dynalite_path();
        assert!(
            path.exists(),
            "dynalite not found at {}: run scripts/test.d/pre-20-dynalite.sh (or ./scripts/test), set MUSIC_ML_DYNALITE \
             to its path, or set {SKIP_VAR}=1 to skip these tests deliberately",
            path.display()
        );
        let port = free_port();
        let mut child = Command::new(&path)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--createTableMs",
                "0",
                "--deleteTableMs",
                "0",
                "--updateTableMs",
                "0",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", path.display()));
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("dynalite exited at start ({status})");
            }
            assert!(
                Instant::now() < deadline,
                "dynalite did not listen on port {port} within 20 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Dynalite {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        })
    }
}

impl Drop for Dynalite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A router served on 127.0.0.1:0 until dropped.
pub struct Server {
    pub base: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub async fn serve(app: axum::Router) -> Server {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Server { base, task }
}

/// DynamoDB typed JSON of a plain JSON value (strings S, numbers N as strings, arrays L),
/// written here independently of the code under test.
pub fn typed(v: &Value) -> Value {
    match v {
        Value::String(s) => serde_json::json!({ "S": s }),
        Value::Number(n) => serde_json::json!({ "N": n.to_string() }),
        Value::Array(a) => serde_json::json!({ "L": a.iter().map(typed).collect::<Vec<_>>() }),
        other => panic!("unexpected value in an item: {other}"),
    }
}

pub fn without_folded(item: &Value) -> Value {
    let mut item = item.clone();
    item.as_object_mut().unwrap().remove("name_folded");
    item
}

pub fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~'".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}
