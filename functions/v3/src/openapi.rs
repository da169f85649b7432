//! The OpenAPI 3.1 document of every family, generated from the route catalogue
//! (`music_http::catalog::routes()`), so that a route added to a family shows up here without
//! anyone editing this file. What the catalogue cannot say (query parameters, response shapes)
//! is kept below for the v3 routes; other families' routes get what their path template and
//! family tell (path parameters, JSON or HTML, the shared error body).

use music_http::catalog::{Family, Route};
use serde_json::{json, Map, Value};

use crate::{DEFAULT_LIMIT, DEFAULT_N, MAX_LIMIT, MAX_N, MAX_QUERY_CHARS};

/// Query parameters and the 200 schema of a v3 route; `None` for routes of other families.
fn v3_details(path: &str) -> Option<(Vec<Value>, Value)> {
    let id_param = json!({"name": "id", "in": "path", "required": true, "description": "Spotify track id (22 base-62 characters).",
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9]{1,64}$"}});
    let d = match path {
        "/api/v3/search" => (
            vec![
                json!({"name": "q", "in": "query", "required": true, "description": "Words of a title and/or artist names, in any order; the last may be unfinished. Case, accents and typos (one in words of 4-7 letters, two from 8) are forgiven.",
                    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS}}),
                json!({"name": "limit", "in": "query", "required": false, "description": "Most hits to return.",
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}}),
            ],
            json!({"$ref": "#/components/schemas/SearchResult"}),
        ),
        "/api/v3/tracks/{id}" => (
            vec![id_param],
            json!({"$ref": "#/components/schemas/Track"}),
        ),
        "/api/v3/tracks/{id}/recommendations" => (
            vec![
                id_param,
                json!({"name": "n", "in": "query", "required": false, "description": "How many tracks to recommend.",
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_N, "default": DEFAULT_N}}),
                json!({"name": "scope", "in": "query", "required": false, "description": "`cluster`: only tracks of the same cluster; `all`: every track.",
                    "schema": {"type": "string", "enum": ["cluster", "all"], "default": "cluster"}}),
            ],
            json!({"$ref": "#/components/schemas/Recommendations"}),
        ),
        "/api/v3/clusters" => (
            vec![],
            json!({"type": "array", "items": {"$ref": "#/components/schemas/Cluster"}}),
        ),
        "/api/v3/clusters/{n}" => (
            vec![
                json!({"name": "n", "in": "path", "required": true, "description": "Cluster number.", "schema": {"type": "integer"}}),
            ],
            json!({"$ref": "#/components/schemas/Cluster"}),
        ),
        "/api/v3/elbow" => (
            vec![],
            json!({"type": "array", "items": {"$ref": "#/components/schemas/ElbowPoint"}}),
        ),
        "/api/v3/openapi.json" => (
            vec![],
            json!({"type": "object", "description": "This document.", "required": ["openapi", "info", "paths"]}),
        ),
        _ => return None,
    };
    Some(d)
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

fn error_response(description: &str) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}})
}

fn operation(route: &Route) -> Value {
    let (mut parameters, ok_schema) = v3_details(route.path).unwrap_or_else(|| {
        let generic = if media_type(route) == "application/json" {
            json!({})
        } else {
            json!({"type": "string"})
        };
        (Vec::new(), generic)
    });
    // Every path parameter of the template is declared, whatever the family.
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
    let mut responses = Map::new();
    responses.insert(
        "200".into(),
        json!({"description": "OK", "content": {media_type(route): {"schema": ok_schema}}}),
    );
    if !parameters.is_empty() {
        responses.insert("400".into(), error_response("Bad parameter"));
    }
    responses.insert("404".into(), error_response("Not found"));
    responses.insert(
        "405".into(),
        error_response("Method not allowed (the API is read-only)"),
    );
    let mut op = json!({
        "operationId": operation_id(route),
        "summary": route.summary,
        "tags": [family_name(route.family)],
        "responses": responses,
        "x-example": route.example,
    });
    if !parameters.is_empty() {
        op["parameters"] = Value::Array(parameters);
    }
    op
}

