//! The short form of `bench/load`: the whole site on a real local port, 64 concurrent clients
//! for 3 s over the realistic mix. It only asserts what must hold at any speed: no error, no
//! timeout, every kind of URL of the mix exercised. The figures come from `bench/load/run.sh`.

use std::time::Duration;

use music_e2e::load_gen::{self, site_app, LoadConfig};
use music_testkit::data_build as data_dir;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_site_serves_64_connections_without_errors() {
    let server =
        music_testkit::serve(site_app(&data_dir()).expect("data/build (run the pipeline)")).await;
    let base = server.base.clone();

    let mix = load_gen::realistic_mix(&data_dir(), 8).unwrap();
    load_gen::check_mix(&base, &mix).await.unwrap();
    let config = LoadConfig {
        base,
        connections: 64,
        duration: Duration::from_secs(3),
        timeout: Duration::from_secs(10),
        seed: 8,
    };
    let report = load_gen::run(&config, &mix).await;
    drop(server);
    eprintln!(
        "{} requests in {:.1} s, p50 {:.2} ms, p99 {:.2} ms (debug build)",
        report.requests,
        report.elapsed.as_secs_f64(),
        report.percentile_ms(50.0),
        report.percentile_ms(99.0)
    );
    assert_eq!(report.errors, 0, "errors: {:?}", report.error_samples);
    assert_eq!(report.timeouts, 0);
    assert_eq!(report.latencies_us.len() as u64, report.requests);
    let kinds: std::collections::BTreeSet<&str> = mix.iter().map(|t| t.kind).collect();
    let seen: std::collections::BTreeSet<&str> = report.by_kind.keys().copied().collect();
    assert!(
        report.requests >= 64 * 5,
        "only {} requests",
        report.requests
    );
    assert_eq!(seen, kinds, "every kind of URL of the mix was requested");
}
