use rustc_hash::FxHashMap;
use std::sync::Arc;

/// One artist's genres, shared: on 600k tracks every track refers to its artists' lists, and
/// copying them per track would cost hundreds of MiB.
pub type Genres = Arc<[String]>;

/// The `genres` cell of an artist table, in either of the two forms the real files use.
///
/// * A Python list literal, as pandas wrote it (`['europop', 'swedish pop']`, `[]`): the 22,727-artist
///   `data_w_genres.csv` and Kaggle's `artists.csv`.
/// * The edited form of the 28,680-artist `data_w_genres.csv` of the later 2020 release, whose
///   brackets and single quotes were stripped before upload (`europop, swedish pop`); genres that
///   held an apostrophe lost it and kept their double quotes (`"childrens folk", kids dance party`).
///   An empty list stayed `[]`.
///
/// Anything starting with `[` is read as a literal, so a malformed literal is an error rather than
/// one strange genre; the stripped form cannot be malformed, only split.
pub fn parse_genres(cell: &str) -> Result<Vec<String>, crate::ModelError> {
    let cell = cell.trim();
    if cell.starts_with('[') {
        return crate::pylist::parse_str_list(cell);
    }
    Ok(cell
        .split(',')
        .map(|g| g.trim().trim_matches('"').trim())
        .filter(|g| !g.is_empty())
        .map(str::to_string)
        .collect())
}

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
/// ids), by Spotify artist id in the 2021 tables. (Fx hashing: every credited artist of every
/// track is looked up here, and these keys come from our own files, not from requests.)
#[derive(Debug, Clone, Default)]
pub struct GenreIndex {
    pub by_name: FxHashMap<String, Genres>,
    pub by_id: FxHashMap<String, Genres>,
}

impl GenreIndex {
    /// Genres per credited artist, parallel to `artists`. Ids win when the track has them.
    pub fn genres_for(&self, artists: &[String], artist_ids: &[String]) -> Vec<Genres> {
        // One shared empty list: most tracks of the big tables have an artist without genres.
        static NONE: std::sync::LazyLock<Genres> = std::sync::LazyLock::new(|| Arc::from([]));
        artists
            .iter()
            .enumerate()
            .map(|(i, name)| {
                artist_ids
                    .get(i)
                    .and_then(|id| self.by_id.get(id))
                    .or_else(|| self.by_name.get(name))
                    .cloned()
                    .unwrap_or_else(|| NONE.clone())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::parse_genres;

    #[test]
    fn both_genre_forms_parse() {
        assert_eq!(
            parse_genres("['europop', 'swedish pop']").unwrap(),
            ["europop", "swedish pop"]
        );
        assert_eq!(
            parse_genres("europop, swedish pop").unwrap(),
            ["europop", "swedish pop"]
        );
        assert!(parse_genres("[]").unwrap().is_empty());
        assert!(parse_genres("").unwrap().is_empty());
        assert_eq!(parse_genres("show tunes").unwrap(), ["show tunes"]);
        assert_eq!(
            parse_genres(r#""childrens folk", "childrens music", kids dance party"#).unwrap(),
            ["childrens folk", "childrens music", "kids dance party"]
        );
        assert_eq!(
            parse_genres(r#"["children's music"]"#).unwrap(),
            ["children's music"]
        );
        assert!(parse_genres("['unterminated").is_err());
    }
}
