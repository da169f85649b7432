//! Checking a function's answer to an event file of `infra/events/` against the expectation
//! next to it. One implementation for every way the event reaches a function: the handler in
//! process (`tests/events_through_handlers.rs`) and the built arm64 binary in a container
//! (`infra-sam-check events`, through `sam local start-lambda`).
//!
//! Expected values that name their source (`equals_sql`, `len_sql`, `equals_item`) are read
//! from the data directory given (normally `data/build/`), so the check follows the data.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{anyhow, Context, Result};
use base64::Engine;
use music_http::catalog::Family;
use serde_json::Value;

use crate::events::{EventCase, Fact};

/// What API Gateway gets back from a function: status, headers, body (decoded if base64).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    /// Lower-case header names; several values joined by ", ".
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl Answer {
    /// From the JSON a function returns for a REST API proxy event (`statusCode`, `headers`,
    /// `multiValueHeaders`, `body`, `isBase64Encoded`).
    pub fn from_proxy_response(payload: &Value) -> Result<Answer> {
        let status = payload["statusCode"]
            .as_u64()
            .and_then(|s| u16::try_from(s).ok())
            .ok_or_else(|| {
                anyhow!(
                    "no statusCode in the function's answer: {}",
                    excerpt(payload)
                )
            })?;
        let mut headers = BTreeMap::new();
        for (name, value) in payload["headers"].as_object().into_iter().flatten() {
            add_header(&mut headers, name, value.as_str());
        }
        let multi = payload["multiValueHeaders"].as_object();
        for (name, values) in multi.into_iter().flatten() {
            let values = values.as_array().into_iter().flatten();
            add_header(&mut headers, name, values.filter_map(Value::as_str));
        }
        let body = match payload["body"].as_str() {
            None => Vec::new(),
            Some(b) if payload["isBase64Encoded"] == true => {
                base64::engine::general_purpose::STANDARD
                    .decode(b)
                    .context("the body is marked base64 but does not decode")?
            }
            Some(b) => b.as_bytes().to_vec(),
        };
        Ok(Answer::new(status, headers, body))
    }

    /// From an answer over HTTP (`sam local start-api`), its headers folded as a proxy
    /// response's are. A body that breaks off counts as empty, which the checks then report.
    pub async fn from_http(response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let mut headers = BTreeMap::new();
        for name in response.headers().keys() {
            let values = response.headers().get_all(name).iter();
            add_header(
                &mut headers,
                name.as_str(),
                values.filter_map(|v| v.to_str().ok()),
            );
        }
        let body = response.bytes().await.unwrap_or_default();
        Answer::new(status, headers, body.to_vec())
    }

    fn new(status: u16, headers: BTreeMap<String, String>, body: Vec<u8>) -> Answer {
        let content_type = headers.get("content-type").cloned().unwrap_or_default();
        Answer {
            status,
            content_type,
            headers,
            body,
        }
    }

    /// The start of the body as text, for messages.
    pub fn body_excerpt(&self, chars: usize) -> String {
        String::from_utf8_lossy(&self.body)
            .chars()
            .take(chars)
            .collect()
    }
}

/// One header under its lower-case name, several values joined by ", " (as HTTP allows a
/// repeated header to be combined); a header without a text value is left out.
fn add_header<'a>(
    headers: &mut BTreeMap<String, String>,
    name: &str,
    values: impl IntoIterator<Item = &'a str>,
) {
    let values: Vec<&str> = values.into_iter().collect();
    if !values.is_empty() {
        headers.insert(name.to_ascii_lowercase(), values.join(", "));
    }
}

fn excerpt(v: &Value) -> String {
    v.to_string().chars().take(300).collect()
}

/// Where facts find their expected values.
#[derive(Debug, Clone)]
pub struct DataSources<'a> {
    /// The directory of `musicData.sqlite` and the item files.
    pub data_dir: &'a Path,
}

