//! Loading the index bytes and answering queries.

use std::cell::RefCell;
use std::ops::Range;
use std::sync::OnceLock;

use fst::{IntoStreamer, Streamer};
use levenshtein_automata::{Distance, LevenshteinAutomatonBuilder, DFA};

use crate::bits::{bit_width, packed_len, read_bits, varint, BitReader, Packed};
use crate::format::*;
use crate::text::{query_words, typo_budget, MAX_POSITION, MAX_QUERY_WORDS};
use crate::{Hit, Match, Target};

#[cfg(target_endian = "big")]
compile_error!(
    "music-search reads its little-endian sections in place; big-endian targets are not supported"
);

/// The bytes, kept 4-aligned so that u32 and f32 sections are slices into them.
enum Buf {
    Bytes(Vec<u8>),
    /// A copy, for the rare allocation that is not 4-aligned; `usize` is the byte length.
    Words(Vec<u32>, usize),
}

impl Buf {
    fn bytes(&self) -> &[u8] {
        match self {
            Buf::Bytes(b) => b,
            Buf::Words(w, len) => &bytemuck::cast_slice(w)[..*len],
        }
    }
}

/// A loaded index. Loading checks sizes only (O(1)); reading never trusts an offset blindly, so
/// damaged bytes give wrong or no hits but no panic.
pub struct Index {
    buf: Buf,
    sections: [Range<usize>; SECTIONS],
    docs: usize,
    terms: usize,
    /// Widths of the packed sections and of a term id in the records.
    offset_bits: u32,
    count_bits: u32,
    target_bits: u32,
    record_bits: u32,
    term_bits: u32,
    /// See [`DEFER_MIN_POSTINGS`]; tests lower it to drive the shortcut on a small corpus.
    defer_min: usize,
}

/// Terms `lo..hi` (consecutive in sorted order) that a query word matched alike. Every word
/// that starts with an unfinished query word is one such range, so "d" costs two dictionary
/// lookups and one pass over a contiguous run of postings, not a walk over thousands of terms.
#[derive(Debug, Clone, Copy)]
struct TermMatch {
    lo: u32,
    hi: u32,
    /// Typos needed (against the whole term, or against its best prefix for the last word).
    cost: u8,
    /// The terms are the whole word, not only a continuation of it (always true but for the
    /// last word of a query, which may be unfinished).
    full: bool,
}

/// The match covering `term`, in matches sorted by `lo` and not overlapping.
fn find(matches: &[TermMatch], term: u32) -> Option<&TermMatch> {
    let i = matches.partition_point(|m| m.hi <= term);
    matches.get(i).filter(|m| m.lo <= term)
}

/// Per doc, what the words matched so far add up to.
#[derive(Debug, Clone, Copy, Default)]
struct Acc {
    /// Bit i: query word i matched a word of this doc.
    mask: u8,
    typos: u8,
    /// FIRST/WHOLE of word 0, and whether the last word matched a whole term.
    bits: u8,
    /// Two bits per query word: the typos that word needed in this doc.
    costs: u16,
}
const ACC_FIRST0: u8 = 1;
const ACC_WHOLE0: u8 = 2;
const ACC_LAST_FULL: u8 = 4;

/// Per (doc, query word) while that word's terms are merged: 0 if unmatched, else PRESENT, the
/// lowest cost seen, and the posting flags of the matches at that cost (WHOLE only from
/// whole-term matches). Only the cheapest matches count, so a doc whose name is one typo from
/// the query but also holds the query's word exactly elsewhere is a plain word match.
const W_PRESENT: u8 = 0x80;
const W_FULL: u8 = 0x10;
const W_COST_SHIFT: u8 = 5;
const W_COST_MASK: u8 = 0x60;

#[derive(Default)]
struct Scratch {
    word: Vec<u8>,
    word_touched: Vec<u32>,
    acc: Vec<Acc>,
    touched: Vec<u32>,
}

thread_local! {
    /// Reused between queries so a query touching 40k docs does not zero 600 KB first; every
    /// entry a query sets is reset through the touched lists before the next one.
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Levenshtein automaton builders for one and two typos, transpositions costing one. Building
/// them takes milliseconds, so it happens once per process, at the first query that needs it.
fn lev_builder(distance: u8) -> &'static LevenshteinAutomatonBuilder {
    static ONE: OnceLock<LevenshteinAutomatonBuilder> = OnceLock::new();
    static TWO: OnceLock<LevenshteinAutomatonBuilder> = OnceLock::new();
    match distance {
        1 => ONE.get_or_init(|| LevenshteinAutomatonBuilder::new(1, true)),
        _ => TWO.get_or_init(|| LevenshteinAutomatonBuilder::new(2, true)),
    }
}

