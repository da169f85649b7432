//! `Path` and `Query` extractors whose rejections are [`ApiError::BadRequest`] (JSON), instead
//! of axum's plain-text ones. An invalid UTF-8 percent-escape, a missing or malformed parameter:
//! all are the client's mistake and get a 400 that says what was wrong.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::ApiError;

/// Declares `$name`, axum's `$axum` extractor with its rejection turned into a JSON 400 whose
/// message starts with `$what`.
macro_rules! json_rejecting {
    ($name:ident, $axum:ident, $what:literal) => {
        pub struct $name<T>(pub T);

        impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for $name<T> {
            type Rejection = ApiError;
            async fn from_request_parts(
                parts: &mut Parts,
                state: &S,
            ) -> Result<Self, Self::Rejection> {
                <axum::extract::$axum<T> as FromRequestParts<S>>::from_request_parts(parts, state)
                    .await
                    .map(|axum::extract::$axum(v)| $name(v))
                    .map_err(|e| {
                        ApiError::BadRequest(format!(concat!($what, ": {}"), e.body_text()))
                    })
            }
        }
    };
}

json_rejecting!(Path, Path, "bad path parameter");
json_rejecting!(Query, Query, "bad query string");

impl<S: Send + Sync, T: DeserializeOwned + Send> OptionalFromRequestParts<S> for Query<T> {
    type Rejection = ApiError;
    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        match parts.uri.query() {
            None | Some("") => Ok(None),
            Some(_) => <Query<T> as FromRequestParts<S>>::from_request_parts(parts, state)
                .await
                .map(Some),
        }
    }
}
