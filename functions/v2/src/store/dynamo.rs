//! The DynamoDB implementation of [`TrackStore`] (the Lambda's). One SDK client per process (it pools
//! connections), with short timeouts so that an outage answers 503 in about a second instead of
//! holding the Lambda until API Gateway gives up.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use aws_sdk_dynamodb::Client;
use music_dynamo::{Failure, TableNames, Timeouts};
use music_shared::items::{
    random_sort_key, AssignmentItem, TitleItem, INDEX_FOLDED_TITLE, SORT_FIXED, SORT_RANDOM,
};
use rand::Rng;

use super::{
    cluster_size_from_last_key, Sampler, StoreError, StoreFuture, StoreResult, TitleKey,
    TitleTable, TrackStore,
};

/// Where and what to read.
#[derive(Debug, Clone, Default)]
pub struct DynamoConfig {
    /// A local DynamoDB (dynalite, DynamoDB Local); `None` means AWS (or `AWS_ENDPOINT_URL`).
    pub endpoint_url: Option<String>,
    /// `None`: the usual AWS region chain (`AWS_REGION`, profile), else
    /// [`music_dynamo::DEFAULT_REGION`].
    pub region: Option<String>,
    pub tables: TableNames,
    /// Whole-call budget including SDK retries; `None` = 1.5 s.
    pub operation_timeout: Option<Duration>,
    /// Seed the random draws (tests, to repeat a run); `None`: each thread's own generator.
    pub seed: Option<u64>,
}

/// The most keys one BatchGetItem request may ask for (the API's limit).
pub const BATCH_GET_KEYS: usize = 100;
/// Times the keys that DynamoDB hands back as `UnprocessedKeys` are asked for again, with
/// backoff, before the draw gives up as throttled.
pub const UNPROCESSED_RETRIES: u32 = 5;
/// First backoff before asking for unprocessed keys again; it doubles on each retry (with
/// jitter), so the whole budget is about 20 + 40 + 80 + 160 + 320 ms at most.
const UNPROCESSED_BACKOFF: Duration = Duration::from_millis(20);

/// Map an SDK failure to what the client of our API can do about it: a missing table is an
/// outage of the deployment (503), not a bug of the request.
fn classify<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let detail = DisplayErrorContext(&err).to_string();
    match Failure::of(&err) {
        Failure::Timeout => StoreError::Timeout(detail),
        Failure::Throttled => StoreError::Throttled(detail),
        Failure::Unreachable | Failure::ServiceDown | Failure::MissingTable => {
            StoreError::Unavailable(detail)
        }
        Failure::Other => StoreError::Other(detail),
    }
}

/// The table a title lookup reads.
fn title_table(tables: &TableNames, table: TitleTable) -> &str {
    match table {
        TitleTable::Tracks => &tables.tracks,
        TitleTable::TracksWithIds => &tables.track_ids,
    }
}

fn decode<T: serde::de::DeserializeOwned>(item: HashMap<String, AttributeValue>) -> StoreResult<T> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Other(format!("malformed item: {e}")))
}

pub struct DynamoStore {
    client: Client,
    tables: TableNames,
    /// Each cluster's size once read (the tables are read-only once seeded).
    sizes: Mutex<HashMap<u8, usize>>,
    sampler: Sampler,
}

impl DynamoStore {
    pub fn new(client: Client, tables: TableNames) -> Self {
        DynamoStore {
            client,
            tables,
            sizes: Mutex::new(HashMap::new()),
            sampler: Sampler::default(),
        }
    }

