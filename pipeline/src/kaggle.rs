//! Readers for the Kaggle Spotify tables, in either published schema.
//!
//! * 2020 (`data.csv`, ~170k rows; also the shipped `Top80song.csv`): `artists` is a Python list
//!   literal of names, `year` is a column; genres come from `data_w_genres.csv`, keyed by name.
//! * 2021 (`tracks.csv`, ~600k rows, with `artists.csv`): adds `id_artists`; genres come from
//!   `artists.csv`, keyed by artist id.
//!
//! Columns are found by header name, so extra leading index columns (pandas leftovers) and a
//! different column order do not matter. Files ending in `.gz` are decompressed on the fly.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use crate::artist::{ArtistRow, GenreIndex};
use crate::pylist::parse_str_list;
use crate::{ModelError, Track};

/// Which schema a track file follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackSchema {
    Kaggle2020,
    Kaggle2021,
}

/// A row that could not be used, and why; the pipeline counts these rather than failing.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejected {
    pub line: u64,
    pub reason: String,
}

pub struct TrackFile {
    pub schema: TrackSchema,
    pub tracks: Vec<Track>,
    pub rejected: Vec<Rejected>,
}

fn is_gzip(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "gz")
}

fn open(path: &Path) -> Result<Box<dyn Read>, ModelError> {
    let file = File::open(path).map_err(|source| ModelError::Io {
        path: path.into(),
        source,
    })?;
    let reader = BufReader::with_capacity(1 << 20, file);
    if is_gzip(path) {
        Ok(Box::new(flate2::read::MultiGzDecoder::new(reader)))
    } else {
        Ok(Box::new(reader))
    }
}

fn csv_reader(path: &Path) -> Result<csv::Reader<Box<dyn Read>>, ModelError> {
    Ok(csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(open(path)?))
}

/// Column positions looked up by name.
struct Columns {
    path: PathBuf,
    names: Vec<String>,
}

impl Columns {
    fn new(path: &Path, headers: &csv::StringRecord) -> Self {
        let names = headers
            .iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
            .collect();
        Columns {
            path: path.into(),
            names,
        }
    }
    fn has(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }
    fn find(&self, name: &str) -> Result<usize, ModelError> {
        // The last match wins: pandas leftovers come first, the real column after them.
        // Top80song.csv spells `key` as `Key`; an exact match is preferred over a case-folded one.
        self.names
            .iter()
            .rposition(|n| n == name)
            .or_else(|| {
                self.names
                    .iter()
                    .rposition(|n| n.eq_ignore_ascii_case(name))
            })
            .ok_or_else(|| ModelError::MissingColumn {
                path: self.path.clone(),
                column: name.into(),
            })
    }
}

fn csv_err(path: &Path) -> impl Fn(csv::Error) -> ModelError + '_ {
    move |source| ModelError::Csv {
        path: path.into(),
        source,
    }
}

fn num(field: Option<&str>, what: &str) -> Result<f64, String> {
    let text = field.ok_or_else(|| format!("missing {what}"))?.trim();
    let value: f64 = text
        .parse()
        .map_err(|_| format!("{what} is not a number: {text:?}"))?;
    if value.is_finite() {
        Ok(value)
    } else {
        Err(format!("{what} is not finite: {text:?}"))
    }
}

fn opt_num(field: Option<&str>) -> Option<f64> {
    field
        .and_then(|t| t.trim().parse::<f64>().ok())
        .filter(|v| v.is_finite())
}

fn flag(field: Option<&str>) -> bool {
    matches!(field.map(str::trim), Some("1" | "True" | "true" | "1.0"))
}

/// Column positions of one track table, found from its header.
struct TrackColumns {
    schema: TrackSchema,
    id: usize,
    name: usize,
    artists: usize,
    id_artists: Option<usize>,
    year: Option<usize>,
    release: Option<usize>,
    explicit: Option<usize>,
    time_signature: Option<usize>,
    numeric: [usize; 13],
}

/// Spotify's audio features of a track, in the order of the 2021 table's columns (and of
/// Spotify's own audio-features object). Every table or file that carries them takes their names
/// from here, so the lists cannot drift apart.
pub const AUDIO_FEATURES: [&str; 11] = [
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
];

