//! The model crate: everything the pipeline and the route families agree on.
//!
//! It knows the Kaggle file formats, how the original project cleaned, scaled and clustered
//! tracks, and the shapes of the items each store holds. It deliberately knows nothing about
//! HTTP, AWS or SQLite connections, so that every Lambda can depend on it without pulling those in.

pub mod artist;
pub mod cluster;
pub mod error;
pub mod fold;
pub mod items;
pub mod kaggle;
pub mod kmeans;
pub mod pylist;
pub mod scale;
pub mod store;
pub mod track;

pub use error::ModelError;
pub use fold::fold_name;
pub use track::{Track, FEATURES};
