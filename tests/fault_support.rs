//! What the fault tests put between the code and a real local DynamoDB (dynalite, started by
//! `tests/tests/dynamo_support`): an HTTP proxy that can be switched, while requests are
//! running, to refuse connections (nothing listening), answer late, or answer DynamoDB's own
//! throttling errors. The code under test talks to the proxy exactly as it talks to AWS.

use std::net::{SocketAddr, TcpListener as StdListener};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// A free 127.0.0.1 port (the OS picks; released before the caller binds it).
pub fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding 127.0.0.1:0")
}

/// What the proxy does with the next requests.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Forward everything.
    Pass,
    /// Nothing listens on the port (connection refused); open connections are cut.
    Down,
    /// Forward, but only after this long.
    Slow(Duration),
    /// Answer every `every`-th request whose `X-Amz-Target` ends with `only` (any request when
    /// `only` is empty) with DynamoDB's error `code` and `status`, without forwarding it; the
    /// codes rotate through the list.
    Refuse {
        codes: Vec<(&'static str, u16)>,
        every: u64,
        only: &'static str,
    },
    /// Every BatchWriteItem: forward only the first half of each table's items (rounded up, so
    /// a request of one item goes through) and hand the rest back as `UnprocessedItems`, as an
    /// overloaded table does; everything else passes.
    HalfUnprocessed,
    /// Every BatchGetItem: the same for reads, forwarding only the first half of each table's
    /// keys (rounded up) and handing the rest back as `UnprocessedKeys`.
    HalfUnprocessedKeys,
}

impl Fault {
    /// DynamoDB's two throttling answers, for every request.
    pub fn throttle() -> Fault {
        Fault::Refuse {
            codes: vec![
                ("ThrottlingException", 400),
                ("ProvisionedThroughputExceededException", 400),
            ],
            every: 1,
            only: "",
        }
    }
}

/// Counters a test reads to know that the fault really happened.
#[derive(Debug, Default)]
pub struct ProxyCounters {
    pub forwarded: AtomicU64,
    pub refused: AtomicU64,
    pub delayed: AtomicU64,
    /// Requests that matched `only`, whether refused or not.
    pub matched: AtomicU64,
    /// BatchWriteItem requests seen, whatever the mode (to time a fault inside a write).
    pub batch_writes: AtomicU64,
    /// BatchWriteItem (BatchGetItem) requests answered with part of their items (keys)
    /// unprocessed.
    pub partial: AtomicU64,
    /// Items (keys) handed back as unprocessed.
    pub held_back: AtomicU64,
    /// Control-plane requests (anything but item reads and writes): operation and JSON body.
    pub control: std::sync::Mutex<Vec<(String, serde_json::Value)>>,
}

/// An HTTP/1 proxy on a fixed 127.0.0.1 port in front of `backend`.
pub struct FaultProxy {
    pub endpoint: String,
    mode: watch::Sender<Fault>,
    pub counters: Arc<ProxyCounters>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FaultProxy {
    pub async fn start(backend: &str) -> FaultProxy {
        let port = free_port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let (mode, rx) = watch::channel(Fault::Pass);
        let counters = Arc::new(ProxyCounters::default());
        let shared = Arc::new(Shared {
            backend: backend.trim_end_matches('/').to_string(),
            client: reqwest::Client::new(),
            counters: Arc::clone(&counters),
        });
        let task = tokio::spawn(supervise(addr, rx, shared));
        // Wait until the first listener is bound.
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(addr).await.is_err() {
            assert!(Instant::now() < deadline, "the fault proxy did not listen");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        FaultProxy {
            endpoint: format!("http://{addr}"),
            mode,
            counters,
            task,
        }
    }

    pub fn set(&self, fault: Fault) {
        self.mode.send_replace(fault);
    }
}

struct Shared {
    backend: String,
    client: reqwest::Client,
    counters: Arc<ProxyCounters>,
}

/// Bind while the mode is not `Down`, drop the listener (and every connection) when it is.
async fn supervise(addr: SocketAddr, mut rx: watch::Receiver<Fault>, shared: Arc<Shared>) {
    loop {
        if *rx.borrow_and_update() == Fault::Down {
            if rx.changed().await.is_err() {
                return;
            }
            continue;
        }
        let listener = loop {
            match TcpListener::bind(addr).await {
                Ok(l) => break l,
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        };
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let shared = Arc::clone(&shared);
                    let mut conn_rx = rx.clone();
                    tokio::spawn(async move {
                        let mode_rx = conn_rx.clone();
                        let service = hyper::service::service_fn(move |req| {
                            let shared = Arc::clone(&shared);
                            let fault = mode_rx.borrow().clone();
                            async move { Ok::<_, std::convert::Infallible>(handle(req, fault, &shared).await) }
                        });
                        let conn = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service);
                        tokio::pin!(conn);
                        loop {
                            tokio::select! {
                                _ = conn.as_mut() => return,
                                changed = conn_rx.changed() => {
                                    if changed.is_err() || *conn_rx.borrow() == Fault::Down {
                                        return; // dropping the connection cuts it
                                    }
                                }
                            }
                        }
                    });
                }
                changed = rx.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    if *rx.borrow() == Fault::Down {
                        break; // drop the listener: connections are refused from now on
                    }
                }
            }
        }
    }
}

