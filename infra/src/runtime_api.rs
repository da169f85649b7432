//! A minimal Lambda runtime API (the HTTP interface a `provided.al2023` bootstrap polls), enough
//! to start a function binary as Lambda would, hand it one event and take its answer. It times a
//! cold start locally without a container: process start, init (opening SQLite, building SDK
//! clients), the first `invocation/next`, the handler, the posted response.
//!
//! Only 127.0.0.1; one event per server; later `next` calls wait forever, as in a frozen sandbox.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, Context, Result};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;
use tokio::sync::mpsc;

const REQUEST_ID: &str = "8476a536-e9f4-11e8-9739-2dfe598c3fcd";

/// What the function did with the event.
#[derive(Debug)]
pub enum Outcome {
    Response(Value),
    InvocationError(String),
    InitError(String),
}

struct Shared {
    event: Mutex<Option<Vec<u8>>>,
    outcomes: mpsc::UnboundedSender<(Instant, Outcome)>,
}

pub struct RuntimeApi {
    addr: SocketAddr,
    outcomes: mpsc::UnboundedReceiver<(Instant, Outcome)>,
    server: tokio::task::JoinHandle<()>,
}

impl RuntimeApi {
    /// Serve one event on a free port of 127.0.0.1.
    pub async fn start(event: &Value) -> Result<Self> {
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            event: Mutex::new(Some(serde_json::to_vec(event)?)),
            outcomes: tx,
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route(
                "/2018-06-01/runtime/invocation/{id}/response",
                post(response),
            )
            .route(
                "/2018-06-01/runtime/invocation/{id}/error",
                post(invocation_error),
            )
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "runtime API server stopped");
            }
        });
        Ok(Self {
            addr,
            outcomes: rx,
            server,
        })
    }

    /// The value for `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> String {
        self.addr.to_string()
    }

    pub async fn outcome(&mut self, timeout: Duration) -> Result<(Instant, Outcome)> {
        tokio::time::timeout(timeout, self.outcomes.recv())
            .await
            .map_err(|_| anyhow!("no answer within {timeout:?}"))?
            .ok_or_else(|| anyhow!("runtime API server gone"))
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn next(State(shared): State<Arc<Shared>>) -> Response {
    let event = shared.event.lock().map(|mut e| e.take()).unwrap_or(None);
    let Some(body) = event else {
        // A real sandbox is frozen here until the next invocation; never answer.
        std::future::pending::<()>().await;
        unreachable!()
    };
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        + Duration::from_secs(30);
    let mut headers = HeaderMap::new();
    let pairs = [
        ("content-type", "application/json".to_string()),
        ("lambda-runtime-aws-request-id", REQUEST_ID.to_string()),
        (
            "lambda-runtime-deadline-ms",
            deadline.as_millis().to_string(),
        ),
        (
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:us-west-1:123456789012:function:local".to_string(),
        ),
        (
            "lambda-runtime-trace-id",
            "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"
                .to_string(),
        ),
    ];
    for (k, v) in pairs {
        if let Ok(v) = HeaderValue::from_str(&v) {
            headers.insert(k, v);
        }
    }
    (headers, body).into_response()
}

fn record(shared: &Shared, outcome: Outcome) -> StatusCode {
    let _ = shared.outcomes.send((Instant::now(), outcome));
    StatusCode::ACCEPTED
}

async fn response(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    match serde_json::from_slice(&body) {
        Ok(v) => record(&shared, Outcome::Response(v)),
        Err(e) => record(
            &shared,
            Outcome::InvocationError(format!("response is not JSON: {e}")),
        ),
    }
}

async fn invocation_error(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    record(
        &shared,
        Outcome::InvocationError(String::from_utf8_lossy(&body).into_owned()),
    )
}

async fn init_error(State(shared): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    record(
        &shared,
        Outcome::InitError(String::from_utf8_lossy(&body).into_owned()),
    )
}

/// Start `binary` as Lambda would, give it `event`, and return the time from just before the
/// process was spawned to the arrival of its response, with the response (the API Gateway
/// payload: statusCode, headers, body). The process is killed afterwards.
pub async fn first_answer(
    binary: &Path,
    env: &[(String, String)],
    event: &Value,
) -> Result<(Duration, Value)> {
    let mut api = RuntimeApi::start(event).await?;
    let mut cmd = tokio::process::Command::new(binary);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", api.address())
        .env("AWS_LAMBDA_FUNCTION_NAME", "local")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/local")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
        .env("AWS_REGION", "us-west-1")
        .env("RUST_LOG", "warn")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let started = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let outcome = tokio::select! {
        o = api.outcome(Duration::from_secs(20)) => o,
        status = child.wait() => Err(anyhow!("{} exited before answering: {:?}", binary.display(), status)),
    };
    let _ = child.start_kill();
    let stderr = match child.wait_with_output().await {
        Ok(out) => String::from_utf8_lossy(&out.stderr).into_owned(),
        Err(_) => String::new(),
    };
    let (at, outcome) = outcome.with_context(|| format!("stderr: {}", stderr.trim()))?;
    match outcome {
        Outcome::Response(v) => Ok((at.duration_since(started), v)),
        Outcome::InvocationError(e) => bail!("invocation error: {e}; stderr: {}", stderr.trim()),
        Outcome::InitError(e) => bail!("init error: {e}; stderr: {}", stderr.trim()),
    }
}
