use std::sync::OnceLock;

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use music_http::cache::StaticBody;
use music_http::{ApiError, Path};

use music_db::CleanArtistRow;

use crate::db::{artist_exact_sql, artist_folded_sql, rows_json_named, AppState};

/// Longer names are refused with a 400 before any work: the longest artist in the data is about
/// 200 characters, and folding a pasted megabyte would only burn the request's time.
pub const MAX_ARTIST_NAME_BYTES: usize = 1024;

/// The v1 routes and `/api`, with no fallback and no layers (see `music_http::finish`).
///
/// Handlers query SQLite inline on the async worker rather than via `spawn_blocking`: every
/// query is an index hit or a ~100-row scan of an immutable file, well under the cost of a
/// thread hand-off.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api", get(api_listing))
        .route("/api/v1.0/data_by_year", get(data_by_year))
        .route("/api/v1.0/top_51_genres", get(top_51_genres))
        .route(
            "/api/v1.0/data_by_artist_clean/{artist}",
            get(data_by_artist_clean),
        )
        .with_state(state)
}

fn json_bytes(body: impl Into<axum::body::Body>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.into() as axum::body::Body,
    )
        .into_response()
}

fn internal(what: &str) -> impl FnOnce(rusqlite::Error) -> ApiError + '_ {
    move |e| ApiError::Internal(format!("{what}: {e}"))
}

async fn data_by_year(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    state.tables().data_by_year.response()
}

async fn top_51_genres(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    state.tables().top_51_genres.response()
}

/// The artist's row(s): the exact name first (the original's behaviour), then the folded name,
/// so `beyonce` finds `Beyoncé`. Clients of the original read `data[0]`, so a hit stays an
/// array; a folded key shared by several artists returns all of them in table order.
async fn data_by_artist_clean(
    axum::extract::State(state): axum::extract::State<AppState>,
    Path(artist): Path<String>,
) -> Result<Response, ApiError> {
    if artist.len() > MAX_ARTIST_NAME_BYTES {
        return Err(ApiError::BadRequest(format!(
            "artist name is {} bytes long; the limit is {MAX_ARTIST_NAME_BYTES}",
            artist.len()
        )));
    }
    let conn = state.connection();
    let folded = music_shared::fold_name(&artist);
    {
        let mut stmt = conn
            .prepare_cached(artist_exact_sql())
            .map_err(internal("preparing the artist query"))?;
        let (body, n) = rows_json_named(&mut stmt, CleanArtistRow::PUBLIC, [&artist, &folded])
            .map_err(internal("reading an artist"))?;
        if n > 0 {
            return Ok(json_bytes(body));
        }
    }
    if !folded.is_empty() {
        let mut stmt = conn
            .prepare_cached(artist_folded_sql())
            .map_err(internal("preparing the artist query"))?;
        let (body, n) = rows_json_named(&mut stmt, CleanArtistRow::PUBLIC, [&folded])
            .map_err(internal("reading an artist"))?;
        if n > 0 {
            return Ok(json_bytes(body));
        }
    }
    Err(ApiError::NotFound(format!(
        "no artist named {:?}",
        music_http::shown(&artist)
    )))
}

/// `GET /api`.
#[derive(serde::Serialize)]
struct Listing {
    title: &'static str,
    available_routes: Vec<music_http::catalog::Route>,
}

/// The original's root page listed its routes as HTML; this is the same list as JSON, built
/// from the catalogue so that it names every family's routes and cannot drift from them.
async fn api_listing() -> Response {
    static BODY: OnceLock<StaticBody> = OnceLock::new();
    BODY.get_or_init(|| {
        let listing = Listing {
            title: "Music ML API: Spotify tracks clustered with K-Means",
            available_routes: music_http::catalog::routes(),
        };
        StaticBody::json(serde_json::to_vec(&listing).unwrap_or_else(|_| b"{}".to_vec()))
    })
    .response()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use tower::ServiceExt;

    use super::*;

    /// The whole tables are served from the bytes built at start: with every SQLite connection
    /// held by someone else, they still answer (a query would wait for a connection forever).
    #[test]
    fn whole_tables_answer_without_touching_sqlite() {
        let db = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../data/build/musicData.sqlite");
        let state = AppState::open_with(&db, 2).expect("data/build/musicData.sqlite");
        let app = music_http::finish(router(state.clone()));
        let _held = state.lock_all();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap();
            for uri in ["/api/v1.0/data_by_year", "/api/v1.0/top_51_genres"] {
                let response = rt.block_on(
                    app.clone()
                        .oneshot(Request::get(uri).body(Body::empty()).unwrap()),
                );
                let response = response.unwrap();
                let etag = response.headers().get("etag").cloned();
                let _ = tx.send((uri, response.status(), etag));
            }
        });
        for _ in 0..2 {
            let (uri, status, etag) = rx
                .recv_timeout(Duration::from_secs(20))
                .expect("a whole-table answer while SQLite is busy");
            assert_eq!(status, StatusCode::OK, "{uri}");
            assert!(etag.is_some(), "{uri}: the tag is built with the bytes");
        }
    }
}
