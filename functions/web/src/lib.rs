//! The web site: pages and assets compiled into the binary (see `build.rs`), served from the same
//! origin as the API so every page calls relative URLs and needs no CORS, no CDN and no bucket.
//!
//! Pages are `no-cache` with an `ETag` (cheap revalidation, a new deploy shows at once); assets
//! linked with `?v=<hash>` are immutable for a year, because a changed file gets a new link.

mod config;
mod routes;
mod site;

pub use config::Config;
pub use routes::{router, CONTENT_SECURITY_POLICY};
pub use site::{asset_paths, page, PAGES};
