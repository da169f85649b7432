//! The API Gateway event files of `infra/events/` and the expectations recorded next to them.
//!
//! `infra/events/<family>-<case>.json` is a REST API proxy event as API Gateway sends it for
//! stage `dev`, usable as `sam local invoke <Family>Function -e <file>`;
//! `<family>-<case>.expect.json` holds the status and a few facts about the body. Facts name
//! where the expected value comes from (a SQL query on musicData.sqlite, a line of an item
//! file) rather than holding a copy of the response, so a data rebuild cannot leave them stale.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, Context, Result};
use music_http::catalog::Family;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::family_from_prefix;

pub fn events_dir() -> PathBuf {
    crate::repo_root().join("infra/events")
}

/// One event file and its expectation.
#[derive(Debug, Clone)]
pub struct EventCase {
    pub name: String,
    pub family: Family,
    pub event_path: PathBuf,
    pub event: Value,
    pub expect: Expectation,
}

/// What an `.expect.json` says. These files are written by hand and only ever read, so the
/// types are only deserialized; a field left out takes its default (none, empty).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    pub status: u16,
    /// The response's Content-Type starts with this.
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub facts: Vec<Fact>,
    /// Response headers (lower-case names) and the exact values they must have.
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
}

/// One fact about the body. `pointer` (RFC 6901, "" = the whole body) selects a part of the JSON
/// body; exactly one of the other fields says what it must be.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Fact {
    pub pointer: String,
    /// A literal (for facts the route defines, such as an error status); `null` included.
    #[serde(deserialize_with = "present_value")]
    pub equals: Option<Value>,
    /// The single value of a query on musicData.sqlite (floats compared to 1e-9 relative).
    pub equals_sql: Option<String>,
    /// An array's (or object's) length.
    pub len: Option<usize>,
    /// An array's length, as counted by a query on musicData.sqlite.
    pub len_sql: Option<String>,
    /// A value of the item (data/build/<file>) whose fields match `key`.
    pub equals_item: Option<ItemRef>,
    /// The pointer exists (true) or not (false).
    pub present: Option<bool>,
    /// The raw body text contains this (for non-JSON bodies; `pointer` unused).
    pub contains: Option<String>,
}

/// A field that is there holds a value, `null` included (serde would read `null` as absent).
fn present_value<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemRef {
    pub file: String,
    pub key: serde_json::Map<String, Value>,
    #[serde(default)]
    pub pointer: String,
}

/// Every event file with its expectation, sorted by name.
pub fn load_all(dir: &Path) -> Result<Vec<EventCase>> {
    let mut cases = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let path = entry?.path();
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        if !file.ends_with(".json") || file.ends_with(".expect.json") {
            continue;
        }
        let name = file.trim_end_matches(".json").to_string();
        let prefix = name.split('-').next().unwrap_or_default();
        let family = family_from_prefix(prefix)
            .ok_or_else(|| anyhow!("{file}: the name must start with v1-, v2-, v3- or web-"))?;
        let event = read_json(&path)?;
        let expect_path = dir.join(format!("{name}.expect.json"));
        let expect: Expectation = serde_json::from_value(read_json(&expect_path)?)
            .with_context(|| format!("reading {}", expect_path.display()))?;
        cases.push(EventCase {
            name,
            family,
            event_path: path,
            event,
            expect,
        });
    }
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(cases)
}

fn read_json(path: &Path) -> Result<Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

