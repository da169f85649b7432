//! `music-ml-serve`: the API and the web pages on one local address.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use music_local::{Config, Limits};

/// Serve the whole Music ML site locally: the v1, v2 and v3 APIs and the web pages, from the same
/// router code the Lambdas run. v2 answers from the embedded item files unless
/// --dynamodb-endpoint is given.
#[derive(Parser, Debug)]
#[command(name = "music-ml-serve", version, about)]
struct Args {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 3000, env = "PORT")]
    port: u16,
    /// Address to listen on. The default keeps the server private to this machine.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// SQLite file of the v1 and v3 routes.
    #[arg(
        long,
        default_value = "data/build/musicData.sqlite",
        env = "MUSIC_ML_DB"
    )]
    db: PathBuf,
    /// Directory with the v2 item files (Music_ML3.jsonl, Music_ML_IDs.jsonl, Music_ML_Assignments.jsonl).
    #[arg(long, default_value = "data/build")]
    data_dir: PathBuf,
    /// Serve v2 from this DynamoDB endpoint (e.g. http://127.0.0.1:4567 for dynalite) instead of
    /// the embedded item files. Table names come from MUSIC_ML_TABLE_*.
    #[arg(long, value_name = "URL")]
    dynamodb_endpoint: Option<String>,
    /// Seconds a client has to send a request's headers (from connecting, or from its previous
    /// answer on a kept-alive connection); then the connection is closed.
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS")]
    header_timeout: f64,
    /// Seconds a request may take from its headers to its answer; then it is answered with a
    /// JSON 503.
    #[arg(long, default_value_t = 15.0, value_name = "SECONDS")]
    request_timeout: f64,
    /// Connections open at once; beyond it new ones wait until one closes. Capped by the open
    /// files limit.
    #[arg(long, default_value_t = 4096)]
    max_connections: usize,
}

fn seconds(name: &str, value: f64) -> anyhow::Result<Duration> {
    if !(value.is_finite() && value > 0.0 && value <= 3600.0) {
        anyhow::bail!("--{name} must be a number of seconds between 0 and 3600, got {value}");
    }
    Ok(Duration::from_secs_f64(value))
}

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

async fn run(args: Args) -> anyhow::Result<()> {
    let config = Config {
        db: args.db,
        data_dir: args.data_dir,
        dynamodb_endpoint: args.dynamodb_endpoint.filter(|s| !s.is_empty()),
    };
    let open_files = music_local::raise_open_files_limit();
    let limits = Limits {
        header_read_timeout: seconds("header-timeout", args.header_timeout)?,
        request_timeout: seconds("request-timeout", args.request_timeout)?,
        max_connections: music_local::connections_allowed(args.max_connections.max(1)),
    };
    if limits.max_connections < args.max_connections {
        tracing::warn!(
            wanted = args.max_connections,
            allowed = limits.max_connections,
            open_files,
            "the open files limit caps the connections"
        );
    }
    let (states, loading) = music_local::States::start(&config).await?;
    let app = music_local::app_with(states, limits.request_timeout);
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
    let serving = music_local::serve(listener, app, &limits, shutdown_signal());
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

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    music_http::telemetry::init();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("music-ml-serve: {e:#}");
            ExitCode::FAILURE
        }
    }
}
