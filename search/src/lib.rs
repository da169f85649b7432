//! Search over track titles and artist names for the v3 API: words of the title and of the
//! artists in any order, typos anywhere in a word, accents and case ignored, the last word
//! allowed to be unfinished (type-ahead), and a ranking that puts the obvious answer first.
//!
//! The index is built once by the pipeline ([`Builder`], bytes stored in the SQLite file) and
//! loaded by the Lambda with [`Index::from_bytes`], which only checks sizes: the sections are
//! used in place, so start-up does not grow with the catalogue.
//!
//! How it works: every name is folded (`music_shared::fold_name`) and split into words
//! ([`query_words`] says how). A finite state transducer (`fst`) maps each distinct word to a
//! term id; each term has a sorted postings list of the docs (tracks and artists) holding it.
//! A query word is looked up by running a Levenshtein automaton (`levenshtein_automata`, which
//! counts a swap of neighbours as one typo) over the transducer, a prefix automaton for the last
//! word; the postings of every matched term are merged per doc, and docs are ranked by sorting
//! one packed key per doc. Why these libraries: bench/results/search.md.

mod bits;
mod build;
mod format;
mod index;
mod text;

pub use build::Builder;
pub use format::{FormatError, VERSION};
pub use index::{warm_up, Index};
pub use text::{query_words, typo_budget, MAX_QUERY_BYTES, MAX_QUERY_WORDS};

/// The words the index stores for a display name: (word, start, end) over the positions of its
/// plain words (a joined form such as `acdc` spans the words it joins), and the number of plain
/// words. For tests that check the index against a brute-force reading of the names.
#[doc(hidden)]
pub fn index_words(name: &str) -> (Vec<(String, usize, usize)>, usize) {
    let (occ, len) = text::name_occurrences(name);
    (
        occ.into_iter().map(|o| (o.term, o.start, o.end)).collect(),
        len,
    )
}

/// What a hit points at: the caller's own numbering of its tracks and artists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase", tag = "kind", content = "id")]
pub enum Target {
    Track(u32),
    Artist(u32),
}

/// How a hit matched, as a label for people (the ranking itself uses more than this).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Match {
    /// The query is the whole name (a track's title, an artist's name), folded.
    Exact,
    /// The name starts with the query (its last word may be unfinished).
    Prefix,
    /// The query's words are found elsewhere in the title and/or the artists.
    Word,
    /// At least one typo was needed.
    Fuzzy,
}

/// One result, with what explains its rank.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Hit {
    pub target: Target,
    #[serde(rename = "match")]
    pub matched: Match,
    /// Never NaN: the builder stores NaN or infinite popularity as 0.
    pub popularity: f32,
    /// Query words this hit matched, out of `query_words` (the first ranking criterion).
    pub words: u8,
    pub query_words: u8,
    /// Typos needed over all matched words (the second criterion).
    pub typos: u8,
    /// The last query word matched a whole word, not only the start of one (ranked after the
    /// label: "mac" puts Fleetwood Mac before Macklemore).
    pub complete: bool,
}
