//! `/api/v3/...`: search, nearest-neighbour recommendations, clusters, elbow and the OpenAPI
//! document, answered from the bundled read-only SQLite file.
//!
//! The pipeline prebuilt what a request scans (the search index, the packed features); start-up
//! loads those blobs whole, and each answer then reads only the rows it shows.

mod data;
pub mod features;
pub mod openapi;
pub mod recommend;
mod routes;
pub mod similar;
mod spotify;

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
    /// Every track's features, loading on a thread of its own (see [`features`]).
    features: features::Loading,
    openapi: Bytes,
}

impl AppState {
    /// Open the SQLite file read-only and load what the routes need. Fails, with the path and
    /// the reason, if the file is missing, of another schema, or lacks a table, column or blob.
    pub fn open(path: &FsPath) -> Result<AppState, OpenError> {
        let data = Catalogue::open(path)?;
        let features = features::Loading::start(path);
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
            features,
            openapi: Bytes::from(openapi),
        })
    }

    pub fn track_count(&self) -> usize {
        self.data.track_count()
    }

    /// The feature table, waiting for it to load: for benchmarks and tests that call the model
    /// outside the router.
    pub fn features(&self) -> Result<Arc<features::Features>, music_http::ApiError> {
        self.features.wait()
    }

    /// Same-song group of each track (copies of a song share one).
    pub fn groups(&self) -> &[u32] {
        &self.data.neighbours.group
    }
}
