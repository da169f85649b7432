//! What the pipeline and the route families both need, and nothing heavier: the nine clustering
//! features in their contract order (`FEATURES`), name folding (`fold_name`, computed by the
//! pipeline, applied again by every lookup), and the v2 item shapes (`items`), written by the
//! pipeline and read back by the batch writer and v2's embedded store.
//!
//! Every Lambda compiles this crate, so it stays small: no HTTP, no AWS, no SQLite, and none of
//! the pipeline's numeric or CSV code (that is `music-pipeline`).

pub mod features;
pub mod fold;
pub mod items;

pub use features::FEATURES;
pub use fold::fold_name;