impl DataSources<'_> {
    /// The single value of a query on musicData.sqlite.
    pub fn sql_value(&self, sql: &str) -> Result<Value> {
        let conn = rusqlite::Connection::open_with_flags(
            self.data_dir.join("musicData.sqlite"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .context("opening musicData.sqlite")?;
        conn.query_row(sql, [], |row| {
            Ok(match row.get_ref(0)? {
                rusqlite::types::ValueRef::Null => Value::Null,
                rusqlite::types::ValueRef::Integer(i) => Value::from(i),
                rusqlite::types::ValueRef::Real(f) => Value::from(f),
                rusqlite::types::ValueRef::Text(t) => {
                    Value::from(String::from_utf8_lossy(t).into_owned())
                }
                rusqlite::types::ValueRef::Blob(_) => Value::Null,
            })
        })
        .with_context(|| format!("query {sql}"))
    }

    /// A value (at `pointer`) of the first item of `file` whose fields match `key`.
    pub fn item_value(
        &self,
        file: &str,
        key: &serde_json::Map<String, Value>,
        pointer: &str,
    ) -> Result<Value> {
        let text = std::fs::read_to_string(self.data_dir.join(file))
            .with_context(|| format!("reading {file}"))?;
        for line in text.lines() {
            let item: Value =
                serde_json::from_str(line).with_context(|| format!("a line of {file}"))?;
            if key.iter().all(|(k, v)| item.get(k) == Some(v)) {
                return item
                    .pointer(pointer)
                    .cloned()
                    .ok_or_else(|| anyhow!("{file}: no {pointer} in the item with {key:?}"));
            }
        }
        Err(anyhow!("no item in {file} with {key:?}"))
    }
}

/// Equal, with floats compared to 1e-9 relative.
pub fn same(a: &Value, b: &Value) -> bool {
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) if a.is_f64() || b.is_f64() => {
            (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0)
        }
        _ => a == b,
    }
}

fn len_of(v: Option<&Value>) -> Option<usize> {
    match v {
        Some(Value::Array(a)) => Some(a.len()),
        Some(Value::Object(o)) => Some(o.len()),
        _ => None,
    }
}

/// One fact about a body (`json` is the body parsed, when it is JSON).
pub fn check_fact(
    fact: &Fact,
    body: &[u8],
    json: Option<&Value>,
    data: &DataSources,
) -> Result<(), String> {
    let at = json.and_then(|j| j.pointer(&fact.pointer));
    let p = &fact.pointer;
    if let Some(needle) = &fact.contains {
        let text = String::from_utf8_lossy(body);
        return if text.contains(needle.as_str()) {
            Ok(())
        } else {
            Err(format!("body does not contain {needle:?}"))
        };
    }
    if let Some(present) = fact.present {
        return if at.is_some() == present {
            Ok(())
        } else {
            Err(format!("{p}: present={} expected {present}", at.is_some()))
        };
    }
    let expected = if let Some(v) = &fact.equals {
        v.clone()
    } else if let Some(sql) = &fact.equals_sql {
        data.sql_value(sql).map_err(|e| format!("{e:#}"))?
    } else if let Some(item) = &fact.equals_item {
        data.item_value(&item.file, &item.key, &item.pointer)
            .map_err(|e| format!("{e:#}"))?
    } else if let Some(n) = fact.len {
        return if len_of(at) == Some(n) {
            Ok(())
        } else {
            Err(format!("{p}: length {:?}, expected {n}", len_of(at)))
        };
    } else if let Some(sql) = &fact.len_sql {
        let n = data
            .sql_value(sql)
            .map_err(|e| format!("{e:#}"))?
            .as_u64()
            .map(|n| n as usize);
        return if len_of(at) == n {
            Ok(())
        } else {
            Err(format!(
                "{p}: length {:?}, expected {n:?} ({sql})",
                len_of(at)
            ))
        };
    } else {
        return Err(format!("{p}: a fact that states nothing"));
    };
    match at {
        Some(got) if same(got, &expected) => Ok(()),
        got => Err(format!("{p}: got {got:?}, expected {expected}")),
    }
}

/// An error body with `status` repeated in it: this project's form, `{"error": "...", "status":
/// 404}`, or Spotify's, `{"error": {"status": 404, "message": "..."}}`.
pub fn is_error_body(body: &Value, status: u16) -> bool {
    let flat = body["status"] == status && body["error"].is_string();
    let spotify = body["error"]["status"] == status && body["error"]["message"].is_string();
    flat || spotify
}

