//! The batch writer: seeds the three v2 tables from `data/build/*.jsonl`.
//!
//! The original loaded its tables with one `put_item` per row, one request at a time. Here every
//! item goes out in `BatchWriteItem` requests of 25 (the API's maximum), several in flight, and
//! this module owns the retry policy for them (the SDK's own retries are switched off for that
//! call, so there is one policy, with counters a test can read): items DynamoDB hands back as
//! `UnprocessedItems` and whole requests refused for throttling are retried with exponential
//! backoff and full jitter, until written or until too many attempts in a row make no progress.
//! The backoff of a batch keeps growing with every retry, even when each retry writes part of
//! the batch: a table that steadily returns half of every request is overloaded, and retrying it
//! at the base delay would only keep it so.
//!
//! A fatal answer (access denied, a validation error, a missing table) stops the whole run: the
//! other batches send nothing more once it is seen (those already in flight finish their request),
//! and the error names the table.
//!
//! Safety for a deployed stack: with [`WriterOptions::stack`] the writer creates no table and
//! writes only to tables that carry the stack's `aws:cloudformation:stack-name` tag, so a stale
//! `MUSIC_ML_TABLE_*` variable cannot send the seed to someone else's table. Tables it does create
//! itself (local runs) get deletion protection and point-in-time recovery, as the template's do.
//!
//! Puts overwrite by key, so running it twice on the same files gives the same tables. The
//! final check counts the items with a `Select=COUNT` scan (strongly consistent), because
//! `DescribeTable`'s `ItemCount` is only refreshed every few hours in real DynamoDB.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, IndexStatus,
    KeySchemaElement, KeyType, PointInTimeRecoverySpecification, Projection, ProjectionType,
    PutRequest, ScalarAttributeType, Select, TableStatus, Tag, WriteRequest,
};
use aws_sdk_dynamodb::Client;
use futures_util::stream::{self, StreamExt};
use indicatif::{ProgressBar, ProgressStyle};
use music_dynamo::{Failure, TableNames, Timeouts};
use music_shared::items::{
    AssignmentItem, TitleItem, INDEX_FOLDED_TITLE, ITEMS_ASSIGNMENTS, ITEMS_TRACKS,
    ITEMS_TRACKS_WITH_IDS,
};
use rand::Rng;

/// DynamoDB's limits.
pub const MAX_ITEM_BYTES: usize = 400 * 1024;
pub const BATCH_SIZE: usize = 25;

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
    /// Write only to tables this CloudFormation stack owns (tag `aws:cloudformation:stack-name`),
    /// and never create one. `None`: create missing tables (local runs, dynalite).
    pub stack: Option<String>,
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
            stack: None,
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

/// DynamoDB's limits on key values: a partition key of at most 2048 bytes, a sort key of at most
/// 1024, and neither may be an empty string (nor may an index key: an item whose `name_folded`
/// is "" is refused by the whole BatchWriteItem request).
pub const MAX_PARTITION_KEY_BYTES: usize = 2048;
pub const MAX_SORT_KEY_BYTES: usize = 1024;

/// What is wrong with one key attribute of an item, if anything.
fn key_problem(item: &Item, name: &str, kind: &ScalarAttributeType, max: usize) -> Option<String> {
    match (item.get(name), kind) {
        (None, _) => Some(format!("no {name}")),
        (Some(AttributeValue::S(s)), ScalarAttributeType::S) if s.is_empty() => {
            Some(format!("{name} is empty"))
        }
        (Some(AttributeValue::S(s)), ScalarAttributeType::S) if s.len() > max => {
            Some(format!("{name} is {} bytes (at most {max})", s.len()))
        }
        (Some(AttributeValue::S(_)), ScalarAttributeType::S) => None,
        (Some(AttributeValue::N(n)), ScalarAttributeType::N) if n.parse::<f64>().is_ok() => None,
        (Some(other), kind) => Some(format!("{name} is {other:?}, not of type {kind:?}")),
    }
}

