//! The `/api/v3` router and its handlers.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::Router;
use music_http::{json, ApiError, Path, Query};
use music_search::Target;
use serde::Deserialize;

use crate::answers::{
    self, HitKind, Recommendations, Recommended, SearchHit, SearchResult, TrackRef,
};
use crate::openapi::params::{ClusterNumber, RecommendQuery, SearchQuery, TrackId};
use crate::recommend::{Method, Scope};
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
        (
            "/api/v3/audio-features/",
            get(spotify::audio_features_many_slash),
        ),
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
pub(crate) struct SearchParams {
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

#[utoipa::path(get, path = "/api/v3/search", params(SearchQuery),
    responses((status = 200, description = "OK", body = SearchResult)))]
pub(crate) async fn search(
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
                SearchHit {
                    kind: HitKind::Track,
                    id: Some(t.id),
                    name: t.name,
                    artists: t.artists,
                    cluster: Some(t.cluster),
                    cluster_basis: None,
                    tracks: None,
                    popularity: Some(t.popularity),
                    matched: h.matched,
                }
            }
            Target::Artist(a) => {
                let a = data.artist(a)?;
                SearchHit {
                    kind: HitKind::Artist,
                    id: a.spotify_id,
                    artists: vec![a.name.clone()],
                    name: a.name,
                    cluster: a.cluster,
                    cluster_basis: Some(a.cluster_basis),
                    tracks: Some(a.tracks),
                    popularity: a.popularity,
                    matched: h.matched,
                }
            }
        });
    }
    Ok(json(&SearchResult {
        query: raw,
        folded,
        count: hits.len(),
        hits,
    }))
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

#[utoipa::path(get, path = "/api/v3/tracks/{id}", params(TrackId),
    responses((status = 200, description = "OK", body = answers::Track)))]
pub(crate) async fn track(
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
pub(crate) struct RecommendParams {
    n: Option<i64>,
    method: Option<String>,
    /// The older name: `cluster` is `method=cluster`, `all` is `method=nearest`.
    scope: Option<String>,
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

fn listed(t: &crate::data::TrackRef) -> TrackRef<'_> {
    TrackRef {
        id: &t.id,
        name: &t.name,
        artists: &t.artists,
        cluster: t.cluster,
    }
}

#[utoipa::path(get, path = "/api/v3/tracks/{id}/recommendations", params(TrackId, RecommendQuery),
    responses((status = 200, description = "OK", body = Recommendations)))]
pub(crate) async fn recommendations(
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
    let features = match method {
        Method::Similar => Some(state.features.get().await?),
        _ => None,
    };
    let picked = state.pick(features.as_deref(), seed, method, n)?;
    let mut numbers: Vec<usize> = vec![seed];
    numbers.extend(picked.iter().map(|p| p.track));
    let refs = data.track_refs(&numbers)?;
    let recommendations: Vec<Recommended> = refs[1..]
        .iter()
        .zip(&picked)
        .map(|(t, p)| Recommended {
            track: listed(t),
            distance: p.distance,
            reason: match (&p.reason, &features) {
                (Some(r), Some(f)) => Some(spotify::reason_out(f, r)),
                _ => None,
            },
        })
        .collect();
    let scope = match method {
        Method::Cluster | Method::Random => Scope::Cluster,
        Method::Similar | Method::Nearest => Scope::All,
    };
    let answer = json(&Recommendations {
        track: listed(&refs[0]),
        method,
        description: method.description(),
        scope,
        n,
        features: method.features(),
        count: recommendations.len(),
        recommendations,
    });
    // A new draw on every request: no cache may answer for it.
    Ok(if method == Method::Random {
        music_http::cache::no_store(answer)
    } else {
        answer
    })
}

#[utoipa::path(get, path = "/api/v3/clusters",
    responses((status = 200, description = "OK", body = [answers::Cluster])))]
pub(crate) async fn clusters(State(state): State<AppState>) -> Response {
    json_bytes(state.data.clusters_body.clone())
}

#[utoipa::path(get, path = "/api/v3/clusters/{n}", params(ClusterNumber),
    responses((status = 200, description = "OK", body = answers::Cluster)))]
pub(crate) async fn cluster(
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

#[utoipa::path(get, path = "/api/v3/elbow",
    responses((status = 200, description = "OK", body = [answers::ElbowPoint])))]
pub(crate) async fn elbow(State(state): State<AppState>) -> Response {
    json_bytes(state.data.elbow_body.clone())
}

#[utoipa::path(get, path = "/api/v3/openapi.json",
    responses((status = 200, description = "This OpenAPI 3.1 document.", body = Object)))]
pub(crate) async fn openapi_json(State(state): State<AppState>) -> Response {
    json_bytes(state.openapi.clone())
}
