//! What an SDK failure means for the caller.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

/// An SDK failure sorted by what can be done about it. The v2 routes turn it into a status
/// (503 with `Retry-After`, or 500); the writer into "back off and retry" or "stop".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The call ran out of time (the SDK's limit, or a connection that timed out).
    Timeout,
    /// No usable answer: the connection failed, or the response could not be read.
    Unreachable,
    /// DynamoDB refused for throughput (`ThrottlingException` and its kin).
    Throttled,
    /// DynamoDB said it failed itself (`InternalServerError`, `ServiceUnavailable`).
    ServiceDown,
    /// The table or index does not exist (`ResourceNotFoundException`).
    MissingTable,
    /// Anything else (access denied, validation, a request that could not be built): no retry
    /// cures it.
    Other,
}

impl Failure {
    pub fn of<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> Failure {
        match err {
            SdkError::TimeoutError(_) => Failure::Timeout,
            SdkError::DispatchFailure(d) if d.is_timeout() => Failure::Timeout,
            SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => Failure::Unreachable,
            SdkError::ServiceError(service) => match service.err().code() {
                Some(
                    "ProvisionedThroughputExceededException"
                    | "ThrottlingException"
                    | "RequestLimitExceeded",
                ) => Failure::Throttled,
                Some("InternalServerError" | "ServiceUnavailable") => Failure::ServiceDown,
                Some("ResourceNotFoundException") => Failure::MissingTable,
                _ => Failure::Other,
            },
            _ => Failure::Other,
        }
    }

    /// Whether the same call may succeed if sent again after a wait.
    pub fn is_transient(self) -> bool {
        matches!(
            self,
            Failure::Timeout | Failure::Unreachable | Failure::Throttled | Failure::ServiceDown
        )
    }
}
