//! Every event file of `infra/events/` goes through the same handler path the Lambda runs
//! (`lambda_http`'s adapter over `music_http::finish(router(state))`), with the environment the
//! template gives the function, and the answer is checked against the expectation next to the
//! event. Expected values are computed from the data (SQL on musicData.sqlite, the item files),
//! so the files cannot go stale silently.

use std::collections::BTreeSet;
use std::path::PathBuf;

use base64::Engine;
use lambda_http::request::LambdaRequest;
use lambda_http::tower::ServiceExt;
use lambda_http::{Adapter, Context, LambdaEvent, Service};
use music_http::catalog::{routes_of, Family};
use music_infra::events::{event_route, events_dir, load_all, EventCase, Fact};
use music_infra::template::Template;
use music_infra::{apigw_path, function_id, repo_root, template_path, FAMILIES};
use serde_json::Value;

fn data_dir() -> PathBuf {
    repo_root().join("data/build")
}

fn router(family: Family) -> axum::Router {
    match family {
        Family::V1 => {
            let state = music_v1::AppState::open(data_dir().join("musicData.sqlite"))
                .expect("open musicData.sqlite");
            music_v1::router(state)
        }
        // The Lambda reads DynamoDB; here the same routes read the same items through the
        // embedded implementation of the store trait (the DynamoDB store has its own tests).
        Family::V2 => music_v2::router(
            music_v2::AppState::embedded(&data_dir()).expect("load the item files"),
        ),
        Family::V3 => {
            let state = music_v3::AppState::open(&data_dir().join("musicData.sqlite"))
                .expect("open musicData.sqlite");
            music_v3::router(state)
        }
        Family::Web => music_web::router(),
    }
}

/// The answer API Gateway would get: status, headers, body (decoded if base64).
struct Answer {
    status: u16,
    content_type: String,
    /// Lower-case header names; several values joined by ", ".
    headers: std::collections::BTreeMap<String, String>,
    body: Vec<u8>,
}

async fn invoke(family: Family, event: &Value) -> Answer {
    let request: LambdaRequest =
        serde_json::from_value(event.clone()).expect("an API Gateway event lambda_http accepts");
    let mut adapter = Adapter::from(music_http::finish(router(family)));
    let ready = adapter.ready().await.expect("the router is ready");
    let response = ready
        .call(LambdaEvent::new(request, Context::default()))
        .await
        .expect("the handler answers");
    let payload = serde_json::to_value(&response).expect("a serialisable Lambda response");
    let status = payload["statusCode"].as_u64().expect("statusCode") as u16;
    let content_type = payload["headers"]["content-type"]
        .as_str()
        .or_else(|| payload["multiValueHeaders"]["content-type"][0].as_str())
        .unwrap_or_default()
        .to_string();
    let mut headers = std::collections::BTreeMap::new();
    for (name, value) in payload["headers"].as_object().into_iter().flatten() {
        if let Some(v) = value.as_str() {
            headers.insert(name.to_ascii_lowercase(), v.to_string());
        }
    }
    for (name, values) in payload["multiValueHeaders"]
        .as_object()
        .into_iter()
        .flatten()
    {
        let joined: Vec<&str> = values
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if !joined.is_empty() {
            headers.insert(name.to_ascii_lowercase(), joined.join(", "));
        }
    }
    let body = match payload["body"].as_str() {
        None => Vec::new(),
        Some(b) if payload["isBase64Encoded"] == true => base64::engine::general_purpose::STANDARD
            .decode(b)
            .expect("base64 body"),
        Some(b) => b.as_bytes().to_vec(),
    };
    Answer {
        status,
        content_type,
        headers,
        body,
    }
}

