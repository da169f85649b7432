//! Building an SDK client.

use std::time::Duration;

use aws_config::meta::region::RegionProviderChain;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region};
use aws_sdk_dynamodb::config::Credentials;
use aws_sdk_dynamodb::Client;

/// The original deployment's region, used when neither the caller nor the AWS environment names
/// one.
pub const DEFAULT_REGION: &str = "us-west-1";

/// How long a client waits, and how often the SDK itself retries.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeouts {
    pub connect: Duration,
    /// One attempt of one call.
    pub attempt: Duration,
    /// A whole call, SDK retries included; `None`: no limit beyond the attempts'.
    pub operation: Option<Duration>,
    /// Attempts per call, the first included.
    pub max_attempts: u32,
    /// The SDK's first retry backoff; `None`: the SDK's default.
    pub initial_backoff: Option<Duration>,
}

impl Timeouts {
    /// For a call a person waits on (the v2 routes): an outage should answer 503 within about
    /// `operation` instead of holding the Lambda until API Gateway gives up, so one quick retry
    /// and an attempt limited to 60% of the budget.
    pub fn request(operation: Duration) -> Self {
        Timeouts {
            connect: Duration::from_millis(500),
            attempt: operation.mul_f64(0.6),
            operation: Some(operation),
            max_attempts: 2,
            initial_backoff: Some(Duration::from_millis(20)),
        }
    }

    /// For a batch job (the writer): slow answers are fine, giving up early is not. The job's own
    /// retry policy sits above these.
    pub fn batch() -> Self {
        Timeouts {
            connect: Duration::from_secs(2),
            attempt: Duration::from_secs(20),
            operation: None,
            max_attempts: 5,
            initial_backoff: None,
        }
    }
}

/// A DynamoDB client for `endpoint_url` (a local DynamoDB such as dynalite; `None`: AWS, or
/// `AWS_ENDPOINT_URL` as the SDK reads it) in `region` (`None`: the AWS environment, else
/// [`DEFAULT_REGION`]).
///
/// Against a local endpoint, the region comes from the environment only and the credentials,
/// when the environment has none, are dummy ones (local implementations accept any): the
/// profile and EC2 metadata lookups of the default chains can stall for seconds on a machine
/// that is not in AWS.
pub async fn client(
    endpoint_url: Option<&str>,
    region: Option<&str>,
    timeouts: &Timeouts,
) -> Client {
    let region_chain = match region {
        Some(r) => RegionProviderChain::first_try(Region::new(r.to_string())),
        None if endpoint_url.is_some() => RegionProviderChain::first_try(
            aws_config::environment::EnvironmentVariableRegionProvider::new(),
        )
        .or_else(Region::new(DEFAULT_REGION)),
        None => RegionProviderChain::default_provider().or_else(Region::new(DEFAULT_REGION)),
    };
    let mut limits = TimeoutConfig::builder()
        .connect_timeout(timeouts.connect)
        .operation_attempt_timeout(timeouts.attempt);
    if let Some(operation) = timeouts.operation {
        limits = limits.operation_timeout(operation);
    }
    let mut retry = RetryConfig::standard().with_max_attempts(timeouts.max_attempts);
    if let Some(backoff) = timeouts.initial_backoff {
        retry = retry.with_initial_backoff(backoff);
    }
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .region(region_chain)
        .timeout_config(limits.build())
        .retry_config(retry);
    if let Some(url) = endpoint_url {
        loader = loader.endpoint_url(url);
        if std::env::var_os("AWS_ACCESS_KEY_ID").is_none() {
            loader = loader.credentials_provider(Credentials::new(
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

/// HTTPS (and plain HTTP, for local endpoints) through hyper and rustls with ring's
/// cryptography, trusting the system's certificates: the same stack as the SDK's default client
/// but for the crypto library, which keeps aws-lc's C build out of every binary.
fn https_client() -> aws_sdk_dynamodb::config::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_budget_leaves_room_for_one_retry() {
        let t = Timeouts::request(Duration::from_millis(1500));
        assert_eq!(t.attempt, Duration::from_millis(900));
        assert_eq!(t.operation, Some(Duration::from_millis(1500)));
        assert_eq!(t.max_attempts, 2);
        assert_eq!(Timeouts::batch().operation, None);
    }
}
