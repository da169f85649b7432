//! The batch writer: seeds the three v2 tables from `data/build/*.jsonl`.
//!
//! The original loaded its tables with one `put_item` per row, one request at a time. Here every
//! item goes out in `BatchWriteItem` requests of 25 (the API's maximum), several in flight, and
//! this module owns the retry policy for them (the SDK's own retries are switched off for that
//! call, so there is one policy, with counters a test can read): items DynamoDB hands back as
//! `UnprocessedItems` and whole requests refused for throttling are retried with exponential
//! backoff and full jitter, until written or until too many attempts in a row make no progress.
//!
//! Puts overwrite by key, so running it twice on the same files gives the same tables. The
//! final check counts the items with a `Select=COUNT` scan (strongly consistent), because
//! `DescribeTable`'s `ItemCount` is only refreshed every few hours in real DynamoDB.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, IndexStatus,
    KeySchemaElement, KeyType, Projection, ProjectionType, PutRequest, ScalarAttributeType, Select,
    TableStatus, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use futures_util::stream::{self, StreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use music_shared::items::{
    AssignmentItem, TitleItem, INDEX_FOLDED_TITLE, ITEMS_ASSIGNMENTS, ITEMS_TRACKS,
    ITEMS_TRACKS_WITH_IDS,
};
use music_shared::store::TableNames;
use rand::Rng;

/// DynamoDB's limits.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;
pub const BATCH_SIZE: usize = 25;
pub const DEFAULT_REGION: &str = "us-west-1";

pub type Item = HashMap<String, AttributeValue>;

#[derive(Debug, Clone)]
pub struct WriterOptions {
    pub endpoint_url: Option<String>,
    pub region: Option<String>,
    pub tables: TableNames,
    pub data_dir: PathBuf,
    /// BatchWriteItem requests in flight at once.
    pub concurrency: usize,
    /// Give up on a batch after this many retries in a row that wrote nothing.
    pub max_retries: u32,
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    pub progress: bool,
}

impl WriterOptions {
    pub fn new(data_dir: PathBuf, tables: TableNames) -> Self {
        WriterOptions {
            endpoint_url: None,
            region: None,
            tables,
            data_dir,
            concurrency: 16,
            max_retries: 10,
            base_backoff: Duration::from_millis(25),
            max_backoff: Duration::from_secs(5),
            progress: false,
        }
    }
}

/// Key attributes of a table, and whether it has the folded-title index.
#[derive(Debug, Clone)]
pub struct TableSpec {
    pub name: String,
    pub hash: (&'static str, ScalarAttributeType),
    pub range: Option<(&'static str, ScalarAttributeType)>,
    pub folded_index: bool,
}

/// The three tables, as `infra/template.yaml` declares them.
pub fn table_specs(tables: &TableNames) -> [TableSpec; 3] {
    let title = |name: &str| TableSpec {
        name: name.to_string(),
        hash: ("name", ScalarAttributeType::S),
        range: None,
        folded_index: true,
    };
    [
        title(&tables.tracks),
        title(&tables.track_ids),
        TableSpec {
            name: tables.assignments.clone(),
            hash: ("Assignments", ScalarAttributeType::N),
            range: Some(("sort", ScalarAttributeType::S)),
            folded_index: false,
        },
    ]
}

/// One table's items, converted and checked, ready to write.
#[derive(Debug, Clone)]
pub struct TableLoad {
    pub spec: TableSpec,
    pub source: PathBuf,
    pub items: Vec<Item>,
}

fn read_lines<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        if !line.trim().is_empty() {
            out.push(
                serde_json::from_str(&line)
                    .with_context(|| format!("{} line {}", path.display(), i + 1))?,
            );
        }
    }
    Ok(out)
}

fn to_items<T: serde::Serialize>(values: &[T]) -> Result<Vec<Item>> {
    values
        .iter()
        .map(|v| serde_dynamo::to_item(v).map_err(|e| anyhow!("converting an item: {e}")))
        .collect()
}

/// Read the three item files (through the typed item structs, so a malformed file fails here
/// rather than in DynamoDB) and check them: no two items with one key, none over 400 KB.
pub fn load_items(data_dir: &Path, tables: &TableNames) -> Result<Vec<TableLoad>> {
    let [tracks, track_ids, assignments] = table_specs(tables);
    let path = |f: &str| data_dir.join(f);
    let loads = vec![
        TableLoad {
            items: to_items(&read_lines::<TitleItem>(&path(ITEMS_TRACKS))?)?,
            spec: tracks,
            source: path(ITEMS_TRACKS),
        },
        TableLoad {
            items: to_items(&read_lines::<TitleItem>(&path(ITEMS_TRACKS_WITH_IDS))?)?,
            spec: track_ids,
            source: path(ITEMS_TRACKS_WITH_IDS),
        },
        TableLoad {
            items: to_items(&read_lines::<AssignmentItem>(&path(ITEMS_ASSIGNMENTS))?)?,
            spec: assignments,
            source: path(ITEMS_ASSIGNMENTS),
        },
    ];
    for load in &loads {
        check_items(load)?;
    }
    Ok(loads)
}

fn key_text(spec: &TableSpec, item: &Item) -> String {
    let show = |v: Option<&AttributeValue>| match v {
        Some(AttributeValue::S(s)) => format!("{s:?}"),
        Some(AttributeValue::N(n)) => n.clone(),
        other => format!("{other:?}"),
    };
    match &spec.range {
        Some((range, _)) => format!(
            "{}={} {}={}",
            spec.hash.0,
            show(item.get(spec.hash.0)),
            range,
            show(item.get(*range))
        ),
        None => format!("{}={}", spec.hash.0, show(item.get(spec.hash.0))),
    }
}

/// Refuse duplicate keys (BatchWriteItem rejects a request holding two) and oversized items,
/// naming every offender, before anything is written.
pub fn check_items(load: &TableLoad) -> Result<()> {
    let mut seen = HashSet::new();
    let mut duplicates = Vec::new();
    let mut oversized = Vec::new();
    for item in &load.items {
        let key = key_text(&load.spec, item);
        let size = item_size(item);
        if size > MAX_ITEM_BYTES {
            oversized.push(format!("{key} ({size} bytes)"));
        }
        if !seen.insert(key.clone()) {
            duplicates.push(key);
        }
    }
    if !oversized.is_empty() {
        bail!(
            "{}: {} item(s) over DynamoDB's {MAX_ITEM_BYTES}-byte limit, nothing written: {}",
            load.source.display(),
            oversized.len(),
            oversized.join("; ")
        );
    }
    if !duplicates.is_empty() {
        bail!(
            "{}: duplicate keys, nothing written: {}",
            load.source.display(),
            duplicates.join("; ")
        );
    }
    Ok(())
}

/// An item's size as DynamoDB bills and limits it: attribute names plus values, where a number
/// takes about one byte per two significant digits plus one, and a list or map three bytes plus
/// one per element. An estimate on the high side for numbers, exact for strings.
pub fn item_size(item: &Item) -> usize {
    item.iter()
        .map(|(name, value)| name.len() + value_size(value))
        .sum()
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => n.trim_start_matches('-').len().div_ceil(2) + 1,
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::L(list) => 3 + list.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(map) => {
            3 + map
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
        AttributeValue::Ss(set) => set.iter().map(String::len).sum(),
        AttributeValue::Ns(set) => set.iter().map(|n| n.len().div_ceil(2) + 1).sum(),
        AttributeValue::Bs(set) => set.iter().map(|b| b.as_ref().len()).sum(),
        _ => 0,
    }
}

/// A client for the writer. Against a local endpoint with no credentials in the environment it
/// uses dummy ones (local DynamoDB implementations accept any).
pub async fn client(endpoint_url: Option<&str>, region: Option<&str>) -> Client {
    let region_chain = match region {
        Some(r) => RegionProviderChain::first_try(Region::new(r.to_string())),
        // A local endpoint ignores the region: skip the profile/IMDS lookups, which can stall.
        None if endpoint_url.is_some() => RegionProviderChain::first_try(
            aws_config::environment::EnvironmentVariableRegionProvider::new(),
        )
        .or_else(Region::new(DEFAULT_REGION)),
        None => RegionProviderChain::default_provider().or_else(Region::new(DEFAULT_REGION)),
    };
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(2))
        .operation_attempt_timeout(Duration::from_secs(20))
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(region_chain)
        .timeout_config(timeouts)
        .retry_config(RetryConfig::standard().with_max_attempts(5));
    if let Some(url) = endpoint_url {
        loader = loader.endpoint_url(url);
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            loader = loader.credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "local",
                "local",
                None,
                None,
                "music-ml-local",
            ));
        }
    }
    Client::new(&loader.load().await)
}

