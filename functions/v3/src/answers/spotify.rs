//! What the routes shaped like Spotify's answer ([`crate::spotify`] builds them): Spotify's
//! field names and order, plus this catalogue's `cluster`, `distance` and `reason`.

use serde::Serialize;
use utoipa::ToSchema;

/// A seed's `type`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum SeedType {
    Track,
    Artist,
    Genre,
}

/// One seed of a recommendations answer, with the sizes of the pool it draws on.
#[derive(Serialize, ToSchema)]
pub struct SeedOut {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: SeedType,
    /// Tracks the seed draws on: a track's or artist's cluster, a genre's tracks.
    #[serde(rename = "initialPoolSize")]
    pub initial_pool_size: usize,
    /// Of those, the ones the min_/max_/year/explicit filters keep.
    #[serde(rename = "afterFilteringSize")]
    pub after_filtering_size: usize,
    /// Same as afterFilteringSize (no markets, no relinking).
    #[serde(rename = "afterRelinkingSize")]
    pub after_relinking_size: usize,
    #[schema(required = true)]
    pub href: Option<String>,
}

/// An artist credited on a track.
#[derive(Serialize, ToSchema)]
pub struct ArtistRef<'a> {
    #[schema(required = true)]
    pub id: Option<&'a str>,
    pub name: &'a str,
}

#[derive(Serialize, ToSchema)]
pub struct Links {
    pub spotify: String,
}

/// Why a track or artist was chosen.
#[derive(Serialize, ToSchema)]
#[schema(
    as = Reason,
    examples(json!({"closest": ["valence", "energy"], "furthest": ["tempo"], "shared_genres": ["classic rock"], "same_cluster": true,
        "text": "Same cluster as a seed; closest in valence and energy, furthest in tempo; shares classic rock."}))
)]
pub struct ReasonOut<'a> {
    /// The two compared columns nearest the seeds (standardized).
    pub closest: Vec<&'static str>,
    /// The compared column furthest from the seeds.
    pub furthest: Vec<&'static str>,
    /// Up to three genres shared with the seeds (genre seeds, and the genres of seed tracks' and seed artists' artists).
    pub shared_genres: Vec<&'a str>,
    /// In the cluster of a seed track or seed artist.
    pub same_cluster: bool,
    pub text: String,
}

/// Spotify's `type` of a track.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TrackType {
    Track,
}

/// A recommended track, in Spotify's shape.
#[derive(Serialize, ToSchema)]
pub struct TrackOut<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub artists: Vec<ArtistRef<'a>>,
    pub duration_ms: i64,
    pub explicit: bool,
    pub popularity: i64,
    #[serde(rename = "type")]
    pub kind: TrackType,
    pub uri: String,
    pub external_urls: Links,
    pub href: String,
    #[schema(required = true)]
    pub year: Option<i64>,
    pub cluster: u8,
    #[schema(required = true)]
    pub cluster_label: Option<&'a str>,
    /// Weighted Euclidean distance to the seeds' centre, in standard deviations.
    pub distance: f64,
    pub reason: ReasonOut<'a>,
}

/// `GET /api/v3/recommendations`.
#[derive(Serialize, ToSchema)]
#[schema(
    as = SpotifyRecommendations,
    examples(json!({"seeds": [{"id": "4BP3uh0hFLFRb5cjsgLqDh", "type": "TRACK", "initialPoolSize": 10029, "afterFilteringSize": 712, "afterRelinkingSize": 712, "href": "/api/v3/tracks/4BP3uh0hFLFRb5cjsgLqDh"}],
        "tracks": [{"id": "6MumccCPd4N6qBVdl0gSeM", "name": "Jamie's Cryin' - 2015 Remaster", "artists": [{"id": "2cnMpRsOVqtPMfq7YiFE6K", "name": "Van Halen"}],
            "duration_ms": 209587, "explicit": false, "popularity": 57, "type": "track", "uri": "spotify:track:6MumccCPd4N6qBVdl0gSeM",
            "external_urls": {"spotify": "https://open.spotify.com/track/6MumccCPd4N6qBVdl0gSeM"}, "href": "/api/v3/tracks/6MumccCPd4N6qBVdl0gSeM",
            "year": 1978, "cluster": 2, "cluster_label": "energetic, happy, danceable", "distance": 0.98,
            "reason": {"closest": ["speechiness", "duration_ms"], "furthest": ["loudness"], "shared_genres": ["album rock"], "same_cluster": false,
                "text": "Closest in speechiness and length, furthest in loudness; shares album rock."}}]}))
)]
pub struct RecommendationsOut<'a> {
    pub seeds: Vec<SeedOut>,
    pub tracks: Vec<TrackOut<'a>>,
}