/// [`AUDIO_FEATURES`] between the columns a table puts before and after them, as one array; a
/// length `N` that does not add up fails the build (or, called at run time, panics).
pub const fn around_audio_features<const N: usize>(
    before: &[&'static str],
    after: &[&'static str],
) -> [&'static str; N] {
    let middle = before.len() + AUDIO_FEATURES.len();
    assert!(middle + after.len() == N, "N must count every column");
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = if i < before.len() {
            before[i]
        } else if i < middle {
            AUDIO_FEATURES[i - before.len()]
        } else {
            after[i - middle]
        };
        i += 1;
    }
    out
}

const NUMERIC: [&str; 13] = around_audio_features(&["popularity", "duration_ms"], &[]);

impl TrackColumns {
    fn new(path: &Path, headers: &csv::StringRecord) -> Result<TrackColumns, ModelError> {
        let cols = Columns::new(path, headers);
        let schema = if cols.has("id_artists") {
            TrackSchema::Kaggle2021
        } else if cols.has("artists") && cols.has("id") {
            TrackSchema::Kaggle2020
        } else {
            return Err(ModelError::UnknownSchema {
                path: path.into(),
                detail: "expected columns id and artists (2020) or id_artists (2021)".into(),
            });
        };
        let c = |n: &str| cols.find(n);
        let mut numeric = [0; 13];
        for (slot, n) in numeric.iter_mut().zip(NUMERIC) {
            *slot = c(n)?;
        }
        Ok(TrackColumns {
            schema,
            id: c("id")?,
            name: c("name")?,
            artists: c("artists")?,
            id_artists: if schema == TrackSchema::Kaggle2021 {
                Some(c("id_artists")?)
            } else {
                None
            },
            year: cols.find("year").ok(),
            release: cols.find("release_date").ok(),
            explicit: cols.find("explicit").ok(),
            time_signature: cols.find("time_signature").ok(),
            numeric,
        })
    }

    fn track(&self, record: &csv::StringRecord) -> Result<Track, String> {
        let get = |i: usize| record.get(i);
        let mut v = [0f64; 13];
        for (slot, (&i, what)) in v.iter_mut().zip(self.numeric.iter().zip(NUMERIC)) {
            *slot = num(get(i), what)?;
        }
        let artist_names =
            parse_str_list(get(self.artists).unwrap_or("")).map_err(|e| e.to_string())?;
        let artist_ids = match self.id_artists {
            Some(i) => parse_str_list(get(i).unwrap_or("")).map_err(|e| e.to_string())?,
            None => Vec::new(),
        };
        if !artist_ids.is_empty() && artist_ids.len() != artist_names.len() {
            return Err(format!(
                "{} artists but {} artist ids",
                artist_names.len(),
                artist_ids.len()
            ));
        }
        let track_id = get(self.id).unwrap_or("").trim().to_string();
        if track_id.is_empty() {
            return Err("empty id".into());
        }
        let release_date = self.release.and_then(get).unwrap_or("").trim().to_string();
        let year = self
            .year
            .and_then(get)
            .and_then(|y| y.trim().parse::<f64>().ok())
            .map(|y| y as i32)
            .or_else(|| release_date.get(..4).and_then(|y| y.parse().ok()));
        Ok(Track {
            id: track_id,
            name: get(self.name).unwrap_or("").to_string(),
            artists: artist_names,
            artist_ids,
            year,
            release_date,
            popularity: v[0],
            explicit: flag(self.explicit.and_then(get)),
            duration_ms: v[1],
            danceability: v[2],
            energy: v[3],
            key: v[4] as i32,
            loudness: v[5],
            mode: v[6] as i32,
            speechiness: v[7],
            acousticness: v[8],
            instrumentalness: v[9],
            liveness: v[10],
            valence: v[11],
            tempo: v[12],
            time_signature: self
                .time_signature
                .and_then(get)
                .and_then(|t| t.trim().parse::<f64>().ok())
                .filter(|t| t.is_finite())
                .map(|t| t as i32),
        })
    }
}

/// The tracks and rejected rows of one piece of a table, and whether its first record was
/// rejected (see [`read_tracks`]).
struct Piece {
    tracks: Vec<Track>,
    rejected: Vec<Rejected>,
    first_rejected: bool,
}

/// Parse the records of `bytes` (no header), numbering lines from `first_line`.
fn parse_tracks(cols: &TrackColumns, bytes: &[u8], first_line: u64) -> Piece {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(bytes);
    // ~200 bytes a row in the Kaggle tables; growing a Vec of tracks by doubling copied ~0.1 s.
    let mut tracks = Vec::with_capacity(bytes.len() / 180);
    let mut rejected = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut first_rejected = false;
    let mut first = true;
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                // A broken row (bad quoting, invalid UTF-8) is skipped and counted, not fatal.
                let line = e.position().map_or(0, |p| p.line() + first_line - 1);
                rejected.push(Rejected {
                    line,
                    reason: e.to_string(),
                });
                first_rejected |= first;
                first = false;
                continue;
            }
        }
        let line = record.position().map_or(0, |p| p.line() + first_line - 1);
        match cols.track(&record) {
            Ok(track) => tracks.push(track),
            Err(reason) => {
                rejected.push(Rejected { line, reason });
                first_rejected |= first;
            }
        }
        first = false;
    }
    Piece {
        tracks,
        rejected,
        first_rejected,
    }
}

