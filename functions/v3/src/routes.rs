//! The `/api/v3` router and its handlers.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::Router;
use music_http::{json, ApiError, Path, Query};
use music_search::Target;
use music_shared::FEATURES;
use serde::Deserialize;
use serde_json::{json as j, Value};

use crate::recommend::{self, Scope};
use crate::similar::{self, Ask, Seed};
use crate::{spotify, AppState};

/// Longest query accepted, in characters (after folding); longer is a client mistake, not a name.
pub const MAX_QUERY_CHARS: usize = 100;
pub const DEFAULT_LIMIT: i64 = 10;
pub const MAX_LIMIT: i64 = 50;
pub const DEFAULT_N: i64 = 10;
pub const MAX_N: i64 = 100;

/// The routes this crate serves, as (method, path). The router is built from the same list, so
/// a test can compare it with the catalogue.
pub fn served_routes() -> Vec<(&'static str, &'static str)> {
    handlers()
        .into_iter()
        .map(|(path, _)| ("GET", path))
        .collect()
}

fn handlers() -> Vec<(&'static str, MethodRouter<AppState>)> {
    vec![
        ("/api/v3/search", get(search)),
        ("/api/v3/tracks/{id}", get(track)),
        ("/api/v3/tracks/{id}/recommendations", get(recommendations)),
        ("/api/v3/recommendations", get(spotify::recommendations)),
        (
            "/api/v3/recommendations/available-genre-seeds",
            get(spotify::available_genre_seeds),
        ),
        ("/api/v3/audio-features", get(spotify::audio_features_many)),
        ("/api/v3/audio-features/", get(spotify::audio_features_many)),
        (
            "/api/v3/audio-features/{id}",
            get(spotify::audio_features_one),
        ),
        (
            "/api/v3/artists/{id}/related-artists",
            get(spotify::related_artists),
        ),
        ("/api/v3/clusters", get(clusters)),
        ("/api/v3/clusters/{n}", get(cluster)),
        ("/api/v3/elbow", get(elbow)),
        ("/api/v3/openapi.json", get(openapi_json)),
    ]
}

/// The family's routes only: no fallback, no layers (see ARCHITECTURE.md).
pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for (path, handler) in handlers() {
        router = router.route(path, handler);
    }
    router.with_state(state)
}

fn json_bytes(body: Bytes) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

#[derive(Deserialize)]
struct SearchParams {
    q: Option<String>,
    limit: Option<i64>,
}

fn bounded(name: &str, value: Option<i64>, default: i64, max: i64) -> Result<usize, ApiError> {
    let v = value.unwrap_or(default);
    if !(1..=max).contains(&v) {
        return Err(ApiError::BadRequest(format!(
            "{name} must be between 1 and {max} (got {v})"
        )));
    }
    Ok(v as usize)
}

/// The query-string decoder replaces invalid UTF-8 with U+FFFD instead of refusing it; a
/// client that sent bytes that are not text made a mistake and is told so.
pub(crate) fn check_query_utf8(uri: &Uri) -> Result<(), ApiError> {
    let Some(query) = uri.query() else {
        return Ok(());
    };
    let bytes = query.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let refuse =
        || ApiError::BadRequest("the query string is not valid UTF-8 once percent-decoded".into());
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len()
                && hex(bytes[i + 1]).is_some()
                && hex(bytes[i + 2]).is_some() =>
            {
                decoded.push(
                    (hex(bytes[i + 1]).unwrap_or(0) * 16 + hex(bytes[i + 2]).unwrap_or(0)) as u8,
                );
                i += 3;
            }
            b'&' | b'=' => {
                // Each name and value must be text on its own.
                std::str::from_utf8(&decoded).map_err(|_| refuse())?;
                decoded.clear();
                i += 1;
            }
            b => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    std::str::from_utf8(&decoded).map_err(|_| refuse())?;
    Ok(())
}

