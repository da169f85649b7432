//! `/api/v3/...`: search, nearest-neighbour recommendations, clusters, elbow and the OpenAPI
//! document, answered from the bundled read-only SQLite file.
//!
//! The pipeline prebuilt what a request scans (the search index, the packed features); start-up
//! loads those blobs whole, and each answer then reads only the rows it shows.

pub mod answers;
mod config;
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

pub use config::Config;
pub use data::Catalogue;
pub use music_db::OpenError;
pub use recommend::{Method, Pick, Scope};
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

    /// The catalogue number of the track with Spotify id `id`.
    pub fn track_number(&self, id: &str) -> Result<Option<usize>, music_http::ApiError> {
        self.data.track_number(id)
    }

    /// `n` tracks like track `seed`, by `method`. `similar` ranks with the feature table, which
    /// must then be given; the other methods use only what start-up loaded.
    pub fn pick(
        &self,
        features: Option<&features::Features>,
        seed: usize,
        method: Method,
        n: usize,
    ) -> Result<Vec<Pick>, music_http::ApiError> {
        let data = &self.data;
        let plain = |(track, d): (usize, f64)| Pick {
            track,
            distance: Some(d),
            reason: None,
        };
        Ok(match method {
            Method::Cluster => {
                recommend::nearest(&data.neighbours, &data.position, seed, Scope::Cluster, n)
                    .into_iter()
                    .map(plain)
                    .collect()
            }
            Method::Nearest => {
                recommend::nearest(&data.neighbours, &data.position, seed, Scope::All, n)
                    .into_iter()
                    .map(plain)
                    .collect()
            }
            Method::Random => recommend::random(&data.neighbours, seed, n, &mut rand::thread_rng())
                .into_iter()
                .map(|track| Pick {
                    track,
                    distance: None,
                    reason: None,
                })
                .collect(),
            Method::Similar => {
                let f = features.ok_or_else(|| {
                    music_http::ApiError::Internal("similar needs the feature table".into())
                })?;
                let ask = similar::Ask {
                    seeds: vec![similar::Seed::Track(seed as u32)],
                    limit: n,
                    max_by_seed_artists: Some((n / 5).max(1)),
                    ..similar::Ask::default()
                };
                similar::recommend(f, &data.neighbours.group, &ask)
                    .suggestions
                    .into_iter()
                    .map(|s| Pick {
                        track: s.track as usize,
                        distance: Some(s.distance),
                        reason: Some(s.reason),
                    })
                    .collect()
            }
        })
    }
}
