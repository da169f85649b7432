//! The OpenAPI 3.1 document of every family, generated from the route catalogue
//! (`music_http::catalog::routes()`), so that a route added to a family shows up here without
//! anyone editing this file. What the catalogue cannot say (query parameters, response shapes)
//! is kept below for the v3 routes; other families' routes get what their path template and
//! family tell (path parameters, JSON or HTML, the shared error body).

use music_http::catalog::{Family, Route};
use serde_json::{json, Map, Value};

use crate::features::Col;
use crate::spotify::{
    DEFAULT_RECOMMENDATIONS, GENRE_SEED_MIN_TRACKS, MAX_IDS, MAX_RECOMMENDATIONS, MAX_SEEDS,
    RELATED_ARTISTS,
};
use crate::{DEFAULT_LIMIT, DEFAULT_N, MAX_LIMIT, MAX_N, MAX_QUERY_CHARS};

/// Fortunate Son (Creedence Clearwater Revival), a track of the shipped catalogue.
const EXAMPLE_TRACK: &str = "4BP3uh0hFLFRb5cjsgLqDh";
const EXAMPLE_ARTIST: &str = "3IYUhFvPQItj6xySrBmZkd";

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

/// `min_`, `max_` and `target_` for every filterable column, with its range.
fn tunable_params() -> Vec<Value> {
    let mut out = Vec::new();
    for col in Col::ALL {
        let (lo, hi) = col.range();
        let schema = json!({"type": "number", "minimum": lo, "maximum": hi});
        let name = col.name();
        out.push(json!({"name": format!("min_{name}"), "in": "query", "required": false,
            "description": format!("Only tracks whose {name} is at least this (inclusive). A track with no {name} (year, time signature) is left out by any filter on it."),
            "schema": schema}));
        out.push(json!({"name": format!("max_{name}"), "in": "query", "required": false,
            "description": format!("Only tracks whose {name} is at most this (inclusive); not below min_{name}."),
            "schema": schema}));
        out.push(json!({"name": format!("target_{name}"), "in": "query", "required": false,
            "description": format!("Prefer tracks whose {name} is near this: the column is compared at weight 2 (standardized), with the seeds' centre replaced by this value."),
            "schema": schema}));
    }
    out
}

fn csv_param(name: &str, description: &str, example: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description,
        "schema": {"type": "string"}, "example": example})
}