/// Builds the typo automata now rather than on the first query that needs them.
pub fn warm_up() {
    lev_builder(1);
    lev_builder(2);
}

/// How a doc's name relates to the query as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Class {
    Exact = 0,
    Prefix = 1,
    Other = 2,
}

fn le_u32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

impl Index {
    /// Takes the bytes as stored (e.g. a SQLite BLOB). Checks the magic, the version and that
    /// every section has the size its counts imply; costs no pass over the data unless the
    /// allocation is not 4-aligned, in which case it is copied once.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Index, FormatError> {
        if bytes.len() < HEADER_BYTES || bytes[..8] != MAGIC {
            return Err(FormatError::Magic);
        }
        let field = |i: usize| le_u32(&bytes, 8 + 4 * i).unwrap_or(0);
        let version = field(0);
        if version != VERSION {
            return Err(FormatError::Version { found: version });
        }
        let (docs, terms, postings) = (field(1) as usize, field(2) as usize, field(3) as usize);
        let (runs, target_bits) = (field(4) as usize, field(5));
        if field(6) as usize != SECTIONS {
            return Err(FormatError::Layout("section count"));
        }
        let mut sections: [Range<usize>; SECTIONS] = Default::default();
        let mut at = HEADER_BYTES;
        for (i, s) in sections.iter_mut().enumerate() {
            let len = field(FIELDS + i) as usize;
            *s = at..at + len;
            at = padded(at + len);
        }
        if at != bytes.len() {
            return Err(FormatError::Layout("total length"));
        }
        if docs >= MAX_DOCS || terms >= MAX_DOCS {
            return Err(FormatError::Layout("too many docs or terms"));
        }
        if !(1..=33).contains(&target_bits) {
            return Err(FormatError::Layout("target width"));
        }
        let len = |i: usize| sections[i].len();
        let offset_bits = bit_width(len(POSTINGS) as u64);
        let count_bits = bit_width(postings as u64);
        let record_bits = bit_width(8 * len(RECORDS) as u64) + 8;
        let expect = [
            (
                TERM_OFFSETS,
                packed_len(terms + 1, offset_bits),
                "term offsets",
            ),
            (
                TERM_COUNTS,
                packed_len(terms + 1, count_bits),
                "term counts",
            ),
            (TARGETS, packed_len(docs, target_bits), "targets"),
            (POPULARITY, 4 * runs, "popularity"),
            (POP_STARTS, 4 * runs, "popularity runs"),
            (DOC_OFFSETS, packed_len(docs, record_bits), "doc offsets"),
        ];
        for (i, want, what) in expect {
            if len(i) != want {
                return Err(FormatError::Layout(what));
            }
        }
        if (runs == 0) != (docs == 0) || runs > docs || len(RECORDS) < crate::bits::PAD {
            return Err(FormatError::Layout("popularity runs or records"));
        }
        let last = |i: usize, w: u32, n: usize| {
            Packed {
                bytes: &bytes[sections[i].clone()],
                w,
            }
            .get(n)
        };
        if last(TERM_OFFSETS, offset_bits, terms) != len(POSTINGS) as u64
            || last(TERM_COUNTS, count_bits, terms) != postings as u64
        {
            return Err(FormatError::Layout("last offset"));
        }
        let map = fst::Map::new(&bytes[sections[FST].clone()])
            .map_err(|e| FormatError::Fst(e.to_string()))?;
        if map.len() != terms {
            return Err(FormatError::Layout("term count"));
        }
        let buf = if bytes.as_ptr().align_offset(4) == 0 {
            Buf::Bytes(bytes)
        } else {
            let mut words = vec![0u32; bytes.len().div_ceil(4)];
            bytemuck::cast_slice_mut::<u32, u8>(&mut words)[..bytes.len()].copy_from_slice(&bytes);
            Buf::Words(words, bytes.len())
        };
        Ok(Index {
            buf,
            sections,
            docs,
            terms,
            offset_bits,
            count_bits,
            target_bits,
            record_bits,
            term_bits: term_bits(terms),
            defer_min: DEFER_MIN_POSTINGS,
        })
    }

    /// Sets how many postings make a query word "very common" (default 20,000), for tests that
    /// exercise the shortcut for such words on a small corpus.
    #[doc(hidden)]
    pub fn with_common_word_postings(mut self, postings: usize) -> Index {
        self.defer_min = postings;
        self
    }

    /// Tracks and artists in the index.
    pub fn len(&self) -> usize {
        self.docs
    }

    pub fn is_empty(&self) -> bool {
        self.docs == 0
    }

    /// Distinct words in the index.
    pub fn terms(&self) -> usize {
        self.terms
    }

    /// Size of the index bytes.
    pub fn byte_len(&self) -> usize {
        self.buf.bytes().len()
    }

    /// Bytes per section, for the benchmark: (name, bytes).
    #[doc(hidden)]
    pub fn section_sizes(&self) -> Vec<(&'static str, usize)> {
        const NAMES: [&str; SECTIONS] = [
            "fst",
            "term offsets",
            "postings",
            "term counts",
            "targets",
            "popularity",
            "popularity runs",
            "doc offsets",
            "doc records",
        ];
        let mut out = vec![("header", HEADER_BYTES)];
        out.extend(NAMES.iter().zip(&self.sections).map(|(n, r)| (*n, r.len())));
        out
    }

    fn section(&self, i: usize) -> &[u8] {
        &self.buf.bytes()[self.sections[i].clone()]
    }

    fn packed(&self, i: usize, w: u32) -> Packed<'_> {
        Packed {
            bytes: self.section(i),
            w,
        }
    }

    fn map(&self) -> Option<fst::Map<&[u8]>> {
        fst::Map::new(self.section(FST)).ok()
    }

    /// Postings of terms `lo..hi`.
    fn volume(&self, lo: u32, hi: u32) -> usize {
        let counts = self.packed(TERM_COUNTS, self.count_bits);
        let (lo, hi) = (lo as usize, (hi as usize).min(self.terms));
        if lo >= hi {
            return 0;
        }
        counts.get(hi).saturating_sub(counts.get(lo)) as usize
    }

    /// Term `t`'s two runs of postings: (FIRST run, the others), varint bytes.
    fn runs(&self, t: u32) -> (&[u8], &[u8]) {
        let t = t as usize;
        if t >= self.terms {
            return (&[], &[]);
        }
        let off = self.packed(TERM_OFFSETS, self.offset_bits);
        let (a, b) = (off.get(t) as usize, off.get(t + 1) as usize);
        let Some(bytes) = self.section(POSTINGS).get(a..b) else {
            return (&[], &[]);
        };
        let mut at = 0;
        let first = varint(bytes, &mut at).unwrap_or(0) as usize;
        let bytes = &bytes[at..];
        let split = first.min(bytes.len());
        (&bytes[..split], &bytes[split..])
    }

    fn target(&self, doc: u32) -> Target {
        let v = self.packed(TARGETS, self.target_bits).get(doc as usize);
        let n = (v >> 1) as u32;
        if v & 1 == 1 {
            Target::Artist(n)
        } else {
            Target::Track(n)
        }
    }

    fn popularity(&self, doc: u32) -> f32 {
        let starts: &[u32] = bytemuck::try_cast_slice(self.section(POP_STARTS)).unwrap_or(&[]);
        let values: &[f32] = bytemuck::try_cast_slice(self.section(POPULARITY)).unwrap_or(&[]);
        let run = starts.partition_point(|&s| s <= doc);
        run.checked_sub(1)
            .and_then(|r| values.get(r))
            .copied()
            .filter(|p| p.is_finite())
            .unwrap_or(0.0)
    }

    /// The doc's record: its words, read in place.
    fn record(&self, doc: u32) -> Record<'_> {
        let bytes = self.section(RECORDS);
        let mut r = Record {
            bytes,
            at: 0,
            len: 0,
            joined: 0,
            artists: 0,
            term_bits: self.term_bits,
        };
        if doc as usize >= self.docs {
            return r;
        }
        let entry = self.packed(DOC_OFFSETS, self.record_bits).get(doc as usize);
        let (at, counts) = ((entry >> 8) as usize, entry as u8);
        let end = 8 * bytes.len().saturating_sub(crate::bits::PAD);
        let (at, len, joined, artists) = if counts == ESCAPE {
            let mut b = BitReader::new(bytes, at, end);
            let (Some(len), Some(joined), Some(artists)) = (b.small(), b.small(), b.small()) else {
                return r;
            };
            (b.pos, len, joined, artists)
        } else {
            let c = u32::from(counts);
            (at, c & 15, c >> 7, (c >> 4) & 7)
        };
        let (tb, pb) = (self.term_bits as usize, position_bits(len) as usize);
        let need =
            (len as usize + joined as usize + artists as usize) * tb + joined as usize * 2 * pb;
        if at + need <= end {
            (r.at, r.len, r.joined, r.artists) = (at, len, joined, artists);
        }
        r
    }

    /// Terms a query word matches, in term order. The last word of a query may be unfinished,
    /// so it also matches terms that merely start with it (or with a near miss).
    fn lookup(&self, map: &fst::Map<&[u8]>, word: &str, prefix: bool) -> Vec<TermMatch> {
        let budget = typo_budget(word);
        let mut out = Vec::new();
        if budget == 0 {
            if prefix {
                self.prefix_range(map, word.as_bytes(), &mut out);
            } else if let Some(id) = map.get(word) {
                out.push(TermMatch {
                    lo: id as u32,
                    hi: id as u32 + 1,
                    cost: 0,
                    full: true,
                });
            }
            return out;
        }
        // Two typos only when the first letter is right; with a wrong first letter the walk
        // would visit every two-letter start of the dictionary (~10x the time, measured in
        // bench/search), and a wrong first letter plus another typo is rarely what was meant.
        let mut first = [0u8; 4];
        let first: &[u8] = word
            .chars()
            .next()
            .map_or(&[], |c| c.encode_utf8(&mut first).as_bytes());
        let mut out = self.walk(map, word, prefix, 1, &[]);
        if budget == 2 {
            out.extend(self.walk(map, word, prefix, 2, first));
            // Both walks can find a term: keep its fewest typos. Ranges come only from the exact
            // word, which both find alike.
            out.sort_unstable_by_key(|m| (m.lo, m.cost));
            out.dedup_by_key(|m| m.lo);
        }
        out
    }

    /// The terms within `distance` typos of `word` (of a prefix of them when `prefix`) whose
    /// bytes start with `forced`.
    fn walk(
        &self,
        map: &fst::Map<&[u8]>,
        word: &str,
        prefix: bool,
        distance: u8,
        forced: &[u8],
    ) -> Vec<TermMatch> {
        let builder = lev_builder(distance);
        let dfa = if prefix {
            builder.build_prefix_dfa(word)
        } else {
            builder.build_dfa(word)
        };
        // For an unfinished word, also whether a term is within the budget as a whole word.
        let whole: Option<DFA> = prefix.then(|| builder.build_dfa(word));
        let mut walk = Walk {
            index: self,
            map,
            dfa: &dfa,
            whole: whole.as_ref(),
            forced,
            path: Vec::with_capacity(64),
            out: Vec::new(),
        };
        let fst = map.as_fst();
        let whole_start = whole.as_ref().map_or(0, |w| w.initial_state());
        walk.visit(fst.root(), 0, dfa.initial_state(), whole_start);
        walk.out
    }

    /// The term lookup alone, for the benchmark: (first term, end, typos) of each match.
    #[doc(hidden)]
    pub fn lookup_terms(&self, word: &str, prefix: bool) -> Vec<(u32, u32, u8)> {
        match self.map() {
            Some(map) => self
                .lookup(&map, word, prefix)
                .into_iter()
                .map(|m| (m.lo, m.hi, m.cost))
                .collect(),
            None => Vec::new(),
        }
    }

    /// The terms starting with `prefix`: consecutive ids, found with two dictionary lookups.
    /// The term equal to `prefix` (if any) comes first and is the only whole-word match.
    fn prefix_range(&self, map: &fst::Map<&[u8]>, prefix: &[u8], out: &mut Vec<TermMatch>) {
        let first_at_or_after = |key: &[u8]| -> u32 {
            let mut s = map.range().ge(key).into_stream();
            s.next().map_or(self.terms as u32, |(_, id)| id as u32)
        };
        let lo = first_at_or_after(prefix);
        // The smallest key after every key that starts with `prefix`.
        let mut next = prefix.to_vec();
        while next.last() == Some(&0xff) {
            next.pop();
        }
        let hi = match next.last_mut() {
            Some(b) => {
                *b += 1;
                first_at_or_after(&next)
            }
            None => self.terms as u32,
        };
        if lo >= hi {
            return;
        }
        let mut lo = lo;
        if map.get(prefix) == Some(u64::from(lo)) {
            out.push(TermMatch {
                lo,
                hi: lo + 1,
                cost: 0,
                full: true,
            });
            lo += 1;
        }
        if lo < hi {
            out.push(TermMatch {
                lo,
                hi,
                cost: 0,
                full: false,
            });
        }
    }

    /// Best `limit` hits for a raw user query (folded and split into words here), best first.
    ///
    /// Ranking, each step breaking the ties of the one before: more query words matched (a word
    /// that matches nothing does not empty the list); fewer typos; the name is the query
    /// (exact), then starts with it (prefix), then anything else; the last word complete rather
    /// than a prefix; higher popularity.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        if limit == 0 || self.docs == 0 {
            return Vec::new();
        }
        let (words, last_is_typed) = query_words(query);
        if words.is_empty() {
            return Vec::new();
        }
        let Some(map) = self.map() else {
            return Vec::new();
        };
        let n = words.len();
        let matches: Vec<Vec<TermMatch>> = words
            .iter()
            .enumerate()
            .map(|(i, w)| self.lookup(&map, w, last_is_typed && i == n - 1))
            .collect();
        SCRATCH.with(|s| {
            let mut s = s.borrow_mut();
            self.rank(&mut s, &matches, limit)
        })
    }

    fn rank(&self, s: &mut Scratch, matches: &[Vec<TermMatch>], limit: usize) -> Vec<Hit> {
        let docs = self.docs;
        if s.word.len() != docs {
            s.word = vec![0; docs];
            s.acc = vec![Acc::default(); docs];
        }
        s.touched.clear();
        let n = matches.len();
        let the = self.map().and_then(|m| m.get("the")).map(|t| t as u32);
        if n == 1 && matches[0].iter().all(|m| m.cost == 0) {
            self.gather_one_word(s, &matches[0], limit);
        } else {
            self.gather(s, matches, limit, the);
        }

        let all = ((1u16 << n) - 1) as u8;
        let mut keys: Vec<u64> = Vec::with_capacity(s.touched.len());
        for &doc in &s.touched {
            let acc = std::mem::take(&mut s.acc[doc as usize]);
            let class = if acc.mask != all || acc.bits & ACC_FIRST0 == 0 {
                Class::Other
            } else if n == 1 {
                if acc.bits & ACC_WHOLE0 != 0 {
                    Class::Exact
                } else {
                    Class::Prefix
                }
            } else {
                self.name_class(doc, matches, acc.costs, the)
            };
            let words = acc.mask.count_ones() as u64;
            // Sorting these keys is the ranking: criteria from the high bits down, then the
            // doc id (popularity order); the mask rides along below it and never decides.
            let key = (MAX_QUERY_WORDS as u64 - words) << 60
                | u64::from(acc.typos.min(31)) << 55
                | (class as u64) << 53
                | u64::from(acc.bits & ACC_LAST_FULL == 0) << 52
                | u64::from(doc) << 8
                | u64::from(acc.mask);
            keys.push(key);
        }
        s.touched.clear();
        let limit = limit.min(keys.len());
        if limit == 0 {
            return Vec::new();
        }
        if keys.len() > limit {
            keys.select_nth_unstable(limit - 1);
            keys.truncate(limit);
        }
        keys.sort_unstable();
        keys.into_iter()
            .map(|k| {
                let doc = (k >> 8) as u32 & (MAX_DOCS as u32 - 1);
                let typos = (k >> 55) as u8 & 0x1f;
                let class = (k >> 53) & 3;
                let matched = if typos > 0 {
                    Match::Fuzzy
                } else if class == Class::Exact as u64 {
                    Match::Exact
                } else if class == Class::Prefix as u64 {
                    Match::Prefix
                } else {
                    Match::Word
                };
                Hit {
                    target: self.target(doc),
                    matched,
                    popularity: self.popularity(doc),
                    words: (k as u8).count_ones() as u8,
                    query_words: n as u8,
                    typos,
                    complete: (k >> 52) & 1 == 0,
                }
            })
            .collect()
    }

    /// One word without typos ("d", "qu", "queen"): docs whose name starts with it outrank all
    /// others, so when there are `limit` of those, the postings of docs that only contain it
    /// further in are never read (they are stored after the FIRST ones of each term). Terms
    /// that are the whole word are always read in full: they decide "complete" for every doc.
    fn gather_one_word(&self, s: &mut Scratch, matches: &[TermMatch], limit: usize) {
        s.word_touched.clear();
        for m in matches {
            for t in m.lo..m.hi {
                let (first, rest) = self.runs(t);
                scan(s, first, true, m, 0, usize::MAX);
                if m.full {
                    scan(s, rest, false, m, 0, usize::MAX);
                }
            }
        }
        let starts = s
            .word_touched
            .iter()
            .filter(|&&d| u32::from(s.word[d as usize]) & FIRST != 0)
            .count();
        if starts < limit {
            for m in matches.iter().filter(|m| !m.full) {
                for t in m.lo..m.hi {
                    scan(s, self.runs(t).1, false, m, 0, usize::MAX);
                }
            }
        }
        fold(s, 0, 1);
    }

    /// Any query: every word's postings are merged, but a word far more common than the rest
    /// together ("fleetwood mac d") is checked only against the docs the others found, through
    /// each doc's own word list, as long as `limit` of those match two words or more: a doc
    /// holding only that word could then not rank among them.
    fn gather(&self, s: &mut Scratch, matches: &[Vec<TermMatch>], limit: usize, the: Option<u32>) {
        let n = matches.len();
        let volume: Vec<usize> = matches
            .iter()
            .map(|ms| ms.iter().map(|m| self.volume(m.lo, m.hi)).sum())
            .collect();
        let (big, &big_volume) = volume
            .iter()
            .enumerate()
            .max_by_key(|&(i, v)| (*v, std::cmp::Reverse(i)))
            .unwrap_or((0, &0));
        let rest: usize = volume.iter().sum::<usize>() - big_volume;
        let defer = n >= 2 && big_volume > self.defer_min && rest * 4 < big_volume;
        for (i, word_matches) in matches.iter().enumerate() {
            if defer && i == big {
                continue;
            }
            s.word_touched.clear();
            for m in word_matches {
                self.scan_terms(s, m, 0, usize::MAX);
            }
            fold(s, i, n);
        }
        if !defer {
            return;
        }
        s.word_touched.clear();
        for k in 0..s.touched.len() {
            let doc = s.touched[k];
            let w = self.forward_match(doc, &matches[big], the);
            if w != 0 {
                s.word[doc as usize] = w;
                s.word_touched.push(doc);
            }
        }
        fold(s, big, n);
        let strong = s
            .touched
            .iter()
            .filter(|&&d| s.acc[d as usize].mask.count_ones() >= 2)
            .count();
        if strong < limit {
            // The page needs docs holding only this word. Without typos they all rank as plain
            // word matches by (complete, popularity): the whole-word terms are read in full, and
            // of every other term only the first `limit` docs of each of its two runs (each
            // sorted by doc id, i.e. popularity) can be among the best `limit`.
            let cut = if matches[big].iter().all(|m| m.cost == 0) {
                limit
            } else {
                usize::MAX
            };
            s.word_touched.clear();
            for m in &matches[big] {
                let cut = if m.full { usize::MAX } else { cut };
                self.scan_terms(s, m, 1 << big, cut);
            }
            fold(s, big, n);
        }
    }

    /// Merges the postings of every term of `m`, at most `cut` docs of each run.
    fn scan_terms(&self, s: &mut Scratch, m: &TermMatch, skip: u8, cut: usize) {
        for t in m.lo..m.hi {
            let (first, rest) = self.runs(t);
            scan(s, first, true, m, skip, cut);
            scan(s, rest, false, m, skip, cut);
        }
    }

    /// What `scan` would leave for this doc and this word, read from the doc's own words.
    fn forward_match(&self, doc: u32, matches: &[TermMatch], the: Option<u32>) -> u8 {
        let r = self.record(doc);
        let mut w = 0u8;
        // "The Beatles" also starts at "beatles", as the builder flags it.
        let start = u32::from(r.len > 0 && Some(r.plain(0)) == the);
        for (term, a, b) in r.name_words() {
            if let Some(m) = find(matches, term) {
                let mut flags = 0;
                if a == 0 || a == start {
                    flags |= FIRST;
                    if b == r.len {
                        flags |= WHOLE;
                    }
                }
                w = merge(w, slot_value(flags, m));
            }
        }
        for term in r.artist_words() {
            if let Some(m) = find(matches, term) {
                w = merge(w, slot_value(0, m));
            }
        }
        w
    }

    /// Whether the doc's name is the query (every word in order, the last one whole), starts
    /// with it, or neither, counting for each word only the terms at the cost it had in this
    /// doc (`costs`). A leading "the" may be left out, as people do ("beatles"). Words of a name
    /// can be alternatives (`ac` `dc` or `acdc`), so the check follows every position reachable
    /// after each query word.
    fn name_class(
        &self,
        doc: u32,
        matches: &[Vec<TermMatch>],
        costs: u16,
        the: Option<u32>,
    ) -> Class {
        let r = self.record(doc);
        let len = r.len;
        let mut reach: u128 = 1;
        if the.is_some() && r.len > 0 && Some(r.plain(0)) == the {
            reach |= 2;
        }
        let mut whole_end: u128 = 0;
        let last = matches.len() - 1;
        for (i, word_matches) in matches.iter().enumerate() {
            let mut next: u128 = 0;
            for (term, start, end) in r.name_words() {
                if start > MAX_POSITION || end > MAX_POSITION || reach & (1 << start) == 0 {
                    continue;
                }
                let Some(m) = find(word_matches, term) else {
                    continue;
                };
                if u16::from(m.cost) != (costs >> (2 * i)) & 3 {
                    continue;
                }
                next |= 1 << end;
                if i == last && m.full {
                    whole_end |= 1 << end;
                }
            }
            if next == 0 {
                return Class::Other;
            }
            reach = next;
        }
        if len <= MAX_POSITION && whole_end & (1 << len) != 0 {
            Class::Exact
        } else {
            Class::Prefix
        }
    }
}

