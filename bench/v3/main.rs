//! v3 latency benchmark, in-process (the router called directly, JSON bodies included), on the
//! shipped data and on a resampled ~600k-track database, each against a baseline in the same run:
//!
//! * search: the in-memory index vs. SQLite FTS5 with the trigram tokenizer over the same names
//!   (substring candidates ranked by popularity in SQL; it cannot forgive typos, so it does less);
//! * recommendations: the in-memory scan vs. reading the cluster's features from SQLite per request.
//!
//! Run: `cargo bench -p music-v3 --bench v3` (add `-- --quick` for fewer requests). Not part of
//! ./scripts/test. Figures go to bench/results/v3.md.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::Request;
use music_shared::{fold_name, FEATURES};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rusqlite::{params, Connection, OpenFlags};
use tower::ServiceExt;

const RESAMPLED_TRACKS: usize = 600_000;
const SEED: u64 = 42;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

struct Stats {
    p50: Duration,
    p99: Duration,
    max: Duration,
    cpu_p50: Duration,
    cpu_p99: Duration,
    n: usize,
}

/// CPU time of this thread: unlike wall time, it does not count time the scheduler gave to
/// other processes, which on a shared 2-core machine dominates wall-clock p99.
fn cpu_now() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime only writes into the timespec we own.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Runs `f` once, returning (wall, cpu).
fn timed<T>(f: impl FnOnce() -> T) -> (Duration, Duration) {
    let (w, c) = (Instant::now(), cpu_now());
    std::hint::black_box(f());
    (w.elapsed(), cpu_now() - c)
}