/// Where to cut `bytes[start..]` into about `parts` pieces that each begin at a record: after a
/// newline with an even number of quote characters before it (RFC 4180 quoting, as pandas
/// writes it: a newline inside a quoted field always follows an odd number of quotes). Each cut
/// is then checked by the caller; see [`read_tracks`].
fn record_cuts(bytes: &[u8], start: usize, parts: usize) -> Vec<usize> {
    let mut cuts = vec![start];
    let len = bytes.len() - start;
    let mut quotes = 0usize;
    let mut pos = start;
    for p in 1..parts {
        let target = start + len * p / parts;
        while pos < target {
            quotes += usize::from(bytes[pos] == b'"');
            pos += 1;
        }
        while pos < bytes.len() {
            let b = bytes[pos];
            pos += 1;
            if b == b'"' {
                quotes += 1;
            } else if b == b'\n' && quotes.is_multiple_of(2) {
                break;
            }
        }
        if pos < bytes.len() && pos > *cuts.last().expect("starts with start") {
            cuts.push(pos);
        }
    }
    cuts.push(bytes.len());
    cuts
}

/// Files smaller than this are parsed on one thread.
const PARALLEL_BYTES: usize = 4 << 20;

/// Read a track table of either schema. A large table is decompressed into memory and its
/// records parsed in pieces on all cores (the 2021 table alone took ~0.4 s on one).
pub fn read_tracks(path: &Path) -> Result<TrackFile, ModelError> {
    let mut bytes = Vec::with_capacity(decompressed_size_hint(path));
    open(path)?
        .read_to_end(&mut bytes)
        .map_err(|source| ModelError::Io {
            path: path.into(),
            source,
        })?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let parts = if bytes.len() >= PARALLEL_BYTES {
        threads
    } else {
        1
    };
    tracks_from_bytes(path, &bytes, parts)
}

/// How many bytes `path` holds once decompressed, as a capacity to read it into: growing the
/// buffer by doubling copied it several times over and touched memory it never used. A gzip
/// file ends with its (last member's) size modulo 2^32; a wrong hint only costs a reallocation
/// (and is capped, so a damaged trailer cannot reserve gigabytes).
fn decompressed_size_hint(path: &Path) -> usize {
    let Ok(mut file) = File::open(path) else {
        return 0;
    };
    let Ok(len) = file.metadata().map(|m| m.len()) else {
        return 0;
    };
    if !is_gzip(path) {
        return len as usize + 1;
    }
    use std::io::{Seek, SeekFrom};
    let mut size = [0u8; 4];
    if len < 18 || file.seek(SeekFrom::End(-4)).is_err() || file.read_exact(&mut size).is_err() {
        return 0;
    }
    (u64::from(u32::from_le_bytes(size)) + 1).min(len.saturating_mul(16)) as usize
}

