//! The batch writer against a real DynamoDB API (dynalite) behind the fault proxy: what it does
//! when DynamoDB is overloaded, refuses it, or holds tables that are not the stack's. Each test
//! seeds a real subset of the item files (the first lines of each), which is enough to make
//! hundreds of requests; `MUSIC_ML_WRITER_FULL=1` makes the overload test write every item and
//! `MUSIC_ML_WRITER_DEFAULT_BACKOFF=1` keeps the writer's own backoff (25 ms base, 5 s cap)
//! instead of the test's shorter one (both set by bench/v2/writer-faults.sh for bench/results).

mod dynamo_support;

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::Tag;
use dynamo_support::{data_dir, Dynalite};
use music_dynamo::TableNames;
use music_e2e::fault_support::{Fault, FaultProxy};
use music_scripts::dynamo_writer::{self, WriterOptions, STACK_TAG};

const FILES: [&str; 3] = [
    "Music_ML3.jsonl",
    "Music_ML_IDs.jsonl",
    "Music_ML_Assignments.jsonl",
];

/// A directory with the first `lines` lines of each item file (all of them for `None`).
fn subset(name: &str, lines: Option<usize>) -> PathBuf {
    if lines.is_none() {
        return data_dir();
    }
    let dir = std::env::temp_dir().join(format!("music-ml-writer-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for file in FILES {
        let text = std::fs::read_to_string(data_dir().join(file))
            .unwrap_or_else(|e| panic!("{file}: {e} (build data/build/ with the pipeline)"));
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .take(lines.unwrap_or(usize::MAX))
            .collect();
        std::fs::write(dir.join(file), kept.join("\n") + "\n").unwrap();
    }
    dir
}

fn line_count(dir: &std::path::Path, file: &str) -> u64 {
    std::fs::read_to_string(dir.join(file))
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count() as u64
}

/// dynalite, the [`subset`] `name` to write, and a [`FaultProxy`] in front of dynalite to write it
/// through; `None` where the dynalite tests are skipped.
async fn proxied_subset(
    name: &str,
    lines: Option<usize>,
) -> Option<(Dynalite, PathBuf, FaultProxy)> {
    let dynalite = Dynalite::start()?;
    let dir = subset(name, lines);
    let proxy = FaultProxy::start(&dynalite.endpoint).await;
    Some((dynalite, dir, proxy))
}

fn options(dir: PathBuf, tables: &TableNames, endpoint: &str) -> WriterOptions {
    let mut o = WriterOptions::new(dir, tables.clone());
    o.endpoint_url = Some(endpoint.to_string());
    o.region = Some("us-west-1".into());
    o
}

/// Under a table that hands back half of every request, the writer still lands every item,
/// and each batch's backoff keeps growing with its retries instead of staying at the base
/// delay because each retry wrote something.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steady_partial_unprocessed_items_grow_the_backoff_and_lose_nothing() {
    let full = std::env::var("MUSIC_ML_WRITER_FULL").is_ok_and(|v| v == "1");
    let lines = if full { None } else { Some(600) };
    let Some((dynalite, dir, proxy)) = proxied_subset("partial", lines).await else {
        return;
    };
    proxy.set(Fault::HalfUnprocessed);
    let tables = TableNames::default().prefixed("partial_");
    let mut opts = options(dir.clone(), &tables, &proxy.endpoint);
    if !std::env::var("MUSIC_ML_WRITER_DEFAULT_BACKOFF").is_ok_and(|v| v == "1") {
        opts.base_backoff = Duration::from_millis(2);
        opts.max_backoff = Duration::from_millis(500);
    }
    let started = Instant::now();
    let report = dynamo_writer::run(&opts)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let elapsed = started.elapsed();
    let expected: u64 = FILES.iter().map(|f| line_count(&dir, f)).sum();
    assert_eq!(report.items(), expected);
    for t in &report.tables {
        assert_eq!((t.written, t.counted), (t.items, t.items), "{}", t.table);
    }
    let partial = proxy.counters.partial.load(Ordering::SeqCst);
    let held = proxy.counters.held_back.load(Ordering::SeqCst);
    assert!(partial > 50, "the proxy cut {partial} requests");
    assert!(report.unprocessed_retries >= partial);
    // A full batch of 25 is cut 25 -> 12 -> 6 -> 3 -> 1 left: its fourth retry waits up to
    // base * 2^3. The old policy restarted from the base after any progress (stayed at 0).
    assert!(
        report.max_attempt >= 3,
        "the backoff did not grow: highest retry {}",
        report.max_attempt
    );
    let ceiling =
        dynamo_writer::backoff_ceiling(report.max_attempt, opts.base_backoff, opts.max_backoff);
    eprintln!(
        "writer under 50% UnprocessedItems ({} items, backoff base {} ms, cap {} ms): {:.2} s total, {:.2} s writing, {} requests ({} cut, {} items handed back), {} retries for unprocessed items, highest retry {} (wait ceiling {} ms), backoff slept {:.2} s summed over batches, items lost 0",
        report.items(),
        opts.base_backoff.as_millis(),
        opts.max_backoff.as_millis(),
        elapsed.as_secs_f64(),
        report.write_time.as_secs_f64(),
        report.requests,
        partial,
        held,
        report.unprocessed_retries,
        report.max_attempt,
        ceiling.as_millis(),
        report.backoff_time.as_secs_f64()
    );
    // Counted behind the proxy's back, straight from dynalite.
    let client = dynamo_writer::client(Some(&dynalite.endpoint), None).await;
    for (file, table) in FILES
        .iter()
        .zip([&tables.tracks, &tables.track_ids, &tables.assignments])
    {
        assert_eq!(
            dynamo_writer::count_items(&client, table).await.unwrap(),
            line_count(&dir, file),
            "{table}"
        );
    }
}