    /// The same store, drawing from a generator seeded with `seed` (tests).
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.sampler = Sampler::seeded(seed);
        self
    }

    pub async fn connect(config: &DynamoConfig) -> Self {
        let timeout = config
            .operation_timeout
            .unwrap_or(Duration::from_millis(1500));
        let client = music_dynamo::client(
            config.endpoint_url.as_deref(),
            config.region.as_deref(),
            &Timeouts::request(timeout),
        )
        .await;
        let store = DynamoStore::new(client, config.tables.clone());
        match config.seed {
            Some(seed) => store.with_seed(seed),
            None => store,
        }
    }

    fn sizes(&self) -> std::sync::MutexGuard<'_, HashMap<u8, usize>> {
        self.sizes.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A Query of one cluster's items (partition `#p = :p`) whose sort key `#s` meets
    /// `sort_condition`; the caller binds that condition's values.
    fn cluster_query(&self, cluster: u8, sort_condition: &str) -> QueryFluentBuilder {
        self.client
            .query()
            .table_name(&self.tables.assignments)
            .key_condition_expression(format!("#p = :p AND {sort_condition}"))
            .expression_attribute_names("#p", "Assignments")
            .expression_attribute_names("#s", "sort")
            .expression_attribute_values(":p", AttributeValue::N(cluster.to_string()))
    }

    /// A cluster's size: its last `rand#` key plus one (one Query of one item, highest key first),
    /// cached once read. An empty cluster is not cached, so that one seeded later is seen.
    async fn cluster_size(&self, cluster: u8) -> StoreResult<usize> {
        if let Some(&size) = self.sizes().get(&cluster) {
            return Ok(size);
        }
        let page = self
            .cluster_query(cluster, "begins_with(#s, :r)")
            .expression_attribute_values(":r", AttributeValue::S(SORT_RANDOM.to_string()))
            .projection_expression("#s")
            .scan_index_forward(false)
            .limit(1)
            .send()
            .await
            .map_err(classify)?;
        let last = match page.items().first().and_then(|item| item.get("sort")) {
            None => None,
            Some(AttributeValue::S(sort)) => Some(sort.as_str()),
            Some(other) => {
                return Err(StoreError::Other(format!(
                    "cluster {cluster}: a sort key that is not a string: {other:?}"
                )))
            }
        };
        let size = cluster_size_from_last_key(cluster, last)?;
        if size > 0 {
            self.sizes().insert(cluster, size);
        }
        Ok(size)
    }

    /// The items of one cluster's `rand#` keys `indices`, in that order, in BatchGetItem
    /// requests of up to [`BATCH_GET_KEYS`] keys. Keys DynamoDB hands back unprocessed are asked
    /// for again after a backoff; a key with no item is left out.
    async fn random_items(
        &self,
        cluster: u8,
        indices: &[usize],
    ) -> StoreResult<Vec<AssignmentItem>> {
        let table = &self.tables.assignments;
        let sorts: Vec<String> = indices.iter().map(|&i| random_sort_key(i)).collect();
        let mut found: HashMap<String, AssignmentItem> = HashMap::with_capacity(sorts.len());
        for chunk in sorts.chunks(BATCH_GET_KEYS) {
            let mut keys: Vec<HashMap<String, AttributeValue>> = chunk
                .iter()
                .map(|sort| {
                    HashMap::from([
                        (
                            "Assignments".to_string(),
                            AttributeValue::N(cluster.to_string()),
                        ),
                        ("sort".to_string(), AttributeValue::S(sort.clone())),
                    ])
                })
                .collect();
            let mut retries = 0;
            loop {
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .build()
                    .map_err(|e| StoreError::Other(format!("building a BatchGetItem: {e}")))?;
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(table, request)
                    .send()
                    .await
                    .map_err(classify)?;
                for item in out
                    .responses
                    .and_then(|mut r| r.remove(table))
                    .unwrap_or_default()
                {
                    let item: AssignmentItem = decode(item)?;
                    found.insert(item.sort.clone(), item);
                }
                keys = out
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(table))
                    .map(|k| k.keys)
                    .unwrap_or_default();
                if keys.is_empty() {
                    break;
                }
                retries += 1;
                if retries > UNPROCESSED_RETRIES {
                    return Err(StoreError::Throttled(format!(
                        "BatchGetItem on {table}: {} key(s) still unprocessed after {UNPROCESSED_RETRIES} retries",
                        keys.len()
                    )));
                }
                let ceiling = UNPROCESSED_BACKOFF * 2u32.pow(retries - 1);
                let wait = rand::thread_rng().gen_range(ceiling / 2..=ceiling);
                tokio::time::sleep(wait).await;
            }
        }
        Ok(sorts.iter().filter_map(|s| found.remove(s)).collect())
    }

    /// Items of one cluster with a sort key in `[low, high]`, at most `limit`, in key order.
    async fn cluster_range(
        &self,
        cluster: u8,
        low: &str,
        high: &str,
        limit: usize,
    ) -> StoreResult<Vec<AssignmentItem>> {
        let sorts = "#s BETWEEN :lo AND :hi";
        self.query_pages(limit, |wanted| {
            self.cluster_query(cluster, sorts)
                .expression_attribute_values(":lo", AttributeValue::S(low.to_string()))
                .expression_attribute_values(":hi", AttributeValue::S(high.to_string()))
                .limit(i32::try_from(wanted).unwrap_or(i32::MAX))
        })
        .await
    }

    /// The items of a Query, page after page, decoded, at most `limit`. `page(wanted)` builds
    /// the Query of one page, knowing how many items are still wanted.
    async fn query_pages<T: serde::de::DeserializeOwned>(
        &self,
        limit: usize,
        page: impl Fn(usize) -> QueryFluentBuilder,
    ) -> StoreResult<Vec<T>> {
        let mut out = Vec::new();
        let mut start = None;
        while out.len() < limit {
            let answer = page(limit - out.len())
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(classify)?;
            for item in answer.items.unwrap_or_default() {
                out.push(decode(item)?);
            }
            match answer.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        out.truncate(limit);
        Ok(out)
    }
}