/// [`read_tracks`] on a decompressed table, its records parsed in `parts` pieces.
fn tracks_from_bytes(path: &Path, bytes: &[u8], parts: usize) -> Result<TrackFile, ModelError> {
    let mut header = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let cols = TrackColumns::new(path, header.headers().map_err(csv_err(path))?)?;
    let body_start = header.position().byte() as usize;
    let body_line = header.position().line();
    drop(header);
    let cuts = record_cuts(bytes, body_start, parts);
    let line_of = |at: usize| {
        body_line
            + bytes[body_start..at]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64
    };
    let pieces: Vec<Piece> = std::thread::scope(|s| {
        let handles: Vec<_> = cuts
            .windows(2)
            .map(|w| {
                let (a, b) = (w[0], w[1]);
                let first_line = line_of(a);
                let cols = &cols;
                s.spawn(move || parse_tracks(cols, &bytes[a..b], first_line))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a track parser panicked"))
            .collect()
    });
    // A cut inside a quoted field (quoting pandas never writes) would make the piece after it
    // start mid-record, and its first row would not parse. Rather than guess, such a file is
    // parsed again on one thread (so is one whose piece happens to start at a broken row).
    let (tracks, rejected) = if pieces.iter().skip(1).any(|p| p.first_rejected) {
        let whole = parse_tracks(&cols, &bytes[body_start..], body_line);
        (whole.tracks, whole.rejected)
    } else {
        // The first piece's rows stay where they are: only the later pieces are moved.
        let total = pieces.iter().map(|p| p.tracks.len()).sum::<usize>();
        let mut pieces = pieces.into_iter();
        let first = pieces.next().expect("at least one piece");
        let (mut tracks, mut rejected) = (first.tracks, first.rejected);
        tracks.reserve_exact(total - tracks.len());
        for p in pieces {
            tracks.extend(p.tracks);
            rejected.extend(p.rejected);
        }
        (tracks, rejected)
    };
    Ok(TrackFile {
        schema: cols.schema,
        tracks,
        rejected,
    })
}

/// The artist table: 2020 `data_w_genres.csv` (rows with features, keyed by name) or 2021
/// `artists.csv` (id, name, genres). Either way the result indexes genres; the 2020 form also
/// keeps the rows, from which the pipeline derives `Clean_Artists`.
pub struct ArtistFile {
    pub genres: GenreIndex,
    pub rows: Vec<ArtistRow>,
    pub rejected: Vec<Rejected>,
}

impl ArtistFile {
    /// The union of several artist tables by name, the earlier table winning where two have the
    /// same artist (genres and features both come from the winning row, never mixed). Returns the
    /// union and, per table, how many of its rows were used.
    ///
    /// Why a union: the 28,680-artist table of the later 2020 release has artists the 22,727 one
    /// lacks (Kendrick Lamar among them), and 1,090 artists with genres in the 22,727 one are missing
    /// from it; neither contains the other.
    pub fn union(tables: Vec<ArtistFile>) -> (ArtistFile, Vec<usize>) {
        let mut out = ArtistFile {
            genres: GenreIndex::default(),
            rows: Vec::new(),
            rejected: Vec::new(),
        };
        let mut used = Vec::with_capacity(tables.len());
        for table in tables {
            let mut n = 0;
            for (id, g) in table.genres.by_id {
                out.genres.by_id.entry(id).or_insert(g);
            }
            if table.rows.is_empty() {
                // An id-keyed table (Kaggle 2021 artists.csv) has genres but no rows.
                for (name, g) in table.genres.by_name {
                    if let std::collections::hash_map::Entry::Vacant(e) =
                        out.genres.by_name.entry(name)
                    {
                        e.insert(g);
                        n += 1;
                    }
                }
            } else {
                for row in table.rows {
                    if out.genres.by_name.contains_key(&row.artists) {
                        continue;
                    }
                    let g = table
                        .genres
                        .by_name
                        .get(&row.artists)
                        .cloned()
                        .unwrap_or_else(|| row.genres.clone().into());
                    out.genres.by_name.insert(row.artists.clone(), g);
                    out.rows.push(row);
                    n += 1;
                }
            }
            out.rejected.extend(table.rejected);
            used.push(n);
        }
        (out, used)
    }
}

pub fn read_artists(path: &Path) -> Result<ArtistFile, ModelError> {
    let mut reader = csv_reader(path)?;
    let cols = Columns::new(path, reader.headers().map_err(csv_err(path))?);
    let by_id = cols.has("id") && cols.has("name") && cols.has("genres");
    let by_name = cols.has("artists") && cols.has("genres");
    if !by_id && !by_name {
        return Err(ModelError::UnknownSchema {
            path: path.into(),
            detail: "expected columns artists,genres (2020) or id,name,genres (2021)".into(),
        });
    }
    let genres_col = cols.find("genres")?;
    let mut out = ArtistFile {
        genres: GenreIndex::default(),
        rows: Vec::new(),
        rejected: Vec::new(),
    };
    let mut record = csv::StringRecord::new();
    let feature = |n: &str| cols.find(n).ok();
    let f = [
        "acousticness",
        "danceability",
        "duration_ms",
        "energy",
        "instrumentalness",
        "liveness",
        "loudness",
        "speechiness",
        "tempo",
        "valence",
        "popularity",
        "key",
        "mode",
        "count",
    ]
    .map(feature);
    let (id_col, name_col) = if by_id {
        (Some(cols.find("id")?), cols.find("name")?)
    } else {
        (None, cols.find("artists")?)
    };
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                out.rejected.push(Rejected {
                    line,
                    reason: e.to_string(),
                });
                continue;
            }
        }
        let line = record.position().map_or(0, |p| p.line());
        let genres = match crate::artist::parse_genres(record.get(genres_col).unwrap_or("")) {
            Ok(g) => g,
            Err(e) => {
                out.rejected.push(Rejected {
                    line,
                    reason: e.to_string(),
                });
                continue;
            }
        };
        let name = record.get(name_col).unwrap_or("").to_string();
        let shared: crate::artist::Genres = genres.clone().into();
        if let Some(id) = id_col.and_then(|i| record.get(i)) {
            out.genres
                .by_id
                .insert(id.trim().to_string(), shared.clone());
        }
        // First occurrence wins for duplicate names, so the index is independent of hash order.
        out.genres.by_name.entry(name.clone()).or_insert(shared);
        if !by_id {
            let v = |i: usize| opt_num(f[i].and_then(|c| record.get(c)));
            out.rows.push(ArtistRow {
                artists: name,
                acousticness: v(0),
                danceability: v(1),
                duration_ms: v(2),
                energy: v(3),
                instrumentalness: v(4),
                liveness: v(5),
                loudness: v(6),
                speechiness: v(7),
                tempo: v(8),
                valence: v(9),
                popularity: v(10),
                key: v(11).map(|x| x as i64),
                mode: v(12).map(|x| x as i64),
                count: v(13).map(|x| x as i64),
                genres,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2021-schema table whose titles carry quoted newlines, doubled quotes and commas,
    /// with a broken row: however it is cut, the pieces must give what one pass gives.
    fn awkward_table(rows: usize) -> Vec<u8> {
        let mut out = String::from(
            "id,name,popularity,duration_ms,explicit,artists,id_artists,release_date,danceability,\
             energy,key,loudness,mode,speechiness,acousticness,instrumentalness,liveness,valence,\
             tempo,time_signature\n",
        );
        for i in 0..rows {
            let name = match i % 5 {
                0 => format!("\"Blue Monday (12\"\" Mix)\n, part {i}\""),
                1 => format!("\"Line\none\nand \"\"two\"\", {i}\""),
                2 => format!("plain {i}"),
                3 => format!("\"a,b\"\"\n{i}\""),
                _ => format!("\"\"\"\n\"\"{i}\""),
            };
            let popularity = if i == rows / 2 {
                "loud".to_string()
            } else {
                (i % 90).to_string()
            };
            out.push_str(&format!(
                "id{i:020},{name},{popularity},200000,0,\"['A{i}', 'B']\",\"['x{i}', 'y']\",1999-01-01,\
                 0.5,0.5,1,-5.0,1,0.05,0.1,0.0,0.1,0.5,120.0,4\n"
            ));
        }
        out.into_bytes()
    }

    #[test]
    fn pieces_parse_like_one_pass() {
        let bytes = awkward_table(997);
        let path = Path::new("awkward.csv");
        let one = tracks_from_bytes(path, &bytes, 1).unwrap();
        assert_eq!(one.tracks.len(), 996);
        assert_eq!(one.rejected.len(), 1);
        assert!(one.tracks[0].name.starts_with("Blue Monday (12\" Mix)\n"));
        for parts in [2, 3, 7, 64] {
            let split = tracks_from_bytes(path, &bytes, parts).unwrap();
            assert_eq!(split.tracks.len(), one.tracks.len(), "{parts} pieces");
            for (a, b) in split.tracks.iter().zip(&one.tracks) {
                assert_eq!((&a.id, &a.name, &a.artists), (&b.id, &b.name, &b.artists));
            }
            assert_eq!(
                split.rejected, one.rejected,
                "{parts} pieces: same rows, same lines"
            );
        }
    }

    #[test]
    fn cuts_fall_between_records() {
        let bytes = awkward_table(200);
        let start = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
        let cuts = record_cuts(&bytes, start, 9);
        assert!(cuts.len() > 3, "{cuts:?}");
        for c in &cuts[1..cuts.len() - 1] {
            assert!(
                bytes[c - 1] == b'\n' && bytes[*c..].starts_with(b"id"),
                "cut at {c}"
            );
        }
    }
}
