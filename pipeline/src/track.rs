use serde::{Deserialize, Serialize};

/// One track as the Kaggle tables describe it, whichever of the two schemas it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Track {
    pub id: String,
    pub name: String,
    /// Credited artists in credit order.
    pub artists: Vec<String>,
    /// Spotify artist ids, parallel to `artists` (2021 schema only; empty for 2020 files).
    pub artist_ids: Vec<String>,
    pub year: Option<i32>,
    pub release_date: String,
    pub popularity: f64,
    pub explicit: bool,
    pub duration_ms: f64,
    pub key: i32,
    pub mode: i32,
    pub danceability: f64,
    pub energy: f64,
    pub loudness: f64,
    pub speechiness: f64,
    pub acousticness: f64,
    pub instrumentalness: f64,
    pub liveness: f64,
    pub valence: f64,
    pub tempo: f64,
    /// Beats per bar (2021 schema only; `None` for 2020 files, which lack the column).
    pub time_signature: Option<i32>,
}

/// A track that survived cleaning, with the genres of each of its artists (parallel to
/// `track.artists`; an artist without genres has an empty list).
#[derive(Debug, Clone, PartialEq)]
pub struct CleanTrack {
    pub track: Track,
    pub genres: Vec<crate::artist::Genres>,
}

/// The ratio-to-extreme scaled columns the original added (see [`crate::scale`]).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Scaled {
    pub loudness_scale: f64,
    pub tempo_scale: f64,
    pub duration_scale: f64,
    pub popularity_scale: f64,
}

impl Track {
    /// The clustering vector, in [`music_shared::FEATURES`] order.
    pub fn feature_vector(&self, s: &Scaled) -> [f64; 9] {
        [
            self.energy,
            self.speechiness,
            self.acousticness,
            self.instrumentalness,
            self.liveness,
            self.valence,
            s.loudness_scale,
            s.tempo_scale,
            s.duration_scale,
        ]
    }
}