/// Refuse, naming every offender, before anything is written: duplicate keys (BatchWriteItem
/// rejects a request holding two), oversized items, missing, empty or oversized key values, and
/// an empty or oversized folded title (the index key; a title made only of marks or spaces folds
/// to ""). Any of them would fail a request in the middle of the run instead.
pub fn check_items(load: &TableLoad) -> Result<()> {
    let mut seen = HashSet::new();
    let mut duplicates = Vec::new();
    let mut oversized = Vec::new();
    let mut bad_keys = Vec::new();
    let spec = &load.spec;
    for (line, item) in load.items.iter().enumerate() {
        let key = key_text(spec, item);
        let size = item_size(item);
        if size > MAX_ITEM_BYTES {
            oversized.push(format!("{key} ({size} bytes)"));
        }
        let mut problems = Vec::new();
        problems.extend(key_problem(
            item,
            spec.hash.0,
            &spec.hash.1,
            MAX_PARTITION_KEY_BYTES,
        ));
        if let Some((range, kind)) = &spec.range {
            problems.extend(key_problem(item, range, kind, MAX_SORT_KEY_BYTES));
        }
        if spec.folded_index {
            problems.extend(
                key_problem(
                    item,
                    "name_folded",
                    &ScalarAttributeType::S,
                    MAX_PARTITION_KEY_BYTES,
                )
                .map(|p| format!("{p} (the {INDEX_FOLDED_TITLE} key)")),
            );
        }
        if !problems.is_empty() {
            bad_keys.push(format!("line {}: {key}: {}", line + 1, problems.join(", ")));
        }
        if !seen.insert(key.clone()) {
            duplicates.push(key);
        }
    }
    let shown = |list: &[String]| -> String {
        let mut text = list.iter().take(20).cloned().collect::<Vec<_>>().join("; ");
        if list.len() > 20 {
            text.push_str(&format!("; and {} more", list.len() - 20));
        }
        text
    };
    // The first kind of fault found is reported, in this order.
    for (found, what) in [
        (
            &bad_keys,
            format!("{} item(s) with a key DynamoDB refuses", bad_keys.len()),
        ),
        (
            &oversized,
            format!(
                "{} item(s) over DynamoDB's {MAX_ITEM_BYTES}-byte limit",
                oversized.len()
            ),
        ),
        (&duplicates, "duplicate keys".to_string()),
    ] {
        if !found.is_empty() {
            bail!(
                "{}: {what}, nothing written: {}",
                load.source.display(),
                shown(found)
            );
        }
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

/// A client for the writer: patient timeouts and SDK retries ([`Timeouts::batch`]); the
/// writer's own retry policy sits above them.
pub async fn client(endpoint_url: Option<&str>, region: Option<&str>) -> Client {
    music_dynamo::client(endpoint_url, region, &Timeouts::batch()).await
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

/// The tag CloudFormation puts on every resource it creates, naming its stack.
pub const STACK_TAG: &str = "aws:cloudformation:stack-name";

/// Create the table unless it exists (then check its key schema), and wait until it and its
/// index are ACTIVE. With `stack`, the table must exist and belong to that stack (its
/// [`STACK_TAG`]); nothing is created.
pub async fn ensure_table(client: &Client, spec: &TableSpec, stack: Option<&str>) -> Result<()> {
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
            if let Some(stack) = stack {
                let arn = table
                    .table_arn()
                    .ok_or_else(|| anyhow!("DescribeTable {}: no table ARN", spec.name))?;
                check_owner(client, &spec.name, arn, stack).await?;
            }
            tracing::info!(table = %spec.name, "table exists");
        }
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_resource_not_found_exception()) =>
        {
            if let Some(stack) = stack {
                bail!(
                    "table {} does not exist: stack {stack} should have created it (deploy the \
                     stack first, or check the region); nothing written",
                    spec.name
                );
            }
            create_table(client, spec).await?;
            wait_active(client, &spec.name).await?;
            protect(client, &spec.name).await?;
            return Ok(());
        }
        Err(e) => bail!("DescribeTable {}: {}", spec.name, DisplayErrorContext(&e)),
    }
    wait_active(client, &spec.name).await
}

