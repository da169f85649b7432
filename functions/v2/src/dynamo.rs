//! The DynamoDB implementation of [`TrackStore`]. One SDK client per process (it pools
//! connections), with short timeouts so that an outage answers 503 in about a second instead of
//! holding the Lambda until API Gateway gives up.

use std::collections::HashMap;
use std::time::Duration;

use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use music_shared::items::{AssignmentItem, TitleItem, INDEX_FOLDED_TITLE, SORT_FIXED, SORT_RANDOM};
use music_shared::store::{
    random_sort_key, BoxFuture, StoreError, StoreResult, TableNames, TitleTable, TrackStore,
    RANDOM_KEY_END,
};

/// The original deployment's region.
pub const DEFAULT_REGION: &str = "us-west-1";

/// Where and what to read.
#[derive(Debug, Clone, Default)]
pub struct DynamoConfig {
    /// A local DynamoDB (dynalite, DynamoDB Local); `None` means AWS (or `AWS_ENDPOINT_URL`).
    pub endpoint_url: Option<String>,
    /// `None`: the usual AWS region chain (`AWS_REGION`, profile), else [`DEFAULT_REGION`].
    pub region: Option<String>,
    pub tables: TableNames,
    /// Whole-call budget including SDK retries; `None` = 1.5 s.
    pub operation_timeout: Option<Duration>,
}

/// Build a DynamoDB client. Against a local endpoint with no credentials in the environment it
/// uses dummy ones (local DynamoDB implementations accept any), so that the provider chain does
/// not wait on the EC2 metadata service.
pub async fn client(
    endpoint_url: Option<&str>,
    region: Option<&str>,
    operation_timeout: Duration,
) -> Client {
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
        .connect_timeout(Duration::from_millis(500))
        .operation_attempt_timeout(operation_timeout.mul_f64(0.6))
        .operation_timeout(operation_timeout)
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .region(region_chain)
        .timeout_config(timeouts)
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(2)
                .with_initial_backoff(Duration::from_millis(20)),
        );
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

/// Map an SDK failure to what the client of our API can do about it.
pub fn classify<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let detail = DisplayErrorContext(&err).to_string();
    match &err {
        SdkError::TimeoutError(_) => StoreError::Timeout(detail),
        SdkError::DispatchFailure(d) if d.is_timeout() => StoreError::Timeout(detail),
        SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            StoreError::Unavailable(detail)
        }
        SdkError::ServiceError(service) => match service.err().code() {
            Some(
                "ProvisionedThroughputExceededException"
                | "ThrottlingException"
                | "RequestLimitExceeded",
            ) => StoreError::Throttled(detail),
            Some("InternalServerError" | "ServiceUnavailable" | "ResourceNotFoundException") => {
                StoreError::Unavailable(detail)
            }
            _ => StoreError::Other(detail),
        },
        _ => StoreError::Other(detail),
    }
}

fn decode<T: serde::de::DeserializeOwned>(item: HashMap<String, AttributeValue>) -> StoreResult<T> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Other(format!("malformed item: {e}")))
}

pub struct DynamoStore {
    client: Client,
    tables: TableNames,
}

impl DynamoStore {
    pub fn new(client: Client, tables: TableNames) -> Self {
        DynamoStore { client, tables }
    }

    pub async fn connect(config: &DynamoConfig) -> Self {
        let timeout = config
            .operation_timeout
            .unwrap_or(Duration::from_millis(1500));
        let client = client(
            config.endpoint_url.as_deref(),
            config.region.as_deref(),
            timeout,
        )
        .await;
        DynamoStore::new(client, config.tables.clone())
    }

    /// Items of one cluster with a sort key in `[low, high]`, at most `limit`, in key order.
    async fn cluster_range(
        &self,
        cluster: u8,
        low: &str,
        high: &str,
        limit: usize,
    ) -> StoreResult<Vec<AssignmentItem>> {
        let mut out = Vec::new();
        let mut start = None;
        while out.len() < limit {
            let page = self
                .client
                .query()
                .table_name(&self.tables.assignments)
                .key_condition_expression("#p = :p AND #s BETWEEN :lo AND :hi")
                .expression_attribute_names("#p", "Assignments")
                .expression_attribute_names("#s", "sort")
                .expression_attribute_values(":p", AttributeValue::N(cluster.to_string()))
                .expression_attribute_values(":lo", AttributeValue::S(low.to_string()))
                .expression_attribute_values(":hi", AttributeValue::S(high.to_string()))
                .limit(i32::try_from(limit - out.len()).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(classify)?;
            for item in page.items.unwrap_or_default() {
                out.push(decode(item)?);
            }
            match page.last_evaluated_key {
                Some(key) if !key.is_empty() => start = Some(key),
                _ => break,
            }
        }
        out.truncate(limit);
        Ok(out)
    }
}

impl TrackStore for DynamoStore {
    fn title<'a>(
        &'a self,
        table: TitleTable,
        title: &'a str,
    ) -> BoxFuture<'a, StoreResult<Option<TitleItem>>> {
        Box::pin(async move {
            let out = self
                .client
                .get_item()
                .table_name(self.tables.title_table(table))
                .key("name", AttributeValue::S(title.to_string()))
                .send()
                .await
                .map_err(classify)?;
            out.item.map(decode).transpose()
        })
    }

    fn titles_by_folded<'a>(
        &'a self,
        table: TitleTable,
        folded: &'a str,
    ) -> BoxFuture<'a, StoreResult<Vec<TitleItem>>> {
        Box::pin(async move {
            let mut out = Vec::new();
            let mut start = None;
            loop {
                let page = self
                    .client
                    .query()
                    .table_name(self.tables.title_table(table))
                    .index_name(INDEX_FOLDED_TITLE)
                    .key_condition_expression("#f = :f")
                    .expression_attribute_names("#f", "name_folded")
                    .expression_attribute_values(":f", AttributeValue::S(folded.to_string()))
                    .set_exclusive_start_key(start.take())
                    .send()
                    .await
                    .map_err(classify)?;
                for item in page.items.unwrap_or_default() {
                    out.push(decode(item)?);
                }
                match page.last_evaluated_key {
                    Some(key) if !key.is_empty() => start = Some(key),
                    _ => return Ok(out),
                }
            }
        })
    }

    fn fixed(&self, cluster: u8) -> BoxFuture<'_, StoreResult<Vec<AssignmentItem>>> {
        // "fixed#" followed by two digits; '~' sorts after every digit.
        Box::pin(async move {
            self.cluster_range(cluster, SORT_FIXED, &format!("{SORT_FIXED}~"), usize::MAX)
                .await
        })
    }

    fn random(&self, cluster: u8, n: usize) -> BoxFuture<'_, StoreResult<Vec<AssignmentItem>>> {
        Box::pin(async move {
            let start = random_sort_key();
            let mut out = self
                .cluster_range(cluster, &start, RANDOM_KEY_END, n)
                .await?;
            if out.len() < n {
                // Wrap around: from the first random key up to the start point. BETWEEN is
                // inclusive, so an item exactly at `start` could come twice; drop it.
                let wrapped = self
                    .cluster_range(cluster, SORT_RANDOM, &start, n - out.len())
                    .await?;
                out.extend(wrapped.into_iter().filter(|i| i.sort != start));
            }
            Ok(out)
        })
    }
}
