//! The routes shaped like Spotify's retired endpoints (recommendations, audio features, genre
//! seeds, related artists): Spotify's parameter names, answer shapes and error form, so that a
//! client written for Spotify (spotipy) works with only its base URL changed.
//!
//! Query strings are read by hand rather than into a struct: every parameter name is checked, so
//! a misspelt `target_enrgy` is a 400 naming it instead of a silently ignored filter.

use std::sync::Arc;

use axum::extract::State;
use axum::http::Uri;
use axum::response::Response;
use music_http::{json, ApiError, Path, SpotifyError};

use crate::answers::spotify::{
    ArtistRef, ArtistType, AudioFeatures, AudioFeaturesList, AudioFeaturesType, GenresOut, Links,
    ReasonOut, RecommendationsOut, RelatedList, RelatedOut, SeedOut, SeedType, TrackOut, TrackType,
};
use crate::features::{self, Col, Features};
use crate::openapi::params::{ArtistId, AudioFeatureIds, Market, SpotifyRecommendQuery, TrackId};
use crate::routes::{check_query_utf8, check_track_id};
use crate::similar::{self, Ask, Reason, Seed};
use crate::AppState;

/// Spotify's limits: at most 5 seeds in all, 1-100 tracks (default 20), 100 ids per request.
pub const MAX_SEEDS: usize = 5;
pub const DEFAULT_RECOMMENDATIONS: usize = 20;
pub const MAX_RECOMMENDATIONS: usize = 100;
pub const MAX_IDS: usize = 100;
/// How many related artists an answer lists (Spotify's figure).
pub const RELATED_ARTISTS: usize = 20;
/// A genre is offered as a seed when at least this many tracks carry it: fewer give a centre
/// that is one or two songs, not a genre.
pub const GENRE_SEED_MIN_TRACKS: usize = 10;

type Result<T> = std::result::Result<T, SpotifyError>;

fn bad(message: String) -> SpotifyError {
    SpotifyError(ApiError::BadRequest(message))
}

/// The query string as (name, value) pairs. A name given twice is refused: which one counts
/// would be a guess.
fn pairs(uri: &Uri) -> Result<Vec<(String, String)>> {
    check_query_utf8(uri)?;
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        if out.iter().any(|(seen, _)| *seen == k) {
            return Err(bad(format!(
                "{} is given more than once",
                music_http::shown(&k)
            )));
        }
        out.push((k.into_owned(), v.into_owned()));
    }
    Ok(out)
}

fn unknown_parameter(name: &str) -> SpotifyError {
    bad(format!("unknown parameter '{}'", music_http::shown(name)))
}

/// A comma-separated list, blanks dropped.
fn list(value: &str) -> Vec<&str> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

fn integer(name: &str, value: &str, lo: i64, hi: i64) -> Result<i64> {
    match value.trim().parse::<i64>() {
        Ok(v) if (lo..=hi).contains(&v) => Ok(v),
        _ => Err(bad(format!(
            "{name} must be an integer from {lo} to {hi} (got '{}')",
            music_http::shown(value)
        ))),
    }
}

fn number(name: &str, value: &str, col: Col) -> Result<f64> {
    let (lo, hi) = col.range();
    match value.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= lo && v <= hi => Ok(v),
        _ => Err(bad(format!(
            "{name} must be a number from {lo} to {hi} (got '{}')",
            music_http::shown(value)
        ))),
    }
}

/// A Spotify id (track or artist), checked for shape before any lookup.
fn spotify_id<'a>(name: &str, value: &'a str) -> Result<&'a str> {
    check_track_id(value).map_err(|_| {
        bad(format!(
            "{name}: '{}' is not a Spotify id (1 to 64 letters and digits)",
            music_http::shown(value)
        ))
    })?;
    Ok(value)
}

