//! The real local server (`music_local::serve`: hyper with the server's limits, not plain
//! `axum::serve`) on a free 127.0.0.1 port for the duration of a test. A plain router on a free
//! port is `music_testkit::serve`.

use std::net::SocketAddr;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running `music_local::serve`; dropping it stops it (gracefully, then the task is aborted).
pub struct LocalServer {
    pub addr: SocketAddr,
    /// Send (or drop) to shut the server down gracefully.
    pub stop: Option<oneshot::Sender<()>>,
    /// The server; it ends with `Ok` once shut down.
    pub task: JoinHandle<std::io::Result<()>>,
}

impl LocalServer {
    /// `http://127.0.0.1:<port>` (no trailing slash)
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Shut down gracefully and wait for the server to end.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.abort();
    }
}

/// Serve `app` with `music_local::serve` and `limits` on 127.0.0.1:0.
pub async fn serve_local(app: axum::Router, limits: music_local::Limits) -> LocalServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("bound address");
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        music_local::serve(listener, app, &limits, async {
            let _ = stopped.await;
        })
        .await
    });
    LocalServer {
        addr,
        stop: Some(stop),
        task,
    }
}