/// A doc's words as its record lists them (see `format`), read in place.
struct Record<'a> {
    bytes: &'a [u8],
    /// Bit where the terms start, after the three counts.
    at: usize,
    /// Plain words of the name.
    len: u32,
    joined: u32,
    artists: u32,
    term_bits: u32,
}

impl Record<'_> {
    /// Term of the name's plain word `i` (below `len`).
    fn plain(&self, i: u32) -> u32 {
        read_bits(
            self.bytes,
            self.at + i as usize * self.term_bits as usize,
            self.term_bits,
        ) as u32
    }

    /// The name's words as (term, start, end): plain words, then joined forms.
    fn name_words(&self) -> impl Iterator<Item = (u32, u32, u32)> + '_ {
        let plain = (0..self.len).map(|i| (self.plain(i), i, i + 1));
        let tb = self.term_bits as usize;
        let pb = position_bits(self.len);
        let base = self.at + self.len as usize * tb;
        let joined = (0..self.joined as usize).map(move |j| {
            let at = base + j * (tb + 2 * pb as usize);
            (
                read_bits(self.bytes, at, self.term_bits) as u32,
                read_bits(self.bytes, at + tb, pb) as u32,
                read_bits(self.bytes, at + tb + pb as usize, pb) as u32,
            )
        });
        plain.chain(joined)
    }

    /// Words of the credited artists that are not in the name.
    fn artist_words(&self) -> impl Iterator<Item = u32> + '_ {
        let tb = self.term_bits as usize;
        let base = self.at
            + self.len as usize * tb
            + self.joined as usize * (tb + 2 * position_bits(self.len) as usize);
        (0..self.artists as usize)
            .map(move |k| read_bits(self.bytes, base + k * tb, self.term_bits) as u32)
    }
}