/// One seed, looked up: `name` is its parameter (`seed_tracks`, `seed_artists`, `seed_genres`).
fn seed(f: &Features, name: &str, value: &str) -> Result<Seed> {
    match name {
        "seed_tracks" => f
            .track(spotify_id(name, value)?)
            .map(Seed::Track)
            .ok_or_else(|| {
                bad(format!(
                    "seed_tracks: no track with id {value} in this catalogue"
                ))
            }),
        "seed_artists" => {
            let a = f.artist(spotify_id(name, value)?).ok_or_else(|| {
                bad(format!(
                    "seed_artists: no artist with id {value} in this catalogue"
                ))
            })?;
            if f.artists[a as usize].tracks.is_empty() {
                return Err(bad(format!(
                    "seed_artists: artist {value} has no tracks in this catalogue"
                )));
            }
            Ok(Seed::Artist(a))
        }
        _ => {
            let g = value.to_lowercase();
            match f.genre(&g) {
                Some(n) if f.genre_tracks(n).len() >= GENRE_SEED_MIN_TRACKS => Ok(Seed::Genre(n)),
                _ => Err(bad(format!(
                    "seed_genres: '{}' is not one of recommendations/available-genre-seeds",
                    music_http::shown(&g)
                ))),
            }
        }
    }
}

/// Everything `/api/v3/recommendations` accepts, checked against the catalogue.
fn parse_ask(f: &Features, uri: &Uri) -> Result<Ask> {
    let mut ask = Ask {
        limit: DEFAULT_RECOMMENDATIONS,
        ..Ask::default()
    };
    // (parameter, value): counted before any is looked up, so that too many seeds is the error.
    let mut seeds: Vec<(String, String)> = Vec::new();
    let mut mins: Vec<(Col, f64)> = Vec::new();
    let mut maxs: Vec<(Col, f64)> = Vec::new();
    for (name, value) in pairs(uri)? {
        match name.as_str() {
            "seed_tracks" | "seed_artists" | "seed_genres" => {
                for v in list(&value) {
                    seeds.push((name.clone(), v.to_string()));
                }
            }
            "limit" => {
                ask.limit = integer("limit", &value, 1, MAX_RECOMMENDATIONS as i64)? as usize
            }
            "max_per_artist" => {
                ask.max_per_artist =
                    Some(integer("max_per_artist", &value, 1, MAX_RECOMMENDATIONS as i64)? as usize)
            }
            "explicit" => {
                ask.hide_explicit = match value.as_str() {
                    "true" => false,
                    "false" => true,
                    other => {
                        return Err(bad(format!(
                            "explicit must be true or false (got '{}')",
                            music_http::shown(other)
                        )))
                    }
                }
            }
            "exclude" => {
                let ids = list(&value);
                if ids.len() > MAX_IDS {
                    return Err(bad(format!("exclude takes at most {MAX_IDS} ids")));
                }
                for id in ids {
                    // An id this catalogue lacks cannot be recommended anyway.
                    if let Some(t) = f.track(spotify_id("exclude", id)?) {
                        ask.exclude.push(t);
                    }
                }
            }
            // Spotify's market (country) does not apply to this catalogue.
            "market" => {}
            other => {
                let (kind, col) = ["min_", "max_", "target_"]
                    .iter()
                    .find_map(|p| {
                        let rest = other.strip_prefix(p)?;
                        Some((*p, Col::from_name(rest)?))
                    })
                    .ok_or_else(|| unknown_parameter(other))?;
                let v = number(other, &value, col)?;
                match kind {
                    "min_" => mins.push((col, v)),
                    "max_" => maxs.push((col, v)),
                    _ => ask.targets.push((col, v)),
                }
            }
        }
    }
    if seeds.is_empty() {
        return Err(bad(
            "at least one seed is needed: seed_tracks, seed_artists or seed_genres".into(),
        ));
    }
    if seeds.len() > MAX_SEEDS {
        return Err(bad(format!(
            "at most {MAX_SEEDS} seeds in all (seed_tracks, seed_artists and seed_genres together; got {})",
            seeds.len()
        )));
    }
    for (name, id) in &seeds {
        ask.seeds.push(seed(f, name, id)?);
    }
    for col in Col::ALL {
        let lo = mins.iter().find(|(c, _)| *c == col).map(|m| m.1);
        let hi = maxs.iter().find(|(c, _)| *c == col).map(|m| m.1);
        if let (Some(lo), Some(hi)) = (lo, hi) {
            if lo > hi {
                return Err(bad(format!(
                    "min_{0} ({lo}) is above max_{0} ({hi})",
                    col.name()
                )));
            }
        }
        if lo.is_some() || hi.is_some() {
            ask.ranges.push((
                col,
                lo.unwrap_or(f64::NEG_INFINITY),
                hi.unwrap_or(f64::INFINITY),
            ));
        }
    }
    Ok(ask)
}

