//! The byte layout of a built index, shared by the builder and the loader.
//!
//! ```text
//! header  magic "MMLSRCH\0" | version u32 | docs u32 | terms u32 | postings u32
//!         | popularity runs u32 | target bits u32 | sections u32 (= 9)
//!         | byte length u32 of each section
//! then each section in this order, each starting on a 4-byte boundary (zero padding):
//!   0 fst            fst::Map: folded word -> term id (ids are the words' sorted order)
//!   1 term offsets   packed (terms + 1) x bit_width(len of section 2): term t's postings are
//!                    bytes off[t]..off[t+1] of section 2
//!   2 postings       per term, LEB128 varints: the byte length of its FIRST run, then the FIRST
//!                    run (docs whose name starts with the word, or its words after a leading
//!                    "the"), each `delta << 1 | WHOLE`, then the other docs, each `delta`. Deltas
//!                    are from the previous doc of the run (the first from 0): runs are sorted by doc
//!   3 term counts    packed (terms + 1) x bit_width(postings): postings before term t
//!   4 targets        packed docs x target bits: the caller's number << 1 | 1 for an artist
//!   5 popularity     f32 x runs: the popularity of each run of docs (never NaN)
//!   6 pop. starts    u32 x runs: the first doc of each run (ascending, the first is 0)
//!   7 doc offsets    packed docs x (bit_width(8 x len of section 8) + 8): where each doc's
//!                    record starts in section 8, in bits, << 8 | its counts (below)
//!   8 doc records    bit stream, one record per doc (see below)
//! ```
//!
//! A doc record lists every word of the doc, to check a few candidate docs against a word that
//! matches too many docs, and to tell whether the name is the query or starts with it:
//!
//! ```text
//! L x term                      the name's plain words, in order: word i is at positions i..i+1
//! J x (term, start, end)        joined forms ("acdc" spans "ac" "dc" at 0..2); start and end in
//!                               bit_width(L) bits
//! A x term                      words of the credited artists that are not in the name, ascending
//! ```
//!
//! L, J and A are the low 8 bits of the doc's offset: L in bits 0-3, A in bits 4-6, J in bit 7.
//! A record with L >= 15, A >= 8 or J >= 2 has [`ESCAPE`] there and starts with the three counts
//! as Elias gamma codes of count + 1. Terms are bit_width(terms - 1) bits. Packed arrays and the record stream end with 8 zero
//! bytes, so that any value in them is read with one unaligned u64 load. All numbers are
//! little-endian. Docs are numbered by descending popularity, so among equally good matches the
//! smaller doc id is the better one, no popularity lookup is needed to rank, and popularity is
//! stored once per run of equal values.

use crate::bits::bit_width;

pub(crate) const MAGIC: [u8; 8] = *b"MMLSRCH\0";
pub const VERSION: u32 = 2;
pub(crate) const SECTIONS: usize = 9;
/// Header fields after the magic, before the section lengths.
pub(crate) const FIELDS: usize = 7;
pub(crate) const HEADER_BYTES: usize = 8 + 4 * FIELDS + 4 * SECTIONS;

pub(crate) const FST: usize = 0;
pub(crate) const TERM_OFFSETS: usize = 1;
pub(crate) const POSTINGS: usize = 2;
pub(crate) const TERM_COUNTS: usize = 3;
pub(crate) const TARGETS: usize = 4;
pub(crate) const POPULARITY: usize = 5;
pub(crate) const POP_STARTS: usize = 6;
pub(crate) const DOC_OFFSETS: usize = 7;
pub(crate) const RECORDS: usize = 8;

/// The word starts the name, or follows a leading "the" (while merging: a posting of the
/// FIRST run).
pub(crate) const FIRST: u32 = 4;
/// The word is the whole name, or all of it after a leading "the".
pub(crate) const WHOLE: u32 = 8;
/// Doc ids must leave room in the ranking key (bits 8..36).
pub(crate) const MAX_DOCS: usize = 1 << 28;

/// The counts byte of a doc whose record starts with its counts.
pub(crate) const ESCAPE: u8 = 0x0f;

/// The counts byte of a doc offset: plain words, joined forms, artist words.
pub(crate) fn doc_counts(len: u32, joined: u32, artists: u32) -> u8 {
    if len >= 15 || artists >= 8 || joined >= 2 {
        ESCAPE
    } else {
        (len | artists << 4 | joined << 7) as u8
    }
}

/// Bits of a term id in the doc records.
pub(crate) fn term_bits(terms: usize) -> u32 {
    bit_width(terms.saturating_sub(1) as u64)
}

/// Bits of a start or end position in a record of a name of `len` plain words.
pub(crate) fn position_bits(len: u32) -> u32 {
    bit_width(u64::from(len))
}

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