/// A word matching more postings than this, and four times more than the other words
/// together, is checked against their docs instead of being merged in full.
const DEFER_MIN_POSTINGS: usize = 20_000;

/// The scratch value a posting (or a record's word) with these FIRST/WHOLE flags contributes.
fn slot_value(flags: u32, m: &TermMatch) -> u8 {
    let mut flags = (flags & (FIRST | WHOLE)) as u8;
    if !m.full {
        flags &= !(WHOLE as u8);
    }
    W_PRESENT | (m.cost.min(3) << W_COST_SHIFT) | if m.full { W_FULL } else { 0 } | flags
}

/// Keeps the fewest typos, and the flags of the matches with that many.
fn merge(old: u8, new: u8) -> u8 {
    if old == 0 || new & W_COST_MASK < old & W_COST_MASK {
        new
    } else if new & W_COST_MASK == old & W_COST_MASK {
        old | new
    } else {
        old
    }
}

/// Merges one run of a term's postings (at most its first `cut` docs) into the current word's
/// scratch, leaving docs that already have a bit of `skip` in their mask alone. `first`: the
/// run of docs whose name starts with the term, where each doc carries a WHOLE bit.
#[inline]
fn scan(s: &mut Scratch, run: &[u8], first: bool, m: &TermMatch, skip: u8, cut: usize) {
    let base = slot_value(if first { FIRST } else { 0 }, m);
    let whole = slot_value(FIRST | WHOLE, m);
    let mut doc = 0u32;
    let mut at = 0;
    let mut read = 0;
    while read < cut {
        let Some(v) = varint(run, &mut at) else {
            break;
        };
        read += 1;
        let value = if first {
            doc = doc.wrapping_add(v >> 1);
            if v & 1 != 0 {
                whole
            } else {
                base
            }
        } else {
            doc = doc.wrapping_add(v);
            base
        };
        let d = doc as usize;
        let Some(slot) = s.word.get_mut(d) else {
            continue;
        };
        if skip != 0 && s.acc[d].mask & skip != 0 {
            continue;
        }
        if *slot == 0 {
            s.word_touched.push(doc);
        }
        *slot = merge(*slot, value);
    }
}

