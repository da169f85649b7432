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
        summary: "Songs like one track, by method: `similar` (default: nearest over all tracks in the nine clustering features plus danceability and release year, at most a fifth by the seed's own artists), `cluster` (the original's: its cluster, nearest first), `nearest` (nine features, all tracks) or `random` (a uniform random sample of its cluster).",
        example: "/api/v3/tracks/4BP3uh0hFLFRb5cjsgLqDh/recommendations?n=10&method=similar",
    },
    Route {
        family: FAMILY,
        method: "GET",
        path: "/api/v3/recommendations",
        summary: "Spotify's retired recommendations: up to 5 seeds (tracks, artists, genres), `target_`, `min_` and `max_` audio features, plus year, explicit, exclude and per-artist filters; each track with its distance and why it was chosen. Errors in Spotify's form.",
        example: "/api/v3/recommendations?seed_tracks=4BP3uh0hFLFRb5cjsgLqDh&seed_genres=rock&target_energy=0.8&min_popularity=40&limit=10",
    },
    Route {
        family: FAMILY,
        method: "GET",
        path: "/api/v3/recommendations/available-genre-seeds",
        summary: "The genres `seed_genres` accepts (those carried by at least 10 tracks), as Spotify's endpoint listed them.",
        example: "/api/v3/recommendations/available-genre-seeds",
    },
    Route {
        family: FAMILY,
        method: "GET",
        path: "/api/v3/audio-features",
        summary: "Spotify's audio features of up to 100 tracks (`ids`, comma-separated), in order; `null` for an id this catalogue lacks.",
        example: "/api/v3/audio-features?ids=4BP3uh0hFLFRb5cjsgLqDh,08mG3Y1vljYA6bvDt4Wqkj",
    },
    Route {
        family: FAMILY,
        method: "GET",
        path: "/api/v3/audio-features/",
        summary: "The same as `/api/v3/audio-features`, with the trailing slash spotipy sends.",
        example: "/api/v3/audio-features/?ids=4BP3uh0hFLFRb5cjsgLqDh",
    },
    Route {
        family: FAMILY,
        method: "GET",
        path: "/api/v3/audio-features/{id}",
        summary: "One track's audio features, in Spotify's shape.",
        example: "/api/v3/audio-features/4BP3uh0hFLFRb5cjsgLqDh",
    },
    Route {
        family: FAMILY,
        method: "GET",
        path: "/api/v3/artists/{id}/related-artists",
        summary: "Spotify's retired related artists: the 20 artists nearest in sound (the mean of their tracks) and genres, each with why.",
        example: "/api/v3/artists/3IYUhFvPQItj6xySrBmZkd/related-artists",
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
