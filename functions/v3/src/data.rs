//! What v3 answers from: the bundled SQLite file, opened once, and the blobs the pipeline
//! prebuilt in it (search index, neighbour arrays), loaded whole at start-up without parsing rows.
//!
//! Per request, the in-memory structures pick track and artist numbers; the few rows an answer
//! shows (ten hits, n recommendations, one track) are then primary-key reads from SQLite.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

use axum::body::Bytes;
use music_db::blobs::{self, Neighbours};
use music_db::{ArtistRow, ClusterRow, ElbowRow, OpenError, TrackRow};
use music_http::ApiError;
use rusqlite::{Connection, OptionalExtension};

use crate::answers::{self, ClusteringFeatures, ElbowPoint, NamedNumbers, ScaledFeatures};

/// The loaded data, shared by every request.
pub struct Catalogue {
    connections: Vec<Mutex<Connection>>,
    next: AtomicUsize,
    pub neighbours: Neighbours,
    /// Position of each track in `neighbours.order` (and its features in `packed`).
    pub position: Vec<u32>,
    pub index: music_search::Index,
    /// `/api/v3/clusters`, serialized once.
    pub clusters_body: Bytes,
    /// `/api/v3/clusters/{n}`, serialized once per cluster.
    pub cluster_bodies: HashMap<i64, Bytes>,
    labels: HashMap<i64, String>,
    /// `/api/v3/elbow`, serialized once.
    pub elbow_body: Bytes,
    /// The extremes the pipeline scaled against: (min loudness, max tempo, max duration, max popularity).
    extremes: [f64; 4],
    pub artist_count: usize,
}

/// A track as a list shows it.
pub struct TrackRef {
    pub id: String,
    pub name: String,
    pub artists: Vec<String>,
    pub cluster: i64,
    pub popularity: f64,
}

fn invalid<'a, E: Into<Box<dyn std::error::Error + Send + Sync>>>(
    path: &'a Path,
    what: &str,
) -> impl FnOnce(E) -> OpenError + 'a {
    let what = what.to_string();
    move |e| OpenError::invalid(path, what, e)
}

const TRACK_REF_SQL: &str =
    "SELECT id, name, artists, cluster, popularity FROM tracks WHERE track = ?1";
/// Every row `sql` selects, read with `from_row`.
fn all_rows<T>(
    conn: &Connection,
    sql: &str,
    from_row: fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    conn.prepare(sql)?.query_map([], from_row)?.collect()
}

fn track_by_id_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| format!("SELECT track FROM tracks WHERE {}", music_db::TRACK_BY_ID))
}
const ARTIST_GENRES_SQL: &str = "SELECT genres FROM artists WHERE name = ?1";

