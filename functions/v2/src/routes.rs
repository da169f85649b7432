use crate::store::{find_title, StoreError, TitleTable, MAX_CLUSTER, MAX_KEY_BYTES};
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use music_http::{json, shown, ApiError, Path, Query};
use music_shared::items::AssignmentItem;
use serde::{Deserialize, Serialize};

use crate::{typed, AppState};

/// How many tracks `Random_Song_Assignments` returns, as the original's `LIMIT 10`.
pub const RANDOM_TRACKS: usize = 10;

/// The family's routes, without fallback or layers (see `music_http::finish`).
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v2.0/Music_ML_tracks/{track}", get(track::<false>))
        .route("/api/v2.1/Music_ML_tracks/{track}", get(track::<true>))
        .route("/api/v2.1/Fixed_Song_Assignments/{n}", get(fixed))
        .route("/api/v2.1/Random_Song_Assignments/{n}", get(random))
        .with_state(state)
}

fn store_error(err: StoreError) -> ApiError {
    match err.retry_after_secs() {
        Some(retry_after_secs) => {
            tracing::warn!(error = %err, "v2 store unavailable");
            ApiError::Unavailable {
                message: "the track store is temporarily unavailable; retry later".into(),
                retry_after_secs,
            }
        }
        None => ApiError::Internal(err.to_string()),
    }
}

#[derive(Deserialize)]
struct FormatQuery {
    format: Option<String>,
}

/// `/api/v2.x/Music_ML_tracks/{track}`; `V21` picks the table: v2.0 reads `Music_ML3`, v2.1
/// `Music_ML_IDs` (a const parameter, so one handler serves both routes).
async fn track<const V21: bool>(
    State(state): State<AppState>,
    Path(title): Path<String>,
    Query(q): Query<FormatQuery>,
) -> Result<Response, ApiError> {
    let table = if V21 {
        TitleTable::TracksWithIds
    } else {
        TitleTable::Tracks
    };
    let plain = match q.format.as_deref() {
        None | Some("dynamodb") => false,
        Some("plain") => true,
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "unknown format {:?}; use format=plain, or no format for DynamoDB's typed JSON",
                shown(other)
            )))
        }
    };
    if title.len() > MAX_KEY_BYTES {
        return Err(ApiError::BadRequest(format!(
            "a track title is at most {MAX_KEY_BYTES} bytes of UTF-8"
        )));
    }
    let item = find_title(state.store.as_ref(), table, &title)
        .await
        .map_err(store_error)?
        .ok_or_else(|| ApiError::NotFound(format!("no track titled {:?}", shown(&title))))?;
    Ok(if plain {
        json(&typed::plain(&item))
    } else {
        json(&typed::envelope(&item))
    })
}

/// A row as the original's SQLite tables had it, in its column order.
#[derive(Serialize)]
struct Row<'a> {
    name: &'a str,
    id: &'a str,
    artists: &'a str,
    #[serde(rename = "Assignments")]
    assignments: u8,
}

fn rows(items: &[AssignmentItem]) -> Response {
    let rows: Vec<Row> = items
        .iter()
        .map(|i| Row {
            name: &i.name,
            id: &i.id,
            artists: &i.artists,
            assignments: i.assignments,
        })
        .collect();
    json(&rows)
}

fn cluster(raw: &str) -> Result<u8, ApiError> {
    match raw.parse::<u8>() {
        Ok(n) if n <= MAX_CLUSTER => Ok(n),
        _ => Err(ApiError::BadRequest(format!(
            "cluster must be an integer from 0 to {MAX_CLUSTER}, got {:?}",
            shown(raw)
        ))),
    }
}

async fn fixed(State(state): State<AppState>, Path(n): Path<String>) -> Result<Response, ApiError> {
    let n = cluster(&n)?;
    Ok(rows(&state.store.fixed(n).await.map_err(store_error)?))
}

/// A new random pick on every call, as the original's `ORDER BY RANDOM()`: marked `no-store`, so
/// that neither a browser nor a shared cache hands back the previous pick, and never tagged.
async fn random(
    State(state): State<AppState>,
    Path(n): Path<String>,
) -> Result<Response, ApiError> {
    let n = cluster(&n)?;
    Ok(music_http::cache::no_store(rows(
        &state
            .store
            .random(n, RANDOM_TRACKS)
            .await
            .map_err(store_error)?,
    )))
}
