//! The HTTP server around the router, with the limits API Gateway gives the Lambdas for free.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;

use crate::{app_with, Args, States};

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

/// `music-ml-serve`'s life: open the data, listen, print the address, serve until Ctrl-C or
/// SIGTERM. Fails, naming what, when the data cannot be opened or the address taken.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let config = args.config();
    let open_files = raise_open_files_limit();
    let mut limits = args.limits()?;
    let wanted = limits.max_connections;
    limits.max_connections = connections_allowed(wanted);
    if limits.max_connections < wanted {
        tracing::warn!(
            wanted,
            allowed = limits.max_connections,
            open_files,
            "the open files limit caps the connections"
        );
    }
    let (states, loading) = States::start(&config).await?;
    let app = app_with(states, limits.request_timeout);
    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}:{}: {e}", args.host, args.port))?;
    let addr: SocketAddr = listener.local_addr()?;
    let shown = if addr.ip().is_unspecified() {
        format!("http://127.0.0.1:{}/", addr.port())
    } else {
        format!("http://{addr}/")
    };
    tracing::info!(db = %config.db.display(), v2 = config.dynamodb_endpoint.as_deref().unwrap_or("embedded item files (loading)"), "data opened");
    tracing::info!(
        header_timeout = ?limits.header_read_timeout,
        request_timeout = ?limits.request_timeout,
        max_connections = limits.max_connections,
        "limits"
    );
    println!("Music ML is being served on {shown}  (API listing: {shown}api; Ctrl-C to stop)");
    let serving = serve(listener, app, &limits, shutdown_signal());
    match loading {
        None => serving.await?,
        // A failed load of the item files stops the server, naming the file, rather than
        // leaving it up with every v2 route failing.
        Some(loading) => tokio::select! {
            served = serving => served?,
            Err(e) = loading.ready() => anyhow::bail!("{e}"),
        },
    }
    Ok(())
}

/// Ctrl-C, or SIGTERM where there is one.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
