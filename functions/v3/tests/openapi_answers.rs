//! The OpenAPI document against what the handlers really answer: real answers of every v3 route
//! (every method, seed kind and hit kind, and errors) are checked against the schemas derived
//! from the answer types, property by property, both ways: a field the handler serializes that
//! the schema lacks fails, and so does a documented field that no answer ever carries.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use axum::http::StatusCode;
use common::get;
use music_http::catalog::{self, Family};
use serde_json::{Map, Value};

/// Besides each catalogue example: the other methods, seed kinds, an artist hit, a missing id.
const MORE: &[&str] = &[
    "/api/v3/tracks/4BP3uh0hFLFRb5cjsgLqDh/recommendations?n=5&method=cluster",
    "/api/v3/tracks/4BP3uh0hFLFRb5cjsgLqDh/recommendations?n=5&method=nearest",
    "/api/v3/tracks/4BP3uh0hFLFRb5cjsgLqDh/recommendations?n=5&method=random",
    "/api/v3/tracks/4BP3uh0hFLFRb5cjsgLqDh/recommendations?n=5&scope=all",
    "/api/v3/search?q=queen&limit=20",
    "/api/v3/search?q=creedence",
    "/api/v3/recommendations?seed_artists=3IYUhFvPQItj6xySrBmZkd&seed_genres=rock&limit=5",
    "/api/v3/audio-features?ids=4BP3uh0hFLFRb5cjsgLqDh,0000000000000000000000",
    "/api/v3/clusters/0",
];

/// Requests that fail, each checked against its documented error response.
const ERRORS: &[&str] = &[
    "/api/v3/search?q=",
    "/api/v3/tracks/0000000000000000000000",
    "/api/v3/tracks/4BP3uh0hFLFRb5cjsgLqDh/recommendations?method=best",
    "/api/v3/clusters/99",
    "/api/v3/recommendations?limit=5",
    "/api/v3/audio-features/0000000000000000000000",
    "/api/v3/artists/0000000000000000000000/related-artists",
];

/// Documented properties of each object schema reached, and those some answer carried.
#[derive(Default)]
struct Seen(BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)>);

struct Checker<'a> {
    doc: &'a Value,
    seen: Seen,
}

