//! Loading the SQLite file once, and the in-memory tables the routes answer from.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use music_http::ApiError;
use music_shared::FEATURES;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use serde_json::{json, Map, Value};

use crate::recommend::{self, Catalogue, Pool};
use crate::search::{Entry, Hit, SearchIndex, Target};

/// Why the data could not be opened: said once, clearly, at start-up.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("SQLite file {0} does not exist (set MUSIC_ML_DB, or build it with `cargo run --bin pipeline`)")]
    Missing(PathBuf),
    #[error("cannot read {path} as the music database: {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("the music database {path} is inconsistent: {detail}")]
    Data { path: PathBuf, detail: String },
}

/// Artist names in `tracks.artists_folded` are joined by this (see ARCHITECTURE.md).
const ARTIST_SEPARATOR: char = '\u{1F}';

pub struct Tracks {
    pub id: Vec<String>,
    pub name: Vec<String>,
    pub artists: Vec<Vec<String>>,
    pub name_folded: Vec<String>,
    pub artists_folded: Vec<Vec<String>>,
    pub cluster: Vec<i64>,
    pub popularity: Vec<f64>,
    pub features: Vec<[f64; 9]>,
    by_id: HashMap<String, u32>,
    /// The features again, in f32, ordered by cluster so that a cluster is one contiguous run.
    packed: Vec<[f32; 9]>,
    packed_track: Vec<u32>,
    cluster_run: BTreeMap<i64, std::ops::Range<usize>>,
}

impl Tracks {
    pub fn len(&self) -> usize {
        self.id.len()
    }

    pub fn by_id(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).map(|&i| i as usize)
    }

    fn pack(&mut self) {
        let mut order: Vec<u32> = (0..self.len() as u32).collect();
        order.sort_by_key(|&i| (self.cluster[i as usize], i));
        self.packed = order
            .iter()
            .map(|&i| self.features[i as usize].map(|v| v as f32))
            .collect();
        self.cluster_run.clear();
        for (pos, &i) in order.iter().enumerate() {
            let run = self
                .cluster_run
                .entry(self.cluster[i as usize])
                .or_insert(pos..pos);
            run.end = pos + 1;
        }
        self.packed_track = order;
    }

    /// The candidates for a seed: its cluster's run, or everything.
    pub fn pool(&self, seed: usize, all: bool) -> Pool<'_> {
        let run = if all {
            0..self.packed.len()
        } else {
            self.cluster_run
                .get(&self.cluster[seed])
                .cloned()
                .unwrap_or(0..0)
        };
        Pool {
            features: &self.packed[run.clone()],
            tracks: &self.packed_track[run],
        }
    }
}

pub struct Artists {
    pub name: Vec<String>,
    pub popularity: Vec<f64>,
    /// The cluster most of the artist's tracks in the data fall in, or, for an artist without
    /// tracks here, the cluster whose centroid is nearest the artist's mean features.
    pub cluster: Vec<Option<i64>>,
    pub cluster_basis: Vec<&'static str>,
    pub tracks: Vec<u32>,
}

impl Artists {
    pub fn len(&self) -> usize {
        self.name.len()
    }
}

pub struct Store {
    conn: Mutex<Connection>,
    pub tracks: Tracks,
    pub artists: Artists,
    pub index: SearchIndex,
    pub clusters: Vec<Value>,
    labels: HashMap<i64, String>,
    pub elbow: Vec<Value>,
}