/// The single value of `sql` on the built database. A query that fails (a table renamed by a
/// schema change) is a problem of that event file, reported with the others, not a panic that
/// hides them.
fn sql_value(sql: &str) -> Result<Value, String> {
    let conn = rusqlite::Connection::open_with_flags(
        data_dir().join("musicData.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .map_err(|e| format!("open musicData.sqlite: {e}"))?;
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
    .map_err(|e| format!("{sql}: {e}"))
}

fn item_value(file: &str, key: &serde_json::Map<String, Value>, pointer: &str) -> Value {
    let text =
        std::fs::read_to_string(data_dir().join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let item: Value = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("a JSON line"))
        .find(|item| key.iter().all(|(k, v)| item.get(k) == Some(v)))
        .unwrap_or_else(|| panic!("no item in {file} with {key:?}"));
    item.pointer(pointer)
        .cloned()
        .unwrap_or_else(|| panic!("{file}: no {pointer} in the item"))
}

fn same(a: &Value, b: &Value) -> bool {
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

fn check_fact(fact: &Fact, body: &[u8], json: Option<&Value>) -> Result<(), String> {
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
        sql_value(sql)?
    } else if let Some(item) = &fact.equals_item {
        item_value(&item.file, &item.key, &item.pointer)
    } else if let Some(n) = fact.len {
        return if len_of(at) == Some(n) {
            Ok(())
        } else {
            Err(format!("{p}: length {:?}, expected {n}", len_of(at)))
        };
    } else if let Some(sql) = &fact.len_sql {
        let n = sql_value(sql)?.as_u64().map(|n| n as usize);
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

async fn check(case: &EventCase, template: &Template) -> Vec<String> {
    let mut problems = Vec::new();
    let name = &case.name;
    // The event's route must be one the template sends to this family's function.
    let (method, resource) = event_route(&case.event);
    let function = template
        .function(function_id(case.family))
        .expect("the family's function");
    let declared = function
        .routes
        .iter()
        .any(|r| r.path == resource && (r.method == method || r.method == "ANY"));
    if !declared {
        problems.push(format!(
            "{name}: {method} {resource} is not declared on {}",
            function.logical_id
        ));
    }
    let answer = invoke(case.family, &case.event).await;
    // INFRA_EVENTS_DUMP=1 shows what each event got, for writing a new expectation.
    if std::env::var_os("INFRA_EVENTS_DUMP").is_some() {
        let text = String::from_utf8_lossy(&answer.body);
        eprintln!(
            "{name}: {} {} {}",
            answer.status,
            answer.content_type,
            text.chars().take(600).collect::<String>()
        );
    }
    let json: Option<Value> = serde_json::from_slice(&answer.body).ok();
    if answer.status != case.expect.status {
        problems.push(format!(
            "{name}: status {} expected {} (body {})",
            answer.status,
            case.expect.status,
            String::from_utf8_lossy(&answer.body)
                .chars()
                .take(200)
                .collect::<String>()
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
    // API errors are always the JSON error shape with the status repeated (the website may
    // answer a browser with an HTML error page).
    if answer.status >= 400
        && (case.family != Family::Web || answer.content_type.starts_with("application/json"))
    {
        let ok = json
            .as_ref()
            .is_some_and(|j| j["status"] == answer.status && j["error"].is_string());
        if !ok {
            problems.push(format!(
                "{name}: error body is not {{\"error\", \"status\"}}"
            ));
        }
    }
    for fact in &case.expect.facts {
        if let Err(e) = check_fact(fact, &answer.body, json.as_ref()) {
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

#[tokio::test]
async fn every_event_file_gets_its_expected_answer() {
    let template = Template::load(&template_path()).unwrap();
    // The handler sees what the template gives every function (Globals).
    if let Some(vars) = template
        .root
        .pointer("/Globals/Function/Environment/Variables")
        .and_then(Value::as_object)
    {
        for (k, v) in vars {
            if let Some(v) = v.as_str() {
                std::env::set_var(k, v);
            }
        }
    }
    let cases = load_all(&events_dir()).unwrap();
    let mut problems = Vec::new();
    for case in &cases {
        problems.extend(check(case, &template).await);
    }

    // Coverage: every catalogue route has a found case, and every route with a parameter a
    // not-found (or bad input) case.
    for family in FAMILIES {
        for route in routes_of(family) {
            let key = (route.method.to_ascii_uppercase(), apigw_path(route.path));
            let statuses: BTreeSet<u16> = cases
                .iter()
                .filter(|c| c.family == family && event_route(&c.event) == key)
                .map(|c| c.expect.status)
                .collect();
            if !statuses.contains(&200) {
                problems.push(format!(
                    "no event file answers 200 for {} {} ({})",
                    key.0,
                    key.1,
                    function_id(family)
                ));
            }
            if route.path.contains('{') && !statuses.iter().any(|s| (400..500).contains(s)) {
                problems.push(format!(
                    "no not-found/bad-input event file for {} {}",
                    key.0, key.1
                ));
            }
        }
    }
    assert!(
        !cases.is_empty(),
        "no event files in {}",
        events_dir().display()
    );
    assert!(
        problems.is_empty(),
        "{} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}