/// How a compared dimension is named in a sentence.
fn spoken(dim: usize) -> &'static str {
    match features::dim_name(dim) {
        "year" => "release year",
        "duration_ms" => "length",
        "time_signature" => "time signature",
        "accented_title" => "accents in the title",
        "non_latin_title" => "the title's script",
        other => other,
    }
}

/// The reason in Spotify-style fields plus one sentence for people.
pub(crate) fn reason_out<'a>(f: &'a Features, r: &Reason) -> ReasonOut<'a> {
    let shared: Vec<&str> = r
        .shared_genres
        .iter()
        .map(|&g| &*f.genres[g as usize])
        .collect();
    let mut text = String::new();
    if r.same_cluster {
        text.push_str("Same cluster as a seed; ");
    }
    let names = |dims: &[usize]| {
        dims.iter()
            .map(|&d| spoken(d))
            .collect::<Vec<_>>()
            .join(" and ")
    };
    text.push_str(&format!("closest in {}", names(&r.closest)));
    if !r.furthest.is_empty() {
        text.push_str(&format!(", furthest in {}", names(&r.furthest)));
    }
    if !shared.is_empty() {
        text.push_str(&format!("; shares {}", shared.join(", ")));
    }
    text.push('.');
    if let Some(first) = text.get(..1) {
        let upper = first.to_uppercase();
        text.replace_range(..1, &upper);
    }
    ReasonOut {
        closest: r.closest.iter().map(|&d| features::dim_name(d)).collect(),
        furthest: r.furthest.iter().map(|&d| features::dim_name(d)).collect(),
        shared_genres: shared,
        same_cluster: r.same_cluster,
        text,
    }
}

fn track_out<'a>(
    state: &'a AppState,
    f: &'a Features,
    t: u32,
    distance: f64,
    reason: &Reason,
) -> TrackOut<'a> {
    let i = t as usize;
    let id = &*f.id[i];
    let year = f.value(i, Col::Year);
    TrackOut {
        id,
        name: &f.name[i],
        artists: f
            .credits(t)
            .iter()
            .map(|c| ArtistRef {
                id: f.credit_id(c),
                name: &f.artists[c.0 as usize].name,
            })
            .collect(),
        duration_ms: f.value(i, Col::DurationMs) as i64,
        explicit: f.explicit[i],
        popularity: f.value(i, Col::Popularity).round() as i64,
        kind: TrackType::Track,
        uri: format!("spotify:track:{id}"),
        external_urls: Links {
            spotify: format!("https://open.spotify.com/track/{id}"),
        },
        href: format!("/api/v3/tracks/{id}"),
        year: year.is_finite().then_some(year as i64),
        cluster: f.cluster[i],
        cluster_label: state.data.label(i64::from(f.cluster[i])),
        distance,
        reason: reason_out(f, reason),
    }
}

/// `GET /api/v3/recommendations`.
#[utoipa::path(get, path = "/api/v3/recommendations", params(SpotifyRecommendQuery, Market),
    responses((status = 200, description = "OK", body = RecommendationsOut)))]
