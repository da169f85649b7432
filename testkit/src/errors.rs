//! The error contract of every family's routes (music_http writes it; only the v3 routes shaped
//! like Spotify's answer in Spotify's form): the status, and a JSON body `{"error": <a message>,
//! "status": <the status again>}`, so a client parses every error the same way. Checked here once
//! for the tests of every family.

use axum::Router;
use http::StatusCode;

use crate::Reply;

/// `reply` is a JSON error of `status`; `what` (the request, say) names it in the messages,
/// cut to 120 characters, as the start of a body is shown.
pub fn assert_json_error(reply: &Reply, status: StatusCode, what: &str) {
    assert_eq!(reply.status, status, "{what:.120}: {:.300}", reply.text());
    assert_eq!(reply.content_type(), "application/json", "{what:.120}");
    let body = reply.json();
    assert_eq!(body["status"], status.as_u16(), "{what:.120}: {body}");
    assert!(
        body["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{what:.120}: {body}"
    );
}

/// Each of `uris`, asked with GET in process, answers a JSON error of `status`.
pub async fn assert_json_errors<S: AsRef<str>>(
    app: &Router,
    status: StatusCode,
    uris: impl IntoIterator<Item = S>,
) {
    for uri in uris {
        let uri = uri.as_ref();
        assert_json_error(&crate::get(app, uri).await, status, uri);
    }
}