/// Refuse a table that does not carry `stack`'s tag (another stack's table, or one made by hand).
async fn check_owner(client: &Client, table: &str, arn: &str, stack: &str) -> Result<()> {
    let mut owner = None;
    let mut next = None;
    loop {
        let page = client
            .list_tags_of_resource()
            .resource_arn(arn)
            .set_next_token(next.take())
            .send()
            .await
            .map_err(|e| {
                anyhow!(
                    "ListTagsOfResource {table} (to check that stack {stack} owns it): {}",
                    DisplayErrorContext(&e)
                )
            })?;
        if let Some(tag) = page.tags().iter().find(|t| t.key() == STACK_TAG) {
            owner = Some(tag.value().to_string());
        }
        match page.next_token {
            Some(token) if owner.is_none() => next = Some(token),
            _ => break,
        }
    }
    match owner {
        Some(owner) if owner == stack => Ok(()),
        Some(owner) => bail!(
            "table {table} belongs to stack {owner}, not {stack}: refusing to write to it \
             (check MUSIC_ML_TABLE_*, --table-prefix and the table names passed in)"
        ),
        None => bail!(
            "table {table} was not created by a CloudFormation stack (no {STACK_TAG} tag), \
             so it is not stack {stack}'s: refusing to write to it"
        ),
    }
}

/// What the template gives its tables, for a table the writer created: point-in-time
/// recovery (deletion protection is set at creation). An endpoint that does not know the
/// operation (dynalite, DynamoDB Local) is told apart from a refusal, which fails the run.
async fn protect(client: &Client, table: &str) -> Result<()> {
    let result = client
        .update_continuous_backups()
        .table_name(table)
        .point_in_time_recovery_specification(
            PointInTimeRecoverySpecification::builder()
                .point_in_time_recovery_enabled(true)
                .build()
                .expect("the flag is set"),
        )
        .send()
        .await;
    match result {
        Ok(_) => {
            tracing::info!(table, "point-in-time recovery enabled");
            Ok(())
        }
        Err(e) if e.code() == Some("UnknownOperationException") => {
            tracing::warn!(
                table,
                "this endpoint has no point-in-time recovery (a local emulator?); the table has none"
            );
            Ok(())
        }
        Err(e) => bail!(
            "enabling point-in-time recovery on {table}: {}",
            DisplayErrorContext(&e)
        ),
    }
}

async fn create_table(client: &Client, spec: &TableSpec) -> Result<()> {
    let attribute = |name: &str, kind: ScalarAttributeType| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(kind)
            .build()
            .expect("name and type are set")
    };
    // Deletion protection and on-demand billing as in infra/template.yaml (which also keeps the
    // tables when the stack is deleted); point-in-time recovery follows once ACTIVE.
    let mut request = client
        .create_table()
        .table_name(&spec.name)
        .billing_mode(BillingMode::PayPerRequest)
        .deletion_protection_enabled(true)
        .tags(
            Tag::builder()
                .key("music-ml:created-by")
                .value("batch-writer")
                .build()
                .expect("key and value are set"),
        )
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
    /// The highest retry number any batch reached (its backoff ceiling is base * 2^this).
    pub max_attempt: AtomicU32,
    /// Time spent sleeping between retries, summed over batches, in microseconds.
    pub backoff_micros: AtomicU64,
    /// BatchWriteItem requests sent.
    pub requests: AtomicU64,
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
    /// See [`Counters::max_attempt`].
    pub max_attempt: u32,
    /// Summed over batches (they sleep concurrently, so this can exceed `write_time`).
    pub backoff_time: Duration,
    pub requests: u64,
}

impl Report {
    pub fn items(&self) -> u64 {
        self.tables.iter().map(|t| t.items).sum()
    }
    pub fn items_per_sec(&self) -> f64 {
        self.items() as f64 / self.write_time.as_secs_f64().max(1e-9)
    }
}

/// Whether a refused request is worth sending again: a transient [`Failure`], or any answer
/// DynamoDB marks as its own fault (a 5xx), whatever its code. A missing table is not: the run
/// stops and says so.
fn retryable<E: ProvideErrorMetadata>(
    err: &SdkError<E, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> bool {
    Failure::of(err).is_transient()
        || matches!(err, SdkError::ServiceError(service) if service.raw().status().is_server_error())
}

/// What a fatal error means for the person running the writer.
fn fatal_hint(code: Option<&str>) -> &'static str {
    match code {
        Some("AccessDeniedException" | "UnrecognizedClientException") => {
            "the credentials in use may not write to it"
        }
        Some("ResourceNotFoundException") => "the table does not exist (deleted during the run?)",
        Some("ValidationException") => "DynamoDB refused the items as sent",
        _ => "not an error a retry can fix",
    }
}