fn stats(v: Vec<(Duration, Duration)>) -> Stats {
    let pick = |mut xs: Vec<Duration>| {
        xs.sort();
        let at = |q: f64| xs[((xs.len() as f64 * q).ceil() as usize).clamp(1, xs.len()) - 1];
        (at(0.50), at(0.99), *xs.last().unwrap())
    };
    let (p50, p99, max) = pick(v.iter().map(|x| x.0).collect());
    let (cpu_p50, cpu_p99, _) = pick(v.iter().map(|x| x.1).collect());
    Stats {
        p50,
        p99,
        max,
        cpu_p50,
        cpu_p99,
        n: v.len(),
    }
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn row(what: &str, s: &Stats) {
    let cells = [s.p50, s.p99, s.max, s.cpu_p50, s.cpu_p99]
        .map(us)
        .join(" | ");
    println!("| {what} | {} | {cells} |", s.n);
}

fn enc(q: &str) -> String {
    q.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Time every URI through the router, after one warm-up pass.
fn time_router(rt: &tokio::runtime::Runtime, app: &axum::Router, uris: &[String]) -> Stats {
    let call = |uri: &str| {
        rt.block_on(async {
            let res = app
                .clone()
                .oneshot(Request::get(uri).body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert!(res.status().is_success(), "{uri}: {}", res.status());
            axum::body::to_bytes(res.into_body(), 64 << 20)
                .await
                .unwrap()
                .len()
        })
    };
    for u in uris.iter().take(200) {
        call(u);
    }
    stats(uris.iter().map(|u| timed(|| call(u))).collect())
}

/// Queries a user might type: prefixes of real names (2..12 chars), the same with one typo,
/// and the examples.
fn search_queries(conn: &Connection, count: usize, rng: &mut Xoshiro256PlusPlus) -> Vec<String> {
    let titles: Vec<String> = conn
        .prepare("SELECT name_folded FROM tracks")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let artists: Vec<String> = conn
        .prepare("SELECT artists_folded FROM Clean_Artists")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut out = vec![
        "fleetwod mac".to_string(),
        "beyonce".into(),
        "crazy in lov".into(),
    ];
    while out.len() < count {
        let pool = if rng.gen_bool(0.5) { &titles } else { &artists };
        let name: Vec<char> = pool[rng.gen_range(0..pool.len())].chars().collect();
        let len = rng.gen_range(2..=12).min(name.len());
        let mut q: Vec<char> = name[..len].to_vec();
        if len >= 5 && rng.gen_bool(0.4) {
            let at = rng.gen_range(1..len);
            match rng.gen_range(0..3) {
                0 => {
                    q.remove(at);
                }
                1 => q.insert(at, 'x'),
                _ => q[at] = 'z',
            }
        }
        let q: String = q.into_iter().collect();
        if !fold_name(&q).is_empty() {
            out.push(q);
        }
    }
    out
}

fn search_uris(queries: &[String]) -> Vec<String> {
    queries
        .iter()
        .map(|q| format!("/api/v3/search?q={}&limit=10", enc(q)))
        .collect()
}

fn recommendation_uris(
    conn: &Connection,
    count: usize,
    scope: &str,
    rng: &mut Xoshiro256PlusPlus,
) -> Vec<String> {
    let ids: Vec<String> = conn
        .prepare("SELECT id FROM tracks")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    (0..count)
        .map(|_| {
            format!(
                "/api/v3/tracks/{}/recommendations?n=10&scope={scope}",
                ids[rng.gen_range(0..ids.len())]
            )
        })
        .collect()
}

/// Baseline search: an FTS5 trigram table over the same folded names, built in memory.
fn fts5_baseline(db: &Path, queries: &[String]) -> Stats {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute("ATTACH DATABASE ?1 AS src", [db.to_str().unwrap()])
        .unwrap();
    conn.execute_batch(
        "CREATE VIRTUAL TABLE names USING fts5(name, kind UNINDEXED, ref UNINDEXED, popularity UNINDEXED, tokenize = 'trigram');
         INSERT INTO names SELECT name_folded, 'track', id, popularity FROM src.tracks;
         INSERT INTO names SELECT artists_folded, 'artist', artists, popularity FROM src.Clean_Artists;",
    )
    .unwrap();
    // Trigram MATCH needs 3+ characters; shorter queries use the same index through LIKE.
    let mut by_match = conn.prepare("SELECT ref, kind, name FROM names WHERE names MATCH ?1 ORDER BY popularity DESC LIMIT 10").unwrap();
    let mut by_like = conn.prepare("SELECT ref, kind, name FROM names WHERE name LIKE ?1 ORDER BY popularity DESC LIMIT 10").unwrap();
    let mut times = Vec::with_capacity(queries.len());
    for q in queries {
        let q = fold_name(q);
        times.push(timed(|| {
            if q.chars().count() >= 3 {
                by_match
                    .query_map([format!("\"{}\"", q.replace('"', "\"\""))], |r| {
                        r.get::<_, String>(0)
                    })
                    .unwrap()
                    .count()
            } else {
                by_like
                    .query_map([format!("{}%", q.replace(['%', '_'], ""))], |r| {
                        r.get::<_, String>(0)
                    })
                    .unwrap()
                    .count()
            }
        }));
    }
    stats(times)
}

/// Baseline recommendations: read the cluster's (or all) features from SQLite per request.
fn sqlite_recommend_baseline(db: &Path, uris: &[String]) -> Stats {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let cols = FEATURES.join(", ");
    let mut seed_q = conn
        .prepare(&format!("SELECT cluster, {cols} FROM tracks WHERE id = ?1"))
        .unwrap();
    let mut pool_q = conn
        .prepare(&format!(
            "SELECT id, {cols} FROM tracks WHERE cluster = ?1 OR ?2"
        ))
        .unwrap();
    let mut times = Vec::with_capacity(uris.len());
    for u in uris {
        let id = u.split('/').nth(4).unwrap();
        let all = u.ends_with("scope=all");
        times.push(timed(|| {
            let (cluster, f): (i64, Vec<f64>) = seed_q
                .query_row([id], |r| {
                    Ok((r.get(0)?, (1..=9).map(|k| r.get(k).unwrap()).collect()))
                })
                .unwrap();
            let mut best: Vec<(f64, String)> = pool_q
                .query_map(params![cluster, all], |r| {
                    let d: f64 = (0..9)
                        .map(|k| (r.get::<_, f64>(k + 1).unwrap() - f[k]).powi(2))
                        .sum();
                    Ok((d, r.get::<_, String>(0)?))
                })
                .unwrap()
                .map(Result::unwrap)
                .filter(|(_, i)| i != id)
                .collect();
            let k = 10.min(best.len());
            best.select_nth_unstable_by(k.saturating_sub(1), |a, b| a.0.partial_cmp(&b.0).unwrap());
            best.truncate(k);
            best
        }));
    }
    stats(times)
}

/// A copy of the shipped database whose tracks table holds `n` tracks resampled from the
/// shipped ones: features jittered by up to ±0.02 (clamped to [0, 1]), the cluster re-assigned
/// to the nearest centroid, a title extended by a word of another title, a fresh 22-character id.
fn build_resampled(src: &Path, out: &Path, n: usize) {
    if out.exists() {
        std::fs::remove_file(out).unwrap();
    }
    std::fs::copy(src, out).unwrap();
    let mut conn = Connection::open(out).unwrap();
    let cols = [
        "id",
        "name",
        "artists",
        "artist_ids",
        "genres",
        "year",
        "release_date",
        "popularity",
        "explicit",
        "duration_ms",
        "key",
        "mode",
        "danceability",
        "energy",
        "loudness",
        "speechiness",
        "acousticness",
        "instrumentalness",
        "liveness",
        "valence",
        "tempo",
        "loudness_scale",
        "tempo_scale",
        "duration_scale",
        "popularity_scale",
        "cluster",
        "distance",
        "name_folded",
        "artists_folded",
    ];
    let base: Vec<Vec<rusqlite::types::Value>> = {
        let mut st = conn
            .prepare(&format!(
                "SELECT {} FROM tracks ORDER BY rowid",
                cols.join(", ")
            ))
            .unwrap();
        st.query_map([], |r| (0..cols.len()).map(|i| r.get(i)).collect())
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let centroids: Vec<(i64, Vec<f64>)> = conn
        .prepare("SELECT cluster, centroid FROM clusters ORDER BY cluster")
        .unwrap()
        .query_map([], |r| {
            let c: serde_json::Value = serde_json::from_str(&r.get::<_, String>(1)?).unwrap();
            Ok((
                r.get(0)?,
                FEATURES.iter().map(|f| c[f].as_f64().unwrap()).collect(),
            ))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let words: Vec<String> = base
        .iter()
        .flat_map(|r| match &r[1] {
            rusqlite::types::Value::Text(t) => {
                t.split_whitespace().map(str::to_owned).collect::<Vec<_>>()
            }
            _ => vec![],
        })
        .filter(|w| w.chars().all(char::is_alphanumeric))
        .collect();
    let idx = |c: &str| cols.iter().position(|x| *x == c).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED);
    const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let tx = conn.transaction().unwrap();
    tx.execute("DELETE FROM tracks", []).unwrap();
    tx.execute("DELETE FROM track_artists", []).unwrap();
    {
        let placeholders = vec!["?"; cols.len()].join(", ");
        let mut ins = tx
            .prepare(&format!(
                "INSERT INTO tracks ({}) VALUES ({placeholders})",
                cols.join(", ")
            ))
            .unwrap();
        for i in 0..n {
            let mut r = base[i % base.len()].clone();
            if i >= base.len() {
                let mut f = [0.0; 9];
                for (k, feat) in FEATURES.iter().enumerate() {
                    let j = idx(feat);
                    if let rusqlite::types::Value::Real(v) = r[j] {
                        let v = (v + rng.gen_range(-0.02..=0.02)).clamp(0.0, 1.0);
                        r[j] = rusqlite::types::Value::Real(v);
                        f[k] = v;
                    }
                }
                let (cluster, dist) = centroids
                    .iter()
                    .map(|(c, x)| {
                        (
                            *c,
                            x.iter()
                                .zip(&f)
                                .map(|(a, b)| (a - b).powi(2))
                                .sum::<f64>()
                                .sqrt(),
                        )
                    })
                    .min_by(|a, b| a.1.partial_cmp(&b.1).unwrap())
                    .unwrap();
                r[idx("cluster")] = rusqlite::types::Value::Integer(cluster);
                r[idx("distance")] = rusqlite::types::Value::Real(dist);
                let id: String = (0..22)
                    .map(|_| B62[rng.gen_range(0..B62.len())] as char)
                    .collect();
                r[idx("id")] = rusqlite::types::Value::Text(id);
                let rusqlite::types::Value::Text(name) = &r[idx("name")] else {
                    unreachable!()
                };
                let name = format!("{name} {}", words[rng.gen_range(0..words.len())]);
                r[idx("name_folded")] = rusqlite::types::Value::Text(fold_name(&name));
                r[idx("name")] = rusqlite::types::Value::Text(name);
                if let rusqlite::types::Value::Real(p) = r[idx("popularity")] {
                    r[idx("popularity")] = rusqlite::types::Value::Real(
                        (p + rng.gen_range(-20.0..=20.0)).clamp(0.0, 100.0).round(),
                    );
                }
            }
            ins.execute(rusqlite::params_from_iter(r)).unwrap();
        }
    }
    tx.commit().unwrap();
}

fn bench_db(label: &str, db: &Path, requests: usize, rt: &tokio::runtime::Runtime) {
    let t = Instant::now();
    let state = music_v3::AppState::open(db).unwrap();
    let load = t.elapsed();
    let tracks = state.track_count();
    let app = music_v3::router(state);
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED);
    let queries = search_queries(&conn, requests, &mut rng);
    println!(
        "\n### {label}: {tracks} tracks (start-up load and index build {:.0} ms)\n",
        load.as_secs_f64() * 1e3
    );
    println!("| workload | requests | p50 wall | p99 wall | max wall | p50 CPU | p99 CPU |\n|---|---|---|---|---|---|---|");
    row(
        "search, in-memory index (router, JSON)",
        &time_router(rt, &app, &search_uris(&queries)),
    );
    row(
        "search, baseline FTS5 trigram (SQL only, no typos)",
        &fts5_baseline(db, &queries),
    );
    for scope in ["cluster", "all"] {
        let uris = recommendation_uris(&conn, requests, scope, &mut rng);
        row(
            &format!("recommendations n=10 scope={scope}, in-memory (router, JSON)"),
            &time_router(rt, &app, &uris),
        );
        row(
            &format!("recommendations n=10 scope={scope}, baseline SQLite scan"),
            &sqlite_recommend_baseline(db, &uris[..uris.len().min(300)]),
        );
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let requests = if quick { 500 } else { 3000 };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let shipped = root().join("data/build/musicData.sqlite");
    bench_db("shipped data", &shipped, requests, &rt);
    let resampled = std::env::temp_dir().join("music-ml-v3-bench-600k.sqlite");
    let t = Instant::now();
    build_resampled(&shipped, &resampled, RESAMPLED_TRACKS);
    eprintln!(
        "built {} in {:.1} s",
        resampled.display(),
        t.elapsed().as_secs_f64()
    );
    bench_db("resampled", &resampled, requests, &rt);
    std::fs::remove_file(&resampled).ok();
}
