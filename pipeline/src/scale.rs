//! The original's scaling: a ratio to the column's extreme, not min-max. Kept exactly so that the
//! scaled columns mean what the original's `*_scale` columns meant.

use crate::track::Scaled;

/// The extremes of the cleaned table that the ratios are taken against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Extremes {
    /// The most negative loudness (dB); `loudness_scale = 1 - loudness / min_loudness`.
    pub min_loudness: f64,
    pub max_tempo: f64,
    pub max_duration_ms: f64,
    pub max_popularity: f64,
}

impl Extremes {
    pub fn of<'a>(tracks: impl IntoIterator<Item = &'a crate::Track>) -> Extremes {
        let mut e = Extremes {
            min_loudness: 0.0,
            max_tempo: 0.0,
            max_duration_ms: 0.0,
            max_popularity: 0.0,
        };
        for t in tracks {
            e.min_loudness = e.min_loudness.min(t.loudness);
            e.max_tempo = e.max_tempo.max(t.tempo);
            e.max_duration_ms = e.max_duration_ms.max(t.duration_ms);
            e.max_popularity = e.max_popularity.max(t.popularity);
        }
        e
    }

    pub fn scale(&self, t: &crate::Track) -> Scaled {
        // A zero extreme means the whole column is zero; its ratio is then 0, not NaN.
        let ratio = |v: f64, extreme: f64| if extreme == 0.0 { 0.0 } else { v / extreme };
        Scaled {
            loudness_scale: 1.0 - ratio(t.loudness, self.min_loudness),
            tempo_scale: ratio(t.tempo, self.max_tempo),
            duration_scale: ratio(t.duration_ms, self.max_duration_ms),
            popularity_scale: ratio(t.popularity, self.max_popularity),
        }
    }
}

/// The original's cleaning: keep `loudness <= 0` (a handful of tracks report positive dB, a
/// measurement artefact), and drop tracks none of whose artists has a genre, since a track
/// without genres cannot be shown in the genre views or the v2 items.
pub fn keep(track: &crate::Track, genres: &[crate::artist::Genres]) -> bool {
    track.loudness <= 0.0 && genres.iter().any(|g| !g.is_empty())
}