fn schemas() -> Value {
    let num = json!({"type": ["number", "null"]});
    let features: Map<String, Value> = music_shared::FEATURES
        .iter()
        .map(|f| (f.to_string(), json!({"type": "number"})))
        .collect();
    json!({
        "Error": {"type": "object", "required": ["error", "status"],
            "properties": {"error": {"type": "string"}, "status": {"type": "integer"}}},
        "SearchHit": {"type": "object", "required": ["kind", "id", "name", "artists", "cluster", "match"],
            "properties": {
                "kind": {"type": "string", "enum": ["track", "artist"]},
                "id": {"type": ["string", "null"], "description": "Spotify track id; for an artist, its Spotify artist id when a track of the 2021 table credits it, else null."},
                "name": {"type": "string", "description": "Track title or artist name."},
                "artists": {"type": "array", "items": {"type": "string"}},
                "cluster": {"type": ["integer", "null"], "description": "The track's cluster; for an artist, the cluster most of its tracks are in (cluster_basis = tracks) or the one nearest its mean features (features)."},
                "cluster_basis": {"type": "string", "enum": ["tracks", "features", "none"]},
                "tracks": {"type": "integer", "description": "The artist's tracks in the data."},
                "popularity": num,
                "match": {"type": "string", "enum": ["exact", "prefix", "word", "fuzzy"],
                    "description": "exact: the query is the whole name; prefix: the name starts with it; word: its words are found elsewhere in the title and artists; fuzzy: a typo was needed."}}},
        "SearchResult": {"type": "object", "required": ["query", "folded", "count", "hits"],
            "properties": {"query": {"type": "string"}, "folded": {"type": "string"}, "count": {"type": "integer"},
                "hits": {"type": "array", "items": {"$ref": "#/components/schemas/SearchHit"}}}},
        "TrackRef": {"type": "object", "required": ["id", "name", "artists", "cluster"],
            "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "artists": {"type": "array", "items": {"type": "string"}},
                "cluster": {"type": "integer"}, "distance": {"type": "number", "description": "Euclidean, in the nine clustering features."}}},
        "Track": {"type": "object",
            "required": ["id", "name", "artists", "genres", "features", "scaled", "clustering_features", "cluster", "cluster_label", "distance_to_centroid"],
            "properties": {
                "id": {"type": "string"}, "name": {"type": "string"},
                "artists": {"type": "array", "items": {"type": "string"}},
                "artist_ids": {"type": "array", "items": {"type": "string"}},
                "genres": {"type": "array", "items": {"type": "array", "items": {"type": "string"}}, "description": "Per artist, in artist order."},
                "year": {"type": ["integer", "null"]}, "release_date": {"type": ["string", "null"]},
                "popularity": num, "explicit": {"type": ["boolean", "null"]}, "duration_ms": num,
                "key": {"type": ["integer", "null"]}, "mode": {"type": ["integer", "null"]},
                "time_signature": {"type": ["integer", "null"], "description": "2021-table tracks only."},
                "features": {"type": "object", "additionalProperties": num},
                "scaled": {"type": "object", "additionalProperties": num},
                "clustering_features": {"type": "object", "properties": features},
                "cluster": {"type": "integer"}, "cluster_label": {"type": ["string", "null"]},
                "distance_to_centroid": num}},
        "Recommendations": {"type": "object", "required": ["track", "scope", "n", "method", "features", "count", "recommendations"],
            "properties": {
                "track": {"$ref": "#/components/schemas/TrackRef"},
                "scope": {"type": "string", "enum": ["cluster", "all"]},
                "n": {"type": "integer"}, "method": {"type": "string"},
                "features": {"type": "array", "items": {"type": "string"}},
                "count": {"type": "integer"},
                "recommendations": {"type": "array", "items": {"$ref": "#/components/schemas/TrackRef"}}}},
        "Cluster": {"type": "object", "required": ["cluster", "label", "description", "size", "centroid", "means", "top_genres", "distinctive_genres", "nearest"],
            "properties": {
                "cluster": {"type": "integer"}, "label": {"type": "string", "description": "Short and distinct, read off the centroid by fixed rules."},
                "description": {"type": "string", "description": "The features furthest from the catalogue's averages, and the most over-represented genre."},
                "size": {"type": "integer"},
                "reference_distance": {"type": ["number", "null"], "description": "Distance to the original project's cluster of the same number."},
                "distinctive_genres": {"type": "array", "description": "Genres most over-represented in the cluster (lift = share here / share overall), among those of at least 2% of its tracks.",
                    "items": {"type": "object", "required": ["genre", "count", "lift"],
                    "properties": {"genre": {"type": "string"}, "count": {"type": "integer"}, "lift": {"type": "number"}}}},
                "centroid": {"type": "object", "properties": features},
                "means": {"type": "object", "additionalProperties": {"type": "number"}},
                "top_genres": {"type": "array", "items": {"type": "object", "required": ["genre", "count"],
                    "properties": {"genre": {"type": "string"}, "count": {"type": "integer"}, "lift": {"type": "number"}}}},
                "nearest": {"type": "array", "items": {"type": "object", "required": ["id", "name", "artists", "distance"],
                    "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                        "artists": {"type": "array", "items": {"type": "string"}}, "distance": {"type": "number"}}}}}},
        "ElbowPoint": {"type": "object", "required": ["k", "inertia"],
            "properties": {"k": {"type": "integer"}, "inertia": {"type": "number", "description": "Sum of squared distances to the nearest centroid."}}},
    })
}

/// The whole document for the given routes (all families: pass `catalog::routes()`).
pub fn document(routes: &[Route]) -> Value {
    let mut paths = Map::new();
    for r in routes {
        let item = paths
            .entry(openapi_path(r.path))
            .or_insert_with(|| json!({}));
        item[r.method.to_ascii_lowercase()] = operation(r);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Music ML",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Spotify tracks clustered with K-Means. v1: the original's SQLite routes; v2: its DynamoDB routes; v3: search, recommendations and clusters; web: the pages. Generated from the route catalogue.",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "/"}],
        "tags": [
            {"name": "v1", "description": "The original's SQLite routes."},
            {"name": "v2", "description": "The original's DynamoDB routes."},
            {"name": "v3", "description": "Search, recommendations, clusters."},
            {"name": "web", "description": "Pages and assets."},
        ],
        "paths": paths,
        "components": {"schemas": schemas()},
    })
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

    #[test]
    fn every_v3_catalogue_route_has_details() {
        for r in music_http::catalog::routes_of(Family::V3) {
            assert!(
                v3_details(r.path).is_some(),
                "{} has no parameter/response details",
                r.path
            );
        }
    }
}
