//! The OpenAPI 3.1 document of every family. The v3 routes' operations are derived from their
//! handlers (`#[utoipa::path]`: parameters from [`params`], response schemas from the types in
//! [`crate::answers`] the handlers serialize); every other route of the catalogue
//! (`music_http::catalog::routes()`) gets what its path template and family tell (path
//! parameters, JSON or HTML). Each operation then takes its summary, tag, operation id and
//! example from the catalogue, and the shared error responses.

pub mod params;

use music_http::catalog::{Family, Route};
use serde_json::{json, Map, Value};
use utoipa::OpenApi;

use crate::{routes, spotify};

/// The v3 operations and the schemas they and the error responses use.
#[derive(OpenApi)]
#[openapi(
    paths(
        routes::search,
        routes::track,
        routes::recommendations,
        spotify::recommendations,
        spotify::available_genre_seeds,
        spotify::audio_features_many,
        spotify::audio_features_many_slash,
        spotify::audio_features_one,
        spotify::related_artists,
        routes::clusters,
        routes::cluster,
        routes::elbow,
        routes::openapi_json,
    ),
    components(schemas(music_http::error::ErrorBody, music_http::error::SpotifyErrorBody))
)]
struct V3Api;

/// The routes shaped like Spotify's, whose errors take Spotify's form.
pub fn spotify_shaped(path: &str) -> bool {
    [
        "/api/v3/recommendations",
        "/api/v3/audio-features",
        "/api/v3/artists/",
    ]
    .iter()
    .any(|p| path.starts_with(p))
}

/// Path parameters named in an axum/OpenAPI path template (`/a/{x}/b/{y}`).
pub fn path_params(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|s| s.trim_start_matches('*'))
        .collect()
}

/// axum's catch-all `{*rest}` is OpenAPI's `{rest}`.
pub fn openapi_path(path: &str) -> String {
    path.replace("{*", "{")
}

fn media_type(route: &Route) -> &'static str {
    if route.family != Family::Web {
        return "application/json";
    }
    match route.path.rsplit('.').next() {
        Some("css") => "text/css",
        Some("js") => "text/javascript",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        _ => "text/html",
    }
}

fn family_name(f: Family) -> &'static str {
    match f {
        Family::V1 => "v1",
        Family::V2 => "v2",
        Family::V3 => "v3",
        Family::Web => "web",
    }
}

fn operation_id(route: &Route) -> String {
    let mut id = format!(
        "{}_{}",
        family_name(route.family),
        route.method.to_ascii_lowercase()
    );
    for c in route.path.chars() {
        id.push(if c.is_ascii_alphanumeric() { c } else { '_' });
    }
    id
}

fn error_response(route: &Route, description: &str) -> Value {
    let schema = if spotify_shaped(route.path) {
        "#/components/schemas/SpotifyError"
    } else {
        "#/components/schemas/Error"
    };
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": schema}}}})
}

/// What a route's template and family tell, for a route with no derived operation.
fn catalogue_operation(route: &Route) -> Value {
    let schema = if media_type(route) == "application/json" {
        json!({})
    } else {
        json!({"type": "string"})
    };
    json!({"responses": {"200": {"description": "OK", "content": {media_type(route): {"schema": schema}}}}})
}

/// The catalogue's part of an operation (id, summary, tag, example), every path parameter of
/// the template, and the error responses.
fn decorate(route: &Route, mut op: Value) -> Value {
    let mut parameters = match op["parameters"].take() {
        Value::Array(p) => p,
        _ => Vec::new(),
    };
    for p in path_params(route.path) {
        if !parameters
            .iter()
            .any(|q| q["name"] == p && q["in"] == "path")
        {
            parameters.push(
                json!({"name": p, "in": "path", "required": true, "schema": {"type": "string"}}),
            );
        }
    }
    let mut responses = match op["responses"].take() {
        Value::Object(r) => r,
        _ => Map::new(),
    };
    if !parameters.is_empty() {
        responses.insert("400".into(), error_response(route, "Bad parameter"));
    }
    responses.insert("404".into(), error_response(route, "Not found"));
    responses.insert(
        "405".into(),
        error_response(route, "Method not allowed (the API is read-only)"),
    );
    let mut out = json!({
        "operationId": operation_id(route),
        "summary": route.summary,
        "tags": [family_name(route.family)],
        "responses": responses,
        "x-example": route.example,
    });
    if !parameters.is_empty() {
        out["parameters"] = Value::Array(parameters);
    }
    out
}