fn parse_json<T: serde::de::DeserializeOwned>(
    path: &Path,
    what: &str,
    text: &str,
) -> Result<T, OpenError> {
    serde_json::from_str(text).map_err(|e| OpenError::Data {
        path: path.to_owned(),
        detail: format!("{what}: {e}"),
    })
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, OpenError> {
        if !path.is_file() {
            return Err(OpenError::Missing(path.to_owned()));
        }
        let sql_err = |source| OpenError::Sqlite {
            path: path.to_owned(),
            source,
        };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sql_err)?;
        let (clusters, labels, centroids) = load_clusters(&conn, path)?;
        let elbow = conn
            .prepare("SELECT k, inertia FROM elbow ORDER BY k")
            .and_then(|mut st| {
                st.query_map([], |r| {
                    Ok(json!({"k": r.get::<_, i64>(0)?, "inertia": r.get::<_, f64>(1)?}))
                })?
                .collect::<Result<Vec<_>, _>>()
            })
            .map_err(sql_err)?;
        let tracks = load_tracks(&conn, path)?;
        let artists = load_artists(&conn, path, &tracks, &centroids)?;
        let mut entries = Vec::with_capacity(tracks.len() + artists.len());
        for i in 0..tracks.len() {
            entries.push(Entry {
                folded: tracks.name_folded[i].clone(),
                popularity: tracks.popularity[i],
                target: Target::Track(i as u32),
            });
        }
        for i in 0..artists.len() {
            entries.push(Entry {
                folded: music_shared::fold_name(&artists.name[i]),
                popularity: artists.popularity[i],
                target: Target::Artist(i as u32),
            });
        }
        let index = SearchIndex::build(entries);
        Ok(Store {
            conn: Mutex::new(conn),
            tracks,
            artists,
            index,
            clusters,
            labels,
            elbow,
        })
    }

    pub fn hit_json(&self, hit: &Hit) -> Value {
        match hit.target {
            Target::Track(i) => {
                let i = i as usize;
                let t = &self.tracks;
                json!({
                    "kind": "track",
                    "id": t.id[i],
                    "name": t.name[i],
                    "artists": t.artists[i],
                    "cluster": t.cluster[i],
                    "popularity": t.popularity[i],
                    "match": hit.matched,
                })
            }
            Target::Artist(i) => {
                let i = i as usize;
                let a = &self.artists;
                json!({
                    "kind": "artist",
                    "id": null,
                    "name": a.name[i],
                    "artists": [a.name[i]],
                    "cluster": a.cluster[i],
                    "cluster_basis": a.cluster_basis[i],
                    "tracks": a.tracks[i],
                    "popularity": a.popularity[i],
                    "match": hit.matched,
                })
            }
        }
    }

    fn track_ref(&self, i: usize) -> Value {
        let t = &self.tracks;
        json!({"id": t.id[i], "name": t.name[i], "artists": t.artists[i], "cluster": t.cluster[i]})
    }

    pub fn recommendations(&self, seed: usize, n: usize, all: bool) -> Value {
        let t = &self.tracks;
        let pool = t.pool(seed, all);
        let cat = Catalogue {
            features: &t.features,
            name_folded: &t.name_folded,
            artists_folded: &t.artists_folded,
        };
        let picked: Vec<Value> = recommend::nearest(&cat, seed, pool, n)
            .into_iter()
            .map(|(i, d)| {
                let mut v = self.track_ref(i);
                v["distance"] = json!(d);
                v
            })
            .collect();
        json!({
            "track": self.track_ref(seed),
            "scope": if all { "all" } else { "cluster" },
            "n": n,
            "method": "Euclidean distance in the nine clustering features; the seed track and other copies of a song (same title, shared artist) are left out",
            "features": FEATURES,
            "count": picked.len(),
            "recommendations": picked,
        })
    }

    pub fn track_detail(&self, id: &str) -> Result<Option<Value>, ApiError> {
        let conn = self
            .conn
            .lock()
            .map_err(|_| ApiError::Internal("SQLite connection lock poisoned".into()))?;
        let mut st = conn
            .prepare_cached(
                "SELECT id, name, artists, artist_ids, genres, year, release_date, popularity, explicit, duration_ms, key, mode, \
                 danceability, energy, loudness, speechiness, acousticness, instrumentalness, liveness, valence, tempo, \
                 loudness_scale, tempo_scale, duration_scale, popularity_scale, cluster, distance FROM tracks WHERE id = ?1",
            )
            .map_err(|e| ApiError::Internal(format!("preparing the track query: {e}")))?;
        let row = st
            .query_row([id], |r| {
                let text = |i: usize| r.get::<_, Option<String>>(i);
                let num = |i: usize| r.get::<_, Option<f64>>(i);
                let int = |i: usize| r.get::<_, Option<i64>>(i);
                let mut features = Map::new();
                for (k, i) in [
                    ("danceability", 12),
                    ("energy", 13),
                    ("loudness", 14),
                    ("speechiness", 15),
                    ("acousticness", 16),
                    ("instrumentalness", 17),
                    ("liveness", 18),
                    ("valence", 19),
                    ("tempo", 20),
                ] {
                    features.insert(k.into(), json!(num(i)?));
                }
                let mut scaled = Map::new();
                for (k, i) in [
                    ("loudness_scale", 21),
                    ("tempo_scale", 22),
                    ("duration_scale", 23),
                    ("popularity_scale", 24),
                ] {
                    scaled.insert(k.into(), json!(num(i)?));
                }
                Ok((
                    [text(0)?, text(1)?, text(2)?, text(3)?, text(4)?, text(6)?],
                    [int(5)?, int(8)?, int(10)?, int(11)?, int(25)?],
                    [num(7)?, num(9)?, num(26)?],
                    features,
                    scaled,
                ))
            })
            .optional()
            .map_err(|e| ApiError::Internal(format!("reading track {id}: {e}")))?;
        let Some((
            [id, name, artists, artist_ids, genres, release_date],
            [year, explicit, key, mode, cluster],
            [popularity, duration_ms, distance],
            features,
            scaled,
        )) = row
        else {
            return Ok(None);
        };
        let list = |s: Option<String>, what: &str| -> Result<Value, ApiError> {
            serde_json::from_str(s.as_deref().unwrap_or("[]")).map_err(|e| {
                ApiError::Internal(format!("tracks.{what} of {id:?} is not JSON: {e}"))
            })
        };
        let clustering: Map<String, Value> =
            match self.tracks.by_id(id.as_deref().unwrap_or_default()) {
                Some(i) => FEATURES
                    .iter()
                    .zip(self.tracks.features[i])
                    .map(|(k, v)| (k.to_string(), json!(v)))
                    .collect(),
                None => Map::new(),
            };
        let label = cluster.and_then(|c| self.labels.get(&c)).cloned();
        Ok(Some(json!({
            "id": id,
            "name": name,
            "artists": list(artists, "artists")?,
            "artist_ids": list(artist_ids, "artist_ids")?,
            "genres": list(genres, "genres")?,
            "year": year,
            "release_date": release_date,
            "popularity": popularity,
            "explicit": explicit.map(|e| e != 0),
            "duration_ms": duration_ms,
            "key": key,
            "mode": mode,
            "features": features,
            "scaled": scaled,
            "clustering_features": clustering,
            "cluster": cluster,
            "cluster_label": label,
            "distance_to_centroid": distance,
        })))
    }
}

