use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Every way a request can fail, mapped to HTTP in exactly one place ([`IntoResponse`] below).
/// Client mistakes are 4xx; a backend that is down is 503 with a retry hint; 500 is reserved
/// for bugs, logged, and its detail is never sent to the client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error("method {} is not allowed here; this API is read-only (GET)", shown(.0))]
    MethodNotAllowed(String),
    #[error("{message}")]
    Unavailable {
        message: String,
        retry_after_secs: u32,
    },
    #[error("internal error: {0}")]
    Internal(String),
}

/// The most characters of a client's input an error message repeats: enough to recognise it,
/// never a 64 KB path reflected back.
pub const MAX_ECHO_CHARS: usize = 100;

/// An error message is cut to this many characters whatever produced it (a safety net behind
/// [`shown`], for messages built without it).
pub const MAX_MESSAGE_CHARS: usize = 300;

fn prefix(input: &str, max_chars: usize) -> String {
    match input.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &input[..cut]),
        None => input.to_string(),
    }
}

/// At most [`MAX_ECHO_CHARS`] of `input`, with `…` when cut: what an error message may echo of
/// a path segment, a query value or a method.
pub fn shown(input: &str) -> String {
    prefix(input, MAX_ECHO_CHARS)
}

/// The error body of every route but the Spotify-shaped ones.
#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Error))]
pub struct ErrorBody<'a> {
    pub error: &'a str,
    pub status: u16,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The status and what the client is told: 500s are logged here and their detail withheld.
    fn public(&self) -> (StatusCode, String) {
        let message = match self {
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                "internal error".to_string()
            }
            ApiError::Unavailable { message, .. } => {
                tracing::warn!(%message, "backend unavailable");
                message.clone()
            }
            other => other.to_string(),
        };
        (self.status(), prefix(&message, MAX_MESSAGE_CHARS))
    }

    fn respond(self, status: StatusCode, body: Vec<u8>) -> Response {
        let mut response = (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            body,
        )
            .into_response();
        if let ApiError::Unavailable {
            retry_after_secs, ..
        } = self
        {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        if status == StatusCode::METHOD_NOT_ALLOWED {
            response.headers_mut().insert(
                header::ALLOW,
                HeaderValue::from_static("GET, HEAD, OPTIONS"),
            );
        }
        response
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = self.public();
        let body = serde_json::to_vec(&ErrorBody {
            error: &message,
            status: status.as_u16(),
        })
        .unwrap_or_else(|_| br#"{"error":"internal error","status":500}"#.to_vec());
        self.respond(status, body)
    }
}

/// An [`ApiError`] in the form Spotify's Web API gives errors, `{"error": {"status": 400,
/// "message": "..."}}`, for the routes shaped like Spotify's: its clients (spotipy) read
/// `error.message` and fail on this API's usual flat body.
#[derive(Debug)]
pub struct SpotifyError(pub ApiError);

impl From<ApiError> for SpotifyError {
    fn from(e: ApiError) -> Self {
        SpotifyError(e)
    }
}

/// Spotify's error form, for the routes shaped like Spotify's.
#[derive(Serialize)]
#[cfg_attr(
    feature = "openapi",
    derive(utoipa::ToSchema),
    schema(
        as = SpotifyError,
        examples(json!({"error": {"status": 400, "message": "at most 5 seeds in all (seed_tracks, seed_artists and seed_genres together; got 6)"}}))
    )
)]
pub struct SpotifyErrorBody<'a> {
    pub error: SpotifyErrorInner<'a>,
}

#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpotifyErrorInner<'a> {
    pub status: u16,
    pub message: &'a str,
}

impl IntoResponse for SpotifyError {
    fn into_response(self) -> Response {
        let (status, message) = self.0.public();
        let body = serde_json::to_vec(&SpotifyErrorBody {
            error: SpotifyErrorInner {
                status: status.as_u16(),
                message: &message,
            },
        })
        .unwrap_or_else(|_| br#"{"error":{"status":500,"message":"internal error"}}"#.to_vec());
        self.0.respond(status, body)
    }
}