/// Moves the current word's scratch into the per-doc totals, as query word `i` of `n`.
fn fold(s: &mut Scratch, i: usize, n: usize) {
    for &doc in &s.word_touched {
        let w = std::mem::take(&mut s.word[doc as usize]);
        let acc = &mut s.acc[doc as usize];
        if acc.mask == 0 {
            s.touched.push(doc);
        }
        acc.mask |= 1 << i;
        let cost = (w & W_COST_MASK) >> W_COST_SHIFT;
        acc.typos += cost;
        acc.costs |= u16::from(cost) << (2 * i);
        if i == 0 {
            if u32::from(w) & FIRST != 0 {
                acc.bits |= ACC_FIRST0;
            }
            if u32::from(w) & WHOLE != 0 {
                acc.bits |= ACC_WHOLE0;
            }
        }
        if i == n - 1 && w & W_FULL != 0 {
            acc.bits |= ACC_LAST_FULL;
        }
    }
    s.word_touched.clear();
}

/// A depth-first walk of the term dictionary driven by a Levenshtein automaton.
///
/// Two things an `fst` stream cannot do: (1) once an unfinished word has matched with no typo,
/// every term below matches too, so the walk records that subtree as one id range instead of
/// visiting it; (2) it does not step into characters from U+0800 on (CJK, Hangul, Thai, ...)
/// while a typo is still possible: otherwise "one typo in the first letter of jude" would visit
/// every distinct first character of tens of thousands of Asian titles. A Latin query word so
/// never reaches those terms by a typo, only by its exact letters.
struct Walk<'a> {
    index: &'a Index,
    map: &'a fst::Map<&'a [u8]>,
    dfa: &'a DFA,
    whole: Option<&'a DFA>,
    /// Only terms starting with these bytes.
    forced: &'a [u8],
    path: Vec<u8>,
    out: Vec<TermMatch>,
}

