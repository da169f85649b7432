use super::{Family, Route};

const FAMILY: Family = Family::V2;

/// The original's DynamoDB routes, in the order its root page listed them.
pub const ROUTES: &[Route] = &[
    Route {
        family: FAMILY,
        method: "GET",
        path: "/api/v2.0/Music_ML_tracks/{track}",
        summary: "One title's artists, genres and clusters (table Music_ML3) as DynamoDB typed JSON `{\"Item\": ...}`, or plain JSON with ?format=plain; exact title, else case- and accent-insensitive; 404 if unknown",
        example: "/api/v2.0/Music_ML_tracks/Se%C3%B1orita",
    },
    Route {
        family: FAMILY,
        method: "GET",
        path: "/api/v2.1/Music_ML_tracks/{track}",
        summary: "As v2.0, from table Music_ML_IDs, which adds the Spotify track ids (`id`)",
        example: "/api/v2.1/Music_ML_tracks/'Till%20I%20Collapse",
    },
    Route {
        family: FAMILY,
        method: "GET",
        path: "/api/v2.1/Fixed_Song_Assignments/{n}",
        summary: "The 10 tracks nearest cluster n's centroid (n = 0..9), rows of name, id, artists, Assignments",
        example: "/api/v2.1/Fixed_Song_Assignments/3",
    },
    Route {
        family: FAMILY,
        method: "GET",
        path: "/api/v2.1/Random_Song_Assignments/{n}",
        summary: "10 random tracks of cluster n (n = 0..9), a uniform sample drawn afresh on each call; same rows as the fixed ones",
        example: "/api/v2.1/Random_Song_Assignments/7",
    },
];
