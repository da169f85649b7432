//! Every event file of `infra/events/` goes through the same handler path the Lambda runs
//! (`lambda_http`'s adapter over `music_http::finish(router(state))`), with the environment the
//! template gives the function, and the answer is checked against the expectation next to the
//! event (`music_infra::check`, which the run of the built functions in containers shares).
//! Expected values are computed from the data (SQL on musicData.sqlite, the item files), so the
//! files cannot go stale silently.

use std::collections::BTreeSet;
use std::path::PathBuf;

use lambda_http::request::LambdaRequest;
use lambda_http::tower::ServiceExt;
use lambda_http::{Adapter, Context, LambdaEvent, Service};
use music_http::catalog::{routes_of, Family};
use music_infra::check::{check_answer, Answer, DataSources};
use music_infra::events::{event_route, events_dir, load_all, match_route, EventCase};
use music_infra::template::Template;
use music_infra::{apigw_path, apigw_pattern, function_id, repo_root, template_path, FAMILIES};
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

/// The answer API Gateway would get from the function.
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
    Answer::from_proxy_response(&payload).expect("a proxy response")
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
    // The comparison itself is shared with the run in containers (infra-sam-check events).
    let data_dir = data_dir();
    problems.extend(check_answer(
        case,
        &answer,
        &DataSources {
            data_dir: &data_dir,
        },
    ));
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
    // not-found (or bad input) case. An event counts for a route when it reaches the route's
    // resource and its path is one the route serves (so `/api/v3/audio-features/`, served by the
    // resource `/api/v3/audio-features`, needs an event whose path has the slash).
    for family in FAMILIES {
        for route in routes_of(family) {
            let key = (route.method.to_ascii_uppercase(), apigw_path(route.path));
            let pattern = apigw_pattern(route.path);
            let statuses: BTreeSet<u16> = cases
                .iter()
                .filter(|c| {
                    c.family == family
                        && event_route(&c.event) == key
                        && c.event["path"]
                            .as_str()
                            .is_some_and(|p| match_route(&pattern, p).is_some())
                })
                .map(|c| c.expect.status)
                .collect();
            if !statuses.contains(&200) {
                problems.push(format!(
                    "no event file answers 200 for {} {} (resource {}, {})",
                    key.0,
                    route.path,
                    key.1,
                    function_id(family)
                ));
            }
            if route.path.contains('{') && !statuses.iter().any(|s| (400..500).contains(s)) {
                problems.push(format!(
                    "no not-found/bad-input event file for {} {}",
                    key.0, route.path
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
