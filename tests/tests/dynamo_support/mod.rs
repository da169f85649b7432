//! Shared by the DynamoDB end-to-end tests: a real dynalite process on a free port (killed on
//! drop), the v2 router served over real HTTP, and the item files read back as plain JSON.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Set to 1 to skip the tests that need dynalite (they say so on stderr). Without it, a missing
/// dynalite is a failure, not a silent pass.
pub const SKIP_VAR: &str = "MUSIC_ML_SKIP_DYNALITE";

pub use music_testkit::data_build as data_dir;
#[allow(unused_imports)]
pub use music_testkit::dynamo::{typed, without_folded};
#[allow(unused_imports)]
pub use music_testkit::{encode, free_port, serve, TestServer};

pub fn lines(file: &str) -> Vec<Value> {
    lines_in(&data_dir(), file)
}

pub fn lines_in(dir: &std::path::Path, file: &str) -> Vec<Value> {
    music_testkit::json_lines(&dir.join(file))
}

/// Title lines kept from the start of each title file in the [`sample_dir`].
pub const SAMPLE_TITLES: usize = 400;
/// `rand#` items kept per cluster in the [`sample_dir`]: the first keys, `rand#00000000` to
/// `rand#00000059`.
pub const SAMPLE_RANDOM_PER_CLUSTER: usize = 60;

/// A real subset of data/build's item files, written once per test process: the first
/// [`SAMPLE_TITLES`] titles of each title file plus every title the v2 catalogue examples and the
/// fault tests ask for (and the titles that fold like them), every `fixed#` assignment and the
/// `rand#` ones of each cluster's first [`SAMPLE_RANDOM_PER_CLUSTER`] indices. A cluster's random
/// keys must stay the dense indices `0..size` (its size is its last key plus one), so the subset
/// is a prefix of them; the pipeline numbers a cluster in a fixed shuffle, so the prefix is a fair
/// sample of it. Seeding the whole catalogue into dynalite takes about a minute per run; the tests
/// need real items, not all of them.
pub fn sample_dir() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("music-ml-v2-sample-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("creating the sample directory");
        let mut wanted: Vec<String> =
            music_http::catalog::routes_of(music_http::catalog::Family::V2)
                .iter()
                .filter(|r| r.path.contains("Music_ML_tracks"))
                .filter_map(|r| r.example.split('?').next()?.rsplit('/').next())
                .map(url_unescape)
                .collect();
        wanted.push("Señorita".to_string());
        let folded: std::collections::HashSet<String> =
            wanted.iter().map(|t| music_shared::fold_name(t)).collect();
        for file in ["Music_ML3.jsonl", "Music_ML_IDs.jsonl"] {
            let text = std::fs::read_to_string(data_dir().join(file)).unwrap_or_else(|e| {
                panic!("{file}: {e} (build data/build/ with the pipeline first)")
            });
            let kept: Vec<&str> = text
                .lines()
                .filter(|l| !l.trim().is_empty())
                .enumerate()
                .filter(|(i, l)| {
                    *i < SAMPLE_TITLES || {
                        let v: Value = serde_json::from_str(l).unwrap();
                        folded.contains(v["name_folded"].as_str().unwrap_or_default())
                    }
                })
                .map(|(_, l)| l)
                .collect();
            std::fs::write(dir.join(file), kept.join("\n") + "\n").unwrap();
        }
        let text = std::fs::read_to_string(data_dir().join("Music_ML_Assignments.jsonl"))
            .expect("Music_ML_Assignments.jsonl");
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .filter(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                let sort = v["sort"].as_str().unwrap_or_default();
                if sort.starts_with("fixed#") {
                    return true;
                }
                let index = music_shared::items::random_key_index(sort)
                    .unwrap_or_else(|| panic!("an assignment with sort key {sort:?}"));
                index < SAMPLE_RANDOM_PER_CLUSTER
            })
            .collect();
        std::fs::write(
            dir.join("Music_ML_Assignments.jsonl"),
            kept.join("\n") + "\n",
        )
        .unwrap();
        dir
    })
    .clone()
}

/// The lines of one file of the [`sample_dir`].
pub fn sample_lines(file: &str) -> Vec<Value> {
    lines_in(&sample_dir(), file)
}

/// Percent-decoding of a URL path segment (invalid escapes kept as they are).
pub fn url_unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() && s.is_char_boundary(i + 3) {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn dynalite_path() -> PathBuf {
    if let Some(p) = std::env::var_os("MUSIC_ML_DYNALITE") {
        return PathBuf::from(p);
    }
    music_testkit::tools_dir().join("npm/node_modules/.bin/dynalite")
}

/// Batch-writer options that seed the [`sample_dir`] into `tables` at `endpoint` (dynalite, or a
/// proxy in front of it).
pub fn sample_writer(
    endpoint: &str,
    tables: &music_dynamo::TableNames,
) -> music_scripts::dynamo_writer::WriterOptions {
    let mut options =
        music_scripts::dynamo_writer::WriterOptions::new(sample_dir(), tables.clone());
    options.endpoint_url = Some(endpoint.to_string());
    options
}

/// [`sample_writer`] for a backend that faults on purpose: up to 30 retries, backing off from
/// `base_backoff` to `max_backoff`, so the run outlasts the faults and lands every item.
pub fn patient_sample_writer(
    endpoint: &str,
    tables: &music_dynamo::TableNames,
    base_backoff: Duration,
    max_backoff: Duration,
) -> music_scripts::dynamo_writer::WriterOptions {
    let mut options = sample_writer(endpoint, tables);
    options.base_backoff = base_backoff;
    options.max_backoff = max_backoff;
    options.max_retries = 30;
    options
}

/// Tables named with `prefix`, seeded with the [`sample_dir`] at `endpoint` by the batch writer
/// (a failed seeding fails the test): where a test reads DynamoDB, not where it tests the writer.
pub async fn seed_sample(endpoint: &str, prefix: &str) -> music_dynamo::TableNames {
    let tables = music_dynamo::TableNames::default().prefixed(prefix);
    music_scripts::dynamo_writer::run(&sample_writer(endpoint, &tables))
        .await
        .unwrap_or_else(|e| panic!("seeding the {prefix} tables: {e:#}"));
    tables
}

/// v2 reading `tables` at `endpoint` (draws seeded with `seed`), with the shared layers, served
/// over real HTTP.
pub async fn serve_v2_on(
    endpoint: &str,
    tables: music_dynamo::TableNames,
    seed: Option<u64>,
) -> TestServer {
    let state = music_v2::AppState::dynamodb_with(music_v2::DynamoConfig {
        endpoint_url: Some(endpoint.to_string()),
        tables,
        seed,
        ..Default::default()
    })
    .await;
    serve(music_http::finish(music_v2::router(state))).await
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