fn key_schema(spec: &TableSpec) -> Vec<KeySchemaElement> {
    let element = |name: &str, kind: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .expect("name and type are set")
    };
    let mut keys = vec![element(spec.hash.0, KeyType::Hash)];
    if let Some((range, _)) = &spec.range {
        keys.push(element(range, KeyType::Range));
    }
    keys
}

/// Create the table unless it exists (then check its key schema), and wait until it and its
/// index are ACTIVE.
pub async fn ensure_table(client: &Client, spec: &TableSpec) -> Result<()> {
    match client.describe_table().table_name(&spec.name).send().await {
        Ok(out) => {
            let table = out
                .table
                .ok_or_else(|| anyhow!("DescribeTable {}: no table in the answer", spec.name))?;
            let have: Vec<(String, KeyType)> = table
                .key_schema()
                .iter()
                .map(|k| (k.attribute_name().to_string(), k.key_type().clone()))
                .collect();
            let want: Vec<(String, KeyType)> = key_schema(spec)
                .iter()
                .map(|k| (k.attribute_name().to_string(), k.key_type().clone()))
                .collect();
            if have != want {
                bail!(
                    "table {} exists with key schema {have:?}, expected {want:?}",
                    spec.name
                );
            }
            tracing::info!(table = %spec.name, "table exists");
        }
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            create_table(client, spec).await?;
        }
        Err(e) => bail!("DescribeTable {}: {}", spec.name, DisplayErrorContext(&e)),
    }
    wait_active(client, &spec.name).await
}