type Clusters = (Vec<Value>, HashMap<i64, String>, Vec<(i64, [f64; 9])>);

fn load_clusters(conn: &Connection, path: &Path) -> Result<Clusters, OpenError> {
    let sql_err = |source| OpenError::Sqlite {
        path: path.to_owned(),
        source,
    };
    let rows: Vec<(i64, String, i64, String, String, String, String)> = conn
        .prepare("SELECT cluster, label, size, centroid, means, top_genres, nearest FROM clusters ORDER BY cluster")
        .and_then(|mut st| st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?)))?.collect())
        .map_err(sql_err)?;
    if rows.is_empty() {
        return Err(OpenError::Data {
            path: path.to_owned(),
            detail: "the clusters table is empty".into(),
        });
    }
    let mut out = Vec::new();
    let mut labels = HashMap::new();
    let mut centroids = Vec::new();
    for (cluster, label, size, centroid, means, top_genres, nearest) in rows {
        let centroid: Map<String, Value> = parse_json(path, "clusters.centroid", &centroid)?;
        let mut c = [0.0; 9];
        for (slot, f) in c.iter_mut().zip(FEATURES) {
            *slot = centroid
                .get(f)
                .and_then(Value::as_f64)
                .ok_or_else(|| OpenError::Data {
                    path: path.to_owned(),
                    detail: format!("centroid of cluster {cluster} lacks {f}"),
                })?;
        }
        centroids.push((cluster, c));
        labels.insert(cluster, label.clone());
        out.push(json!({
            "cluster": cluster,
            "label": label,
            "size": size,
            "centroid": centroid,
            "means": parse_json::<Value>(path, "clusters.means", &means)?,
            "top_genres": parse_json::<Value>(path, "clusters.top_genres", &top_genres)?,
            "nearest": parse_json::<Value>(path, "clusters.nearest", &nearest)?,
        }));
    }
    Ok((out, labels, centroids))
}