/// `GET /api/v3/recommendations/available-genre-seeds`: genres carried by at least
/// `GENRE_SEED_MIN_TRACKS` (10) tracks, sorted.
#[derive(Serialize, ToSchema)]
#[schema(as = GenreSeeds, examples(json!({"genres": ["acoustic blues", "album rock", "classic rock"]})))]
pub struct GenresOut<'a> {
    pub genres: Vec<&'a str>,
}

/// Spotify's `type` of an audio-features object.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AudioFeaturesType {
    AudioFeatures,
}

/// Spotify's audio-features object.
#[derive(Serialize, ToSchema)]
#[schema(examples(json!({"danceability": 0.64, "energy": 0.663, "key": 0, "loudness": -7.516, "mode": 1, "speechiness": 0.0374, "acousticness": 0.201,
    "instrumentalness": 0.00806, "liveness": 0.152, "valence": 0.663, "tempo": 132.77, "type": "audio_features", "id": "4BP3uh0hFLFRb5cjsgLqDh",
    "uri": "spotify:track:4BP3uh0hFLFRb5cjsgLqDh", "track_href": "/api/v3/tracks/4BP3uh0hFLFRb5cjsgLqDh", "analysis_url": null,
    "duration_ms": 140773, "time_signature": 4})))]
pub struct AudioFeatures<'a> {
    pub danceability: f32,
    pub energy: f32,
    pub key: i64,
    pub loudness: f32,
    pub mode: i64,
    pub speechiness: f32,
    pub acousticness: f32,
    pub instrumentalness: f32,
    pub liveness: f32,
    pub valence: f32,
    pub tempo: f32,
    #[serde(rename = "type")]
    pub kind: AudioFeaturesType,
    pub id: &'a str,
    pub uri: String,
    pub track_href: String,
    /// This catalogue has no audio analyses: always null.
    #[schema(required = true)]
    pub analysis_url: Option<String>,
    pub duration_ms: i64,
    /// 2021-table tracks only.
    #[schema(required = true)]
    pub time_signature: Option<i64>,
}

/// `GET /api/v3/audio-features?ids=`.
#[derive(Serialize, ToSchema)]
pub struct AudioFeaturesList<'a> {
    /// One entry per id, in order; null for an id this catalogue lacks.
    pub audio_features: Vec<Option<AudioFeatures<'a>>>,
}

/// Spotify's `type` of an artist.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ArtistType {
    Artist,
}

/// A related artist, in Spotify's shape.
#[derive(Serialize, ToSchema)]
#[schema(
    as = RelatedArtist,
    examples(json!({"id": "22bE4uQ6baNwSHPVcDxLCe", "name": "The Rolling Stones", "genres": ["album rock", "british invasion", "classic rock", "rock"],
        "popularity": 35, "type": "artist", "uri": "spotify:artist:22bE4uQ6baNwSHPVcDxLCe",
        "external_urls": {"spotify": "https://open.spotify.com/artist/22bE4uQ6baNwSHPVcDxLCe"}, "href": null, "cluster": 2, "distance": 0.69,
        "reason": {"closest": ["instrumentalness", "duration_ms"], "furthest": ["acousticness"], "shared_genres": ["album rock", "classic rock", "rock"],
            "same_cluster": true, "text": "Same cluster as a seed; closest in instrumentalness and length, furthest in acousticness; shares album rock, classic rock, rock."}}))
)]
pub struct RelatedOut<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub genres: Vec<&'a str>,
    #[schema(required = true)]
    pub popularity: Option<i64>,
    #[serde(rename = "type")]
    pub kind: ArtistType,
    pub uri: String,
    pub external_urls: Links,
    /// Always null (Spotify's href of the artist object).
    #[schema(required = true)]
    pub href: Option<String>,
    #[schema(required = true)]
    pub cluster: Option<i64>,
    /// Distance between the means of the two artists' tracks, times 1 - (genre Jaccard) / 2.
    pub distance: f64,
    pub reason: ReasonOut<'a>,
}

/// `GET /api/v3/artists/{id}/related-artists`.
#[derive(Serialize, ToSchema)]
pub struct RelatedList<'a> {
    /// At most `RELATED_ARTISTS` (20).
    #[schema(max_items = 20)]
    pub artists: Vec<RelatedOut<'a>>,
}
