//! The real catalogue for the search tests and the benchmark: every track file of the Kaggle
//! data the project ships (de-duplicated by Spotify id) and the union by name of both artist
//! tables. Used by search/tests and, through `#[path]`, by bench/search.

#![allow(dead_code)]

use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use music_pipeline::kaggle::read_tracks;

pub const TRACK_FILES: [&str; 3] = [
    "tracks_2021_subsets.csv.gz",
    "data_2020_subsets.csv.gz",
    "Top80song.csv",
];
/// The 28,680-artist table first: where both tables name an artist, its row wins.
pub const ARTIST_FILES: [&str; 2] = ["data_w_genres_2020.csv.gz", "data_w_genres.csv.gz"];

pub struct CatalogueTrack {
    pub id: String,
    pub name: String,
    pub artists: Vec<String>,
    pub popularity: f32,
}

pub struct Catalogue {
    pub tracks: Vec<CatalogueTrack>,
    /// (name, popularity)
    pub artists: Vec<(String, f32)>,
    /// Track rows dropped as repeats of an id already read.
    pub duplicates: usize,
}

/// `data/raw/` of the checkout when the file is there, else the read-only shared copy.
pub fn data_file(name: &str) -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        manifest.join("../data/raw").join(name),
        manifest.join("../../shared/data/spotify").join(name),
        PathBuf::from("/work/shared/data/spotify").join(name),
    ];
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!("real data file {name} not found in data/raw or shared/data/spotify")
        })
}

fn open(path: &Path) -> Box<dyn Read> {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let reader = std::io::BufReader::new(file);
    if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::MultiGzDecoder::new(reader))
    } else {
        Box::new(reader)
    }
}

/// (name, popularity) of every row of an artist table, found by header name.
fn read_artist_table(path: &Path) -> Vec<(String, f32)> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(open(path));
    let headers = reader.headers().expect("artist table header").clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}').trim() == name)
            .unwrap_or_else(|| panic!("{}: no column {name}", path.display()))
    };
    let (name_col, pop_col) = (col("artists"), col("popularity"));
    reader
        .records()
        .map(|r| {
            let r = r.expect("artist row");
            let pop = r.get(pop_col).and_then(|p| p.trim().parse::<f32>().ok());
            (r.get(name_col).unwrap_or("").to_owned(), pop.unwrap_or(0.0))
        })
        .collect()
}

pub fn load() -> Catalogue {
    let mut seen: HashSet<String> = HashSet::new();
    let mut tracks = Vec::new();
    let mut duplicates = 0;
    for file in TRACK_FILES {
        let path = data_file(file);
        let read = read_tracks(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for t in read.tracks {
            if !seen.insert(t.id.clone()) {
                duplicates += 1;
                continue;
            }
            tracks.push(CatalogueTrack {
                id: t.id,
                name: t.name,
                artists: t.artists,
                popularity: t.popularity as f32,
            });
        }
    }
    let mut names: HashSet<String> = HashSet::new();
    let mut artists = Vec::new();
    for file in ARTIST_FILES {
        for (name, pop) in read_artist_table(&data_file(file)) {
            if names.insert(name.clone()) {
                artists.push((name, pop));
            }
        }
    }
    Catalogue {
        tracks,
        artists,
        duplicates,
    }
}

/// Index of the catalogue: tracks are `Target::Track(row)`, artists `Target::Artist(row)`.
pub fn build(c: &Catalogue) -> Vec<u8> {
    let mut b = music_search::Builder::new();
    for (i, t) in c.tracks.iter().enumerate() {
        let artists: Vec<&str> = t.artists.iter().map(String::as_str).collect();
        b.track(i as u32, &t.name, &artists, t.popularity);
    }
    for (i, (name, pop)) in c.artists.iter().enumerate() {
        b.artist(i as u32, name, *pop);
    }
    b.build()
}
