//! The byte layout of a built index, shared by the builder and the loader.
//!
//! ```text
//! header  magic "MMLSRCH\0" | version u32 | docs u32 | terms u32 | sections u32 (= 9)
//!         | byte length u32 of each section
//! then each section in this order, each starting on a 4-byte boundary (zero padding):
//!   0 fst            fst::Map: folded word -> term id (ids are the words' sorted order)
//!   1 term offsets   u32 x (terms + 1): term t's postings are postings[off[t]..off[t+1]]
//!   2 postings       u32: doc << 4 | flags (NAME, ARTIST, FIRST, WHOLE), one per (term, doc),
//!                    sorted by doc
//!   3 targets        u32 x docs: the caller's number of the track or artist
//!   4 popularity     f32 x docs (never NaN)
//!   5 kinds          u8 x docs: 0 track, 1 artist
//!   6 name lengths   u8 x docs: plain words in the name (capped at MAX_POSITION + 1)
//!   7 occ offsets    u32 x (docs + 1): doc d's name words are occurrences[off[d]..off[d+1]]
//!   8 occurrences    (u32 term, u32 start | end << 8) pairs: the name's words with positions
//!   9 first ends     u32 x terms: term t's postings with FIRST come first (by doc), those
//!                    without from first_ends[t] on (by doc); one-word queries can stop early
//!  10 fwd offsets    u32 x (docs + 1): doc d's words are forward[off[d]..off[d+1]]
//!  11 forward        u32: term << 4 | flags, by term: every word of a doc, name and artists,
//!                    to check a few candidate docs against a word that matches too many docs
//! ```
//!
//! All numbers are little-endian. Docs are numbered by descending popularity, so among equally
//! good matches the smaller doc id is the better one and no popularity lookup is needed to rank.

pub(crate) const MAGIC: [u8; 8] = *b"MMLSRCH\0";
pub const VERSION: u32 = 1;
pub(crate) const SECTIONS: usize = 12;
pub(crate) const HEADER_BYTES: usize = 8 + 4 * 4 + 4 * SECTIONS;

pub(crate) const FST: usize = 0;
pub(crate) const TERM_OFFSETS: usize = 1;
pub(crate) const POSTINGS: usize = 2;
pub(crate) const TARGETS: usize = 3;
pub(crate) const POPULARITY: usize = 4;
pub(crate) const KINDS: usize = 5;
pub(crate) const NAME_LENGTHS: usize = 6;
pub(crate) const OCC_OFFSETS: usize = 7;
pub(crate) const OCCURRENCES: usize = 8;
pub(crate) const FIRST_ENDS: usize = 9;
pub(crate) const FWD_OFFSETS: usize = 10;
pub(crate) const FORWARD: usize = 11;

/// The word is in the doc's own name (a track's title, an artist's name).
pub(crate) const NAME: u32 = 1;
/// The word is in one of a track's credited artists.
pub(crate) const ARTIST: u32 = 2;
/// The word starts the name, or follows a leading "the".
pub(crate) const FIRST: u32 = 4;
/// The word is the whole name, or all of it after a leading "the".
pub(crate) const WHOLE: u32 = 8;
pub(crate) const FLAG_BITS: u32 = 4;
/// Doc ids must leave room for the flags in a u32.
pub(crate) const MAX_DOCS: usize = 1 << (32 - FLAG_BITS);

pub(crate) const KIND_TRACK: u8 = 0;
pub(crate) const KIND_ARTIST: u8 = 1;

pub(crate) fn padded(len: usize) -> usize {
    len.div_ceil(4) * 4
}

/// Why bytes could not be loaded as an index.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("search index: not an index (bad magic)")]
    Magic,
    #[error("search index: format version {found}, this build reads {VERSION}")]
    Version { found: u32 },
    #[error("search index: truncated or inconsistent ({0})")]
    Layout(&'static str),
    #[error("search index: the term dictionary does not load: {0}")]
    Fst(String),
}