pub async fn recommendations(State(state): State<AppState>, uri: Uri) -> Result<Response> {
    let f = state.features.get().await?;
    let ask = parse_ask(&f, &uri)?;
    let answer = similar::recommend(&f, &state.data.neighbours.group, &ask);
    let seeds = ask
        .seeds
        .iter()
        .zip(&answer.pools)
        .map(|(seed, pool)| {
            let (id, kind, href) = match *seed {
                Seed::Track(t) => {
                    let id = f.id[t as usize].to_string();
                    let href = format!("/api/v3/tracks/{id}");
                    (id, SeedType::Track, Some(href))
                }
                Seed::Artist(a) => {
                    let id = f.artists[a as usize]
                        .spotify_id
                        .as_deref()
                        .unwrap_or_default()
                        .to_string();
                    let href = format!("/api/v3/artists/{id}/related-artists");
                    (id, SeedType::Artist, Some(href))
                }
                Seed::Genre(g) => (f.genres[g as usize].to_string(), SeedType::Genre, None),
            };
            SeedOut {
                id,
                kind,
                initial_pool_size: pool.initial,
                after_filtering_size: pool.after_filtering,
                after_relinking_size: pool.after_filtering,
                href,
            }
        })
        .collect();
    let tracks = answer
        .suggestions
        .iter()
        .map(|s| track_out(&state, &f, s.track, s.distance, &s.reason))
        .collect();
    Ok(json(&RecommendationsOut { seeds, tracks }))
}

/// The genres a request may seed with, sorted.
pub fn genre_seeds(f: &Features) -> Vec<&str> {
    (0..f.genres.len() as u32)
        .filter(|&g| f.genre_tracks(g).len() >= GENRE_SEED_MIN_TRACKS)
        .map(|g| &*f.genres[g as usize])
        .collect()
}

/// `GET /api/v3/recommendations/available-genre-seeds`.
#[utoipa::path(get, path = "/api/v3/recommendations/available-genre-seeds", params(Market),
    responses((status = 200, description = "OK", body = GenresOut)))]
pub async fn available_genre_seeds(State(state): State<AppState>, uri: Uri) -> Result<Response> {
    let f = state.features.get().await?;
    no_parameters_but_market(&uri)?;
    Ok(json(&GenresOut {
        genres: genre_seeds(&f),
    }))
}

fn no_parameters_but_market(uri: &Uri) -> Result<()> {
    for (name, _) in pairs(uri)? {
        if name != "market" {
            return Err(unknown_parameter(&name));
        }
    }
    Ok(())
}

fn audio_features(f: &Features, t: u32) -> AudioFeatures<'_> {
    let i = t as usize;
    let v = |c: Col| f.value(i, c);
    let id = &*f.id[i];
    let ts = v(Col::TimeSignature);
    AudioFeatures {
        danceability: v(Col::Danceability),
        energy: v(Col::Energy),
        key: v(Col::Key) as i64,
        loudness: v(Col::Loudness),
        mode: v(Col::Mode) as i64,
        speechiness: v(Col::Speechiness),
        acousticness: v(Col::Acousticness),
        instrumentalness: v(Col::Instrumentalness),
        liveness: v(Col::Liveness),
        valence: v(Col::Valence),
        tempo: v(Col::Tempo),
        kind: AudioFeaturesType::AudioFeatures,
        id,
        uri: format!("spotify:track:{id}"),
        track_href: format!("/api/v3/tracks/{id}"),
        // This catalogue has no audio analyses.
        analysis_url: None,
        duration_ms: v(Col::DurationMs) as i64,
        time_signature: ts.is_finite().then_some(ts as i64),
    }
}

/// The loaded features and the checked id of a `.../{id}` route that takes no parameter but
/// `market`; errors in the order those routes give them (path, query, loading, id).
async fn one_id(
    state: &AppState,
    id: std::result::Result<Path<String>, ApiError>,
    uri: &Uri,
) -> Result<(Arc<Features>, String)> {
    let Path(id) = id?;
    no_parameters_but_market(uri)?;
    let f: Arc<Features> = state.features.get().await?;
    spotify_id("id", &id)?;
    Ok((f, id))
}

