//! What the v3 routes answer, as types: each handler serializes one of these, and the OpenAPI
//! document's schemas are derived from the same types (`utoipa::ToSchema`), so the two cannot
//! drift. Fields serialize in declaration order, which is the answers' key order.

pub mod spotify;

use music_db::{GenreCount, JsonObject, NearTrack};
use music_search::Match;
use serde::Serialize;
use utoipa::ToSchema;

use crate::recommend::{Method, Scope};
pub use spotify::ReasonOut;

/// `GET /api/v3/search`.
#[derive(Serialize, ToSchema)]
pub struct SearchResult {
    pub query: String,
    pub folded: String,
    pub count: usize,
    pub hits: Vec<SearchHit>,
}

/// What a search hit is.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum HitKind {
    Track,
    Artist,
}

/// What an artist's `cluster` was read off (the `artists.cluster_basis` column).
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)] // documents the column's values; the column is served as it is stored
pub enum ClusterBasis {
    Tracks,
    Features,
    None,
}

/// One search hit: a track, or an artist (which also has `cluster_basis` and `tracks`).
#[derive(Serialize, ToSchema)]
pub struct SearchHit {
    pub kind: HitKind,
    /// Spotify track id; for an artist, its Spotify artist id when a track of the 2021 table credits it, else null.
    #[schema(required = true)]
    pub id: Option<String>,
    /// Track title or artist name.
    pub name: String,
    pub artists: Vec<String>,
    /// The track's cluster; for an artist, the cluster most of its tracks are in (cluster_basis = tracks) or the one nearest its mean features (features).
    #[schema(required = true)]
    pub cluster: Option<i64>,
    /// Artists only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<ClusterBasis>, nullable = false)]
    pub cluster_basis: Option<String>,
    /// The artist's tracks in the data (artists only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub tracks: Option<i64>,
    pub popularity: Option<f64>,
    /// exact: the query is the whole name; prefix: the name starts with it; word: its words are found elsewhere in the title and artists; fuzzy: a typo was needed.
    #[serde(rename = "match")]
    pub matched: Match,
}

/// The nine clustering features (`music_shared::FEATURES`, in that order).
#[derive(Serialize, ToSchema, Default)]
pub struct ClusteringFeatures {
    pub energy: f64,
    pub speechiness: f64,
    pub acousticness: f64,
    pub instrumentalness: f64,
    pub liveness: f64,
    pub valence: f64,
    pub loudness_scale: f64,
    pub tempo_scale: f64,
    pub duration_scale: f64,
}

/// Named numbers, serialized as one JSON object in their order.
pub struct NamedNumbers<const N: usize>(pub [(&'static str, f64); N]);

impl<const N: usize> Serialize for NamedNumbers<N> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

/// The scaled columns, computed from the raw ones and the extremes the pipeline scaled against.
#[derive(Serialize, ToSchema)]
pub struct ScaledFeatures {
    pub loudness_scale: f64,
    pub tempo_scale: f64,
    pub duration_scale: f64,
    pub popularity_scale: f64,
}

/// `GET /api/v3/tracks/{id}`: one track in full.
#[derive(Serialize, ToSchema)]
pub struct Track {
    pub id: String,
    pub name: String,
    pub artists: Vec<String>,
    pub artist_ids: Vec<String>,
    /// Per artist, in artist order.
    pub genres: Vec<Vec<String>>,
    #[schema(required = true)]
    pub year: Option<i64>,
    pub release_date: String,
    pub popularity: f64,
    pub explicit: bool,
    pub duration_ms: f64,
    pub key: i64,
    pub mode: i64,
    /// 2021-table tracks only.
    #[schema(required = true)]
    pub time_signature: Option<i64>,
    /// The raw audio features, as stored: danceability, energy, loudness, speechiness,
    /// acousticness, instrumentalness, liveness, valence, tempo.
    #[schema(value_type = std::collections::BTreeMap<String, f64>)]
    pub features: NamedNumbers<9>,
    pub scaled: ScaledFeatures,
    pub clustering_features: ClusteringFeatures,
    pub cluster: i64,
    #[schema(required = true)]
    pub cluster_label: Option<String>,
    pub distance_to_centroid: f64,
}

/// A track as a list shows it.
#[derive(Serialize, ToSchema)]
pub struct TrackRef<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub artists: &'a [String],
    pub cluster: i64,
}

/// A recommended track: the listed fields, how far, and (method `similar`) why.
#[derive(Serialize, ToSchema)]
pub struct Recommended<'a> {
    #[serde(flatten)]
    pub track: TrackRef<'a>,
    /// Euclidean: in the nine clustering features (cluster, nearest), in the standardized columns of `features` (similar); null for random.
    #[schema(required = true)]
    pub distance: Option<f64>,
    /// Method `similar` only.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub reason: Option<ReasonOut<'a>>,
}

/// `GET /api/v3/tracks/{id}/recommendations`.
#[derive(Serialize, ToSchema)]
pub struct Recommendations<'a> {
    pub track: TrackRef<'a>,
    pub method: Method,
    /// How the method picks, in words.
    pub description: &'static str,
    pub scope: Scope,
    pub n: usize,
    /// The dimensions the method compares.
    pub features: Vec<&'static str>,
    pub count: usize,
    pub recommendations: Vec<Recommended<'a>>,
}

/// One cluster, as `/api/v3/clusters` and `/api/v3/clusters/{n}` show it.
#[derive(Serialize, ToSchema)]
pub struct Cluster<'a> {
    pub cluster: i64,
    /// Short and distinct, read off the centroid by fixed rules.
    pub label: &'a str,
    /// The features furthest from the catalogue's averages, and the most over-represented genre.
    pub description: &'a str,
    pub size: i64,
    #[schema(value_type = ClusteringFeatures)]
    pub centroid: &'a JsonObject,
    /// Every raw and scaled feature averaged over the cluster.
    #[schema(value_type = std::collections::BTreeMap<String, f64>)]
    pub means: &'a JsonObject,
    /// Genres by track count, top 15.
    pub top_genres: &'a [GenreCount],
    /// Genres most over-represented in the cluster (lift = share here / share overall), among those of at least 2% of its tracks.
    pub distinctive_genres: &'a [GenreCount],
    /// The ten tracks nearest the centroid (each song once).
    pub nearest: &'a [NearTrack],
    /// Distance to the original project's cluster of the same number.
    #[schema(required = true)]
    pub reference_distance: Option<f64>,
}

/// One point of the elbow curve.
#[derive(Serialize, ToSchema)]
pub struct ElbowPoint {
    pub k: i64,
    /// Sum of squared distances to the nearest centroid.
    pub inertia: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clustering_features_are_the_nine_in_order() {
        let v = serde_json::to_value(ClusteringFeatures::default()).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, music_shared::FEATURES);
    }

    /// The method an answer names is the one the `method` parameter takes.
    #[test]
    fn methods_serialize_as_their_names() {
        for m in [
            Method::Similar,
            Method::Cluster,
            Method::Nearest,
            Method::Random,
        ] {
            assert_eq!(serde_json::to_value(m).unwrap(), m.name());
        }
    }
}
