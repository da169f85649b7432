//! The per-request work the edge does around every route, in one service so that a request pays
//! for one boxed future rather than one per concern:
//!
//! - a panic in a handler (while its future is built or polled) becomes [`ApiError::Internal`],
//!   a logged JSON 500, instead of a dropped connection locally or a 502 without CORS behind API
//!   Gateway;
//! - an optional time limit turns a handler that takes too long into a JSON 503;
//! - caching: a 200 gets a strong `ETag` (the handler's own, else one hashed from the body) and
//!   `Cache-Control: public, ...`, and `If-None-Match` is answered with 304; anything else, or an
//!   answer marked `no-store`, is `no-store`.
//!
//! `HEAD` is passed to the routes as `GET` and the body dropped here, so that a `HEAD` carries the
//! very tag and length of the `GET` (axum would otherwise hand back an already emptied body).

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, HttpBody};
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use tower::{Layer, Service};

use crate::cache::{self, NO_STORE, PUBLIC};
use crate::ApiError;

/// Options of the edge that differ between where a router runs.
#[derive(Debug, Clone, Default)]
pub struct EdgeOptions {
    /// Answer 503 when a handler has not finished after this long. `None` in a Lambda, whose own
    /// timeout ends the invocation; the local server sets one.
    pub request_timeout: Option<Duration>,
}

#[derive(Debug, Clone)]
pub(crate) struct EdgeLayer {
    pub(crate) options: EdgeOptions,
}

impl<S> Layer<S> for EdgeLayer {
    type Service = Edge<S>;
    fn layer(&self, inner: S) -> Edge<S> {
        Edge {
            inner,
            timeout: self.options.request_timeout,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Edge<S> {
    inner: S,
    timeout: Option<Duration>,
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(a panic without a message)")
}

fn panicked(panic: Box<dyn std::any::Any + Send>) -> Response {
    ApiError::Internal(format!("a handler panicked: {}", panic_message(&*panic))).into_response()
}

impl<S> Service<Request> for Edge<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let method = request.method().clone();
        let head = method == Method::HEAD;
        if head {
            *request.method_mut() = Method::GET;
        }
        let readable = head || method == Method::GET;
        let conditions = if readable {
            let mut h = HeaderMap::new();
            for v in request.headers().get_all(header::IF_NONE_MATCH) {
                h.append(header::IF_NONE_MATCH, v.clone());
            }
            h
        } else {
            HeaderMap::new()
        };
        // The service that was polled ready handles this request; a fresh clone waits for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let timeout = self.timeout;
        let started = std::panic::catch_unwind(AssertUnwindSafe(move || inner.call(request)));
        Box::pin(async move {
            let response = match started {
                Err(panic) => panicked(panic),
                Ok(future) => {
                    let mut future = std::pin::pin!(future);
                    let guarded = std::future::poll_fn(move |cx| {
                        match std::panic::catch_unwind(AssertUnwindSafe(|| {
                            future.as_mut().poll(cx)
                        })) {
                            Ok(Poll::Ready(Ok(response))) => Poll::Ready(response),
                            Ok(Poll::Ready(Err(never))) => match never {},
                            Ok(Poll::Pending) => Poll::Pending,
                            Err(panic) => Poll::Ready(panicked(panic)),
                        }
                    });
                    match timeout {
                        None => guarded.await,
                        Some(limit) => match tokio::time::timeout(limit, guarded).await {
                            Ok(response) => response,
                            Err(_) => {
                                tracing::warn!(?limit, "a request ran over its time limit");
                                ApiError::Unavailable {
                                    message: format!(
                                        "the server did not finish this request within {} ms; retry later",
                                        limit.as_millis()
                                    ),
                                    retry_after_secs: 1,
                                }
                                .into_response()
                            }
                        },
                    }
                }
            };
            Ok(if readable {
                cacheable(response, head, &conditions).await
            } else {
                with_default_cache(response, NO_STORE)
            })
        })
    }
}

fn with_default_cache(mut response: Response, value: &'static str) -> Response {
    response
        .headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static(value));
    response
}

fn is_no_store(response: &Response) -> bool {
    response
        .headers()
        .get_all(header::CACHE_CONTROL)
        .iter()
        .any(|v| {
            v.to_str().is_ok_and(|v| {
                v.split(',')
                    .any(|d| d.trim().eq_ignore_ascii_case("no-store"))
            })
        })
}

/// Drops the body of a `HEAD` answer, keeping the length the `GET` would have had.
fn headless(mut response: Response, length: Option<u64>) -> Response {
    if let Some(n) = length {
        response
            .headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from(n));
    }
    *response.body_mut() = Body::empty();
    response
}

async fn cacheable(response: Response, head: bool, conditions: &HeaderMap) -> Response {
    let exact = response.body().size_hint().exact();
    if response.status() == StatusCode::NOT_MODIFIED {
        return response;
    }
    if response.status() != StatusCode::OK || is_no_store(&response) {
        let response = with_default_cache(response, NO_STORE);
        return if head {
            headless(response, exact)
        } else {
            response
        };
    }
    let (mut parts, body) = response.into_parts();
    let (etag, body, length) = match parts.headers.get(header::ETAG).cloned() {
        Some(etag) => (Some(etag), body, exact),
        None if exact.is_some_and(|n| n <= cache::MAX_TAGGED_BYTES) => {
            match axum::body::to_bytes(body, cache::MAX_TAGGED_BYTES as usize).await {
                Ok(bytes) => {
                    let n = bytes.len() as u64;
                    (Some(cache::etag_of(&bytes)), Body::from(bytes), Some(n))
                }
                Err(e) => {
                    return ApiError::Internal(format!("reading a response body: {e}"))
                        .into_response()
                }
            }
        }
        None => (None, body, exact),
    };
    parts
        .headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static(PUBLIC));
    if let Some(etag) = etag {
        if cache::none_match(conditions, &etag) {
            let mut not_modified = StatusCode::NOT_MODIFIED.into_response();
            let headers = not_modified.headers_mut();
            for name in [
                header::CACHE_CONTROL,
                header::VARY,
                header::CONTENT_LOCATION,
                header::EXPIRES,
                header::X_CONTENT_TYPE_OPTIONS,
            ] {
                for v in parts.headers.get_all(&name) {
                    headers.append(name.clone(), v.clone());
                }
            }
            headers.insert(header::ETAG, etag);
            return not_modified;
        }
        parts.headers.insert(header::ETAG, etag);
    }
    let response = Response::from_parts(parts, body);
    if head {
        headless(response, length)
    } else {
        response
    }
}
