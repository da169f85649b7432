//! `/api/v3/...`: search, nearest-neighbour recommendations, clusters, elbow and the OpenAPI
//! document, answered from the bundled read-only SQLite file.
//!
//! Everything a request can ask of many rows (search, recommendations) is loaded into memory
//! once at start-up, so those answers cost microseconds and no SQLite work; the single-row
//! track lookup stays a primary-key query on the file.

pub mod openapi;
pub mod recommend;
pub mod search;
mod store;

use std::path::{Path as FsPath, PathBuf};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderValue, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::Router;
use music_http::{json, ApiError, Path, Query};
use serde::Deserialize;
use serde_json::{json as j, Value};

pub use store::OpenError;
use store::Store;

/// Longest query accepted, in characters (after folding); longer is a client mistake, not a name.
pub const MAX_QUERY_CHARS: usize = 100;
pub const DEFAULT_LIMIT: i64 = 10;
pub const MAX_LIMIT: i64 = 50;
pub const DEFAULT_N: i64 = 10;
pub const MAX_N: i64 = 100;

/// The loaded data, shared by every request. Cloning is cheap (one `Arc`).
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    openapi: Vec<u8>,
}

impl AppState {
    /// Open the SQLite file read-only and load what the routes need. Fails, with the path and
    /// the reason, if the file is missing, not a database, or lacks a table or column.
    pub fn open(path: &FsPath) -> Result<AppState, OpenError> {
        let store = Store::open(path)?;
        let doc = openapi::document(&music_http::catalog::routes());
        let openapi = serde_json::to_vec(&doc).expect("the OpenAPI document is plain JSON");
        tracing::info!(
            path = %path.display(),
            tracks = store.tracks.len(),
            artists = store.artists.len(),
            names = store.index.len(),
            "v3 data loaded"
        );
        Ok(AppState {
            inner: Arc::new(Inner { store, openapi }),
        })
    }

    pub fn track_count(&self) -> usize {
        self.inner.store.tracks.len()
    }
}

/// Where the SQLite file is: `MUSIC_ML_DB` if set; else `musicData.sqlite` next to the
/// executable (how the Lambda bundles it); else `data/build/musicData.sqlite` (a local checkout).
pub fn db_path_from_env() -> PathBuf {
    if let Some(p) = std::env::var_os("MUSIC_ML_DB").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    if let Some(beside) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join("musicData.sqlite")))
    {
        if beside.is_file() {
            return beside;
        }
    }
    PathBuf::from("data/build/musicData.sqlite")
}

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
fn check_query_utf8(uri: &Uri) -> Result<(), ApiError> {
    let Some(query) = uri.query() else {
        return Ok(());
    };
    let bytes = query.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
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
                std::str::from_utf8(&decoded).map_err(|_| {
                    ApiError::BadRequest(
                        "the query string is not valid UTF-8 once percent-decoded".into(),
                    )
                })?;
                decoded.clear();
                i += 1;
            }
            b => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    std::str::from_utf8(&decoded).map_err(|_| {
        ApiError::BadRequest("the query string is not valid UTF-8 once percent-decoded".into())
    })?;
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
            "q must not be empty: give the start of a title or an artist's name".into(),
        ));
    }
    if folded.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::BadRequest(format!(
            "q is too long (at most {MAX_QUERY_CHARS} characters)"
        )));
    }
    let store = &state.inner.store;
    let hits: Vec<Value> = store
        .index
        .search(&folded, limit)
        .iter()
        .map(|h| store.hit_json(h))
        .collect();
    Ok(json(
        &j!({ "query": raw, "folded": folded, "count": hits.len(), "hits": hits }),
    ))
}

/// Spotify ids are 22 base-62 characters; anything not alphanumeric (or absurdly long) cannot be
/// an id and is refused before it reaches SQL.
fn check_track_id(id: &str) -> Result<(), ApiError> {
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
        .inner
        .store
        .track_detail(&id)?
        .ok_or_else(|| ApiError::NotFound(format!("no track with id {id}")))?;
    Ok(json(&detail))
}

#[derive(Deserialize)]
struct RecommendParams {
    n: Option<i64>,
    scope: Option<String>,
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
    let all = match p.scope.as_deref() {
        None | Some("cluster") => false,
        Some("all") => true,
        Some(other) => {
            let shown: String = other.chars().take(40).collect();
            return Err(ApiError::BadRequest(format!(
                "scope must be 'cluster' or 'all' (got '{shown}')"
            )));
        }
    };
    let store = &state.inner.store;
    let seed = store
        .tracks
        .by_id(&id)
        .ok_or_else(|| ApiError::NotFound(format!("no track with id {id}")))?;
    Ok(json(&store.recommendations(seed, n, all)))
}

async fn clusters(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(json(&state.inner.store.clusters))
}

async fn cluster(
    State(state): State<AppState>,
    Path(n): Path<String>,
) -> Result<Response, ApiError> {
    let n: i64 = n
        .trim()
        .parse()
        .map_err(|_| ApiError::BadRequest("a cluster number is an integer".into()))?;
    let found = state
        .inner
        .store
        .clusters
        .iter()
        .find(|c| c["cluster"].as_i64() == Some(n));
    match found {
        Some(c) => Ok(json(c)),
        None => Err(ApiError::NotFound(format!(
            "no cluster {n}; clusters are 0..{}",
            state.inner.store.clusters.len().saturating_sub(1)
        ))),
    }
}

async fn elbow(State(state): State<AppState>) -> Result<Response, ApiError> {
    Ok(json(&state.inner.store.elbow))
}

async fn openapi_json(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        state.inner.openapi.clone(),
    )
        .into_response()
}