/// A fatal answer stops every batch: once it is seen no new request is sent, so the requests
/// sent are at most the ones already in flight, and the error names the table.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fatal_error_stops_every_batch_within_one_round_trip() {
    let Some(dynalite) = Dynalite::start() else {
        return;
    };
    let dir = subset("fatal", Some(800));
    for (code, prefix) in [
        ("AccessDeniedException", "denied_"),
        ("ValidationException", "invalid_"),
        ("ResourceNotFoundException", "gone_"),
    ] {
        let proxy = FaultProxy::start(&dynalite.endpoint).await;
        proxy.set(Fault::Refuse {
            codes: vec![(code, 400)],
            every: 1,
            only: ".BatchWriteItem",
        });
        let tables = TableNames::default().prefixed(prefix);
        let mut opts = options(dir.clone(), &tables, &proxy.endpoint);
        opts.concurrency = 8;
        let started = Instant::now();
        let err = dynamo_writer::run(&opts)
            .await
            .expect_err("a refused write fails the run")
            .to_string();
        let elapsed = started.elapsed();
        let sent = proxy.counters.batch_writes.load(Ordering::SeqCst);
        let batches: u64 = FILES.iter().map(|f| line_count(&dir, f).div_ceil(25)).sum();
        assert!(
            sent <= opts.concurrency as u64,
            "{code}: {sent} BatchWriteItem requests of {batches} batches were sent after a fatal error (at most the {} in flight may be)",
            opts.concurrency
        );
        assert!(err.contains(code), "{code}: {err}");
        assert!(
            [&tables.tracks, &tables.track_ids, &tables.assignments]
                .iter()
                .any(|t| err.contains(&format!("table {t}"))),
            "{code}: the error names the table: {err}"
        );
        eprintln!(
            "{code}: stopped after {:.3} s, {sent} BatchWriteItem requests of {batches} batches sent ({} in flight at most); {err}",
            elapsed.as_secs_f64(),
            opts.concurrency
        );
    }
}