async fn search(
    State(state): State<AppState>,
    uri: Uri,
    Query(p): Query<SearchParams>,
) -> Result<Response, ApiError> {
    check_query_utf8(&uri)?;
    let limit = bounded("limit", p.limit, DEFAULT_LIMIT, MAX_LIMIT)?;
    let raw = p.q.unwrap_or_default();
    // Checked before folding too, so a 10 MB query is refused without being folded.
    if raw.len() > MAX_QUERY_CHARS * 8 {
        return Err(ApiError::BadRequest(format!(
            "q is too long (at most {MAX_QUERY_CHARS} characters)"
        )));
    }
    let folded = music_shared::fold_name(&raw);
    if folded.is_empty() {
        return Err(ApiError::BadRequest(
            "q must not be empty: give words of a title and/or an artist's name".into(),
        ));
    }
    if folded.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::BadRequest(format!(
            "q is too long (at most {MAX_QUERY_CHARS} characters)"
        )));
    }
    let data = &state.data;
    let found = data.index.search(&raw, limit);
    let tracks: Vec<usize> = found
        .iter()
        .filter_map(|h| match h.target {
            Target::Track(t) => Some(t as usize),
            Target::Artist(_) => None,
        })
        .collect();
    let mut refs = data.track_refs(&tracks)?.into_iter();
    let mut hits = Vec::with_capacity(found.len());
    for h in &found {
        hits.push(match h.target {
            Target::Track(_) => {
                let t = refs
                    .next()
                    .ok_or_else(|| ApiError::Internal("a search hit's track has no row".into()))?;
                j!({
                    "kind": "track",
                    "id": t.id,
                    "name": t.name,
                    "artists": t.artists,
                    "cluster": t.cluster,
                    "popularity": t.popularity,
                    "match": h.matched,
                })
            }
            Target::Artist(a) => {
                let a = data.artist(a)?;
                j!({
                    "kind": "artist",
                    "id": a.spotify_id,
                    "name": a.name,
                    "artists": [a.name],
                    "cluster": a.cluster,
                    "cluster_basis": a.cluster_basis,
                    "tracks": a.tracks,
                    "popularity": a.popularity,
                    "match": h.matched,
                })
            }
        });
    }
    Ok(json(
        &j!({ "query": raw, "folded": folded, "count": hits.len(), "hits": hits }),
    ))
}

/// Spotify ids are 22 base-62 characters; anything not alphanumeric (or absurdly long) cannot be
/// an id and is refused before it reaches SQL.
pub(crate) fn check_track_id(id: &str) -> Result<(), ApiError> {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ApiError::BadRequest(
            "a track id is a Spotify id: 1 to 64 letters and digits".into(),
        ));
    }
    Ok(())
}

async fn track(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    check_track_id(&id)?;
    let detail = state
        .data
        .track_detail(&id)?
        .ok_or_else(|| ApiError::NotFound(format!("no track with id {id}")))?;
    Ok(json(&detail))
}

#[derive(Deserialize)]
struct RecommendParams {
    n: Option<i64>,
    method: Option<String>,
    /// The older name: `cluster` is `method=cluster`, `all` is `method=nearest`.
    scope: Option<String>,
}

/// How `/api/v3/tracks/{id}/recommendations` picks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    /// Nearest over the whole catalogue in the nine features plus danceability and release year
    /// (see [`similar`]), at most a fifth of the list by the seed's own artists.
    Similar,
    /// The original's: the seed's cluster, nearest first in the nine clustering features.
    Cluster,
    /// Nearest in the nine clustering features over every track.
    Nearest,
    /// The original's random ten: a uniform sample of the seed's cluster.
    Random,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Method::Similar => "similar",
            Method::Cluster => "cluster",
            Method::Nearest => "nearest",
            Method::Random => "random",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Method::Similar => "Nearest over all tracks in the nine clustering features plus danceability and release year (double weight), each standardized; at most a fifth of the list by the seed's own artists",
            Method::Cluster => "Euclidean distance in the nine clustering features, within the seed's cluster",
            Method::Nearest => "Euclidean distance in the nine clustering features, over all tracks",
            Method::Random => "A uniform random sample of the seed's cluster, new on every request",
        }
    }
}

fn method_of(p: &RecommendParams) -> Result<Method, ApiError> {
    let shown = |v: &str| v.chars().take(40).collect::<String>();
    let method = match p.method.as_deref() {
        None => None,
        Some("similar") => Some(Method::Similar),
        Some("cluster") => Some(Method::Cluster),
        Some("nearest") => Some(Method::Nearest),
        Some("random") => Some(Method::Random),
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "method must be 'similar', 'cluster', 'nearest' or 'random' (got '{}')",
                shown(other)
            )))
        }
    };
    let scope = match p.scope.as_deref() {
        None => None,
        Some("cluster") => Some(Method::Cluster),
        Some("all") => Some(Method::Nearest),
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "scope must be 'cluster' or 'all' (got '{}')",
                shown(other)
            )))
        }
    };
    match (method, scope) {
        (Some(m), Some(s)) if m != s => Err(ApiError::BadRequest(format!(
            "method={} and scope={} disagree; give method only",
            m.name(),
            p.scope.as_deref().unwrap_or_default()
        ))),
        (m, s) => Ok(m.or(s).unwrap_or(Method::Similar)),
    }
}