/// The whole document for the given routes (all families: pass `catalog::routes()`).
pub fn document(routes: &[Route]) -> Value {
    let mut doc =
        serde_json::to_value(V3Api::openapi()).expect("the OpenAPI document is plain JSON");
    let derived = doc["paths"].take();
    let mut paths = Map::new();
    for r in routes {
        let path = openapi_path(r.path);
        let method = r.method.to_ascii_lowercase();
        let op = derived[&path]
            .get(&method)
            .cloned()
            .unwrap_or_else(|| catalogue_operation(r));
        let item = paths.entry(path).or_insert_with(|| json!({}));
        item[method] = decorate(r, op);
    }
    doc["info"] = json!({
        "title": "Music ML",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "Spotify tracks clustered with K-Means. v1: the original's SQLite routes; v2: its DynamoDB routes; v3: search, recommendations and clusters; web: the pages. v3's operations and schemas are derived from its handlers and answer types; the others from the route catalogue.",
        "license": {"name": "MIT", "identifier": "MIT"},
    });
    doc["servers"] = json!([{"url": "/"}]);
    doc["tags"] = json!([
        {"name": "v1", "description": "The original's SQLite routes."},
        {"name": "v2", "description": "The original's DynamoDB routes."},
        {"name": "v3", "description": "Search, recommendations, clusters."},
        {"name": "web", "description": "Pages and assets."},
    ]);
    doc["paths"] = Value::Object(paths);
    doc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_params_from_templates() {
        assert_eq!(
            path_params("/api/v3/tracks/{id}/recommendations"),
            vec!["id"]
        );
        assert_eq!(path_params("/a/{x}/b/{*rest}"), vec!["x", "rest"]);
        assert!(path_params("/api/v3/elbow").is_empty());
    }

    /// Every v3 route of the catalogue has an operation derived from its handler, and every
    /// derived operation is a catalogue route.
    #[test]
    fn derived_operations_are_the_v3_catalogue() {
        let derived = serde_json::to_value(V3Api::openapi()).unwrap();
        let mut documented: Vec<String> = Vec::new();
        for (path, item) in derived["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                documented.push(format!("{} {path}", method.to_uppercase()));
            }
        }
        let mut listed: Vec<String> = music_http::catalog::routes_of(Family::V3)
            .iter()
            .map(|r| format!("{} {}", r.method, openapi_path(r.path)))
            .collect();
        documented.sort();
        listed.sort();
        assert_eq!(documented, listed);
    }

    #[test]
    fn parameters_and_limits_follow_the_constants() {
        let doc = document(&music_http::catalog::routes());
        let related = &doc["components"]["schemas"]["RelatedList"]["properties"]["artists"];
        assert_eq!(related["maxItems"], spotify::RELATED_ARTISTS);
        let recs = doc["paths"]["/api/v3/recommendations"]["get"]["parameters"]
            .as_array()
            .unwrap();
        for col in crate::features::Col::ALL {
            for kind in ["min_", "max_", "target_"] {
                let name = format!("{kind}{}", col.name());
                let p = recs.iter().find(|p| p["name"] == name.as_str());
                let p = p.unwrap_or_else(|| panic!("{name} is not documented"));
                let (lo, hi) = col.range();
                assert_eq!(p["schema"]["minimum"].as_f64(), Some(lo), "{name}");
                assert_eq!(p["schema"]["maximum"].as_f64(), Some(hi), "{name}");
            }
        }
    }
}