fn dynamodb_error(code: &str, status: u16) -> Response<Full<Bytes>> {
    let body = serde_json::json!({
        "__type": format!("com.amazonaws.dynamodb.v20120810#{code}"),
        "message": "injected by the fault proxy",
    });
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST))
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amzn-requestid", "fault-proxy")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("a static response builds")
}

async fn handle(req: Request<Incoming>, fault: Fault, shared: &Shared) -> Response<Full<Bytes>> {
    let target = req
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    if target.ends_with(".BatchWriteItem") {
        shared.counters.batch_writes.fetch_add(1, Ordering::SeqCst);
    }
    let operation = target.rsplit('.').next().unwrap_or_default().to_string();
    let data_plane = matches!(
        operation.as_str(),
        "BatchWriteItem" | "GetItem" | "Query" | "Scan" | "PutItem" | "BatchGetItem"
    );
    match &fault {
        Fault::HalfUnprocessed if operation == "BatchWriteItem" => {
            return half_unprocessed(req, shared).await;
        }
        Fault::HalfUnprocessedKeys if operation == "BatchGetItem" => {
            return half_unprocessed_keys(req, shared).await;
        }
        Fault::Refuse { codes, every, only } if target.ends_with(only) => {
            let every = (*every).max(1);
            let n = shared.counters.matched.fetch_add(1, Ordering::SeqCst) + 1;
            if n.is_multiple_of(every) && !codes.is_empty() {
                shared.counters.refused.fetch_add(1, Ordering::SeqCst);
                let (code, status) = codes[(n / every) as usize % codes.len()];
                return dynamodb_error(code, status);
            }
        }
        Fault::Slow(delay) => {
            shared.counters.delayed.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(*delay).await;
        }
        _ => {}
    }
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return dynamodb_error("InternalServerError", 500),
    };
    if !data_plane && !operation.is_empty() {
        let json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
        if let Ok(mut control) = shared.counters.control.lock() {
            control.push((operation.clone(), json));
        }
    }
    forward(parts, body, shared).await
}

/// Sends a request on to the backend and its answer back, headers included.
async fn forward(
    parts: hyper::http::request::Parts,
    body: Bytes,
    shared: &Shared,
) -> Response<Full<Bytes>> {
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let mut forward = shared
        .client
        .request(parts.method.clone(), format!("{}{path}", shared.backend))
        .body(body);
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            forward = forward.header(name, value);
        }
    }
    let answer = match forward.send().await {
        Ok(answer) => answer,
        Err(_) => return dynamodb_error("InternalServerError", 500),
    };
    shared.counters.forwarded.fetch_add(1, Ordering::SeqCst);
    let mut out = Response::builder().status(answer.status());
    for (name, value) in answer.headers() {
        if name != "content-length" && name != "transfer-encoding" && name != "connection" {
            out = out.header(name, value);
        }
    }
    let body = answer.bytes().await.unwrap_or_default();
    out.body(Full::new(body))
        .unwrap_or_else(|_| dynamodb_error("InternalServerError", 500))
}