fn track_json(t: &crate::data::TrackRef) -> Value {
    j!({"id": t.id, "name": t.name, "artists": t.artists, "cluster": t.cluster})
}

async fn recommendations(
    State(state): State<AppState>,
    Path(id): Path<String>,
    uri: Uri,
    Query(p): Query<RecommendParams>,
) -> Result<Response, ApiError> {
    check_query_utf8(&uri)?;
    check_track_id(&id)?;
    let n = bounded("n", p.n, DEFAULT_N, MAX_N)?;
    let method = method_of(&p)?;
    let data = &state.data;
    let seed = data
        .track_number(&id)?
        .ok_or_else(|| ApiError::NotFound(format!("no track with id {id}")))?;
    // (track, distance, reason)
    let mut picked: Vec<(usize, Option<f64>, Option<Value>)> = Vec::new();
    let mut features: Vec<&str> = FEATURES.to_vec();
    match method {
        Method::Cluster | Method::Nearest => {
            let scope = if method == Method::Cluster {
                Scope::Cluster
            } else {
                Scope::All
            };
            picked = recommend::nearest(&data.neighbours, &data.position, seed, scope, n)
                .into_iter()
                .map(|(t, d)| (t, Some(d), None))
                .collect();
        }
        Method::Random => {
            picked = recommend::random(&data.neighbours, seed, n, &mut rand::thread_rng())
                .into_iter()
                .map(|t| (t, None, None))
                .collect();
            features.clear();
        }
        Method::Similar => {
            let f = state.features.get().await?;
            let ask = Ask {
                seeds: vec![Seed::Track(seed as u32)],
                limit: n,
                max_by_seed_artists: Some((n / 5).max(1)),
                ..Ask::default()
            };
            for s in similar::recommend(&f, &data.neighbours.group, &ask).suggestions {
                let reason = serde_json::to_value(spotify::reason_out(&f, &s.reason))
                    .map_err(|e| ApiError::Internal(format!("serialising a reason: {e}")))?;
                picked.push((s.track as usize, Some(s.distance), Some(reason)));
            }
            features = similar::SPACE.iter().map(|(c, _)| c.name()).collect();
        }
    }
    let mut numbers: Vec<usize> = vec![seed];
    numbers.extend(picked.iter().map(|(t, _, _)| *t));
    let refs = data.track_refs(&numbers)?;
    let recs: Vec<Value> = refs[1..]
        .iter()
        .zip(picked)
        .map(|(t, (_, d, reason))| {
            let mut v = track_json(t);
            v["distance"] = j!(d);
            if let Some(reason) = reason {
                v["reason"] = reason;
            }
            v
        })
        .collect();
    let scope = match method {
        Method::Cluster | Method::Random => "cluster",
        Method::Similar | Method::Nearest => "all",
    };
    let answer = json(&j!({
        "track": track_json(&refs[0]),
        "method": method.name(),
        "description": method.description(),
        "scope": scope,
        "n": n,
        "features": features,
        "count": recs.len(),
        "recommendations": recs,
    }));
    // A new draw on every request: no cache may answer for it.
    Ok(if method == Method::Random {
        music_http::cache::no_store(answer)
    } else {
        answer
    })
}

async fn clusters(State(state): State<AppState>) -> Response {
    json_bytes(state.data.clusters_body.clone())
}

async fn cluster(
    State(state): State<AppState>,
    Path(n): Path<String>,
) -> Result<Response, ApiError> {
    let n: i64 = n
        .trim()
        .parse()
        .map_err(|_| ApiError::BadRequest("a cluster number is an integer".into()))?;
    match state.data.cluster_bodies.get(&n) {
        Some(body) => Ok(json_bytes(body.clone())),
        None => Err(ApiError::NotFound(format!(
            "no cluster {n}; clusters are 0..{}",
            state.data.cluster_bodies.len().saturating_sub(1)
        ))),
    }
}

async fn elbow(State(state): State<AppState>) -> Response {
    json_bytes(state.data.elbow_body.clone())
}

async fn openapi_json(State(state): State<AppState>) -> Response {
    json_bytes(state.openapi.clone())
}
