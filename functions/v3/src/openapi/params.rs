//! The v3 routes' parameters, as `utoipa::IntoParams` for the handlers' `#[utoipa::path]`.
//! Written by hand rather than derived: their ranges come from the constants and the feature
//! columns the parsers check against (`Col::range`, `MAX_LIMIT`, ...), which derive attributes
//! cannot read. `tests/openapi_answers.rs` checks every documented parameter is accepted.

use serde_json::{json, Value};
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::IntoParams;

use crate::features::Col;
use crate::spotify::{DEFAULT_RECOMMENDATIONS, MAX_IDS, MAX_RECOMMENDATIONS, MAX_SEEDS};
use crate::{DEFAULT_LIMIT, DEFAULT_N, MAX_LIMIT, MAX_N, MAX_QUERY_CHARS};

/// Fortunate Son (Creedence Clearwater Revival), a track of the shipped catalogue.
pub const EXAMPLE_TRACK: &str = "4BP3uh0hFLFRb5cjsgLqDh";
pub const EXAMPLE_ARTIST: &str = "3IYUhFvPQItj6xySrBmZkd";

const ID_PATTERN: &str = "^[A-Za-z0-9]{1,64}$";

/// A parameter written as its OpenAPI JSON.
fn param(v: Value) -> Parameter {
    serde_json::from_value(v).expect("a valid OpenAPI parameter")
}

fn query(name: &str, description: &str, schema: Value) -> Value {
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

fn with_example(mut p: Value, example: impl Into<Value>) -> Value {
    p["example"] = example.into();
    p
}

fn csv(name: &str, description: &str, example: &str) -> Value {
    with_example(query(name, description, json!({"type": "string"})), example)
}

macro_rules! params {
    ($(#[$doc:meta])* $name:ident => $body:expr) => {
        $(#[$doc])*
        pub struct $name;
        impl IntoParams for $name {
            fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
                $body.into_iter().map(param).collect()
            }
        }
    };
}

params!(
    /// `q` and `limit` of `/api/v3/search`.
    SearchQuery => vec![
        json!({"name": "q", "in": "query", "required": true, "description": "Words of a title and/or artist names, in any order; the last may be unfinished. Case, accents and typos (one in words of 4-7 letters, two from 8) are forgiven.",
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS}}),
        query("limit", "Most hits to return.",
            json!({"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT})),
    ]
);

params!(
    /// A track's Spotify id in the path.
    TrackId => [json!({"name": "id", "in": "path", "required": true, "description": "Spotify track id (22 base-62 characters).",
        "schema": {"type": "string", "pattern": ID_PATTERN}})]
);

params!(
    /// An artist's Spotify id in the path.
    ArtistId => [json!({"name": "id", "in": "path", "required": true, "description": "Spotify artist id.",
        "schema": {"type": "string", "pattern": ID_PATTERN}, "example": EXAMPLE_ARTIST})]
);

params!(
    /// A cluster number in the path.
    ClusterNumber => [json!({"name": "n", "in": "path", "required": true, "description": "Cluster number.", "schema": {"type": "integer"}})]
);

params!(
    /// `n`, `method` and `scope` of `/api/v3/tracks/{id}/recommendations`.
    RecommendQuery => [
        query("n", "How many tracks to recommend.",
            json!({"type": "integer", "minimum": 1, "maximum": MAX_N, "default": DEFAULT_N})),
        with_example(query("method", "`similar`: nearest over all tracks in the nine clustering features, danceability, release year (triple weight), mode, time signature, popularity, explicit and the title's letters (accents, script), standardized and weighted; no genre or artist is an input; at most a fifth of the list by the seed's own artists; `cluster`: the original's, its cluster, nearest first in the nine features; `nearest`: the nine features over all tracks; `random`: a uniform random sample of its cluster (new each time, never cached).",
            json!({"type": "string", "enum": ["similar", "cluster", "nearest", "random"], "default": "similar"})), "similar"),
        query("scope", "Older name: `cluster` is method=cluster, `all` is method=nearest.",
            json!({"type": "string", "enum": ["cluster", "all"]})),
    ]
);

params!(
    /// Spotify's `market`, accepted by every Spotify-shaped route.
    Market => [with_example(query("market", "Accepted for Spotify clients and ignored: the catalogue has no markets.",
        json!({"type": "string"})), "US")]
);

params!(
    /// `ids` of `/api/v3/audio-features`.
    AudioFeatureIds => [json!({"name": "ids", "in": "query", "required": true,
        "description": format!("1 to {MAX_IDS} comma-separated Spotify track ids."),
        "schema": {"type": "string"}, "example": format!("{EXAMPLE_TRACK},08mG3Y1vljYA6bvDt4Wqkj")})]
);

params!(
    /// Seeds, filters and tunable targets of `/api/v3/recommendations`.
    SpotifyRecommendQuery => {
        let mut out = vec![
            csv("seed_tracks", "Comma-separated Spotify track ids.", EXAMPLE_TRACK),
            csv("seed_artists", "Comma-separated Spotify artist ids (the 2021 tracks' `id_artists`).", EXAMPLE_ARTIST),
            csv("seed_genres", &format!("Comma-separated genres from recommendations/available-genre-seeds. At least one seed and at most {MAX_SEEDS} in all."), "rock"),
            with_example(query("limit", "How many tracks; fewer when the filters leave fewer.",
                json!({"type": "integer", "minimum": 1, "maximum": MAX_RECOMMENDATIONS, "default": DEFAULT_RECOMMENDATIONS})), 10),
            csv("exclude", &format!("Track ids never to suggest (at most {MAX_IDS}); ids this catalogue lacks are ignored."), "08mG3Y1vljYA6bvDt4Wqkj"),
            with_example(query("max_per_artist", "At most this many tracks crediting any one artist.",
                json!({"type": "integer", "minimum": 1, "maximum": MAX_RECOMMENDATIONS})), 2),
            with_example(query("explicit", "`false` leaves explicit tracks out.",
                json!({"type": "string", "enum": ["true", "false"]})), "false"),
        ];
        out.extend(tunable());
        out
    }
);

/// `min_`, `max_` and `target_` for every filterable column, with its range.
fn tunable() -> Vec<Value> {
    let mut out = Vec::new();
    for col in Col::ALL {
        let (lo, hi) = col.range();
        let schema = json!({"type": "number", "minimum": lo, "maximum": hi});
        let name = col.name();
        out.push(query(&format!("min_{name}"),
            &format!("Only tracks whose {name} is at least this (inclusive). A track with no {name} (year, time signature) is left out by any filter on it."),
            schema.clone()));
        out.push(query(
            &format!("max_{name}"),
            &format!("Only tracks whose {name} is at most this (inclusive); not below min_{name}."),
            schema.clone(),
        ));
        out.push(query(&format!("target_{name}"),
            &format!("Prefer tracks whose {name} is near this: the column is compared at weight 2 (standardized), with the seeds' centre replaced by this value."),
            schema));
    }
    out
}
