//! Every table of `musicData.sqlite`, declared once.
//!
//! The original's public tables keep its names and column order (the v1 API's JSON key order is
//! that order). Columns only this project reads come after the public ones, and routes select the
//! public ones by name ([`CleanArtistRow::PUBLIC`]), so they never reach a client.

use serde::{Deserialize, Serialize};

use crate::json::Json;
use crate::table;

/// A [`table!`] of the original's averaged features: its own columns, then the averages its CSVs
/// share (`danceability` to `popularity`, in the CSVs' order), then its own again. Declared once
/// here, so the four tables of averages cannot list them differently.
macro_rules! means_table {
    (
        $(#[$meta:meta])*
        pub struct $row:ident in $table:literal {
            $($before:tt)*
        } then {
            $($after:tt)*
        }
    ) => {
        table! {
            $(#[$meta])*
            pub struct $row in $table {
                $($before)*
                danceability: Option<f64> = "REAL",
                duration_ms: Option<f64> = "REAL",
                energy: Option<f64> = "REAL",
                instrumentalness: Option<f64> = "REAL",
                liveness: Option<f64> = "REAL",
                loudness: Option<f64> = "REAL",
                speechiness: Option<f64> = "REAL",
                tempo: Option<f64> = "REAL",
                valence: Option<f64> = "REAL",
                popularity: Option<f64> = "REAL",
                $($after)*
            }
        }
    };
}

means_table! {
    /// Mean audio features per release year (`data_by_year.csv`), the v1 `data_by_year` table.
    pub struct YearRow in "data_by_year" {
        year: i64 = "INTEGER PRIMARY KEY",
        acousticness: Option<f64> = "REAL",
    } then {
        key: Option<i64> = "INTEGER",
        mode: Option<i64> = "INTEGER",
    }
}

means_table! {
    /// The 51 genres of `top_51_genres.csv`, the v1 `top_51_genres` table, in file order.
    pub struct TopGenreRow in "top_51_genres" {
        mode: Option<i64> = "INTEGER",
        genres: String = "TEXT PRIMARY KEY",
        acousticness: Option<f64> = "REAL",
    } then {
        key: Option<i64> = "INTEGER",
    }
}

means_table! {
    /// Mean features per genre (`data_by_genres.csv`, 3,232 genres).
    pub struct GenreMeansRow in "data_by_genres" {
        genres: String = "TEXT PRIMARY KEY",
        acousticness: Option<f64> = "REAL",
    } then {
        key: Option<i64> = "INTEGER",
        mode: Option<i64> = "INTEGER",
    }
}

means_table! {
    /// One artist's mean features, as the original's notebook derived `Clean_Artists` from the
    /// artist table (tempo and popularity rounded to 2 places, `duration_s`, `duration_min`,
    /// `loudness_scale`). Rows are the union of both artist tables by name.
    pub struct CleanArtistRow in "Clean_Artists" {
        mode: Option<i64> = "INTEGER",
        count: Option<i64> = "INTEGER",
        acousticness: Option<f64> = "REAL",
        artists: String = "TEXT NOT NULL",
    } then {
        key: Option<i64> = "INTEGER",
        duration_s: Option<f64> = "REAL",
        duration_min: Option<f64> = "REAL",
        loudness_scale: Option<f64> = "REAL",
        /// Hidden: the folded name (`music_shared::fold_name`), for case- and accent-insensitive lookups.
        artists_folded: String = "TEXT NOT NULL",
    }
}

impl CleanArtistRow {
    /// The columns the API shows, in the original's order: every column but the hidden
    /// `artists_folded`, which the declaration puts last so that this can be read off it.
    pub const PUBLIC: &'static [&'static str] = match Self::COLUMNS.split_last() {
        Some((_artists_folded, public)) => public,
        None => &[],
    };
}

table! {
    /// The ten tracks nearest each centroid, nearest first: the original's `fixed_song_combined`
    /// (`name, id, artists, Assignments`; `artists` a Python-list repr string) plus the distance.
    pub struct FixedSongRow in "fixed_song_combined" {
        name: String = "TEXT NOT NULL",
        id: String = "TEXT NOT NULL",
        artists: String = "TEXT NOT NULL",
        Assignments: i64 = "INTEGER NOT NULL",
        /// Hidden: Euclidean distance to the centroid in the nine features.
        distance: f64 = "REAL NOT NULL",
    }
}

impl FixedSongRow {
    pub const PUBLIC: &'static [&'static str] = &["name", "id", "artists", "Assignments"];
}