/// Everything the expectation of `case` says about `answer`, plus the rules every answer
/// follows (the JSON error shape of API errors, nosniff, a caching policy, API errors never
/// cached). One line per problem, each naming the case.
pub fn check_answer(case: &EventCase, answer: &Answer, data: &DataSources) -> Vec<String> {
    let mut problems = Vec::new();
    let name = &case.name;
    let json: Option<Value> = serde_json::from_slice(&answer.body).ok();
    if answer.status != case.expect.status {
        problems.push(format!(
            "{name}: status {} expected {} (body {})",
            answer.status,
            case.expect.status,
            answer.body_excerpt(200)
        ));
    }
    if let Some(ct) = &case.expect.content_type {
        if !answer.content_type.starts_with(ct.as_str()) {
            problems.push(format!(
                "{name}: content-type {:?} expected {ct:?}",
                answer.content_type
            ));
        }
    }
    // API errors are always a JSON error shape with the status repeated (the website may
    // answer a browser with an HTML error page): this project's `{"error", "status"}`, or on the
    // Spotify-shaped v3 routes Spotify's `{"error": {"status", "message"}}` (their expectations
    // pin which, with a fact on /error/status).
    if answer.status >= 400
        && (case.family != Family::Web || answer.content_type.starts_with("application/json"))
        && !json
            .as_ref()
            .is_some_and(|j| is_error_body(j, answer.status))
    {
        problems.push(format!(
            "{name}: error body is neither {{\"error\", \"status\"}} nor Spotify's {{\"error\": {{\"status\", \"message\"}}}}"
        ));
    }
    for fact in &case.expect.facts {
        if let Err(e) = check_fact(fact, &answer.body, json.as_ref(), data) {
            problems.push(format!("{name}: {e}"));
        }
    }
    for (header, expected) in &case.expect.headers {
        match answer.headers.get(header) {
            Some(got) if got == expected => {}
            got => problems.push(format!(
                "{name}: header {header} is {got:?}, expected {expected:?}"
            )),
        }
    }
    // Whatever the route and the outcome: nosniff, and a caching policy.
    if answer
        .headers
        .get("x-content-type-options")
        .map(String::as_str)
        != Some("nosniff")
    {
        problems.push(format!("{name}: no X-Content-Type-Options: nosniff"));
    }
    if !answer.headers.contains_key("cache-control") {
        problems.push(format!("{name}: no Cache-Control"));
    }
    if answer.status >= 400
        && answer.headers.get("cache-control").map(String::as_str) != Some("no-store")
        && case.family != Family::Web
    {
        problems.push(format!("{name}: an API error must be no-store"));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn proxy_responses_decode_headers_and_base64_bodies() {
        let answer = Answer::from_proxy_response(&json!({
            "statusCode": 200,
            "headers": {"Content-Type": "image/png"},
            "multiValueHeaders": {"Vary": ["Origin", "Accept-Encoding"]},
            "body": "iVBORw==",
            "isBase64Encoded": true
        }))
        .unwrap();
        assert_eq!(answer.status, 200);
        assert_eq!(answer.content_type, "image/png");
        assert_eq!(answer.headers["vary"], "Origin, Accept-Encoding");
        assert_eq!(answer.body, b"\x89PNG");
        assert!(Answer::from_proxy_response(&json!({"errorMessage": "boom"})).is_err());
    }

    #[test]
    fn error_bodies_repeat_their_status_in_either_form() {
        assert!(is_error_body(
            &json!({"error": "no track", "status": 404}),
            404
        ));
        assert!(is_error_body(
            &json!({"error": {"status": 400, "message": "at most 5 seeds"}}),
            400
        ));
        assert!(!is_error_body(
            &json!({"error": "no track", "status": 404}),
            400
        ));
        assert!(!is_error_body(
            &json!({"error": {"status": 404, "message": "x"}}),
            400
        ));
        assert!(!is_error_body(&json!({"error": {"status": 400}}), 400));
        assert!(!is_error_body(&json!({"message": "x", "status": 400}), 400));
    }

    #[test]
    fn facts_fail_when_the_body_disagrees() {
        let data = DataSources {
            data_dir: Path::new("/nonexistent"),
        };
        let body = br#"{"a": [1, 2, 3], "f": 0.1}"#;
        let json: Value = serde_json::from_slice(body).unwrap();
        let fact = |f: Fact| check_fact(&f, body, Some(&json), &data);
        assert!(fact(Fact {
            pointer: "/a".into(),
            len: Some(3),
            ..Fact::default()
        })
        .is_ok());
        assert!(fact(Fact {
            pointer: "/a".into(),
            len: Some(2),
            ..Fact::default()
        })
        .is_err());
        assert!(fact(Fact {
            pointer: "/f".into(),
            equals: Some(json!(0.1 + 1e-12)),
            ..Fact::default()
        })
        .is_ok());
        assert!(fact(Fact {
            pointer: "/a/0".into(),
            equals: Some(json!(2)),
            ..Fact::default()
        })
        .is_err());
        assert!(fact(Fact {
            pointer: "/b".into(),
            present: Some(true),
            ..Fact::default()
        })
        .is_err());
        // A source that cannot be read is a failure, not a pass.
        assert!(fact(Fact {
            pointer: "/a/0".into(),
            equals_sql: Some("SELECT 1".into()),
            ..Fact::default()
        })
        .is_err());
        assert!(fact(Fact::default()).is_err());
    }
}