/// `GET /api/v3/audio-features/{id}`.
#[utoipa::path(get, path = "/api/v3/audio-features/{id}", params(TrackId, Market),
    responses((status = 200, description = "OK", body = AudioFeatures)))]
pub async fn audio_features_one(
    State(state): State<AppState>,
    id: std::result::Result<Path<String>, ApiError>,
    uri: Uri,
) -> Result<Response> {
    let (f, id) = one_id(&state, id, &uri).await?;
    let t = f
        .track(&id)
        .ok_or_else(|| SpotifyError(ApiError::NotFound(format!("no track with id {id}"))))?;
    Ok(json(&audio_features(&f, t)))
}

/// `GET /api/v3/audio-features?ids=` (and with a trailing slash, as spotipy asks): one entry per
/// id, in order, `null` for an id this catalogue lacks.
#[utoipa::path(get, path = "/api/v3/audio-features", params(AudioFeatureIds, Market),
    responses((status = 200, description = "OK", body = AudioFeaturesList)))]
pub async fn audio_features_many(State(state): State<AppState>, uri: Uri) -> Result<Response> {
    let mut ids: Option<String> = None;
    for (name, value) in pairs(&uri)? {
        match name.as_str() {
            "ids" => ids = Some(value),
            "market" => {}
            other => return Err(unknown_parameter(other)),
        }
    }
    let ids =
        ids.ok_or_else(|| bad("ids is required: up to 100 comma-separated track ids".into()))?;
    let ids = list(&ids);
    if ids.is_empty() || ids.len() > MAX_IDS {
        return Err(bad(format!(
            "ids takes 1 to {MAX_IDS} comma-separated track ids (got {})",
            ids.len()
        )));
    }
    for id in &ids {
        spotify_id("ids", id)?;
    }
    let f = state.features.get().await?;
    let audio_features = ids
        .iter()
        .map(|id| f.track(id).map(|t| audio_features(&f, t)))
        .collect();
    Ok(json(&AudioFeaturesList { audio_features }))
}

/// `GET /api/v3/audio-features/?ids=`: the same, with the trailing slash spotipy sends.
#[utoipa::path(get, path = "/api/v3/audio-features/", params(AudioFeatureIds, Market),
    responses((status = 200, description = "OK", body = AudioFeaturesList)))]
pub async fn audio_features_many_slash(state: State<AppState>, uri: Uri) -> Result<Response> {
    audio_features_many(state, uri).await
}

/// `GET /api/v3/artists/{id}/related-artists`: the 20 artists nearest in sound and genres.
#[utoipa::path(get, path = "/api/v3/artists/{id}/related-artists", params(ArtistId, Market),
    responses((status = 200, description = "OK", body = RelatedList)))]
pub async fn related_artists(
    State(state): State<AppState>,
    id: std::result::Result<Path<String>, ApiError>,
    uri: Uri,
) -> Result<Response> {
    let (f, id) = one_id(&state, id, &uri).await?;
    let a = f
        .artist(&id)
        .filter(|&a| !f.artists[a as usize].tracks.is_empty())
        .ok_or_else(|| SpotifyError(ApiError::NotFound(format!("no artist with id {id}"))))?;
    let related = similar::related_artists(&f, a, RELATED_ARTISTS);
    let artists = related
        .iter()
        .map(|(b, distance, reason)| {
            let x = &f.artists[*b as usize];
            let sid = x.spotify_id.as_deref().unwrap_or_default();
            RelatedOut {
                id: sid,
                name: &x.name,
                genres: x.genres.iter().map(|&g| &*f.genres[g as usize]).collect(),
                popularity: x.popularity.map(|p| p.round() as i64),
                kind: ArtistType::Artist,
                uri: format!("spotify:artist:{sid}"),
                external_urls: Links {
                    spotify: format!("https://open.spotify.com/artist/{sid}"),
                },
                href: None,
                cluster: x.cluster,
                distance: *distance,
                reason: reason_out(&f, reason),
            }
        })
        .collect();
    Ok(json(&RelatedList { artists }))
}