table! {
    /// One track of the catalogue. `track` numbers the catalogue (0..n, in pipeline order) and is
    /// what the prebuilt blobs (search index, neighbours) point at.
    pub struct TrackRow in "tracks" {
        track: i64 = "INTEGER PRIMARY KEY",
        /// Unique (the pipeline de-duplicates by id), found through [`TRACK_BY_ID`]'s index.
        id: String = "TEXT NOT NULL",
        name: String = "TEXT NOT NULL",
        /// Credited artists, in credit order.
        artists: Json<Vec<String>> = "TEXT NOT NULL",
        /// Spotify artist ids parallel to `artists` (2021 schema); `[]` for 2020 rows.
        artist_ids: Json<Vec<String>> = "TEXT NOT NULL",
        year: Option<i64> = "INTEGER",
        release_date: String = "TEXT NOT NULL",
        popularity: f64 = "REAL NOT NULL",
        explicit: bool = "INTEGER NOT NULL",
        duration_ms: f64 = "REAL NOT NULL",
        key: i64 = "INTEGER NOT NULL",
        mode: i64 = "INTEGER NOT NULL",
        /// 2021 schema only.
        time_signature: Option<i64> = "INTEGER",
        danceability: f64 = "REAL NOT NULL",
        energy: f64 = "REAL NOT NULL",
        loudness: f64 = "REAL NOT NULL",
        speechiness: f64 = "REAL NOT NULL",
        acousticness: f64 = "REAL NOT NULL",
        instrumentalness: f64 = "REAL NOT NULL",
        liveness: f64 = "REAL NOT NULL",
        valence: f64 = "REAL NOT NULL",
        tempo: f64 = "REAL NOT NULL",
        cluster: i64 = "INTEGER NOT NULL",
        /// Euclidean distance to its centroid in the nine clustering features.
        distance: f64 = "REAL NOT NULL",
        /// Which input file the row came from: index into `build_info`'s `inputs_tracks`.
        source: i64 = "INTEGER NOT NULL",
    }
}

table! {
    /// Every artist the catalogue names: the union of the artist tables, plus artists credited on
    /// tracks that neither table has. The one place an artist's genres are stored.
    pub struct ArtistRow in "artists" {
        artist: i64 = "INTEGER PRIMARY KEY",
        name: String = "TEXT NOT NULL UNIQUE",
        genres: Json<Vec<String>> = "TEXT NOT NULL",
        /// Spotify artist id, when a 2021-schema track credits the artist.
        spotify_id: Option<String> = "TEXT",
        popularity: Option<f64> = "REAL",
        /// The cluster most of the artist's tracks fall in; for an artist without tracks here,
        /// the cluster whose centroid is nearest the artist's mean features; else NULL.
        cluster: Option<i64> = "INTEGER",
        /// `tracks`, `features` or `none`: what `cluster` was read off.
        cluster_basis: String = "TEXT NOT NULL",
        /// How many catalogue tracks credit the artist.
        tracks: i64 = "INTEGER NOT NULL",
    }
}

table! {
    /// K-Means inertia for each k of the elbow: the SUM of squared distances (scikit-learn's
    /// `inertia_`), not linfa's mean.
    pub struct ElbowRow in "elbow" {
        k: i64 = "INTEGER PRIMARY KEY",
        inertia: f64 = "REAL NOT NULL",
    }
}

/// One entry of a cluster's `top_genres`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GenreCount {
    pub genre: String,
    /// Tracks of the cluster with the genre.
    pub count: u64,
    /// The genre's share in the cluster over its share in the whole catalogue.
    pub lift: f64,
}

/// One entry of a cluster's `nearest`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NearTrack {
    pub id: String,
    pub name: String,
    pub artists: Vec<String>,
    pub distance: f64,
}

/// A JSON object with keys in insertion order (the nine features in their order, and so on).
pub type JsonObject = serde_json::Map<String, serde_json::Value>;