fn market_param() -> Value {
    json!({"name": "market", "in": "query", "required": false,
        "description": "Accepted for Spotify clients and ignored: the catalogue has no markets.",
        "schema": {"type": "string"}, "example": "US"})
}

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
                json!({"name": "method", "in": "query", "required": false,
                    "description": "`similar`: nearest over all tracks in the nine clustering features plus danceability and release year (double weight), standardized, at most a fifth of the list by the seed's own artists; `cluster`: the original's, its cluster, nearest first in the nine features; `nearest`: the nine features over all tracks; `random`: a uniform random sample of its cluster (new each time, never cached).",
                    "schema": {"type": "string", "enum": ["similar", "cluster", "nearest", "random"], "default": "similar"}, "example": "similar"}),
                json!({"name": "scope", "in": "query", "required": false, "description": "Older name: `cluster` is method=cluster, `all` is method=nearest.",
                    "schema": {"type": "string", "enum": ["cluster", "all"]}}),
            ],
            json!({"$ref": "#/components/schemas/Recommendations"}),
        ),
        "/api/v3/recommendations" => {
            let mut params = vec![
                csv_param("seed_tracks", "Comma-separated Spotify track ids.", EXAMPLE_TRACK),
                csv_param("seed_artists", "Comma-separated Spotify artist ids (the 2021 tracks' `id_artists`).", EXAMPLE_ARTIST),
                csv_param("seed_genres", &format!("Comma-separated genres from recommendations/available-genre-seeds. At least one seed and at most {MAX_SEEDS} in all."), "rock"),
                json!({"name": "limit", "in": "query", "required": false, "description": "How many tracks; fewer when the filters leave fewer.",
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_RECOMMENDATIONS, "default": DEFAULT_RECOMMENDATIONS}, "example": 10}),
                csv_param("exclude", &format!("Track ids never to suggest (at most {MAX_IDS}); ids this catalogue lacks are ignored."), "08mG3Y1vljYA6bvDt4Wqkj"),
                json!({"name": "max_per_artist", "in": "query", "required": false, "description": "At most this many tracks crediting any one artist.",
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_RECOMMENDATIONS}, "example": 2}),
                json!({"name": "explicit", "in": "query", "required": false, "description": "`false` leaves explicit tracks out.",
                    "schema": {"type": "string", "enum": ["true", "false"]}, "example": "false"}),
                market_param(),
            ];
            params.extend(tunable_params());
            (
                params,
                json!({"$ref": "#/components/schemas/SpotifyRecommendations"}),
            )
        }
        "/api/v3/recommendations/available-genre-seeds" => (
            vec![market_param()],
            json!({"type": "object", "required": ["genres"],
                "description": format!("Genres carried by at least {GENRE_SEED_MIN_TRACKS} tracks, sorted."),
                "properties": {"genres": {"type": "array", "items": {"type": "string"}}},
                "example": {"genres": ["acoustic blues", "album rock", "classic rock"]}}),
        ),
        "/api/v3/audio-features" | "/api/v3/audio-features/" => (
            vec![
                json!({"name": "ids", "in": "query", "required": true,
                    "description": format!("1 to {MAX_IDS} comma-separated Spotify track ids."),
                    "schema": {"type": "string"}, "example": format!("{EXAMPLE_TRACK},08mG3Y1vljYA6bvDt4Wqkj")}),
                market_param(),
            ],
            json!({"type": "object", "required": ["audio_features"],
                "properties": {"audio_features": {"type": "array",
                    "description": "One entry per id, in order; null for an id this catalogue lacks.",
                    "items": {"oneOf": [{"$ref": "#/components/schemas/AudioFeatures"}, {"type": "null"}]}}}}),
        ),
        "/api/v3/audio-features/{id}" => (
            vec![id_param, market_param()],
            json!({"$ref": "#/components/schemas/AudioFeatures"}),
        ),
        "/api/v3/artists/{id}/related-artists" => (
            vec![
                json!({"name": "id", "in": "path", "required": true, "description": "Spotify artist id.",
                    "schema": {"type": "string", "pattern": "^[A-Za-z0-9]{1,64}$"}, "example": EXAMPLE_ARTIST}),
                market_param(),
            ],
            json!({"type": "object", "required": ["artists"],
                "properties": {"artists": {"type": "array", "maxItems": RELATED_ARTISTS,
                    "items": {"$ref": "#/components/schemas/RelatedArtist"}}}}),
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

fn error_response(route: &Route, description: &str) -> Value {
    let schema = if spotify_shaped(route.path) {
        "#/components/schemas/SpotifyError"
    } else {
        "#/components/schemas/Error"
    };
    json!({"description": description, "content": {"application/json": {"schema": {"$ref": schema}}}})
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
        responses.insert("400".into(), error_response(route, "Bad parameter"));
    }
    responses.insert("404".into(), error_response(route, "Not found"));
    responses.insert(
        "405".into(),
        error_response(route, "Method not allowed (the API is read-only)"),
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
        "SpotifyError": {"type": "object", "required": ["error"], "description": "Spotify's error form, for the routes shaped like Spotify's.",
            "properties": {"error": {"type": "object", "required": ["status", "message"],
                "properties": {"status": {"type": "integer"}, "message": {"type": "string"}}}},
            "example": {"error": {"status": 400, "message": "at most 5 seeds in all (seed_tracks, seed_artists and seed_genres together; got 6)"}}},
        "Reason": {"type": "object", "required": ["closest", "furthest", "shared_genres", "same_cluster", "text"],
            "properties": {
                "closest": {"type": "array", "items": {"type": "string"}, "description": "The two compared columns nearest the seeds (standardized)."},
                "furthest": {"type": "array", "items": {"type": "string"}, "description": "The compared column furthest from the seeds."},
                "shared_genres": {"type": "array", "items": {"type": "string"}, "description": "Up to three genres shared with the seeds (genre seeds, and the genres of seed tracks' and seed artists' artists)."},
                "same_cluster": {"type": "boolean", "description": "In the cluster of a seed track or seed artist."},
                "text": {"type": "string"}},
            "example": {"closest": ["valence", "energy"], "furthest": ["tempo"], "shared_genres": ["classic rock"], "same_cluster": true,
                "text": "Same cluster as a seed; closest in valence and energy, furthest in tempo; shares classic rock."}},
        "SpotifyRecommendations": {"type": "object", "required": ["seeds", "tracks"],
            "properties": {
                "seeds": {"type": "array", "items": {"type": "object",
                    "required": ["id", "type", "initialPoolSize", "afterFilteringSize", "afterRelinkingSize", "href"],
                    "properties": {"id": {"type": "string"}, "type": {"type": "string", "enum": ["TRACK", "ARTIST", "GENRE"]},
                        "initialPoolSize": {"type": "integer", "description": "Tracks the seed draws on: a track's or artist's cluster, a genre's tracks."},
                        "afterFilteringSize": {"type": "integer", "description": "Of those, the ones the min_/max_/year/explicit filters keep."},
                        "afterRelinkingSize": {"type": "integer", "description": "Same as afterFilteringSize (no markets, no relinking)."},
                        "href": {"type": ["string", "null"]}}}},
                "tracks": {"type": "array", "items": {"type": "object",
                    "required": ["id", "name", "artists", "duration_ms", "explicit", "popularity", "uri", "external_urls", "cluster", "distance", "reason"],
                    "properties": {"id": {"type": "string"}, "name": {"type": "string"},
                        "artists": {"type": "array", "items": {"type": "object", "required": ["id", "name"],
                            "properties": {"id": {"type": ["string", "null"]}, "name": {"type": "string"}}}},
                        "duration_ms": {"type": "integer"}, "explicit": {"type": "boolean"}, "popularity": {"type": "integer"},
                        "type": {"type": "string", "enum": ["track"]}, "uri": {"type": "string"},
                        "external_urls": {"type": "object", "properties": {"spotify": {"type": "string"}}},
                        "href": {"type": "string"}, "year": {"type": ["integer", "null"]},
                        "cluster": {"type": "integer"}, "cluster_label": {"type": ["string", "null"]},
                        "distance": {"type": "number", "description": "Weighted Euclidean distance to the seeds' centre, in standard deviations."},
                        "reason": {"$ref": "#/components/schemas/Reason"}}}}},
            "example": {"seeds": [{"id": EXAMPLE_TRACK, "type": "TRACK", "initialPoolSize": 10029, "afterFilteringSize": 712, "afterRelinkingSize": 712, "href": format!("/api/v3/tracks/{EXAMPLE_TRACK}")}],
                "tracks": [{"id": "6MumccCPd4N6qBVdl0gSeM", "name": "Jamie's Cryin' - 2015 Remaster", "artists": [{"id": "2cnMpRsOVqtPMfq7YiFE6K", "name": "Van Halen"}],
                    "duration_ms": 209587, "explicit": false, "popularity": 57, "type": "track", "uri": "spotify:track:6MumccCPd4N6qBVdl0gSeM",
                    "external_urls": {"spotify": "https://open.spotify.com/track/6MumccCPd4N6qBVdl0gSeM"}, "href": "/api/v3/tracks/6MumccCPd4N6qBVdl0gSeM",
                    "year": 1978, "cluster": 2, "cluster_label": "energetic, happy, danceable", "distance": 0.98,
                    "reason": {"closest": ["speechiness", "duration_ms"], "furthest": ["loudness"], "shared_genres": ["album rock"], "same_cluster": false,
                        "text": "Closest in speechiness and length, furthest in loudness; shares album rock."}}]}},
        "AudioFeatures": {"type": "object",
            "required": ["id", "danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness", "instrumentalness", "liveness", "valence", "tempo", "duration_ms", "time_signature", "type", "uri", "track_href"],
            "properties": {"id": {"type": "string"}, "danceability": {"type": "number"}, "energy": {"type": "number"}, "key": {"type": "integer"},
                "loudness": {"type": "number"}, "mode": {"type": "integer"}, "speechiness": {"type": "number"}, "acousticness": {"type": "number"},
                "instrumentalness": {"type": "number"}, "liveness": {"type": "number"}, "valence": {"type": "number"}, "tempo": {"type": "number"},
                "duration_ms": {"type": "integer"}, "time_signature": {"type": ["integer", "null"], "description": "2021-table tracks only."},
                "type": {"type": "string", "enum": ["audio_features"]}, "uri": {"type": "string"}, "track_href": {"type": "string"},
                "analysis_url": {"type": "null", "description": "This catalogue has no audio analyses."}},
            "example": {"danceability": 0.64, "energy": 0.663, "key": 0, "loudness": -7.516, "mode": 1, "speechiness": 0.0374, "acousticness": 0.201,
                "instrumentalness": 0.00806, "liveness": 0.152, "valence": 0.663, "tempo": 132.77, "type": "audio_features", "id": EXAMPLE_TRACK,
                "uri": format!("spotify:track:{EXAMPLE_TRACK}"), "track_href": format!("/api/v3/tracks/{EXAMPLE_TRACK}"), "analysis_url": null,
                "duration_ms": 140773, "time_signature": 4}},
        "RelatedArtist": {"type": "object", "required": ["id", "name", "genres", "type", "uri", "external_urls", "distance", "reason"],
            "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "genres": {"type": "array", "items": {"type": "string"}},
                "popularity": {"type": ["integer", "null"]}, "type": {"type": "string", "enum": ["artist"]}, "uri": {"type": "string"},
                "external_urls": {"type": "object", "properties": {"spotify": {"type": "string"}}}, "href": {"type": "null"},
                "cluster": {"type": ["integer", "null"]},
                "distance": {"type": "number", "description": "Distance between the means of the two artists' tracks, times 1 - (genre Jaccard) / 2."},
                "reason": {"$ref": "#/components/schemas/Reason"}},
            "example": {"id": "22bE4uQ6baNwSHPVcDxLCe", "name": "The Rolling Stones", "genres": ["album rock", "british invasion", "classic rock", "rock"],
                "popularity": 35, "type": "artist", "uri": "spotify:artist:22bE4uQ6baNwSHPVcDxLCe",
                "external_urls": {"spotify": "https://open.spotify.com/artist/22bE4uQ6baNwSHPVcDxLCe"}, "href": null, "cluster": 2, "distance": 0.69,
                "reason": {"closest": ["instrumentalness", "duration_ms"], "furthest": ["acousticness"], "shared_genres": ["album rock", "classic rock", "rock"],
                    "same_cluster": true, "text": "Same cluster as a seed; closest in instrumentalness and length, furthest in acousticness; shares album rock, classic rock, rock."}}},
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
                "cluster": {"type": "integer"},
                "distance": {"type": ["number", "null"], "description": "Euclidean: in the nine clustering features (cluster, nearest), in the standardized columns of `features` (similar); null for random."},
                "reason": {"$ref": "#/components/schemas/Reason"}}},
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
                "n": {"type": "integer"},
                "method": {"type": "string", "enum": ["similar", "cluster", "nearest", "random"]},
                "description": {"type": "string", "description": "How the method picks, in words."},
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
