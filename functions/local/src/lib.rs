//! One local server for the whole site: the v1, v2, v3 and web routers merged into one app,
//! built from exactly the code each Lambda runs (no copies), wrapped once by
//! [`music_http::finish`] as every Lambda's router is.
//!
//! [`serve`] is the HTTP server around it, with the limits API Gateway gives the Lambdas for
//! free: a client must send its request head within a time limit, a request must be answered
//! within another, and the number of open connections is capped, so that a client that opens
//! connections and never finishes a request cannot hold the server.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;

/// Where the data comes from. The defaults are a local checkout's `data/build/`.
#[derive(Debug, Clone)]
pub struct Config {
    /// The SQLite file v1 and v3 read.
    pub db: PathBuf,
    /// The directory with the v2 item files (`*.jsonl`), for the embedded store.
    pub data_dir: PathBuf,
    /// Serve v2 from this DynamoDB endpoint instead of the embedded store.
    pub dynamodb_endpoint: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            db: PathBuf::from("data/build/musicData.sqlite"),
            data_dir: PathBuf::from("data/build"),
            dynamodb_endpoint: None,
        }
    }
}

/// Each family's loaded state.
#[derive(Clone)]
pub struct States {
    pub v1: music_v1::AppState,
    pub v2: music_v2::AppState,
    pub v3: music_v3::AppState,
}

impl States {
    /// Opens the data once. Fails with the path and the reason when a file is missing or bad,
    /// so `scripts/serve` says what to rebuild instead of serving 500s.
    pub async fn load(config: &Config) -> anyhow::Result<States> {
        let (v1, v3) = open_sqlite(config)?;
        let v2 = match &config.dynamodb_endpoint {
            Some(endpoint) => music_v2::AppState::dynamodb(Some(endpoint.clone())).await,
            None => music_v2::AppState::embedded(&config.data_dir).with_context(|| {
                format!(
                    "v2: loading the item files in {}",
                    config.data_dir.display()
                )
            })?,
        };
        Ok(States { v1, v2, v3 })
    }

    /// [`States::load`], except that the embedded v2 store loads on a thread of its own while
    /// the rest opens and the server starts (the item files take longer than everything else).
    /// The loader is returned too, so that the server can stop if the load fails.
    pub async fn start(
        config: &Config,
    ) -> anyhow::Result<(States, Option<Arc<music_v2::LoadingStore>>)> {
        if config.dynamodb_endpoint.is_some() {
            return Ok((States::load(config).await?, None));
        }
        let loading = Arc::new(
            music_v2::LoadingStore::spawn(config.data_dir.clone())
                .context("starting the v2 item-file loader")?,
        );
        let (v1, v3) = open_sqlite(config)?;
        let v2 = music_v2::AppState::with_store(loading.clone());
        Ok((States { v1, v2, v3 }, Some(loading)))
    }
}

fn open_sqlite(config: &Config) -> anyhow::Result<(music_v1::AppState, music_v3::AppState)> {
    let v1 = music_v1::AppState::open(&config.db)
        .with_context(|| format!("v1: opening {}", config.db.display()))?;
    let v3 = music_v3::AppState::open(&config.db)
        .with_context(|| format!("v3: opening {}", config.db.display()))?;
    Ok((v1, v3))
}

/// The whole site as one router: every family's routes merged, then the shared fallbacks and
/// layers added once, with the default request time limit.
pub fn app(states: States) -> Router {
    app_with(states, Limits::default().request_timeout)
}

/// [`app`] with a request time limit of its own (a handler still running after it is answered
/// with a JSON 503).
pub fn app_with(states: States, request_timeout: Duration) -> Router {
    let merged = Router::new()
        .merge(music_v1::router(states.v1))
        .merge(music_v2::router(states.v2))
        .merge(music_v3::router(states.v3))
        .merge(music_web::router());
    music_http::finish_with(
        merged,
        &music_http::EdgeOptions {
            request_timeout: Some(request_timeout),
        },
    )
}

/// [`States::load`] then [`app`].
pub async fn app_from(config: &Config) -> anyhow::Result<Router> {
    Ok(app(States::load(config).await?))
}

/// What one client may hold of the server.
#[derive(Debug, Clone)]
pub struct Limits {
    /// From the moment the server waits for a request (a new connection, or a kept-alive one
    /// after its last answer) to the end of that request's head. Past it the connection is
    /// closed: a client that trickles its headers, or opens a connection and sends nothing,
    /// holds a slot for at most this long.
    pub header_read_timeout: Duration,
    /// From a complete request head to the answer (see [`app_with`]).
    pub request_timeout: Duration,
    /// Connections open at once. Beyond it the server stops accepting until one closes; the
    /// kernel queues the new ones meanwhile.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(15),
            max_connections: 4096,
        }
    }
}

/// How many connections can be open at once given the process's file descriptor limit, with
/// room left for the database, the data files and the runtime's own descriptors.
pub fn connections_allowed(wanted: usize) -> usize {
    const RESERVED: u64 = 64;
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct it is given and reads nothing else.
    let soft = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
        limit.rlim_cur
    } else {
        1024
    };
    let fit = soft.saturating_sub(RESERVED).max(1);
    wanted
        .min(usize::try_from(fit).unwrap_or(usize::MAX))
        .max(1)
}

/// Raise the soft limit on open files to the hard limit (the default soft limit, often 1024, is
/// lower than the connection cap). Returns the soft limit in force afterwards.
pub fn raise_open_files_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit read and write only the struct they are given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 1024;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                return raised.rlim_cur;
            }
        }
        limit.rlim_cur
    }
}

/// Serve `app` on `listener` with `limits` until `shutdown` completes, then stop accepting and
/// let open requests finish (at most 10 s).
///
/// HTTP/1.1 only, like `axum::serve` with this workspace's features, but on hyper's connection
/// builder directly, because that is where the header-read timer is (axum's server sets no timer,
/// so hyper's own 30 s default never applies there).
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: &Limits,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    let service = TowerToHyperService::new(app);
    let mut shutdown = std::pin::pin!(shutdown);
    let mut full_logged = false;
    loop {
        let slot = match slots.clone().try_acquire_owned() {
            Ok(slot) => {
                full_logged = false;
                slot
            }
            Err(_) => {
                if !full_logged {
                    tracing::warn!(
                        max = limits.max_connections,
                        "connection limit reached; new connections wait until one closes"
                    );
                    full_logged = true;
                }
                tokio::select! {
                    slot = slots.clone().acquire_owned() => match slot {
                        Ok(slot) => slot,
                        Err(_) => break,
                    },
                    _ = &mut shutdown => break,
                }
            }
        };
        let (stream, _peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors or a connection reset before accept: not fatal. Wait
                    // a little so that a persistent error does not spin the loop.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let connection = builder.serve_connection(TokioIo::new(stream), service.clone());
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                // A header timeout, a client gone mid-request, a malformed request: the
                // connection ends, nothing else does.
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(Duration::from_secs(10)) => {
            tracing::warn!("connections still open 10 s after shutdown; closing them");
        }
    }
    Ok(())
}
