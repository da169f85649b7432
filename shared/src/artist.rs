use std::collections::HashMap;
use std::sync::Arc;

/// One artist's genres, shared: on 600k tracks every track refers to its artists' lists, and
/// copying them per track would cost hundreds of MiB.
pub type Genres = Arc<[String]>;

/// One row of the 2020 `data_w_genres.csv`: an artist's mean features, track count and genres.
#[derive(Debug, Clone, PartialEq)]
pub struct ArtistRow {
    pub artists: String,
    pub acousticness: Option<f64>,
    pub danceability: Option<f64>,
    pub duration_ms: Option<f64>,
    pub energy: Option<f64>,
    pub instrumentalness: Option<f64>,
    pub liveness: Option<f64>,
    pub loudness: Option<f64>,
    pub speechiness: Option<f64>,
    pub tempo: Option<f64>,
    pub valence: Option<f64>,
    pub popularity: Option<f64>,
    pub key: Option<i64>,
    pub mode: Option<i64>,
    pub count: Option<i64>,
    pub genres: Vec<String>,
}

/// Where a track's artists find their genres: by name in the 2020 tables (which have no artist
/// ids), by Spotify artist id in the 2021 tables.
#[derive(Debug, Clone, Default)]
pub struct GenreIndex {
    pub by_name: HashMap<String, Genres>,
    pub by_id: HashMap<String, Genres>,
}

impl GenreIndex {
    /// Genres per credited artist, parallel to `artists`. Ids win when the track has them.
    pub fn genres_for(&self, artists: &[String], artist_ids: &[String]) -> Vec<Genres> {
        let none: Genres = Arc::from(Vec::new());
        artists
            .iter()
            .enumerate()
            .map(|(i, name)| {
                artist_ids
                    .get(i)
                    .and_then(|id| self.by_id.get(id))
                    .or_else(|| self.by_name.get(name))
                    .cloned()
                    .unwrap_or_else(|| none.clone())
            })
            .collect()
    }
}
