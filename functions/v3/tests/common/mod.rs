//! What the v3 test files share: the app over the shipped catalogue, a GET helper, and every
//! track with its clustering features and same-song group computed here, independently of the
//! pipeline.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use axum::http::StatusCode;
use music_shared::fold_name;
use music_testkit::sql::{self, FEATURE_COLUMNS};
use rusqlite::{Connection, OpenFlags};
use serde_json::Value;

pub fn db_path() -> PathBuf {
    music_testkit::built_db()
}

pub fn state() -> music_v3::AppState {
    static STATE: OnceLock<music_v3::AppState> = OnceLock::new();
    STATE
        .get_or_init(|| {
            music_v3::AppState::open(&db_path())
                .expect("data/build/musicData.sqlite (run the pipeline)")
        })
        .clone()
}

pub fn app() -> axum::Router {
    music_http::finish(music_v3::router(state()))
}

pub fn db() -> Connection {
    Connection::open_with_flags(db_path(), OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap()
}

/// GET `uri` in process; the answer must be JSON.
pub async fn get(uri: &str) -> (StatusCode, Value) {
    let reply = music_testkit::get(&app(), uri).await;
    let ct = reply.content_type();
    assert!(
        ct.starts_with("application/json"),
        "{uri}: content-type {ct:?}"
    );
    (reply.status, reply.json())
}

/// One raw row as read: index, id, folded title, artists, cluster, raw features.
pub type RawTrack = (usize, String, String, Vec<String>, i64, [f64; 9]);

pub struct Row {
    pub track: usize,
    pub id: String,
    pub cluster: i64,
    /// The nine clustering features in single precision, as the recommender holds them.
    pub f: [f32; 9],
    /// Same-song group: copies of one song (same folded title, a shared artist), transitively.
    pub group: usize,
}

/// Every track, with its clustering features computed here from the raw columns and the
/// extremes in build_info (the pipeline's formulas), and same-song groups computed here.
pub fn all_tracks() -> &'static [Row] {
    static ROWS: OnceLock<Vec<Row>> = OnceLock::new();
    ROWS.get_or_init(|| {
        let conn = db();
        let extremes = music_testkit::scale_extremes(&conn);
        let raw: Vec<RawTrack> = sql::rows_with(
            &conn,
            &format!(
                "SELECT track, id, name, artists, cluster, {FEATURE_COLUMNS} \
                 FROM tracks ORDER BY track"
            ),
            [],
            |r| {
                Ok((
                    r.get::<_, i64>(0)? as usize,
                    r.get(1)?,
                    r.get(2)?,
                    serde_json::from_str(&r.get::<_, String>(3)?).unwrap(),
                    r.get(4)?,
                    sql::scaled_features(r, 5, extremes)?,
                ))
            },
        );
        // Union-find over (folded title, folded artist) keys.
        let mut parent: Vec<usize> = (0..raw.len()).collect();
        fn root(p: &mut [usize], mut x: usize) -> usize {
            while p[x] != x {
                x = p[x];
            }
            x
        }
        let mut first: std::collections::HashMap<(String, String), usize> =
            std::collections::HashMap::new();
        for (i, (_, _, name, artists, _, _)) in raw.iter().enumerate() {
            for a in artists {
                let key = (fold_name(name), fold_name(a));
                match first.get(&key) {
                    Some(&j) => {
                        let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                        parent[a.max(b)] = a.min(b);
                    }
                    None => {
                        first.insert(key, i);
                    }
                }
            }
        }
        raw.iter()
            .enumerate()
            .map(|(i, (track, id, _, _, cluster, f))| Row {
                track: *track,
                id: id.clone(),
                cluster: *cluster,
                f: f.map(|v| v as f32),
                group: root(&mut parent, i),
            })
            .collect()
    })
}
