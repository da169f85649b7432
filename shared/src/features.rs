/// The nine features the original clustered on, in the order its method page lists them.
/// Popularity is left out on purpose: the original's "no_popularity" run showed it only
/// pulls clusters towards release year. The pipeline clusters on them and v3 ranks on them, so
/// the order is part of the SQLite contract (the neighbour blob packs them in it).
pub const FEATURES: [&str; 9] = [
    "energy",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "loudness_scale",
    "tempo_scale",
    "duration_scale",
];
