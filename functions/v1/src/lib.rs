//! The v1 route family: the original's SQLite routes (`/api/v1.0/...`) and the `/api` listing,
//! answered from the `musicData.sqlite` file bundled next to the Lambda binary.
//!
//! The file never changes while a process runs, so it is opened once, read-only and
//! `immutable=1` (SQLite then skips locking and change detection), and every statement is
//! prepared once per connection and cached. Bodies are streamed straight from the SQLite row
//! values into JSON bytes, without an intermediate `serde_json::Value`, because the artist lookup
//! has a sub-millisecond budget.

mod config;
mod db;
mod routes;

pub use config::Config;
pub use db::{AppState, OpenError};
pub use routes::{router, MAX_ARTIST_NAME_BYTES};
