//! `Path` and `Query` extractors whose rejections are [`ApiError::BadRequest`] (JSON), instead
//! of axum's plain-text ones. An invalid UTF-8 percent-escape, a missing or malformed parameter:
//! all are the client's mistake and get a 400 that says what was wrong.

use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::ApiError;

pub struct Path<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        <axum::extract::Path<T> as FromRequestParts<S>>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| Path(v))
            .map_err(|e| ApiError::BadRequest(format!("bad path parameter: {}", e.body_text())))
    }
}

pub struct Query<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        <axum::extract::Query<T> as FromRequestParts<S>>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(v)| Query(v))
            .map_err(|e| ApiError::BadRequest(format!("bad query string: {}", e.body_text())))
    }
}

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