async fn create_table(client: &Client, spec: &TableSpec) -> Result<()> {
    let attribute = |name: &str, kind: ScalarAttributeType| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(kind)
            .build()
            .expect("name and type are set")
    };
    let mut request = client
        .create_table()
        .table_name(&spec.name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(spec)))
        .attribute_definitions(attribute(spec.hash.0, spec.hash.1.clone()));
    if let Some((range, kind)) = &spec.range {
        request = request.attribute_definitions(attribute(range, kind.clone()));
    }
    if spec.folded_index {
        request = request
            .attribute_definitions(attribute("name_folded", ScalarAttributeType::S))
            .global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(INDEX_FOLDED_TITLE)
                    .key_schema(
                        KeySchemaElement::builder()
                            .attribute_name("name_folded")
                            .key_type(KeyType::Hash)
                            .build()
                            .expect("name and type are set"),
                    )
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::All)
                            .build(),
                    )
                    .build()
                    .expect("index name and key schema are set"),
            );
    }
    match request.send().await {
        Ok(_) => {
            tracing::info!(table = %spec.name, "table created");
            Ok(())
        }
        // Someone else created it between our DescribeTable and CreateTable: fine.
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_in_use_exception()) =>
        {
            Ok(())
        }
        Err(e) => bail!("CreateTable {}: {}", spec.name, DisplayErrorContext(&e)),
    }
}