async fn document() -> Value {
    let (status, doc) = get("/api/v3/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    doc
}

impl<'a> Checker<'a> {
    fn new(doc: &'a Value) -> Self {
        Checker {
            doc,
            seen: Seen::default(),
        }
    }

    fn resolve<'s>(&'s self, schema: &'s Value) -> (&'s Value, Option<&'s str>) {
        match schema["$ref"].as_str() {
            Some(r) => (
                self.doc
                    .pointer(r.trim_start_matches('#'))
                    .unwrap_or_else(|| panic!("dangling $ref {r}")),
                Some(r),
            ),
            None => (schema, None),
        }
    }

    /// Properties and required names of an object schema, `allOf` parts merged.
    fn object_parts(&self, schema: &Value, props: &mut Map<String, Value>, req: &mut Vec<String>) {
        let (schema, _) = self.resolve(schema);
        for part in schema["allOf"].as_array().into_iter().flatten() {
            self.object_parts(part, props, req);
        }
        if let Some(p) = schema["properties"].as_object() {
            props.extend(p.clone());
        }
        for r in schema["required"].as_array().into_iter().flatten() {
            req.push(r.as_str().unwrap().to_owned());
        }
    }

    fn check(&mut self, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
        let (schema, name) = {
            let (s, n) = self.resolve(schema);
            (s.clone(), n.map(str::to_owned))
        };
        if let Some(branches) = schema["oneOf"].as_array().or(schema["anyOf"].as_array()) {
            let mut errors = Vec::new();
            for b in branches {
                // A failed branch must not count what it saw.
                let before = std::mem::take(&mut self.seen);
                let result = self.check(b, v, at);
                let tried = std::mem::replace(&mut self.seen, before);
                match result {
                    Ok(()) => {
                        self.merge(tried);
                        return Ok(());
                    }
                    Err(e) => errors.push(e),
                }
            }
            return Err(format!("{at}: no branch matches: {errors:?}"));
        }
        if let Some(allowed) = schema["enum"].as_array() {
            if !allowed.contains(v) {
                return Err(format!("{at}: {v} is not one of {allowed:?}"));
            }
        }
        let types: Vec<&str> = match &schema["type"] {
            Value::String(t) => vec![t.as_str()],
            Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        let kind = match v {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            Value::Number(_) => "number",
            Value::String(_) => "string",
            Value::Array(_) => "array",
            Value::Object(_) => "object",
        };
        let type_ok = types.is_empty()
            || types.contains(&kind)
            || (kind == "integer" && types.contains(&"number"));
        if !type_ok {
            return Err(format!("{at}: a {kind} where the schema says {types:?}"));
        }
        match v {
            Value::Array(items) => {
                if let Some(max) = schema["maxItems"].as_u64() {
                    if items.len() as u64 > max {
                        return Err(format!("{at}: more than {max} items"));
                    }
                }
                for (i, item) in items.iter().enumerate() {
                    if schema.get("items").is_some() {
                        self.check(&schema["items"], item, &format!("{at}[{i}]"))?;
                    }
                }
            }
            Value::Object(fields) => {
                let (mut props, mut req) = (Map::new(), Vec::new());
                self.object_parts(&schema, &mut props, &mut req);
                for r in &req {
                    if !fields.contains_key(r) {
                        return Err(format!("{at}: lacks the required {r}"));
                    }
                }
                let extra = &schema["additionalProperties"];
                for (k, fv) in fields {
                    match props.get(k) {
                        Some(p) => self.check(p, fv, &format!("{at}.{k}"))?,
                        None if extra.is_object() => self.check(extra, fv, &format!("{at}.{k}"))?,
                        None if props.is_empty() && extra.is_null() => {}
                        None => return Err(format!("{at}: {k} is not documented")),
                    }
                }
                if !props.is_empty() {
                    let label = name.clone().unwrap_or_else(|| format!("{at} (inline)"));
                    let entry = self.seen.0.entry(label).or_default();
                    entry.0.extend(props.keys().cloned());
                    entry.1.extend(fields.keys().cloned());
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn merge(&mut self, other: Seen) {
        for (k, (documented, carried)) in other.0 {
            let entry = self.seen.0.entry(k).or_default();
            entry.0.extend(documented);
            entry.1.extend(carried);
        }
    }
}

fn operation<'a>(doc: &'a Value, uri: &str) -> (&'a Value, String) {
    let path = uri.split('?').next().unwrap();
    let route = catalog::routes_of(Family::V3)
        .into_iter()
        .find(|r| {
            let t: Vec<&str> = r.path.split('/').collect();
            let p: Vec<&str> = path.split('/').collect();
            t.len() == p.len() && t.iter().zip(&p).all(|(t, p)| t == p || t.starts_with('{'))
        })
        .unwrap_or_else(|| panic!("{uri}: no catalogue route"));
    (&doc["paths"][route.path]["get"], route.path.to_owned())
}

fn response_schema(op: &Value, status: StatusCode) -> &Value {
    let r = &op["responses"][status.as_str()];
    assert!(r.is_object(), "status {status} is not documented");
    &r["content"]["application/json"]["schema"]
}

#[tokio::test]
async fn answers_are_what_the_document_says() {
    let doc = document().await;
    let mut checker = Checker::new(&doc);
    let examples: Vec<&str> = catalog::routes_of(Family::V3)
        .iter()
        .map(|r| r.example)
        .collect();
    for uri in examples.iter().chain(MORE) {
        let (status, body) = get(uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        let (op, _) = operation(&doc, uri);
        if let Err(e) = checker.check(response_schema(op, status), &body, uri) {
            panic!("{e}");
        }
    }
    for (schema, (documented, carried)) in &checker.seen.0 {
        let never: Vec<&String> = documented.difference(carried).collect();
        assert!(
            never.is_empty(),
            "{schema}: documented but in no answer: {never:?}"
        );
    }
    for uri in ERRORS {
        let (status, body) = get(uri).await;
        assert!(status.is_client_error(), "{uri}: {status}");
        let (op, _) = operation(&doc, uri);
        if let Err(e) = checker.check(response_schema(op, status), &body, uri) {
            panic!("{e}");
        }
    }
}

/// A value the parameter's schema allows, for a request that uses it.
fn sample(p: &Value) -> Option<String> {
    let s = &p["schema"];
    let v = p
        .get("example")
        .or(s.get("default"))
        .or(s["enum"].get(0))
        .or(s.get("minimum"))?;
    Some(match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

/// Every documented query parameter is one the handler knows: the catalogue example with it
/// added is answered, or refused for its value but not as an unknown parameter.
#[tokio::test]
async fn documented_parameters_are_accepted() {
    let doc = document().await;
    for r in catalog::routes_of(Family::V3) {
        let op = &doc["paths"][r.path]["get"];
        for p in op["parameters"].as_array().into_iter().flatten() {
            let name = p["name"].as_str().unwrap();
            if p["in"] != "query" || r.example.contains(&format!("{name}=")) {
                continue;
            }
            let value = sample(p).unwrap_or_else(|| panic!("{} {name}: no sample", r.path));
            let sep = if r.example.contains('?') { '&' } else { '?' };
            let uri = format!("{}{sep}{name}={value}", r.example);
            let (status, body) = get(&uri).await;
            // Refused only for how it combines with the example (`scope` beside `method`).
            let known = status == StatusCode::OK
                || (status == StatusCode::BAD_REQUEST
                    && !body.to_string().contains("unknown parameter"));
            assert!(known, "{uri}: {status} {body}");
        }
    }
}

/// The check can fail: an answer with a field the schema lacks, or without a required one, is
/// refused.
#[tokio::test]
async fn the_check_catches_drift() {
    let doc = document().await;
    let mut checker = Checker::new(&doc);
    let (_, track) = get("/api/v3/tracks/4BP3uh0hFLFRb5cjsgLqDh").await;
    let schema = serde_json::json!({"$ref": "#/components/schemas/Track"});
    assert!(checker.check(&schema, &track, "track").is_ok());
    let mut extra = track.clone();
    extra["clustering_features"]["danceability"] = 0.5.into();
    assert!(checker.check(&schema, &extra, "extra").is_err());
    let mut lacking = track.clone();
    lacking.as_object_mut().unwrap().remove("cluster_label");
    assert!(checker.check(&schema, &lacking, "lacking").is_err());
    let mut wrong = track;
    wrong["explicit"] = "no".into();
    assert!(checker.check(&schema, &wrong, "wrong").is_err());
}
