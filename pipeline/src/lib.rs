//! The pipeline's model: what turns the raw Kaggle tables into clusters, used only by the
//! `scripts/` binaries (and by tests that read the raw files).
//!
//! It knows the Kaggle file formats (`kaggle`, `artist`, `pylist`), how the original project
//! cleaned and scaled tracks (`scale`), clustered them (`kmeans`) and how clusters are named
//! (`cluster`). It lives apart from `music-shared` because of what it compiles (linfa, ndarray,
//! csv): the Lambdas depend on `music-shared` and must not build any of it.

pub mod artist;
pub mod cluster;
pub mod error;
pub mod kaggle;
pub mod kmeans;
pub mod pylist;
pub mod scale;
pub mod track;

pub use error::ModelError;
pub use track::Track;
