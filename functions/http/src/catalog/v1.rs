use super::{Family, Route};

const FAMILY: Family = Family::V1;

/// `/api` first, then the original's live v1 routes in the order its root page listed them.
pub const ROUTES: &[Route] = &[
    Route {
        family: FAMILY,
        method: "GET",
        path: "/api",
        summary: "This listing: every route of every family, with an example URL each",
        example: "/api",
    },
    Route {
        family: FAMILY,
        method: "GET",
        path: "/api/v1.0/data_by_year",
        summary: "Mean audio features per release year, one object per year",
        example: "/api/v1.0/data_by_year",
    },
    Route {
        family: FAMILY,
        method: "GET",
        path: "/api/v1.0/data_by_artist_clean/{artist}",
        summary: "One artist's mean features (exact name, else case- and accent-insensitive); an array, 404 if unknown",
        example: "/api/v1.0/data_by_artist_clean/The%20B-52's",
    },
    Route {
        family: FAMILY,
        method: "GET",
        path: "/api/v1.0/top_51_genres",
        summary: "Mean audio features of the 51 most common genres",
        example: "/api/v1.0/top_51_genres",
    },
];