/// [`Fault::HalfUnprocessedKeys`]: `{"RequestItems": {table: {"Keys": [...], ...}}}` goes on with
/// half of each `Keys`; the answer gets the rest as `{"UnprocessedKeys": {table: {"Keys": [...]}}}`
/// (and loses its CRC header, as below).
async fn half_unprocessed_keys(req: Request<Incoming>, shared: &Shared) -> Response<Full<Bytes>> {
    let split = |spec: &mut serde_json::Value| {
        let back = spec["Keys"].as_array_mut().map(|keys| {
            let keep = keys.len().div_ceil(2);
            keys.split_off(keep)
        })?;
        let held = back.len() as u64;
        let mut unprocessed = spec.clone();
        unprocessed["Keys"] = serde_json::Value::Array(back);
        Some((unprocessed, held))
    };
    let merge = |answer: &mut JsonMap, rest: JsonMap| {
        let unprocessed = answer
            .entry("UnprocessedKeys")
            .or_insert_with(|| serde_json::json!({}));
        if let Some(unprocessed) = unprocessed.as_object_mut() {
            unprocessed.extend(rest);
        }
    };
    hold_back_half(req, shared, split, merge).await
}

/// [`Fault::HalfUnprocessed`]: split a BatchWriteItem, forward the first half, and merge the
/// second half into the answer's `UnprocessedItems`.
async fn half_unprocessed(req: Request<Incoming>, shared: &Shared) -> Response<Full<Bytes>> {
    let split = |list: &mut serde_json::Value| {
        let list = list.as_array_mut()?;
        let keep = list.len().div_ceil(2);
        let back = list.split_off(keep);
        let held = back.len() as u64;
        Some((serde_json::Value::Array(back), held))
    };
    let merge = |answer: &mut JsonMap, rest: JsonMap| {
        let unprocessed = answer
            .entry("UnprocessedItems")
            .or_insert_with(|| serde_json::json!({}));
        let Some(unprocessed) = unprocessed.as_object_mut() else {
            return;
        };
        for (table, list) in rest {
            let slot = unprocessed
                .entry(table)
                .or_insert_with(|| serde_json::json!([]));
            if let (Some(slot), Some(list)) = (slot.as_array_mut(), list.as_array()) {
                slot.extend(list.iter().cloned());
            }
        }
    };
    hold_back_half(req, shared, split, merge).await
}

type JsonMap = serde_json::Map<String, serde_json::Value>;

/// A batch request forwarded with part of each table's entry of `RequestItems` held back
/// (`split` takes it out and says how many it held); when the backend answers 2xx, `merge` puts
/// what was held back into the answer. The CRC header of the backend's answer is dropped, since
/// the body changes (the SDK checks it).
async fn hold_back_half(
    req: Request<Incoming>,
    shared: &Shared,
    split: impl Fn(&mut serde_json::Value) -> Option<(serde_json::Value, u64)>,
    merge: impl FnOnce(&mut JsonMap, JsonMap),
) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return dynamodb_error("InternalServerError", 500),
    };
    let Ok(mut request) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return dynamodb_error("SerializationException", 400);
    };
    let mut rest = serde_json::Map::new();
    let mut held = 0u64;
    if let Some(tables) = request["RequestItems"].as_object_mut() {
        for (table, entry) in tables.iter_mut() {
            if let Some((back, n)) = split(entry) {
                held += n;
                if n > 0 {
                    rest.insert(table.clone(), back);
                }
            }
        }
    }
    let forwarded = Bytes::from(serde_json::to_vec(&request).unwrap_or_default());
    let answer = forward(parts, forwarded, shared).await;
    if held == 0 || !answer.status().is_success() {
        return answer;
    }
    let (mut head, body) = answer.into_parts();
    let bytes = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return dynamodb_error("InternalServerError", 500),
    };
    let mut parsed: serde_json::Value =
        serde_json::from_slice(&bytes).unwrap_or_else(|_| serde_json::json!({}));
    if let Some(answer) = parsed.as_object_mut() {
        merge(answer, rest);
    }
    shared.counters.partial.fetch_add(1, Ordering::SeqCst);
    shared.counters.held_back.fetch_add(held, Ordering::SeqCst);
    head.headers.remove("x-amz-crc32");
    Response::from_parts(
        head,
        Full::new(Bytes::from(serde_json::to_vec(&parsed).unwrap_or_default())),
    )
}
