//! The route catalogue: every public route of every family, with an example URL. It feeds the
//! `/api` listing, the OpenAPI document and the SAM template checks; each family's tests check
//! that its router serves exactly its part of it, so the catalogue cannot drift from the code.

/// Which Lambda answers a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    V1,
    V2,
    V3,
    Web,
}

/// One route. `path` uses axum's `{param}` syntax; `example` is a URL that answers 200 on the
/// shipped data.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Route {
    pub family: Family,
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    pub example: &'static str,
}

/// Every route, in the order the `/api` listing shows them.
pub fn routes() -> Vec<Route> {
    ROUTES.to_vec()
}

pub fn routes_of(family: Family) -> Vec<Route> {
    ROUTES
        .iter()
        .filter(|r| r.family == family)
        .copied()
        .collect()
}

/// Every route, family by family (v1, v2, v3, the site), in the order the `/api` listing shows
/// them.
const ROUTES: &[Route] = &[
    // `/api` first, then the original's live v1 routes in the order its root page listed them.
    Route {
        family: Family::V1,
        method: "GET",
        path: "/api",
        summary: "This listing: every route of every family, with an example URL each",
        example: "/api",
    },
    Route {
        family: Family::V1,
        method: "GET",
        path: "/api/v1.0/data_by_year",
        summary: "Mean audio features per release year, one object per year",
        example: "/api/v1.0/data_by_year",
    },
    Route {
        family: Family::V1,
        method: "GET",
        path: "/api/v1.0/data_by_artist_clean/{artist}",
        summary: "One artist's mean features (exact name, else case- and accent-insensitive); an array, 404 if unknown",
        example: "/api/v1.0/data_by_artist_clean/The%20B-52's",
    },
    Route {
        family: Family::V1,
        method: "GET",
        path: "/api/v1.0/top_51_genres",
        summary: "Mean audio features of the 51 most common genres",
        example: "/api/v1.0/top_51_genres",
    },
    // The original's DynamoDB routes, in the order its root page listed them.
    Route {
        family: Family::V2,
        method: "GET",
        path: "/api/v2.0/Music_ML_tracks/{track}",
        summary: "One title's artists, genres and clusters (table Music_ML3) as DynamoDB typed JSON `{\"Item\": ...}`, or plain JSON with ?format=plain; exact title, else case- and accent-insensitive; 404 if unknown",
        example: "/api/v2.0/Music_ML_tracks/Se%C3%B1orita",
    },
    Route {
        family: Family::V2,
        method: "GET",
        path: "/api/v2.1/Music_ML_tracks/{track}",
        summary: "As v2.0, from table Music_ML_IDs, which adds the Spotify track ids (`id`)",
        example: "/api/v2.1/Music_ML_tracks/'Till%20I%20Collapse",
    },
    Route {
        family: Family::V2,
        method: "GET",
        path: "/api/v2.1/Fixed_Song_Assignments/{n}",
        summary: "The 10 tracks nearest cluster n's centroid (n = 0..9), rows of name, id, artists, Assignments",
        example: "/api/v2.1/Fixed_Song_Assignments/3",
    },
    Route {
        family: Family::V2,
        method: "GET",
        path: "/api/v2.1/Random_Song_Assignments/{n}",
        summary: "10 random tracks of cluster n (n = 0..9), a uniform sample drawn afresh on each call; same rows as the fixed ones",
        example: "/api/v2.1/Random_Song_Assignments/7",
    },
    // v3; the examples use a track of the shipped catalogue (Fortunate Son, Creedence Clearwater
    // Revival).
    Route {
        family: Family::V3,
        method: "GET",
        path: "/api/v3/search",
        summary: "Tracks and artists matching the words of a title and/or artist names, in any order, as the user types (the last word may be unfinished): case- and accent-insensitive, typos tolerated anywhere in a word; tracks matching more words first, then fewer typos, whole names before partial ones, then popularity.",
        example: "/api/v3/search?q=fleetwod%20mac%20dre&limit=10",
    },
    Route {
        family: Family::V3,
        method: "GET",
        path: "/api/v3/tracks/{id}",
        summary: "One track by Spotify id: raw and scaled features, cluster, distance to its centroid, genres.",
        example: "/api/v3/tracks/4BP3uh0hFLFRb5cjsgLqDh",
    },
    Route {
        family: Family::V3,
        method: "GET",
        path: "/api/v3/tracks/{id}/recommendations",
        summary: "Songs like one track, by method: `similar` (default: nearest over all tracks in the nine clustering features, danceability, release year (triple weight), mode, time signature, popularity, explicit and the title's letters (accents, script), standardized and weighted; no genre or artist is an input; at most a fifth by the seed's own artists), `cluster` (the original's: its cluster, nearest first), `nearest` (nine features, all tracks) or `random` (a uniform random sample of its cluster).",
        example: "/api/v3/tracks/4BP3uh0hFLFRb5cjsgLqDh/recommendations?n=10&method=similar",
    },
    Route {
        family: Family::V3,
        method: "GET",
        path: "/api/v3/recommendations",
        summary: "Spotify's retired recommendations: up to 5 seeds (tracks, artists, genres), `target_`, `min_` and `max_` audio features, plus year, explicit, exclude and per-artist filters; each track with its distance and why it was chosen. Errors in Spotify's form.",
        example: "/api/v3/recommendations?seed_tracks=4BP3uh0hFLFRb5cjsgLqDh&seed_genres=rock&target_energy=0.8&min_popularity=40&limit=10",
    },
    Route {
        family: Family::V3,
        method: "GET",
        path: "/api/v3/recommendations/available-genre-seeds",
        summary: "The genres `seed_genres` accepts (those carried by at least 10 tracks), as Spotify's endpoint listed them.",
        example: "/api/v3/recommendations/available-genre-seeds",
    },
    Route {
        family: Family::V3,
        method: "GET",
        path: "/api/v3/audio-features",
        summary: "Spotify's audio features of up to 100 tracks (`ids`, comma-separated), in order; `null` for an id this catalogue lacks.",
        example: "/api/v3/audio-features?ids=4BP3uh0hFLFRb5cjsgLqDh,08mG3Y1vljYA6bvDt4Wqkj",
    },
    Route {
        family: Family::V3,
        method: "GET",
        path: "/api/v3/audio-features/",
        summary: "The same as `/api/v3/audio-features`, with the trailing slash spotipy sends.",
        example: "/api/v3/audio-features/?ids=4BP3uh0hFLFRb5cjsgLqDh",
    },
    Route {
        family: Family::V3,
        method: "GET",
        path: "/api/v3/audio-features/{id}",
        summary: "One track's audio features, in Spotify's shape.",
        example: "/api/v3/audio-features/4BP3uh0hFLFRb5cjsgLqDh",
    },
    Route {
        family: Family::V3,
        method: "GET",
        path: "/api/v3/artists/{id}/related-artists",
        summary: "Spotify's retired related artists: the 20 artists nearest in sound (the mean of their tracks) and genres, each with why.",
        example: "/api/v3/artists/3IYUhFvPQItj6xySrBmZkd/related-artists",
    },
    Route {
        family: Family::V3,
        method: "GET",
        path: "/api/v3/clusters",
        summary: "Every cluster: label, size, centroid, feature means, top genres, tracks nearest the centroid.",
        example: "/api/v3/clusters",
    },
    Route {
        family: Family::V3,
        method: "GET",
        path: "/api/v3/clusters/{n}",
        summary: "One cluster: label, size, centroid, feature means, top genres, tracks nearest the centroid.",
        example: "/api/v3/clusters/5",
    },
    Route {
        family: Family::V3,
        method: "GET",
        path: "/api/v3/elbow",
        summary: "K-Means inertia (sum of squared distances) for k = 1..10, as the pipeline measured it.",
        example: "/api/v3/elbow",
    },
    Route {
        family: Family::V3,
        method: "GET",
        path: "/api/v3/openapi.json",
        summary: "This OpenAPI 3.1 document: every route of every family.",
        example: "/api/v3/openapi.json",
    },
    // The site's routes (crate `music-web`). Pages keep the original site's file names.
    Route {
        family: Family::Web,
        method: "GET",
        path: "/",
        summary: "The home page (the same as /index.html)",
        example: "/",
    },
    Route {
        family: Family::Web,
        method: "GET",
        path: "/{page}",
        summary: "A page of the site: index, data, application, analysis, method, multiLine, scatter, radar, observations or about, with .html; an unknown .html page is an HTML 404",
        example: "/application.html",
    },
    Route {
        family: Family::Web,
        method: "GET",
        path: "/static/{*path}",
        summary: "The pages' scripts, styles and the vendored d3 and Bootstrap, embedded in the binary; immutable when linked with ?v=<hash>",
        example: "/static/vendor/d3/d3.min.js",
    },
];
