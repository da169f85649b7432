//! Every track's audio features, year, artists and genres in memory, for the routes that rank or
//! filter the whole catalogue (Spotify-shaped recommendations, related artists, the "similar"
//! default).
//!
//! Read from the `tracks` and `artists` tables in one pass each (~87k + ~34k rows, a few hundred
//! milliseconds), on a thread of its own started with the catalogue: the search and cluster
//! routes answer at once, and only the first request that needs this table waits for it.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use music_db::Json;
use music_http::ApiError;
use rusqlite::Connection;

/// A column a request can filter on or aim at (`min_`, `max_`, `target_` + its name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Col {
    Acousticness,
    Danceability,
    DurationMs,
    Energy,
    Instrumentalness,
    Key,
    Liveness,
    Loudness,
    Mode,
    Popularity,
    Speechiness,
    Tempo,
    Valence,
    TimeSignature,
    Year,
}

pub const COLS: usize = 15;

impl Col {
    pub const ALL: [Col; COLS] = [
        Col::Acousticness,
        Col::Danceability,
        Col::DurationMs,
        Col::Energy,
        Col::Instrumentalness,
        Col::Key,
        Col::Liveness,
        Col::Loudness,
        Col::Mode,
        Col::Popularity,
        Col::Speechiness,
        Col::Tempo,
        Col::Valence,
        Col::TimeSignature,
        Col::Year,
    ];