impl Catalogue {
    /// Open the file and load what the routes need. Fails, naming the path and what is wrong, if
    /// the file is missing, of another schema, or lacks a table, column or blob.
    pub fn open(path: &Path) -> Result<Catalogue, OpenError> {
        let n = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .clamp(1, 8);
        let connections = (0..n)
            .map(|_| music_db::open_read_only(path).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        let conn = connections[0].lock().unwrap_or_else(|e| e.into_inner());
        // Every per-request statement is prepared now: a file lacking a table or column fails
        // here, at start-up, rather than on some request.
        for sql in [
            TRACK_REF_SQL,
            track_by_id_sql(),
            ARTIST_GENRES_SQL,
            track_detail_sql(),
            &artist_sql(),
        ] {
            conn.prepare_cached(sql)
                .map_err(invalid(path, "preparing the v3 queries"))?;
        }
        let neighbours = music_db::blob(&conn, blobs::NEIGHBOURS)
            .map_err(invalid(path, "reading the neighbours blob"))?
            .ok_or_else(|| OpenError::invalid(path, "blobs", "no neighbours blob"))?;
        let neighbours =
            Neighbours::from_bytes(&neighbours).map_err(invalid(path, "the neighbours blob"))?;
        let index = music_db::blob(&conn, blobs::SEARCH_INDEX)
            .map_err(invalid(path, "reading the search index blob"))?
            .ok_or_else(|| OpenError::invalid(path, "blobs", "no search index blob"))?;
        let index =
            music_search::Index::from_bytes(index).map_err(invalid(path, "the search index"))?;
        let mut position = vec![0u32; neighbours.len()];
        for (pos, &t) in neighbours.order.iter().enumerate() {
            position[t as usize] = pos as u32;
        }

        let clusters: Vec<ClusterRow> = all_rows(
            &conn,
            &format!("{} ORDER BY cluster", ClusterRow::SELECT),
            ClusterRow::from_row,
        )
        .map_err(invalid(path, "reading the clusters"))?;
        if clusters.len() != neighbours.k() {
            return Err(OpenError::invalid(
                path,
                "clusters",
                format!(
                    "{} cluster rows but the neighbour data has {} clusters",
                    clusters.len(),
                    neighbours.k()
                ),
            ));
        }
        let answers: Vec<answers::Cluster> = clusters.iter().map(cluster_answer).collect();
        let cluster_bodies = clusters
            .iter()
            .zip(&answers)
            .map(|(c, a)| Ok((c.cluster, body(path, a)?)))
            .collect::<Result<_, OpenError>>()?;
        let labels = clusters
            .iter()
            .map(|c| (c.cluster, c.label.clone()))
            .collect();
        let elbow: Vec<ElbowRow> = all_rows(
            &conn,
            &format!("{} ORDER BY k", ElbowRow::SELECT),
            ElbowRow::from_row,
        )
        .map_err(invalid(path, "reading the elbow"))?;
        let elbow: Vec<ElbowPoint> = elbow
            .iter()
            .map(|e| ElbowPoint {
                k: e.k,
                inertia: e.inertia,
            })
            .collect();
        let mut extremes = [0.0; 4];
        for (slot, key) in extremes.iter_mut().zip([
            "min_loudness",
            "max_tempo",
            "max_duration_ms",
            "max_popularity",
        ]) {
            *slot = music_db::build_info(&conn, key)
                .map_err(invalid(path, "reading build_info"))?
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| {
                    OpenError::invalid(path, "build_info", format!("no numeric {key}"))
                })?;
        }
        let artist_count: i64 = conn
            .query_row("SELECT count(*) FROM artists", [], |r| r.get(0))
            .map_err(invalid(path, "counting artists"))?;
        drop(conn);
        // The typo automata are not warmed up here: building them takes tens of milliseconds,
        // the whole cold-start budget; the first query with a typo pays that once instead.
        Ok(Catalogue {
            connections,
            next: AtomicUsize::new(0),
            neighbours,
            position,
            index,
            clusters_body: body(path, &answers)?,
            cluster_bodies,
            labels,
            elbow_body: body(path, &elbow)?,
            extremes,
            artist_count: artist_count as usize,
        })
    }

    pub fn track_count(&self) -> usize {
        self.neighbours.len()
    }

    /// Cluster `cluster`'s label.
    pub fn label(&self, cluster: i64) -> Option<&str> {
        self.labels.get(&cluster).map(String::as_str)
    }

    /// A free connection if there is one, else the one this request was assigned. A poisoned
    /// mutex only means another request panicked while holding it; the connection is read-only,
    /// so it cannot be half-written, and is used on.
    fn connection(&self) -> MutexGuard<'_, Connection> {
        let conns = &self.connections;
        let start = self.next.fetch_add(1, Ordering::Relaxed) % conns.len();
        for i in 0..conns.len() {
            if let Ok(guard) = conns[(start + i) % conns.len()].try_lock() {
                return guard;
            }
        }
        conns[start].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The catalogue number of the track with Spotify id `id`.
    pub fn track_number(&self, id: &str) -> Result<Option<usize>, ApiError> {
        let conn = self.connection();
        let mut st = conn.prepare_cached(track_by_id_sql()).map_err(internal)?;
        let n: Option<i64> = st
            .query_row([id], |r| r.get(0))
            .optional()
            .map_err(internal)?;
        Ok(n.map(|n| n as usize))
    }

    /// The listed fields of tracks `numbers`, in that order.
    pub fn track_refs(&self, numbers: &[usize]) -> Result<Vec<TrackRef>, ApiError> {
        let conn = self.connection();
        let mut st = conn.prepare_cached(TRACK_REF_SQL).map_err(internal)?;
        numbers
            .iter()
            .map(|&n| {
                st.query_row([n as i64], |r| {
                    Ok(TrackRef {
                        id: r.get("id")?,
                        name: r.get("name")?,
                        artists: r.get::<_, music_db::Json<Vec<String>>>("artists")?.0,
                        cluster: r.get("cluster")?,
                        popularity: r.get("popularity")?,
                    })
                })
                .map_err(internal)
            })
            .collect()
    }

    pub fn artist(&self, number: u32) -> Result<ArtistRow, ApiError> {
        let conn = self.connection();
        let mut st = conn.prepare_cached(&artist_sql()).map_err(internal)?;
        st.query_row([number as i64], ArtistRow::from_row)
            .map_err(internal)
    }

