use super::{Family, Route};

/// A track of the shipped catalogue (Fortunate Son, Creedence Clearwater Revival) for the examples.
pub const ROUTES: &[Route] = &[
    Route {
        family: FAMILY,
        method: "GET",
        path: "/api/v3/search",
        summary: "Tracks and artists matching the words of a title and/or artist names, in any order, as the user types (the last word may be unfinished): case- and accent-insensitive, typos tolerated anywhere in a word; tracks matching more words first, then fewer typos, whole names before partial ones, then popularity.",
        example: "/api/v3/search?q=fleetwod%20mac%20dre&limit=10",
    },
    Route {
        family: FAMILY,
        method: "GET",
        path: "/api/v3/tracks/{id}",
        summary: "One track by Spotify id: raw and scaled features, cluster, distance to its centroid, genres.",
        example: "/api/v3/tracks/4BP3uh0hFLFRb5cjsgLqDh",
    },
    Route {
        family: FAMILY,
        method: "GET",
        path: "/api/v3/tracks/{id}/recommendations",
        summary: "The n tracks nearest to a track in the nine clustering features (Euclidean), within its cluster or over all tracks, each with its distance.",
        example: "/api/v3/tracks/4BP3uh0hFLFRb5cjsgLqDh/recommendations?n=10&scope=cluster",
    },
    Route {
        family: FAMILY,
        method: "GET",
        path: "/api/v3/clusters",
        summary: "Every cluster: label, size, centroid, feature means, top genres, tracks nearest the centroid.",
        example: "/api/v3/clusters",
    },
    Route {
        family: FAMILY,
        method: "GET",
        path: "/api/v3/clusters/{n}",
        summary: "One cluster: label, size, centroid, feature means, top genres, tracks nearest the centroid.",
        example: "/api/v3/clusters/5",
    },
    Route {
        family: FAMILY,
        method: "GET",
        path: "/api/v3/elbow",
        summary: "K-Means inertia (sum of squared distances) for k = 1..10, as the pipeline measured it.",
        example: "/api/v3/elbow",
    },
    Route {
        family: FAMILY,
        method: "GET",
        path: "/api/v3/openapi.json",
        summary: "This OpenAPI 3.1 document: every route of every family.",
        example: "/api/v3/openapi.json",
    },
];
const FAMILY: Family = Family::V3;
