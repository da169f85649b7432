//! A router served on a free 127.0.0.1 port for the duration of a test.

use std::path::PathBuf;

/// A running server; dropping it stops the server task.
pub struct TestServer {
    /// `http://127.0.0.1:<port>`
    pub base: String,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serve `app` with axum on 127.0.0.1:0 (from inside a tokio runtime).
pub async fn serve(app: axum::Router) -> TestServer {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let base = format!("http://{}", listener.local_addr().expect("bound address"));
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.expect("axum::serve");
    });
    TestServer { base, task }
}

/// The SQLite store the pipeline built in this checkout.
pub fn built_db() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/build/musicData.sqlite")
}