table! {
    /// What the pipeline says about each cluster.
    pub struct ClusterRow in "clusters" {
        cluster: i64 = "INTEGER PRIMARY KEY",
        /// Short, distinct, read off the centroid by fixed rules.
        label: String = "TEXT NOT NULL",
        /// One sentence on what sets the cluster apart.
        description: String = "TEXT NOT NULL",
        size: i64 = "INTEGER NOT NULL",
        /// The nine clustering features, in `FEATURES` order.
        centroid: Json<JsonObject> = "TEXT NOT NULL",
        /// Every raw and scaled feature averaged over the cluster.
        means: Json<JsonObject> = "TEXT NOT NULL",
        /// Genres by track count, top 15.
        top_genres: Json<Vec<GenreCount>> = "TEXT NOT NULL",
        /// Genres most over-represented in the cluster (lift), top 10, each with at least 2% of its tracks.
        distinctive_genres: Json<Vec<GenreCount>> = "TEXT NOT NULL",
        /// The ten tracks nearest the centroid (each song once).
        nearest: Json<Vec<NearTrack>> = "TEXT NOT NULL",
        /// Euclidean distance to the original run's cluster of the same number.
        reference_distance: Option<f64> = "REAL",
    }
}

table! {
    /// How the file was built: inputs, counts, options, extremes. Text values; JSON where a list.
    pub struct BuildInfoRow in "build_info" {
        key: String = "TEXT PRIMARY KEY",
        value: String = "TEXT NOT NULL",
    }
}

table! {
    /// Prebuilt binary data the v3 Lambda loads whole at start-up (see [`crate::blobs`]).
    pub struct BlobRow in "blobs" {
        name: String = "TEXT PRIMARY KEY",
        data: Vec<u8> = "BLOB NOT NULL",
    }
}

/// The original's `songAssignments_randomTable` (`id, name, artists, Assignments`, artists as a
/// Python-list repr), as a view over `tracks` rather than a second copy of every track. The repr
/// follows Python's: single quotes unless the name holds a `'` and no `"`.
pub const RANDOM_TABLE_VIEW: &str = r#"CREATE VIEW songAssignments_randomTable AS
SELECT t.id AS id, t.name AS name,
  '[' || coalesce((SELECT group_concat(
      CASE WHEN instr(a.value, '''') > 0 AND instr(a.value, '"') = 0
           THEN '"' || replace(a.value, '\', '\\') || '"'
           ELSE '''' || replace(replace(a.value, '\', '\\'), '''', '\''') || ''''
      END, ', ') FROM (SELECT value FROM json_each(t.artists) ORDER BY key) AS a), '') || ']' AS artists,
  t.cluster AS Assignments
FROM tracks AS t"#;

/// Secondary indexes, created after the rows are in (faster than maintaining them per insert).
///
/// Tracks are found by Spotify id through the id's first 8 characters (47 bits of base 62, so
/// practically unique in 87k ids): half the size of an index of the whole 22-character ids,
/// which kept the shipped file over its 40 MB budget.
pub const INDEXES: &[&str] = &[
    "CREATE INDEX tracks_id_prefix ON tracks(substr(id, 1, 8))",
    "CREATE INDEX Clean_Artists_folded ON Clean_Artists(artists_folded)",
    "CREATE INDEX fixed_song_combined_cluster ON fixed_song_combined(Assignments, distance)",
];

/// The condition that finds the track whose id is `?1` through `tracks_id_prefix`. The `+`
/// keeps SQLite's planner from preferring a full scan on the whole-id comparison.
pub const TRACK_BY_ID: &str = "substr(id, 1, 8) = substr(?1, 1, 8) AND +id = ?1";

/// Bumped whenever a table, column or blob format changes, so that a reader refuses a file built
/// by an older pipeline (and `scripts/` rebuilds it) instead of failing on a missing column.
pub const SCHEMA_VERSION: u32 = 3;

/// Every `CREATE TABLE`, in the order the writer creates them.
pub const ALL_TABLES: &[&str] = &[
    YearRow::DDL,
    TopGenreRow::DDL,
    GenreMeansRow::DDL,
    CleanArtistRow::DDL,
    FixedSongRow::DDL,
    TrackRow::DDL,
    ArtistRow::DDL,
    ElbowRow::DDL,
    ClusterRow::DDL,
    BuildInfoRow::DDL,
    BlobRow::DDL,
];
