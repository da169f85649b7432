//! HTTP caching policy of the API. The data only changes with a deploy, so a deterministic answer
//! may be reused by browsers and shared caches for a while and then revalidated by `ETag`; the
//! edge ([`crate::finish`]) applies this to every 200 without the routes doing anything. A route
//! whose answer is random marks it with [`no_store`]; a route that serves the same bytes to
//! everyone can build them once as a [`StaticBody`] so the tag is not recomputed per request.

use std::hash::Hasher;

use axum::body::Bytes;
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};

/// `Cache-Control` of a deterministic answer. An hour fresh keeps a reader's session from asking
/// again; for a day after that a cache may still answer at once while it revalidates in the
/// background, which after a deploy costs one stale answer per client, then the new data.
pub const PUBLIC: &str = "public, max-age=3600, stale-while-revalidate=86400";

/// `Cache-Control` of an answer that must be fetched again every time: random picks, errors.
pub const NO_STORE: &str = "no-store";

/// Bodies above this size are passed through untagged rather than buffered to hash them (no
/// route comes near it; a streamed body has no size and is never buffered either).
pub const MAX_TAGGED_BYTES: u64 = 8 * 1024 * 1024;

/// Mark an answer as never to be cached or revalidated (a random pick must differ next time).
pub fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(NO_STORE));
    response
}

/// A strong entity tag for `bytes`: the length and a 64-bit SipHash of the content. Computed
/// from the bytes alone, so every instance of a function gives the same tag for the same answer
/// (a client revalidating against another Lambda instance still gets its 304).
pub fn etag_of(bytes: &[u8]) -> HeaderValue {
    // `DefaultHasher::new()` has fixed keys: the same bytes hash the same in every process built
    // by the same toolchain, which is all a tag needs (a new build is a new deploy).
    let mut hasher = std::hash::DefaultHasher::new();
    hasher.write(bytes);
    let tag = format!("\"{:x}-{:016x}\"", bytes.len(), hasher.finish());
    HeaderValue::from_str(&tag).expect("hex digits and quotes are a valid header value")
}

/// Whether `If-None-Match` in `request` matches `etag` (weak comparison, as RFC 9110 asks for
/// this header: `W/"x"` matches `"x"`; `*` matches any current representation).
pub fn none_match(request: &HeaderMap, etag: &HeaderValue) -> bool {
    let etag = etag.as_bytes();
    let bare = |t: &[u8]| -> Vec<u8> {
        let t = t.trim_ascii();
        t.strip_prefix(b"W/").unwrap_or(t).to_vec()
    };
    let want = bare(etag);
    request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b','))
        .any(|candidate| {
            let c = candidate.trim_ascii();
            c == b"*" || bare(c) == want
        })
}

/// A JSON body built once (at start or on first use) and served as the same bytes to every
/// request, with its tag computed once too. Cloning it shares the bytes.
#[derive(Debug, Clone)]
pub struct StaticBody {
    bytes: Bytes,
    etag: HeaderValue,
    content_type: HeaderValue,
}

impl StaticBody {
    pub fn json(bytes: impl Into<Bytes>) -> Self {
        Self::with_type(bytes, HeaderValue::from_static("application/json"))
    }

    pub fn with_type(bytes: impl Into<Bytes>, content_type: HeaderValue) -> Self {
        let bytes = bytes.into();
        StaticBody {
            etag: etag_of(&bytes),
            bytes,
            content_type,
        }
    }

    /// Serialise `value` once.
    pub fn to_json<T: serde::Serialize>(value: &T) -> serde_json::Result<Self> {
        Ok(Self::json(serde_json::to_vec(value)?))
    }

    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    pub fn etag(&self) -> &str {
        self.etag.to_str().unwrap_or_default()
    }

    /// A 200 with the bytes, the content type and the precomputed `ETag`; the edge adds
    /// `Cache-Control` and answers `If-None-Match` from that tag without hashing anything.
    pub fn response(&self) -> Response {
        (
            [
                (header::CONTENT_TYPE, self.content_type.clone()),
                (header::ETAG, self.etag.clone()),
            ],
            self.bytes.clone(),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inm(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::IF_NONE_MATCH, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn if_none_match_follows_weak_comparison() {
        let tag = etag_of(b"abc");
        let t = tag.to_str().unwrap();
        assert!(none_match(&inm(t), &tag));
        assert!(none_match(&inm(&format!("W/{t}")), &tag));
        assert!(none_match(&inm(&format!("\"a\" , {t}")), &tag));
        assert!(none_match(&inm("*"), &tag));
        assert!(!none_match(&inm("\"a\", \"b\""), &tag));
        assert!(!none_match(&HeaderMap::new(), &tag));
        // A tag is a whole token, not a prefix.
        assert!(!none_match(&inm(&t[..t.len() - 2]), &tag));
    }

    #[test]
    fn tags_depend_on_every_byte_and_are_stable() {
        assert_eq!(etag_of(b"same"), etag_of(b"same"));
        assert_ne!(etag_of(b"same"), etag_of(b"samf"));
        assert_ne!(etag_of(b""), etag_of(b"\0"));
        let t = etag_of(b"hello");
        assert!(t.to_str().unwrap().starts_with("\"5-"));
    }
}