/// A REST API proxy event as API Gateway sends it to a function behind `resource` (the route
/// path as the template declares it) on stage `stage`. `path` is the request path without the
/// stage, percent-encoded as the client sent it; `path_parameters` are API Gateway's decoded
/// captures; `extra_headers` are added to the usual browser-like ones.
pub fn rest_api_event(
    method: &str,
    resource: &str,
    path: &str,
    query: &[(String, String)],
    path_parameters: &serde_json::Map<String, Value>,
    stage: &str,
    extra_headers: &[(String, String)],
) -> Value {
    let (single, multi_query) = if query.is_empty() {
        (Value::Null, Value::Null)
    } else {
        let mut single = serde_json::Map::new();
        let mut multi = serde_json::Map::new();
        for (k, v) in query {
            // API Gateway keeps the last value in the single-valued map.
            single.insert(k.clone(), Value::from(v.as_str()));
            if let Some(values) = multi
                .entry(k.clone())
                .or_insert_with(|| Value::Array(Vec::new()))
                .as_array_mut()
            {
                values.push(Value::from(v.as_str()));
            }
        }
        (Value::Object(single), Value::Object(multi))
    };
    let mut headers = json!({
        "Accept": "application/json, text/html;q=0.9, */*;q=0.8",
        "Accept-Encoding": "gzip, deflate, br",
        "Host": "abcdef1234.execute-api.us-west-1.amazonaws.com",
        "User-Agent": "Mozilla/5.0 (X11; Linux x86_64)",
        "X-Amzn-Trace-Id": "Root=1-67450a1b-0123456789abcdef01234567",
        "X-Forwarded-For": "198.51.100.7",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https"
    });
    if let Some(map) = headers.as_object_mut() {
        for (k, v) in extra_headers {
            map.insert(k.clone(), Value::from(v.as_str()));
        }
    }
    let multi: serde_json::Map<String, Value> = headers
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), Value::Array(vec![v.clone()])))
        .collect();
    json!({
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": multi,
        "queryStringParameters": single,
        "multiValueQueryStringParameters": multi_query,
        "pathParameters": if path_parameters.is_empty() { Value::Null } else { Value::Object(path_parameters.clone()) },
        "stageVariables": null,
        "requestContext": {
            "resourceId": "a1b2c3",
            "resourcePath": resource,
            "httpMethod": method,
            "extendedRequestId": "Bq0Ab1cdPHcEJ3g=",
            "requestTime": "25/Nov/2026:16:00:00 +0000",
            "path": format!("/{stage}{path}"),
            "accountId": "123456789012",
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": "abcdef1234",
            "requestTimeEpoch": 1795622400000_u64,
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": { "sourceIp": "198.51.100.7", "userAgent": "Mozilla/5.0 (X11; Linux x86_64)" },
            "domainName": "abcdef1234.execute-api.us-west-1.amazonaws.com",
            "apiId": "abcdef1234"
        },
        "body": null,
        "isBase64Encoded": false
    })
}

/// The route an event was sent to: (method, resource) as the template declares them.
pub fn event_route(event: &Value) -> (String, String) {
    (
        event["httpMethod"].as_str().unwrap_or_default().to_string(),
        event["resource"].as_str().unwrap_or_default().to_string(),
    )
}

/// Percent-decoding of a path segment, as API Gateway does for `pathParameters`.
pub fn percent_decode(s: &str) -> Result<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3])?;
            out.push(u8::from_str_radix(hex, 16).with_context(|| format!("bad escape %{hex}"))?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Match a concrete path against an API Gateway route path and return the captures (decoded).
pub fn match_route(route_path: &str, raw_path: &str) -> Option<serde_json::Map<String, Value>> {
    let route: Vec<&str> = route_path.split('/').collect();
    let path: Vec<&str> = raw_path.split('/').collect();
    let mut caps = serde_json::Map::new();
    for (i, seg) in route.iter().enumerate() {
        if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix("+}")) {
            let rest = path.get(i..)?.join("/");
            caps.insert(name.to_string(), Value::String(percent_decode(&rest).ok()?));
            return Some(caps);
        }
        let got = path.get(i)?;
        if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            caps.insert(name.to_string(), Value::String(percent_decode(got).ok()?));
        } else if seg != got {
            return None;
        }
    }
    (route.len() == path.len()).then_some(caps)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_match_and_decode_their_captures() {
        let caps = match_route(
            "/api/v1.0/data_by_artist_clean/{artist}",
            "/api/v1.0/data_by_artist_clean/The%20B-52's",
        )
        .unwrap();
        assert_eq!(caps["artist"], "The B-52's");
        assert!(match_route("/api/v1.0/data_by_year", "/api/v1.0/data_by_year/x").is_none());
        assert!(match_route("/api/{x}", "/other/1").is_none());
        let caps = match_route("/static/{path+}", "/static/css/a%20b.css").unwrap();
        assert_eq!(caps["path"], "css/a b.css");
        assert_eq!(percent_decode("Beyonc%C3%A9").unwrap(), "Beyoncé");
        assert_eq!(percent_decode("100%").unwrap(), "100%");
    }

    #[test]
    fn a_fact_may_expect_null() {
        let fact: Fact =
            serde_json::from_value(json!({"pointer": "/a/1", "equals": null})).unwrap();
        assert_eq!(fact.equals, Some(Value::Null));
        let fact: Fact = serde_json::from_value(json!({"pointer": "/a", "len": 2})).unwrap();
        assert_eq!(fact.equals, None);
    }

    #[test]
    fn events_keep_the_stage_out_of_the_path() {
        let ev = rest_api_event(
            "GET",
            "/api",
            "/api",
            &[],
            &serde_json::Map::new(),
            "dev",
            &[("Origin".into(), "https://a.example".into())],
        );
        assert_eq!(ev["headers"]["Origin"], "https://a.example");
        assert_eq!(ev["multiValueHeaders"]["Origin"][0], "https://a.example");
        assert_eq!(ev["path"], "/api");
        assert_eq!(ev["requestContext"]["path"], "/dev/api");
        assert_eq!(ev["requestContext"]["stage"], "dev");
        assert!(ev["pathParameters"].is_null());
        assert_eq!(event_route(&ev), ("GET".to_string(), "/api".to_string()));
    }
}