/// Exponential backoff with full jitter: a uniform wait in `[0, min(max, base * 2^attempt)]`,
/// so that many writers backing off together do not retry in lockstep.
pub fn backoff(attempt: u32, base: Duration, max: Duration) -> Duration {
    backoff_ceiling(attempt, base, max).mul_f64(rand::thread_rng().gen::<f64>())
}

/// The upper end of [`backoff`]'s wait.
pub fn backoff_ceiling(attempt: u32, base: Duration, max: Duration) -> Duration {
    base.saturating_mul(2u32.saturating_pow(attempt.min(20)))
        .min(max)
}

/// Set once a batch meets an error no retry can fix; every other batch then stops before its
/// next request (and wakes from its backoff to do so).
#[derive(Debug, Default)]
pub struct Abort {
    set: AtomicBool,
    wake: tokio::sync::Notify,
}

impl Abort {
    pub fn trigger(&self) {
        self.set.store(true, Ordering::SeqCst);
        self.wake.notify_waiters();
    }
    pub fn is_set(&self) -> bool {
        self.set.load(Ordering::SeqCst)
    }
    /// Sleep for `d` unless the run is aborted first; `false` when aborted.
    async fn sleep(&self, d: Duration) -> bool {
        let woken = self.wake.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        if self.is_set() {
            return false;
        }
        tokio::select! {
            _ = tokio::time::sleep(d) => !self.is_set(),
            _ = woken => false,
        }
    }
}

/// How a batch ended short of writing everything.
enum BatchError {
    /// Another batch hit a fatal error; this one stopped without sending more.
    Stopped,
    Failed(anyhow::Error),
}

/// Write one batch (at most 25 items of one table) until every item is acknowledged.
#[allow(clippy::too_many_arguments)]
async fn write_batch(
    client: &Client,
    table: &str,
    items: Vec<Item>,
    options: &WriterOptions,
    counters: &Counters,
    written: &AtomicU64,
    bar: &ProgressBar,
    abort: &Abort,
) -> std::result::Result<(), BatchError> {
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
    // `attempt` sets the backoff and only grows: partial progress does not mean the table has
    // room again. `fruitless` counts retries in a row that wrote nothing, to give up on a dead
    // table rather than a slow one.
    let mut attempt = 0u32;
    let mut fruitless = 0u32;
    while !pending.is_empty() {
        if abort.is_set() {
            return Err(BatchError::Stopped);
        }
        let sent = pending.len();
        counters.requests.fetch_add(1, Ordering::Relaxed);
        let result = client
            .batch_write_item()
            .request_items(table, pending.clone())
            .customize()
            .config_override(
                aws_sdk_dynamodb::Config::builder()
                    .retry_config(aws_sdk_dynamodb::config::retry::RetryConfig::disabled()),
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
            Err(e) => {
                abort.trigger();
                tracing::debug!(table, error = %DisplayErrorContext(&e), "fatal BatchWriteItem error");
                let what = match (e.code(), e.message()) {
                    (Some(code), Some(message)) => format!("{code}: {message}"),
                    (Some(code), None) => code.to_string(),
                    _ => DisplayErrorContext(&e).to_string(),
                };
                return Err(BatchError::Failed(anyhow!(
                    "BatchWriteItem on table {table} failed: {what} ({}); every batch stopped",
                    fatal_hint(e.code())
                )));
            }
        }
        if fruitless > options.max_retries {
            abort.trigger();
            return Err(BatchError::Failed(anyhow!(
                "table {table}: {} item(s) still unwritten after {} retries without progress; every batch stopped",
                pending.len(),
                options.max_retries
            )));
        }
        counters.max_attempt.fetch_max(attempt, Ordering::Relaxed);
        let wait = backoff(attempt, options.base_backoff, options.max_backoff);
        attempt = attempt.saturating_add(1);
        counters
            .backoff_micros
            .fetch_add(wait.as_micros() as u64, Ordering::Relaxed);
        if !abort.sleep(wait).await {
            return Err(BatchError::Stopped);
        }
    }
    Ok(())
}