/// Tables the writer creates get deletion protection and point-in-time recovery, as the
/// template's tables have (dynalite ignores both, so what is checked is what the writer asks).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_tables_are_protected_and_recoverable() {
    let Some((_dynalite, dir, proxy)) = proxied_subset("protect", Some(60)).await else {
        return;
    };
    let tables = TableNames::default().prefixed("protect_");
    dynamo_writer::run(&options(dir, &tables, &proxy.endpoint))
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    let control = proxy.counters.control.lock().unwrap().clone();
    for table in [&tables.tracks, &tables.track_ids, &tables.assignments] {
        let create = control
            .iter()
            .find(|(op, body)| op == "CreateTable" && body["TableName"] == table.as_str())
            .unwrap_or_else(|| panic!("no CreateTable for {table}"));
        assert_eq!(create.1["DeletionProtectionEnabled"], true, "{table}");
        assert_eq!(create.1["BillingMode"], "PAY_PER_REQUEST", "{table}");
        let pitr = control
            .iter()
            .find(|(op, body)| {
                op == "UpdateContinuousBackups" && body["TableName"] == table.as_str()
            })
            .unwrap_or_else(|| panic!("point-in-time recovery was not asked for {table}"));
        assert_eq!(
            pitr.1["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
            true
        );
    }
}

/// With a stack named, the writer writes only to tables carrying that stack's tag, and creates
/// none: a table of another stack, one made by hand, or a missing one stops it before any write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_stack_only_the_stacks_own_tables_are_written() {
    let Some((dynalite, dir, proxy)) = proxied_subset("owner", Some(40)).await else {
        return;
    };
    let client = dynamo_writer::client(Some(&dynalite.endpoint), None).await;
    let tag = |table: String, stack: &'static str| {
        let client = client.clone();
        async move {
            let arn = client
                .describe_table()
                .table_name(&table)
                .send()
                .await
                .unwrap()
                .table
                .unwrap()
                .table_arn
                .unwrap();
            client
                .tag_resource()
                .resource_arn(arn)
                .tags(Tag::builder().key(STACK_TAG).value(stack).build().unwrap())
                .send()
                .await
                .unwrap();
        }
    };
    // Tables as a stack would have them: created (here by a first, stack-less run), then tagged;
    // the ones made by hand stay untagged.
    let ours = TableNames::default().prefixed("ours_");
    let theirs = TableNames::default().prefixed("theirs_");
    let untagged = TableNames::default().prefixed("byhand_");
    for (tables, stack) in [
        (&ours, Some("music-ml-test")),
        (&theirs, Some("someone-else")),
        (&untagged, None),
    ] {
        dynamo_writer::run(&options(dir.clone(), tables, &dynalite.endpoint))
            .await
            .unwrap();
        let Some(stack) = stack else {
            continue;
        };
        for t in [&tables.tracks, &tables.track_ids, &tables.assignments] {
            tag(t.clone(), stack).await;
        }
    }

    let with_stack = |tables: &TableNames| {
        let mut o = options(dir.clone(), tables, &proxy.endpoint);
        o.stack = Some("music-ml-test".into());
        o
    };
    let before = proxy.counters.batch_writes.load(Ordering::SeqCst);
    for (tables, expected) in [
        (&theirs, "belongs to stack someone-else"),
        (&untagged, "was not created by a CloudFormation stack"),
        (
            &TableNames::default().prefixed("missing_"),
            "does not exist",
        ),
    ] {
        let err = dynamo_writer::run(&with_stack(tables))
            .await
            .expect_err("refused")
            .to_string();
        assert!(
            err.contains(expected) && err.contains(&tables.tracks),
            "{}: {err}",
            tables.tracks
        );
    }
    assert_eq!(
        proxy.counters.batch_writes.load(Ordering::SeqCst),
        before,
        "nothing was written to a table the stack does not own"
    );
    let control = proxy.counters.control.lock().unwrap().clone();
    assert!(
        !control.iter().any(|(op, _)| op == "CreateTable"),
        "no table is created when a stack is named"
    );
    drop(control);
    // The stack's own tables are written.
    let report = dynamo_writer::run(&with_stack(&ours))
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    assert_eq!(
        report.items(),
        FILES.iter().map(|f| line_count(&dir, f)).sum::<u64>()
    );
}