    /// The name in query parameters and answers (Spotify's, and `year`).
    pub fn name(self) -> &'static str {
        match self {
            Col::Acousticness => "acousticness",
            Col::Danceability => "danceability",
            Col::DurationMs => "duration_ms",
            Col::Energy => "energy",
            Col::Instrumentalness => "instrumentalness",
            Col::Key => "key",
            Col::Liveness => "liveness",
            Col::Loudness => "loudness",
            Col::Mode => "mode",
            Col::Popularity => "popularity",
            Col::Speechiness => "speechiness",
            Col::Tempo => "tempo",
            Col::Valence => "valence",
            Col::TimeSignature => "time_signature",
            Col::Year => "year",
        }
    }

    pub fn from_name(name: &str) -> Option<Col> {
        Col::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The values a `min_`/`max_`/`target_` may take: Spotify's documented ranges where it gave
    /// one, else a bound wide enough for every track of the data (checked by a test).
    pub fn range(self) -> (f64, f64) {
        match self {
            Col::Key => (-1.0, 11.0),
            Col::Mode => (0.0, 1.0),
            Col::Popularity => (0.0, 100.0),
            Col::DurationMs => (0.0, 7_200_000.0),
            Col::Loudness => (-60.0, 5.0),
            Col::Tempo => (0.0, 300.0),
            Col::TimeSignature => (0.0, 11.0),
            Col::Year => (1900.0, 2100.0),
            _ => (0.0, 1.0),
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// One track's row of [`Col`] values, in [`Col::ALL`] order. A missing year or time signature
/// is NaN: no filter on that column lets the track through, and it counts as average when
/// ranking.
pub type Row = [f32; COLS];

/// What the similarity model may compare beyond the [`Col`]s (which requests filter on): whether
/// the track is explicit, and the letters of its title (a title in accented Latin letters, or in
/// another script, hints at the language sung). Neither is a genre or an artist.
pub const EXTRA: [&str; 3] = ["explicit", "accented_title", "non_latin_title"];

/// Dimensions of a standardized row: the [`Col`]s, then [`EXTRA`].
pub const DIMS: usize = COLS + EXTRA.len();
pub const EXPLICIT: usize = COLS;
pub const ACCENTED_TITLE: usize = COLS + 1;
pub const NON_LATIN_TITLE: usize = COLS + 2;

/// [`DIMS`] rounded up to whole groups of [`LANES`]; the padding is always 0.
pub const WIDTH: usize = DIMS.div_ceil(LANES) * LANES;
/// Distances are summed in this many interleaved partial sums, which the compiler keeps in one
/// SIMD register: one running sum would make each row wait on a chain of [`DIMS`] additions.
pub const LANES: usize = 4;

/// A standardized row: [`Row`]'s columns, then [`EXTRA`], each with mean 0 and deviation 1,
/// then zeros up to [`WIDTH`].
pub type ZRow = [f32; WIDTH];

/// A [`ZRow`] in 16-bit fixed point, half the bytes: a scan over every track is bound by
/// memory, so it ranks on these and then re-ranks the few nearest on the exact rows (see
/// `similar`). Values are `z / Z_STEP` rounded, for |z| up to [`Z_RANGE`].
pub type QRow = [i16; WIDTH];
pub const Z_RANGE: f32 = 16.0;
pub const Z_STEP: f32 = Z_RANGE / i16::MAX as f32;

/// The name of dimension `i` of a [`ZRow`].
pub fn dim_name(i: usize) -> &'static str {
    match Col::ALL.get(i) {
        Some(c) => c.name(),
        None => EXTRA[i - COLS],
    }
}

/// (has a Latin letter with a diacritic, has a letter of another script). Latin is ASCII plus
/// the Latin-1 Supplement, Latin Extended-A/B and Latin Extended Additional blocks.
pub fn title_letters(title: &str) -> (bool, bool) {
    let (mut accented, mut other) = (false, false);
    for c in title.chars().filter(|c| c.is_alphabetic() && !c.is_ascii()) {
        let latin = matches!(c as u32, 0xC0..=0x24F | 0x1E00..=0x1EFF);
        accented |= latin;
        other |= !latin;
    }
    (accented, other)
}

/// One credit of a track: the artist's number, and the Spotify artist id the track's row gave.
pub type Credit = (u32, Option<Box<str>>);

/// The in-memory catalogue.
pub struct Features {
    /// Per track, bit 0: the title has accented Latin letters; bit 1: letters of another script.
    title: Vec<u8>,
    /// Per track, the standardized row ([`Features::z_row`]): the exact distances of the
    /// candidates a scan keeps, and the seeds' centres, read them.
    z: Vec<ZRow>,
    /// (standardized year, track), ascending: scans visit tracks outward from a year.
    pub year_order: Vec<(f32, u32)>,
    /// `z` in fixed point, for the scan, in `year_order`'s order: a scan then reads its rows one
    /// after another instead of gathering them from all over 3.6 MB. `None` for a row with a
    /// value beyond [`Z_RANGE`] (ranked on its exact row).
    pub year_q: Vec<Option<QRow>>,
    /// Each cluster's tracks, ascending.
    pub cluster_tracks: Vec<Vec<u32>>,
    /// The [`Col`] values by column (a missing year or time signature is NaN): a filter on two
    /// columns then reads two arrays, not every track's whole row.
    columns: Vec<Vec<f32>>,
    pub mean: ZRow,
    pub sd: ZRow,
    pub explicit: Vec<bool>,
    pub cluster: Vec<u8>,
    pub id: Vec<Box<str>>,
    pub name: Vec<Box<str>>,
    /// Track numbers sorted by id, for lookups by Spotify id.
    by_id: Vec<u32>,
    /// Per track, its credited artists (artist numbers), and each credit's Spotify artist id
    /// when the track's row gave one.
    track_artists: Vec<Box<[Credit]>>,
    pub artists: Vec<Artist>,
    artist_by_spotify_id: HashMap<Box<str>, u32>,
    /// Interned genre names, sorted.
    pub genres: Vec<Box<str>>,
    /// Tracks carrying each genre (through one of their artists), ascending.
    genre_tracks: Vec<Vec<u32>>,
    /// Per artist, the mean of its tracks' `z` rows; computed on first use.
    artist_centres: OnceLock<Vec<ZRow>>,
    /// Per genre, the mean of its tracks' `z` rows; computed on first use.
    genre_centres: OnceLock<Vec<ZRow>>,
}

pub struct Artist {
    pub name: Box<str>,
    pub spotify_id: Option<Box<str>>,
    pub popularity: Option<f64>,
    pub cluster: Option<i64>,
    /// Indexes into [`Features::genres`], ascending.
    pub genres: Box<[u32]>,
    /// The artist's tracks (catalogue numbers), ascending.
    pub tracks: Vec<u32>,
}

const TRACKS_SQL: &str =
    "SELECT track, id, name, artists, artist_ids, year, popularity, explicit, \
     duration_ms, key, mode, time_signature, danceability, energy, loudness, speechiness, \
     acousticness, instrumentalness, liveness, valence, tempo, cluster FROM tracks ORDER BY track";
const ARTISTS_SQL: &str =
    "SELECT artist, name, genres, spotify_id, popularity, cluster FROM artists ORDER BY artist";

/// Runs `each` on every row of `sql`, whose first column must number the rows 0, 1, 2, ... in
/// order: the rows land in vectors indexed by that number, so a gap or a shuffle would silently
/// misattribute every row after it.
fn for_each_numbered(
    conn: &Connection,
    sql: &str,
    mut each: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<()>,
) -> rusqlite::Result<()> {
    let mut st = conn.prepare(sql)?;
    let mut rows = st.query([])?;
    let mut expected = 0usize;
    while let Some(r) = rows.next()? {
        let number: i64 = r.get(0)?;
        if number as usize != expected {
            return Err(rusqlite::Error::IntegralValueOutOfRange(0, number));
        }
        each(r)?;
        expected += 1;
    }
    Ok(())
}

impl Features {
    /// Read every track and artist.
    pub fn load(conn: &Connection) -> rusqlite::Result<Features> {
        let mut genre_ids: HashMap<String, u32> = HashMap::new();
        let mut artists = Vec::new();
        let mut artist_genres_raw: Vec<Vec<u32>> = Vec::new();
        for_each_numbered(conn, ARTISTS_SQL, |r| {
            let genres: Json<Vec<String>> = r.get(2)?;
            let mut ids: Vec<u32> = genres
                .0
                .into_iter()
                .map(|g| {
                    let next = genre_ids.len() as u32;
                    *genre_ids.entry(g).or_insert(next)
                })
                .collect();
            ids.sort_unstable();
            ids.dedup();
            artist_genres_raw.push(ids);
            artists.push(Artist {
                name: r.get::<_, String>(1)?.into(),
                spotify_id: r.get::<_, Option<String>>(3)?.map(Into::into),
                popularity: r.get(4)?,
                cluster: r.get(5)?,
                genres: Box::new([]),
                tracks: Vec::new(),
            });
            Ok(())
        })?;
        // Genre numbers in name order, so that lists built from them come out sorted.
        let mut genres: Vec<(String, u32)> = genre_ids.into_iter().collect();
        genres.sort_unstable();
        let mut renumber = vec![0u32; genres.len()];
        for (new, (_, old)) in genres.iter().enumerate() {
            renumber[*old as usize] = new as u32;
        }
        for (artist, raw) in artists.iter_mut().zip(artist_genres_raw) {
            let mut g: Vec<u32> = raw.iter().map(|&o| renumber[o as usize]).collect();
            g.sort_unstable();
            artist.genres = g.into_boxed_slice();
        }
        let genres: Vec<Box<str>> = genres.into_iter().map(|(g, _)| g.into()).collect();
        let artist_by_name: HashMap<&str, u32> = artists
            .iter()
            .enumerate()
            .map(|(i, a)| (&*a.name, i as u32))
            .collect();

        let mut raw = Vec::new();
        let mut explicit = Vec::new();
        let mut cluster = Vec::new();
        let mut id = Vec::new();
        let mut name = Vec::new();
        let mut track_artists = Vec::new();
        for_each_numbered(conn, TRACKS_SQL, |r| {
            id.push(r.get::<_, String>(1)?.into_boxed_str());
            name.push(r.get::<_, String>(2)?.into_boxed_str());
            let names: Json<Vec<String>> = r.get(3)?;
            let ids: Json<Vec<String>> = r.get(4)?;
            let credits: Vec<Credit> = names
                .0
                .iter()
                .enumerate()
                .filter_map(|(i, n)| {
                    let a = *artist_by_name.get(n.as_str())?;
                    // Kept only where it differs from the artist table's id (two artists
                    // of one name); [`Features::credit_id`] falls back to that.
                    let sid = ids
                        .0
                        .get(i)
                        .filter(|s| {
                            !s.is_empty()
                                && artists[a as usize].spotify_id.as_deref() != Some(s.as_str())
                        })
                        .map(|s| s.as_str().into());
                    Some((a, sid))
                })
                .collect();
            track_artists.push(credits.into_boxed_slice());
            let f = |i: usize| -> rusqlite::Result<f32> { Ok(r.get::<_, f64>(i)? as f32) };
            let opt = |i: usize| -> rusqlite::Result<f32> {
                Ok(r.get::<_, Option<i64>>(i)?.map_or(f32::NAN, |v| v as f32))
            };
            let mut row = [0f32; COLS];
            row[Col::Year.index()] = opt(5)?;
            row[Col::Popularity.index()] = f(6)?;
            explicit.push(r.get::<_, bool>(7)?);
            row[Col::DurationMs.index()] = f(8)?;
            row[Col::Key.index()] = r.get::<_, i64>(9)? as f32;
            row[Col::Mode.index()] = r.get::<_, i64>(10)? as f32;
            row[Col::TimeSignature.index()] = opt(11)?;
            row[Col::Danceability.index()] = f(12)?;
            row[Col::Energy.index()] = f(13)?;
            row[Col::Loudness.index()] = f(14)?;
            row[Col::Speechiness.index()] = f(15)?;
            row[Col::Acousticness.index()] = f(16)?;
            row[Col::Instrumentalness.index()] = f(17)?;
            row[Col::Liveness.index()] = f(18)?;
            row[Col::Valence.index()] = f(19)?;
            row[Col::Tempo.index()] = f(20)?;
            raw.push(row);
            cluster.push(r.get::<_, i64>(21)? as u8);
            Ok(())
        })?;
        drop(artist_by_name);

        let title: Vec<u8> = name
            .iter()
            .map(|t| {
                let (accented, other) = title_letters(t);
                u8::from(accented) | u8::from(other) << 1
            })
            .collect();
        let columns: Vec<Vec<f32>> = (0..COLS)
            .map(|c| raw.iter().map(|row| row[c]).collect())
            .collect();
        drop(raw);
        let mut f = Features {
            title,
            z: Vec::new(),
            year_order: Vec::new(),
            year_q: Vec::new(),
            cluster_tracks: Vec::new(),
            columns,
            mean: [0.0; WIDTH],
            sd: [1.0; WIDTH],
            explicit,
            cluster,
            id,
            name,
            by_id: Vec::new(),
            track_artists,
            artists,
            artist_by_spotify_id: HashMap::new(),
            genres,
            genre_tracks: Vec::new(),
            artist_centres: OnceLock::new(),
            genre_centres: OnceLock::new(),
        };
        (f.mean, f.sd) = moments((0..f.len()).map(|t| f.wide_row(t)));
        let z: Vec<ZRow> = (0..f.len()).map(|t| f.standardized(t)).collect();
        let mut year_order: Vec<(f32, u32)> = z
            .iter()
            .enumerate()
            .map(|(t, row)| (row[Col::Year.index()], t as u32))
            .collect();
        year_order.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        f.year_q = year_order
            .iter()
            .map(|&(_, t)| {
                let row = &z[t as usize];
                row.iter()
                    .all(|v| v.abs() <= Z_RANGE)
                    .then(|| row.map(|v| (v / Z_STEP).round() as i16))
            })
            .collect();
        f.year_order = year_order;
        f.z = z;
        let k = f
            .cluster
            .iter()
            .map(|&c| usize::from(c) + 1)
            .max()
            .unwrap_or(0);
        f.cluster_tracks = vec![Vec::new(); k];
        for (t, &c) in f.cluster.iter().enumerate() {
            f.cluster_tracks[usize::from(c)].push(t as u32);
        }
        let mut genre_tracks: Vec<Vec<u32>> = vec![Vec::new(); f.genres.len()];
        let mut seen: Vec<u32> = Vec::new();
        for (t, credits) in f.track_artists.iter().enumerate() {
            seen.clear();
            for (a, _) in credits.iter() {
                let artist = &mut f.artists[*a as usize];
                if artist.tracks.last() != Some(&(t as u32)) {
                    artist.tracks.push(t as u32);
                }
                seen.extend_from_slice(&artist.genres);
            }
            seen.sort_unstable();
            seen.dedup();
            for &g in &seen {
                genre_tracks[g as usize].push(t as u32);
            }
        }
        f.genre_tracks = genre_tracks;
        f.artist_by_spotify_id = f
            .artists
            .iter()
            .enumerate()
            .filter_map(|(i, a)| Some((a.spotify_id.clone()?, i as u32)))
            .collect();
        // Sorted on each id's first 16 bytes as one number, then on the whole id where those
        // tie: comparing strings through their pointers was a fifth of the whole load.
        let head = |id: &str| {
            let mut b = [0u8; 16];
            let n = id.len().min(16);
            b[..n].copy_from_slice(&id.as_bytes()[..n]);
            u128::from_be_bytes(b)
        };
        let mut by_id: Vec<(u128, u32)> = (0..f.id.len() as u32)
            .map(|t| (head(&f.id[t as usize]), t))
            .collect();
        by_id.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| f.id[a.1 as usize].cmp(&f.id[b.1 as usize]))
        });
        f.by_id = by_id.into_iter().map(|(_, t)| t).collect();
        Ok(f)
    }

    /// Track `t`'s [`Col`] values and [`EXTRA`] flags, unscaled.
    fn wide_row(&self, t: usize) -> ZRow {
        let mut out = [0f32; WIDTH];
        for (c, o) in out.iter_mut().enumerate().take(COLS) {
            *o = self.columns[c][t];
        }
        out[EXPLICIT] = f32::from(u8::from(self.explicit[t]));
        out[ACCENTED_TITLE] = f32::from(self.title[t] & 1);
        out[NON_LATIN_TITLE] = f32::from(self.title[t] >> 1);
        out
    }

    /// Track `t`'s standardized row (each dimension's mean 0, deviation 1; unknown -> 0).
    pub fn z_row(&self, t: usize) -> ZRow {
        self.z[t]
    }

    fn standardized(&self, t: usize) -> ZRow {
        let mut out = self.wide_row(t);
        for ((o, m), sd) in out.iter_mut().zip(&self.mean).zip(&self.sd).take(DIMS) {
            let v = (*o - m) / sd;
            *o = if v.is_finite() { v } else { 0.0 };
        }
        out
    }

    /// Track `t`'s value of column `c` (NaN for an unknown year or time signature).
    pub fn value(&self, t: usize, c: Col) -> f32 {
        self.columns[c.index()][t]
    }

    /// The mean of `tracks`' standardized rows (zeros for no tracks).
    pub fn mean_z(&self, tracks: &[u32]) -> ZRow {
        let mut sum = [0f64; WIDTH];
        for &t in tracks {
            for (s, v) in sum.iter_mut().zip(&self.z_row(t as usize)) {
                *s += f64::from(*v);
            }
        }
        let n = tracks.len().max(1) as f64;
        sum.map(|s| (s / n) as f32)
    }

    /// Each genre's sound: the mean of its tracks' standardized rows.
    pub fn genre_centres(&self) -> &[ZRow] {
        self.genre_centres
            .get_or_init(|| self.genre_tracks.iter().map(|t| self.mean_z(t)).collect())
    }

    /// Each artist's sound: the mean of its tracks' standardized rows.
    pub fn artist_centres(&self) -> &[ZRow] {
        self.artist_centres.get_or_init(|| {
            self.artists
                .iter()
                .map(|a| self.mean_z(&a.tracks))
                .collect()
        })
    }

    pub fn len(&self) -> usize {
        self.cluster.len()
    }

    /// Every track's value of column `c`.
    pub fn column(&self, c: Col) -> &[f32] {
        &self.columns[c.index()]
    }

    pub fn is_empty(&self) -> bool {
        self.cluster.is_empty()
    }

    /// The track with Spotify id `id`.
    pub fn track(&self, id: &str) -> Option<u32> {
        self.by_id
            .binary_search_by(|&t| (*self.id[t as usize]).cmp(id))
            .ok()
            .map(|i| self.by_id[i])
    }

    /// The artist with Spotify artist id `id`.
    pub fn artist(&self, id: &str) -> Option<u32> {
        self.artist_by_spotify_id.get(id).copied()
    }

    pub fn genre(&self, name: &str) -> Option<u32> {
        self.genres
            .binary_search_by(|g| (**g).cmp(name))
            .ok()
            .map(|i| i as u32)
    }

    pub fn genre_tracks(&self, genre: u32) -> &[u32] {
        &self.genre_tracks[genre as usize]
    }

    /// A track's credits: (artist number, the Spotify artist id the track gave, if any).
    pub fn credits(&self, track: u32) -> &[Credit] {
        &self.track_artists[track as usize]
    }

    /// The genres of a track's artists, ascending, without repeats.
    pub fn track_genres(&self, track: u32) -> Vec<u32> {
        let mut out: Vec<u32> = self
            .credits(track)
            .iter()
            .flat_map(|(a, _)| self.artists[*a as usize].genres.iter().copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The Spotify id to show for a track's credit: the track's own, else the artist table's.
    pub fn credit_id<'a>(&'a self, credit: &'a Credit) -> Option<&'a str> {
        credit
            .1
            .as_deref()
            .or(self.artists[credit.0 as usize].spotify_id.as_deref())
    }
}

/// Mean and (population) standard deviation of each column over the rows where it is known.
/// A constant column gets a deviation of 1, so that standardizing it gives 0, not NaN.
fn moments(rows: impl Iterator<Item = ZRow>) -> (ZRow, ZRow) {
    let mut sum = [0f64; WIDTH];
    let mut sq = [0f64; WIDTH];
    let mut count = [0f64; WIDTH];
    for row in rows {
        for c in 0..DIMS {
            let v = row[c] as f64;
            if v.is_finite() {
                sum[c] += v;
                sq[c] += v * v;
                count[c] += 1.0;
            }
        }
    }
    let mut mean = [0f32; WIDTH];
    let mut sd = [1f32; WIDTH];
    for c in 0..DIMS {
        if count[c] > 0.0 {
            let m = sum[c] / count[c];
            let var = (sq[c] / count[c] - m * m).max(0.0);
            mean[c] = m as f32;
            if var > 1e-12 {
                sd[c] = var.sqrt() as f32;
            }
        }
    }
    (mean, sd)
}

/// [`Features`], loaded on a thread of its own; requests that need it wait for it.
#[derive(Clone)]
pub struct Loading {
    cell: Arc<OnceLock<Result<Arc<Features>, String>>>,
    ready: Arc<tokio::sync::Notify>,
}

impl Loading {
    /// Start reading `path` (a connection of its own, read-only).
    pub fn start(path: &Path) -> Loading {
        let loading = Loading {
            cell: Arc::new(OnceLock::new()),
            ready: Arc::new(tokio::sync::Notify::new()),
        };
        let (cell, ready) = (loading.cell.clone(), loading.ready.clone());
        let path = path.to_path_buf();
        let spawned = std::thread::Builder::new()
            .name("v3-features".into())
            .spawn(move || {
                let started = std::time::Instant::now();
                // A panic here must still settle the cell, or every request waiting for the
                // table would wait for ever.
                let load = std::panic::AssertUnwindSafe(|| {
                    music_db::open_read_only(&path)
                        .map_err(|e| e.to_string())
                        .and_then(|conn| {
                            Features::load(&conn)
                                .map_err(|e| format!("reading the tracks and artists: {e}"))
                        })
                });
                let result = std::panic::catch_unwind(load)
                    .unwrap_or_else(|_| Err("the loading thread panicked".to_string()));
                match &result {
                    Ok(f) => tracing::info!(
                        tracks = f.len(),
                        artists = f.artists.len(),
                        genres = f.genres.len(),
                        ms = started.elapsed().as_millis() as u64,
                        "v3 feature table loaded"
                    ),
                    Err(e) => tracing::error!(error = %e, "cannot load the v3 feature table"),
                }
                let table = result.map(Arc::new);
                let _ = cell.set(table.clone());
                ready.notify_waiters();
                // Seeds by artist or genre start from these. Computed after the table is
                // published, so that requests needing neither (a track's similar songs) need not
                // wait; one that does waits on the cell instead of computing them again.
                if let Ok(f) = table {
                    f.artist_centres();
                    f.genre_centres();
                }
            });
        if let Err(e) = spawned {
            let _ = loading
                .cell
                .set(Err(format!("cannot start the loading thread: {e}")));
        }
        loading
    }

    /// The table, once loaded. A table that failed to load is a server fault (500), logged once
    /// at load time with its cause.
    pub async fn get(&self) -> Result<Arc<Features>, ApiError> {
        loop {
            let notified = self.ready.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(result) = self.cell.get() {
                return result
                    .clone()
                    .map_err(|e| ApiError::Internal(format!("the feature table: {e}")));
            }
            notified.await;
        }
    }

    /// Wait for the table from a thread outside any async runtime (benchmarks, tests).
    pub fn wait(&self) -> Result<Arc<Features>, ApiError> {
        loop {
            if let Some(result) = self.cell.get() {
                return result
                    .clone()
                    .map_err(|e| ApiError::Internal(format!("the feature table: {e}")));
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_letters_tell_accents_from_other_scripts() {
        assert_eq!(title_letters("Fortunate Son"), (false, false));
        assert_eq!(title_letters("Canción de cuna"), (true, false));
        assert_eq!(title_letters("Ærø, ß, ŵ, ẞ"), (true, false));
        assert_eq!(title_letters("사랑해"), (false, true));
        assert_eq!(title_letters("Любовь é"), (true, true));
        // Digits, punctuation and symbols are not letters of any script.
        assert_eq!(title_letters("99 ½ — «live» ♪"), (false, false));
        assert_eq!(dim_name(0), "acousticness");
        assert_eq!(dim_name(EXPLICIT), "explicit");
        assert_eq!(dim_name(NON_LATIN_TITLE), "non_latin_title");
    }
}