    /// One track in full: every stored column, the scaled columns and clustering features
    /// computed as the pipeline did, each artist's genres, the cluster's label.
    pub fn track_detail(&self, id: &str) -> Result<Option<answers::Track>, ApiError> {
        let conn = self.connection();
        let row = conn
            .prepare_cached(track_detail_sql())
            .map_err(internal)?
            .query_row([id], TrackRow::from_row)
            .optional()
            .map_err(internal)?;
        let Some(t) = row else {
            return Ok(None);
        };
        let mut genres = Vec::with_capacity(t.artists.0.len());
        {
            let mut st = conn.prepare_cached(ARTIST_GENRES_SQL).map_err(internal)?;
            for a in &t.artists.0 {
                let g: Option<music_db::Json<Vec<String>>> = st
                    .query_row([a], |r| r.get(0))
                    .optional()
                    .map_err(internal)?;
                genres.push(g.map(|g| g.0).unwrap_or_default());
            }
        }
        drop(conn);
        let [min_loudness, max_tempo, max_duration, max_popularity] = self.extremes;
        let ratio = |v: f64, x: f64| if x == 0.0 { 0.0 } else { v / x };
        let scaled = ScaledFeatures {
            loudness_scale: 1.0 - ratio(t.loudness, min_loudness),
            tempo_scale: ratio(t.tempo, max_tempo),
            duration_scale: ratio(t.duration_ms, max_duration),
            popularity_scale: ratio(t.popularity, max_popularity),
        };
        let clustering_features = ClusteringFeatures {
            energy: t.energy,
            speechiness: t.speechiness,
            acousticness: t.acousticness,
            instrumentalness: t.instrumentalness,
            liveness: t.liveness,
            valence: t.valence,
            loudness_scale: scaled.loudness_scale,
            tempo_scale: scaled.tempo_scale,
            duration_scale: scaled.duration_scale,
        };
        Ok(Some(answers::Track {
            features: NamedNumbers([
                ("danceability", t.danceability),
                ("energy", t.energy),
                ("loudness", t.loudness),
                ("speechiness", t.speechiness),
                ("acousticness", t.acousticness),
                ("instrumentalness", t.instrumentalness),
                ("liveness", t.liveness),
                ("valence", t.valence),
                ("tempo", t.tempo),
            ]),
            scaled,
            clustering_features,
            cluster_label: self.labels.get(&t.cluster).cloned(),
            id: t.id,
            name: t.name,
            artists: t.artists.0,
            artist_ids: t.artist_ids.0,
            genres,
            year: t.year,
            release_date: t.release_date,
            popularity: t.popularity,
            explicit: t.explicit,
            duration_ms: t.duration_ms,
            key: t.key,
            mode: t.mode,
            time_signature: t.time_signature,
            cluster: t.cluster,
            distance_to_centroid: t.distance,
        }))
    }
}

fn track_detail_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| format!("{} WHERE {}", TrackRow::SELECT, music_db::TRACK_BY_ID))
}

fn artist_sql() -> String {
    format!("{} WHERE artist = ?1", ArtistRow::SELECT)
}

fn internal(e: rusqlite::Error) -> ApiError {
    ApiError::Internal(format!("reading the music database: {e}"))
}

/// A cluster as `/api/v3/clusters` shows it.
fn cluster_answer(c: &ClusterRow) -> answers::Cluster<'_> {
    answers::Cluster {
        cluster: c.cluster,
        label: &c.label,
        description: &c.description,
        size: c.size,
        centroid: &c.centroid.0,
        means: &c.means.0,
        top_genres: &c.top_genres.0,
        distinctive_genres: &c.distinctive_genres.0,
        nearest: &c.nearest.0,
        reference_distance: c.reference_distance,
    }
}

/// An answer serialized once, at start-up.
fn body<T: serde::Serialize>(path: &Path, answer: &T) -> Result<Bytes, OpenError> {
    serde_json::to_vec(answer)
        .map(Bytes::from)
        .map_err(invalid(path, "serializing the clusters and the elbow"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 13: a request that panics while holding a connection poisons its mutex. The
    /// connection is read-only, so later requests must go on using it, not fail for ever (v3
    /// used to `unwrap` the lock, turning one panic into a permanent 500).
    #[test]
    fn poisoned_connections_are_used_on() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/build/musicData.sqlite");
        let catalogue =
            Catalogue::open(&path).expect("data/build/musicData.sqlite (run the pipeline)");
        let id: String = catalogue
            .connection()
            .query_row("SELECT id FROM tracks ORDER BY track LIMIT 1", [], |r| {
                r.get(0)
            })
            .unwrap();
        let expected = catalogue.track_number(&id).unwrap();
        assert!(expected.is_some());
        for conn in &catalogue.connections {
            let poisoned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let _held = conn.lock().unwrap();
                panic!("a request panics while holding its connection");
            }));
            assert!(poisoned.is_err());
            assert!(conn.is_poisoned());
        }
        for _ in 0..2 * catalogue.connections.len() {
            assert_eq!(catalogue.track_number(&id).unwrap(), expected);
        }
    }
}
