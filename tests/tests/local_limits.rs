//! The local server's limits (`music_local::serve`) over real sockets: a client that never
//! finishes its request head is cut off after the header timeout (set short here; how long the
//! default takes is measured by `bench/load/stalled.sh`, not asserted), while others are
//! answered; the connection cap holds new clients back until a slot frees.

use std::time::Duration;

use music_e2e::local::{serve_local, LocalServer as Server};
use music_local::Limits;
use music_testkit::built_db;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The server around the v1 routes (what is served does not matter here; v1 opens fastest).
async fn start(limits: Limits) -> Server {
    let state = music_v1::AppState::open(built_db())
        .expect("data/build/musicData.sqlite (run the pipeline)");
    serve_local(music_http::finish(music_v1::router(state)), limits).await
}

/// Waits until the server closes `stream` (EOF or reset); `Err` if it is still open after
/// `patience` (a hang guard, far above the configured timeouts, not a speed check).
async fn closed_by_server(stream: &mut TcpStream, patience: Duration) -> Result<(), String> {
    let mut buf = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + patience;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return Err(format!("still open after {patience:?}")),
            Ok(Ok(0)) | Ok(Err(_)) => return Ok(()),
            // Some servers answer 408 before closing; keep reading until the close.
            Ok(Ok(_)) => continue,
        }
    }
}

/// One complete GET on a fresh connection; the status.
async fn get_status(addr: std::net::SocketAddr, path: &str) -> u16 {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: local\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_end(&mut answer))
        .await
        .expect("an answer within 20 s")
        .unwrap();
    let head = String::from_utf8_lossy(&answer[..answer.len().min(100)]).to_string();
    head.split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {head:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_finishes_its_headers_is_cut_off() {
    let server = start(Limits {
        header_read_timeout: Duration::from_millis(300),
        ..Limits::default()
    })
    .await;
    // Half a request head, then nothing.
    let mut partial = TcpStream::connect(server.addr).await.unwrap();
    partial
        .write_all(b"GET /api/v1.0/data_by_year HTTP/1.1\r\nHost: local\r\nX-Slow: ")
        .await
        .unwrap();
    // A connection that says nothing at all.
    let mut silent = TcpStream::connect(server.addr).await.unwrap();
    // A client that trickles a byte of header now and then never gets more time.
    let mut trickle = TcpStream::connect(server.addr).await.unwrap();
    trickle
        .write_all(b"GET / HTTP/1.1\r\nHost: l")
        .await
        .unwrap();
    let trickler = tokio::spawn(async move {
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if trickle.write_all(b"o").await.is_err() {
                return Ok(());
            }
        }
        Err("the trickling client was never cut off".to_string())
    });
    // Meanwhile others are answered.
    assert_eq!(get_status(server.addr, "/api/v1.0/data_by_year").await, 200);
    closed_by_server(&mut partial, Duration::from_secs(20))
        .await
        .expect("the half-sent request is cut off");
    closed_by_server(&mut silent, Duration::from_secs(20))
        .await
        .expect("the silent connection is cut off");
    trickler.await.unwrap().unwrap();
    // A kept-alive connection that goes quiet after an answer is closed the same way.
    let mut idle = TcpStream::connect(server.addr).await.unwrap();
    idle.write_all(b"GET /api/v1.0/top_51_genres HTTP/1.1\r\nHost: local\r\n\r\n")
        .await
        .unwrap();
    closed_by_server(&mut idle, Duration::from_secs(20))
        .await
        .expect("an idle kept-alive connection is closed");
    assert_eq!(get_status(server.addr, "/api").await, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_connection_cap_holds_new_clients_until_a_slot_frees() {
    let server = start(Limits {
        header_read_timeout: Duration::from_millis(500),
        max_connections: 1,
        ..Limits::default()
    })
    .await;
    let mut hog = TcpStream::connect(server.addr).await.unwrap();
    hog.write_all(b"GET / HTTP/1.1\r\nHost: l").await.unwrap();
    // Give the server the time to take the hog's connection before the next one arrives.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = std::time::Instant::now();
    assert_eq!(get_status(server.addr, "/api/v1.0/data_by_year").await, 200);
    // The second client was only served once the only slot was free again, that is once the
    // hog had been cut off: its socket is already closed now.
    let mut buf = [0u8; 16];
    let hog_state = tokio::time::timeout(Duration::from_millis(200), hog.read(&mut buf)).await;
    assert!(
        matches!(hog_state, Ok(Ok(0)) | Ok(Err(_))),
        "the second client was served while the hog still held the only slot ({:?})",
        started.elapsed()
    );
}

/// Stopping the server lets an answer in progress finish, then returns.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_accepting_and_returns() {
    let mut server = start(Limits::default()).await;
    assert_eq!(get_status(server.addr, "/api").await, 200);
    let _ = server.stop.take().unwrap().send(());
    let result = tokio::time::timeout(Duration::from_secs(20), &mut server.task)
        .await
        .expect("serve returns after shutdown")
        .unwrap();
    result.unwrap();
    assert!(TcpStream::connect(server.addr).await.is_err());
}