fn load_tracks(conn: &Connection, path: &Path) -> Result<Tracks, OpenError> {
    let sql = format!(
        "SELECT id, name, artists, popularity, cluster, name_folded, artists_folded, {} FROM tracks ORDER BY rowid",
        FEATURES.join(", ")
    );
    let sql_err = |source| OpenError::Sqlite {
        path: path.to_owned(),
        source,
    };
    let mut st = conn.prepare(&sql).map_err(sql_err)?;
    let mut rows = st.query([]).map_err(sql_err)?;
    let mut t = Tracks {
        id: Vec::new(),
        name: Vec::new(),
        artists: Vec::new(),
        name_folded: Vec::new(),
        artists_folded: Vec::new(),
        cluster: Vec::new(),
        popularity: Vec::new(),
        features: Vec::new(),
        by_id: HashMap::new(),
        packed: Vec::new(),
        packed_track: Vec::new(),
        cluster_run: BTreeMap::new(),
    };
    while let Some(r) = rows.next().map_err(sql_err)? {
        let id: String = r.get(0).map_err(sql_err)?;
        let artists: String = r.get(2).map_err(sql_err)?;
        let mut f = [0.0; 9];
        for (k, slot) in f.iter_mut().enumerate() {
            *slot = r
                .get::<_, Option<f64>>(7 + k)
                .map_err(sql_err)?
                .unwrap_or(f64::NAN);
        }
        if f.iter().any(|v| !v.is_finite()) {
            return Err(OpenError::Data {
                path: path.to_owned(),
                detail: format!("track {id} has a missing clustering feature"),
            });
        }
        let i = t.id.len() as u32;
        let cluster: i64 = r.get(4).map_err(sql_err)?;
        t.by_id.insert(id.clone(), i);
        t.artists
            .push(parse_json(path, "tracks.artists", &artists)?);
        t.id.push(id);
        t.name.push(r.get(1).map_err(sql_err)?);
        t.popularity
            .push(r.get::<_, Option<f64>>(3).map_err(sql_err)?.unwrap_or(0.0));
        t.cluster.push(cluster);
        t.name_folded.push(r.get(5).map_err(sql_err)?);
        let af: String = r.get(6).map_err(sql_err)?;
        t.artists_folded
            .push(af.split(ARTIST_SEPARATOR).map(str::to_owned).collect());
        t.features.push(f);
    }
    t.pack();
    Ok(t)
}

/// The extremes the pipeline scaled against, so that an artist's mean features can be put on
/// the same scale as the centroids.
fn extremes(conn: &Connection, path: &Path) -> Result<[f64; 3], OpenError> {
    let mut out = [0.0; 3];
    for (slot, key) in out
        .iter_mut()
        .zip(["min_loudness", "max_tempo", "max_duration_ms"])
    {
        let v: Option<String> = conn
            .query_row("SELECT value FROM build_info WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|source| OpenError::Sqlite {
                path: path.to_owned(),
                source,
            })?;
        *slot = v
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| OpenError::Data {
                path: path.to_owned(),
                detail: format!("build_info lacks a numeric {key}"),
            })?;
    }
    Ok(out)
}

