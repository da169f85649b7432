//! One local server for the whole site: the v1, v2, v3 and web routers merged into one app,
//! built from exactly the code each Lambda runs (no copies), wrapped once by
//! [`music_http::finish`] as every Lambda's router is.
//!
//! [`serve`] is the HTTP server around it, with the limits API Gateway gives the Lambdas for
//! free: a client must send its request head within a time limit, a request must be answered
//! within another, and the number of open connections is capped, so that a client that opens
//! connections and never finishes a request cannot hold the server.

mod config;
mod routes;
mod server;
mod state;

pub use config::{Args, Config};
pub use routes::{app, app_from, app_with};
pub use server::{connections_allowed, raise_open_files_limit, run, serve, Limits};
pub use state::States;
