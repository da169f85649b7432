//! What the web crate's tests that need the whole site share.

/// The local app as `music-ml-serve` merges it (every API family and the pages) on the
/// checkout's data/build/, served on a free 127.0.0.1 port until dropped.
pub async fn serve_local_app() -> music_testkit::TestServer {
    let config = music_local::Config {
        db: music_testkit::built_db(),
        data_dir: music_testkit::data_build(),
        dynamodb_endpoint: None,
        tables: Default::default(),
    };
    let app = music_local::app_from(&config)
        .await
        .expect("the local app loads data/build (run the pipeline first)");
    music_testkit::serve(app).await
}
