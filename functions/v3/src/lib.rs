//! `/api/v3/...`: search, nearest-neighbour recommendations, clusters, elbow and the OpenAPI
//! document, answered from the bundled read-only SQLite file.
//!
//! The pipeline prebuilt what a request scans (the search index, the packed features); start-up
//! loads those blobs whole, and each answer then reads only the rows it shows.

mod data;
pub mod openapi;
pub mod recommend;
mod routes;

use std::path::Path as FsPath;
use std::sync::Arc;

use axum::body::Bytes;

pub use data::Catalogue;
pub use music_db::{db_path_from_env, OpenError};
pub use routes::{
    router, served_routes, DEFAULT_LIMIT, DEFAULT_N, MAX_LIMIT, MAX_N, MAX_QUERY_CHARS,
};

/// The loaded data, shared by every request. Cloning is cheap (one `Arc`).
#[derive(Clone)]
pub struct AppState {
    data: Arc<Catalogue>,
    openapi: Bytes,
}

impl AppState {
    /// Open the SQLite file read-only and load what the routes need. Fails, with the path and
    /// the reason, if the file is missing, of another schema, or lacks a table, column or blob.
    pub fn open(path: &FsPath) -> Result<AppState, OpenError> {
        let data = Catalogue::open(path)?;
        let doc = openapi::document(&music_http::catalog::routes());
        let openapi = serde_json::to_vec(&doc).expect("the OpenAPI document is plain JSON");
        tracing::info!(
            path = %path.display(),
            tracks = data.track_count(),
            artists = data.artist_count,
            search_terms = data.index.terms(),
            "v3 data loaded"
        );
        Ok(AppState {
            data: Arc::new(data),
            openapi: Bytes::from(openapi),
        })
    }

    pub fn track_count(&self) -> usize {
        self.data.track_count()
    }
}