async fn wait_active(client: &Client, table: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let out = client
            .describe_table()
            .table_name(table)
            .send()
            .await
            .map_err(|e| anyhow!("DescribeTable {table}: {}", DisplayErrorContext(&e)))?;
        let description = out
            .table
            .ok_or_else(|| anyhow!("DescribeTable {table}: no table in the answer"))?;
        let table_active = description.table_status() == Some(&TableStatus::Active);
        let indexes_active = description
            .global_secondary_indexes()
            .iter()
            .all(|i| i.index_status() == Some(&IndexStatus::Active));
        if table_active && indexes_active {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("table {table} is not ACTIVE after 5 minutes");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Counters shared by the batches of one run.
#[derive(Debug, Default)]
pub struct Counters {
    /// Acknowledged puts, per table (in the order of the loads).
    pub written: Vec<AtomicU64>,
    /// Retries of items that came back in `UnprocessedItems`.
    pub unprocessed_retries: AtomicU64,
    /// Retries of whole requests refused for throttling or a server-side error.
    pub throttled_retries: AtomicU64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableReport {
    pub table: String,
    pub items: u64,
    pub written: u64,
    /// From the `Select=COUNT` scan after writing.
    pub counted: u64,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub tables: Vec<TableReport>,
    /// Time spent in BatchWriteItem (not in table creation or counting).
    pub write_time: Duration,
    pub unprocessed_retries: u64,
    pub throttled_retries: u64,
}

impl Report {
    pub fn items(&self) -> u64 {
        self.tables.iter().map(|t| t.items).sum()
    }
    pub fn items_per_sec(&self) -> f64 {
        self.items() as f64 / self.write_time.as_secs_f64().max(1e-9)
    }
}

fn retryable<E: ProvideErrorMetadata>(
    err: &SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> bool {
    match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(service) => {
            matches!(
                service.err().code(),
                Some(
                    "ProvisionedThroughputExceededException"
                        | "ThrottlingException"
                        | "RequestLimitExceeded"
                        | "InternalServerError"
                        | "ServiceUnavailable"
                )
            ) || service.raw().status().is_server_error()
        }
        _ => false,
    }
}

/// Exponential backoff with full jitter: a uniform wait in `[0, min(max, base * 2^attempt)]`,
/// so that many writers backing off together do not retry in lockstep.
pub fn backoff(attempt: u32, base: Duration, max: Duration) -> Duration {
    let ceiling = base
        .saturating_mul(2u32.saturating_pow(attempt.min(20)))
        .min(max);
    ceiling.mul_f64(rand::thread_rng().gen::<f64>())
}

/// Write one batch (at most 25 items of one table) until every item is acknowledged.
async fn write_batch(
    client: &Client,
    table: &str,
    items: Vec<Item>,
    options: &WriterOptions,
    counters: &Counters,
    written: &AtomicU64,
    bar: &ProgressBar,
) -> Result<()> {
    let mut pending: Vec<WriteRequest> = items
        .into_iter()
        .map(|item| {
            WriteRequest::builder()
                .put_request(
                    PutRequest::builder()
                        .set_item(Some(item))
                        .build()
                        .expect("item is set"),
                )
                .build()
        })
        .collect();
    let mut fruitless = 0u32;
    while !pending.is_empty() {
        let sent = pending.len();
        let result = client
            .batch_write_item()
            .request_items(table, pending.clone())
            .customize()
            .config_override(
                aws_sdk_dynamodb::Config::builder().retry_config(RetryConfig::disabled()),
            )
            .send()
            .await;
        match result {
            Ok(out) => {
                let unprocessed = out
                    .unprocessed_items
                    .and_then(|mut m| m.remove(table))
                    .unwrap_or_default();
                let done = sent.saturating_sub(unprocessed.len()) as u64;
                written.fetch_add(done, Ordering::Relaxed);
                bar.inc(done);
                if unprocessed.is_empty() {
                    return Ok(());
                }
                counters.unprocessed_retries.fetch_add(1, Ordering::Relaxed);
                fruitless = if done > 0 { 0 } else { fruitless + 1 };
                pending = unprocessed;
            }
            Err(e) if retryable(&e) => {
                counters.throttled_retries.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(table, error = %DisplayErrorContext(&e), "BatchWriteItem refused; backing off");
                fruitless += 1;
            }
            Err(e) => bail!("BatchWriteItem on {table}: {}", DisplayErrorContext(&e)),
        }
        if fruitless > options.max_retries {
            bail!(
                "{table}: {} item(s) still unwritten after {} retries without progress",
                pending.len(),
                options.max_retries
            );
        }
        tokio::time::sleep(backoff(
            fruitless,
            options.base_backoff,
            options.max_backoff,
        ))
        .await;
    }
    Ok(())
}

/// Every item of the given loads, in batches of 25, `options.concurrency` requests in flight.
/// `counters.written` must have one entry per load.
pub async fn write_all(
    client: &Client,
    loads: &[TableLoad],
    options: &WriterOptions,
    counters: &Counters,
) -> Result<()> {
    assert_eq!(
        counters.written.len(),
        loads.len(),
        "one written counter per table"
    );
    let total: usize = loads.iter().map(|l| l.items.len()).sum();
    let bar = if options.progress {
        let bar = ProgressBar::new(total as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} items  {per_sec}  eta {eta}")
                .expect("the template is valid"),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let batches = loads.iter().enumerate().flat_map(|(i, load)| {
        load.items
            .chunks(BATCH_SIZE)
            .map(move |c| (i, load.spec.name.as_str(), c.to_vec()))
    });
    let results: Vec<Result<()>> = stream::iter(batches)
        .map(|(i, table, items)| {
            write_batch(
                client,
                table,
                items,
                options,
                counters,
                &counters.written[i],
                &bar,
            )
        })
        .buffer_unordered(options.concurrency.max(1))
        .collect()
        .await;
    bar.finish_and_clear();
    let errors: Vec<String> = results
        .into_iter()
        .filter_map(|r| r.err().map(|e| format!("{e:#}")))
        .collect();
    if !errors.is_empty() {
        bail!("{} batch(es) failed: {}", errors.len(), errors.join("; "));
    }
    Ok(())
}

/// Items in a table, by a strongly consistent `Select=COUNT` scan (paged).
pub async fn count_items(client: &Client, table: &str) -> Result<u64> {
    let mut count = 0u64;
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(table)
            .select(Select::Count)
            .consistent_read(true)
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(|e| anyhow!("Scan (count) {table}: {}", DisplayErrorContext(&e)))?;
        count += page.count.max(0) as u64;
        match page.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return Ok(count),
        }
    }
}

/// The whole job: check the files, create the tables, write, count. Fails if a count differs
/// from the input (an item lost, or stale items from an older build left in the table).
pub async fn run(options: &WriterOptions) -> Result<Report> {
    let loads = load_items(&options.data_dir, &options.tables)?;
    let client = client(options.endpoint_url.as_deref(), options.region.as_deref()).await;
    for load in &loads {
        ensure_table(&client, &load.spec).await?;
    }
    let counters = Counters {
        written: loads.iter().map(|_| AtomicU64::new(0)).collect(),
        ..Default::default()
    };
    let started = Instant::now();
    write_all(&client, &loads, options, &counters).await?;
    let write_time = started.elapsed();
    let mut tables = Vec::new();
    for (load, written) in loads.iter().zip(&counters.written) {
        tables.push(TableReport {
            table: load.spec.name.clone(),
            items: load.items.len() as u64,
            written: written.load(Ordering::Relaxed),
            counted: count_items(&client, &load.spec.name).await?,
        });
    }
    let wrong: Vec<String> = tables
        .iter()
        .filter(|t| t.counted != t.items || t.written != t.items)
        .map(|t| {
            format!(
                "{}: {} items in the input, {} puts acknowledged, {} counted",
                t.table, t.items, t.written, t.counted
            )
        })
        .collect();
    if !wrong.is_empty() {
        bail!(
            "count check failed: {} (items left from an older build? delete the table and re-run)",
            wrong.join("; ")
        );
    }
    Ok(Report {
        tables,
        write_time,
        unprocessed_retries: counters.unprocessed_retries.load(Ordering::Relaxed),
        throttled_retries: counters.throttled_retries.load(Ordering::Relaxed),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../data/build")
    }

    #[test]
    fn sizes_follow_dynamodbs_rules() {
        let item: Item = [
            ("name".to_string(), AttributeValue::S("héllo".into())),
            ("n".to_string(), AttributeValue::N("123".into())),
            (
                "l".to_string(),
                AttributeValue::L(vec![
                    AttributeValue::S("ab".into()),
                    AttributeValue::L(vec![]),
                ]),
            ),
        ]
        .into_iter()
        .collect();
        // name(4) + 6 bytes; n(1) + ceil(3/2)+1 = 3; l(1) + 3 + (1+2) + (1+3)
        assert_eq!(item_size(&item), 4 + 6 + 1 + 3 + 1 + 3 + 3 + 4);
    }

    #[test]
    fn oversized_and_duplicate_items_are_refused_by_name() {
        let tables = TableNames::default();
        let mut load = load_items(&data_dir(), &tables)
            .expect("the shipped item files load")
            .remove(1);
        assert!(load.items.len() > 100);
        let mut big = load.items[3].clone();
        big.insert("name".into(), AttributeValue::S("A Very Long Song".into()));
        big.insert("pad".into(), AttributeValue::S("x".repeat(MAX_ITEM_BYTES)));
        load.items.push(big);
        let err = check_items(&load).unwrap_err().to_string();
        assert!(
            err.contains("\"A Very Long Song\"") && err.contains("1 item(s) over"),
            "{err}"
        );
        load.items.pop();
        let dup = load.items[5].clone();
        load.items.push(dup);
        let err = check_items(&load).unwrap_err().to_string();
        assert!(err.contains("duplicate keys"), "{err}");
        load.items.pop();
        check_items(&load).unwrap();
    }

    #[test]
    fn loads_every_line_of_each_file() {
        let loads = load_items(&data_dir(), &TableNames::default().prefixed("p_")).unwrap();
        for load in &loads {
            let lines = std::fs::read_to_string(&load.source)
                .unwrap()
                .lines()
                .filter(|l| !l.trim().is_empty())
                .count();
            assert_eq!(load.items.len(), lines, "{}", load.source.display());
            assert!(load.spec.name.starts_with("p_"));
        }
        // Music_ML3 items carry no id attribute; Music_ML_IDs items do.
        assert!(!loads[0].items[0].contains_key("id"));
        assert!(matches!(
            loads[1].items[0].get("id"),
            Some(AttributeValue::L(_))
        ));
        assert!(matches!(
            loads[2].items[0].get("Assignments"),
            Some(AttributeValue::N(_))
        ));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let base = Duration::from_millis(10);
        let max = Duration::from_millis(300);
        for attempt in 0..40 {
            let d = backoff(attempt, base, max);
            assert!(d <= max, "{attempt}: {d:?}");
            if attempt < 5 {
                assert!(d <= base * 2u32.pow(attempt), "{attempt}: {d:?}");
            }
        }
        // Full jitter: over many draws at a high attempt, the waits spread over [0, max].
        let draws: Vec<Duration> = (0..200).map(|_| backoff(10, base, max)).collect();
        assert!(draws.iter().any(|d| *d < max / 4) && draws.iter().any(|d| *d > max * 3 / 4));
    }
}