impl Walk<'_> {
    fn visit(&mut self, node: fst::raw::Node<'_>, acc: u64, state: u32, whole_state: u32) {
        if node.is_final() {
            if let Distance::Exact(cost) = self.dfa.distance(state) {
                let id = acc.wrapping_add(node.final_output().value()) as u32;
                // Whole only at the cost it was found for: "queens" is within one typo of
                // "queen" as a word, but as its continuation it needs none.
                let full = self.whole.is_none_or(
                    |w| matches!(w.distance(whole_state), Distance::Exact(d) if d <= cost),
                );
                self.out.push(TermMatch {
                    lo: id,
                    hi: id.wrapping_add(1),
                    cost,
                    full,
                });
            }
        }
        for t in node.transitions() {
            if t.inp >= 0xe0
                || self
                    .forced
                    .get(self.path.len())
                    .is_some_and(|&f| f != t.inp)
            {
                continue;
            }
            let next = self.dfa.transition(state, t.inp);
            if next == levenshtein_automata::SINK_STATE {
                continue;
            }
            let whole_next = self.whole.map_or(0, |w| w.transition(whole_state, t.inp));
            self.path.push(t.inp);
            if self.whole.is_some() && self.dfa.distance(next) == Distance::Exact(0) {
                // The path is the query word itself: everything below starts with it.
                let path = std::mem::take(&mut self.path);
                self.index.prefix_range(self.map, &path, &mut self.out);
                self.path = path;
            } else {
                let child = self.map.as_fst().node(t.addr);
                self.visit(child, acc.wrapping_add(t.out.value()), next, whole_next);
            }
            self.path.pop();
        }
    }
}