/// Every item of the given loads, in batches of 25, `options.concurrency` requests in flight.
/// `counters.written` must have one entry per load. The first fatal error stops every batch.
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
    let abort = Abort::default();
    let batches = loads.iter().enumerate().flat_map(|(i, load)| {
        load.items
            .chunks(BATCH_SIZE)
            .map(move |c| (i, load.spec.name.as_str(), c))
    });
    let results: Vec<std::result::Result<(), BatchError>> = stream::iter(batches)
        // No new batch starts after an abort.
        .take_while(|_| std::future::ready(!abort.is_set()))
        .map(|(i, table, items)| {
            write_batch(
                client,
                table,
                items.to_vec(),
                options,
                counters,
                &counters.written[i],
                &bar,
                &abort,
            )
        })
        .buffer_unordered(options.concurrency.max(1))
        .collect()
        .await;
    bar.finish_and_clear();
    // Batches in flight when the first fatal error came back often meet the same one: say each
    // distinct error once.
    let mut errors: Vec<(String, usize)> = Vec::new();
    for r in results {
        if let Err(BatchError::Failed(e)) = r {
            let text = format!("{e:#}");
            match errors.iter_mut().find(|(t, _)| *t == text) {
                Some((_, n)) => *n += 1,
                None => errors.push((text, 1)),
            }
        }
    }
    if errors.is_empty() {
        return Ok(());
    }
    let text: Vec<String> = errors
        .iter()
        .map(|(t, n)| match n {
            1 => t.clone(),
            n => format!("{t} [{n} batches]"),
        })
        .collect();
    bail!("{}", text.join("; "))
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
        ensure_table(&client, &load.spec, options.stack.as_deref()).await?;
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
        max_attempt: counters.max_attempt.load(Ordering::Relaxed),
        backoff_time: Duration::from_micros(counters.backoff_micros.load(Ordering::Relaxed)),
        requests: counters.requests.load(Ordering::Relaxed),
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
    fn empty_or_oversized_keys_and_an_empty_folded_title_are_refused_by_line() {
        let loads = load_items(&data_dir(), &TableNames::default()).unwrap();
        let cases: Vec<(usize, &str, AttributeValue, &str)> = vec![
            (0, "name", AttributeValue::S(String::new()), "name is empty"),
            (
                1,
                "name",
                AttributeValue::S("é".repeat(MAX_PARTITION_KEY_BYTES / 2 + 1)),
                "name is 2050 bytes (at most 2048)",
            ),
            (
                1,
                "name_folded",
                AttributeValue::S(String::new()),
                "name_folded is empty (the name_folded-index key)",
            ),
            (
                2,
                "sort",
                AttributeValue::S("x".repeat(MAX_SORT_KEY_BYTES + 1)),
                "sort is 1025 bytes (at most 1024)",
            ),
            (2, "sort", AttributeValue::S(String::new()), "sort is empty"),
            (
                2,
                "Assignments",
                AttributeValue::S("3".into()),
                "not of type N",
            ),
        ];
        for (table, attribute, value, expected) in cases {
            let mut load = loads[table].clone();
            load.items[7].insert(attribute.to_string(), value);
            let err = check_items(&load).unwrap_err().to_string();
            assert!(
                err.contains("line 8:")
                    && err.contains(expected)
                    && err.contains("nothing written"),
                "{attribute}: {err}"
            );
        }
        // A missing index key is refused too.
        let mut load = loads[0].clone();
        load.items[3].remove("name_folded");
        let err = check_items(&load).unwrap_err().to_string();
        assert!(
            err.contains("line 4:") && err.contains("no name_folded"),
            "{err}"
        );
        // The shipped files pass.
        for load in &loads {
            check_items(load).unwrap();
        }
    }

    #[test]
    fn the_backoff_ceiling_doubles_per_attempt_up_to_the_cap() {
        let base = Duration::from_millis(25);
        let max = Duration::from_secs(5);
        let ceilings: Vec<u128> = (0..10)
            .map(|a| backoff_ceiling(a, base, max).as_millis())
            .collect();
        assert_eq!(
            ceilings,
            [25, 50, 100, 200, 400, 800, 1600, 3200, 5000, 5000]
        );
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