fn load_artists(
    conn: &Connection,
    path: &Path,
    tracks: &Tracks,
    centroids: &[(i64, [f64; 9])],
) -> Result<Artists, OpenError> {
    let sql_err = |source| OpenError::Sqlite {
        path: path.to_owned(),
        source,
    };
    let [min_loudness, max_tempo, max_duration] = extremes(conn, path)?;
    let ratio = |v: f64, e: f64| if e == 0.0 { 0.0 } else { v / e };
    // Votes: which clusters each artist's tracks fall in.
    let mut votes: HashMap<&str, BTreeMap<i64, u32>> = HashMap::new();
    let mut best_track_popularity: HashMap<&str, (f64, &str)> = HashMap::new();
    for i in 0..tracks.len() {
        for (pos, a) in tracks.artists_folded[i].iter().enumerate() {
            *votes
                .entry(a)
                .or_default()
                .entry(tracks.cluster[i])
                .or_default() += 1;
            let shown = tracks.artists[i]
                .get(pos)
                .map_or(a.as_str(), String::as_str);
            let e = best_track_popularity.entry(a).or_insert((f64::MIN, shown));
            if tracks.popularity[i] > e.0 {
                *e = (tracks.popularity[i], shown);
            }
        }
    }
    let mut a = Artists {
        name: Vec::new(),
        popularity: Vec::new(),
        cluster: Vec::new(),
        cluster_basis: Vec::new(),
        tracks: Vec::new(),
    };
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut st = conn
        .prepare(
            "SELECT artists, artists_folded, popularity, energy, speechiness, acousticness, instrumentalness, liveness, valence, \
             loudness, tempo, duration_ms FROM Clean_Artists ORDER BY rowid",
        )
        .map_err(sql_err)?;
    let mut rows = st.query([]).map_err(sql_err)?;
    while let Some(r) = rows.next().map_err(sql_err)? {
        let name: String = r.get(0).map_err(sql_err)?;
        let folded: String = r.get(1).map_err(sql_err)?;
        let num = |i: usize| r.get::<_, Option<f64>>(i).map(|v| v.unwrap_or(f64::NAN));
        let f = [
            num(3).map_err(sql_err)?,
            num(4).map_err(sql_err)?,
            num(5).map_err(sql_err)?,
            num(6).map_err(sql_err)?,
            num(7).map_err(sql_err)?,
            num(8).map_err(sql_err)?,
            1.0 - ratio(num(9).map_err(sql_err)?, min_loudness),
            ratio(num(10).map_err(sql_err)?, max_tempo),
            ratio(num(11).map_err(sql_err)?, max_duration),
        ];
        let (cluster, basis, count) = match votes.get(folded.as_str()) {
            Some(v) => (most_voted(v), "tracks", v.values().sum()),
            None if f.iter().all(|x| x.is_finite()) => {
                (nearest_centroid(&f, centroids), "features", 0)
            }
            None => (None, "none", 0),
        };
        a.name.push(name);
        a.popularity.push(num(2).map_err(sql_err)?);
        a.cluster.push(cluster);
        a.cluster_basis.push(basis);
        a.tracks.push(count);
        seen.insert(folded);
    }
    // Artists of the tracks that the artists table lacks are still searchable.
    let mut missing: Vec<(&str, &BTreeMap<i64, u32>)> = votes
        .iter()
        .filter(|(k, _)| !seen.contains(**k))
        .map(|(k, v)| (*k, v))
        .collect();
    missing.sort();
    for (folded, v) in missing {
        let (popularity, shown) = best_track_popularity[folded];
        a.name.push(shown.to_owned());
        a.popularity.push(popularity);
        a.cluster.push(most_voted(v));
        a.cluster_basis.push("tracks");
        a.tracks.push(v.values().sum());
    }
    Ok(a)
}

fn most_voted(votes: &BTreeMap<i64, u32>) -> Option<i64> {
    // Ties go to the lower cluster number (BTreeMap order, first maximum kept).
    votes
        .iter()
        .fold(None, |best: Option<(i64, u32)>, (&c, &n)| match best {
            Some((_, m)) if m >= n => best,
            _ => Some((c, n)),
        })
        .map(|(c, _)| c)
}

fn nearest_centroid(f: &[f64; 9], centroids: &[(i64, [f64; 9])]) -> Option<i64> {
    centroids
        .iter()
        .map(|(c, x)| (recommend::distance(f, x), *c))
        .min_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal))
        .map(|(_, c)| c)
}