impl TrackStore for DynamoStore {
    fn titles<'a>(
        &'a self,
        table: TitleTable,
        key: TitleKey<'a>,
    ) -> StoreFuture<'a, Vec<TitleItem>> {
        let table = title_table(&self.tables, table);
        Box::pin(async move {
            match key {
                TitleKey::Exact(title) => {
                    let out = self
                        .client
                        .get_item()
                        .table_name(table)
                        .key("name", AttributeValue::S(title.to_string()))
                        .send()
                        .await
                        .map_err(classify)?;
                    out.item.map(decode).into_iter().collect()
                }
                TitleKey::Folded(folded) => {
                    self.query_pages(usize::MAX, |_| {
                        self.client
                            .query()
                            .table_name(table)
                            .index_name(INDEX_FOLDED_TITLE)
                            .key_condition_expression("#f = :f")
                            .expression_attribute_names("#f", "name_folded")
                            .expression_attribute_values(
                                ":f",
                                AttributeValue::S(folded.to_string()),
                            )
                    })
                    .await
                }
            }
        })
    }

    fn fixed(&self, cluster: u8) -> StoreFuture<'_, Vec<AssignmentItem>> {
        // "fixed#" followed by two digits; '~' sorts after every digit.
        Box::pin(async move {
            self.cluster_range(cluster, SORT_FIXED, &format!("{SORT_FIXED}~"), usize::MAX)
                .await
        })
    }

    /// `n` indices drawn uniformly below the cluster's size, fetched by key: one Query of one
    /// item for the size on a cluster's first draw, then one BatchGetItem per draw.
    fn random(&self, cluster: u8, n: usize) -> StoreFuture<'_, Vec<AssignmentItem>> {
        Box::pin(async move {
            if n == 0 {
                return Ok(Vec::new());
            }
            let size = self.cluster_size(cluster).await?;
            let indices = self.sampler.indices(size, n);
            let items = self.random_items(cluster, &indices).await?;
            if items.len() == indices.len() {
                return Ok(items);
            }
            // A drawn key has no item: the table was seeded again, with a smaller cluster, after
            // the size was read. Read the size again and draw once more.
            tracing::warn!(
                cluster,
                size,
                drawn = indices.len(),
                found = items.len(),
                "drawn random keys missing; reading the cluster's size again"
            );
            self.sizes().remove(&cluster);
            let size = self.cluster_size(cluster).await?;
            let indices = self.sampler.indices(size, n);
            self.random_items(cluster, &indices).await
        })
    }
}
