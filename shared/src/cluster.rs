//! What the pipeline says about each cluster: its size, centroid, feature means, top genres,
//! nearest tracks and a short human label.

use serde::{Deserialize, Serialize};

use crate::FEATURES;

/// Index of a feature in [`FEATURES`].
fn at(centroid: &[f64], name: &str) -> f64 {
    FEATURES
        .iter()
        .position(|f| *f == name)
        .map_or(0.0, |i| centroid[i])
}

/// A short label for a cluster, read off its centroid by fixed rules over the features (not
/// written per cluster), in the vocabulary of the original's observations page: speechiness
/// first (audiobooks and radio plays stand apart from everything), then instrumentalness split by
/// mood, then liveness, acousticness and energy.
pub fn describe(centroid: &[f64]) -> &'static str {
    let (speech, instr, live) = (
        at(centroid, "speechiness"),
        at(centroid, "instrumentalness"),
        at(centroid, "liveness"),
    );
    let (acoustic, energy, valence) = (
        at(centroid, "acousticness"),
        at(centroid, "energy"),
        at(centroid, "valence"),
    );
    if speech >= 0.5 {
        "spoken word"
    } else if instr >= 0.5 && valence < 0.4 {
        "sad instrumental / orchestral"
    } else if instr >= 0.5 {
        "happier instrumental / jazz"
    } else if live >= 0.5 {
        "live recordings"
    } else if acoustic >= 0.6 && valence < 0.45 {
        "quiet acoustic, melancholic"
    } else if acoustic >= 0.6 {
        "upbeat acoustic"
    } else if energy >= 0.7 && valence >= 0.55 {
        "energetic, happy, danceable"
    } else if energy >= 0.7 {
        "loud and intense"
    } else if valence >= 0.55 {
        "cheerful mid-tempo"
    } else {
        "moody mid-tempo"
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenreCount {
    pub genre: String,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NearTrack {
    pub id: String,
    pub name: String,
    pub artists: Vec<String>,
    pub distance: f64,
}
