//! Loading the index bytes and answering queries.

use std::cell::RefCell;
use std::ops::Range;
use std::sync::OnceLock;

use fst::{Automaton, IntoStreamer, Streamer};
use levenshtein_automata::{Distance, LevenshteinAutomatonBuilder, DFA};

use crate::format::*;
use crate::text::{query_words, typo_budget, MAX_QUERY_WORDS};
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
}

/// One term that a query word matched.
#[derive(Debug, Clone, Copy)]
struct TermMatch {
    term: u32,
    /// Typos needed (against the whole term, or against its best prefix for the last word).
    cost: u8,
    /// The term is the whole word, not only a continuation of it (always true but for the last
    /// word of a query, which may be unfinished).
    full: bool,
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
        let (docs, terms) = (field(1) as usize, field(2) as usize);
        if field(3) as usize != SECTIONS {
            return Err(FormatError::Layout("section count"));
        }
        let mut sections: [Range<usize>; SECTIONS] = Default::default();
        let mut at = HEADER_BYTES;
        for (i, s) in sections.iter_mut().enumerate() {
            let len = field(4 + i) as usize;
            *s = at..at + len;
            at = padded(at + len);
        }
        if at != bytes.len() {
            return Err(FormatError::Layout("total length"));
        }
        let len = |i: usize| sections[i].len();
        let expect = [
            (TERM_OFFSETS, 4 * (terms + 1), "term offsets"),
            (TARGETS, 4 * docs, "targets"),
            (POPULARITY, 4 * docs, "popularity"),
            (KINDS, docs, "kinds"),
            (NAME_LENGTHS, docs, "name lengths"),
            (OCC_OFFSETS, 4 * (docs + 1), "occurrence offsets"),
        ];
        for (i, want, what) in expect {
            if len(i) != want {
                return Err(FormatError::Layout(what));
            }
        }
        if len(POSTINGS) % 4 != 0 || len(OCCURRENCES) % 8 != 0 {
            return Err(FormatError::Layout("postings or occurrences"));
        }
        if docs >= MAX_DOCS {
            return Err(FormatError::Layout("too many docs"));
        }
        let last = |i: usize| le_u32(&bytes, sections[i].end - 4).unwrap_or(u32::MAX) as usize;
        if last(TERM_OFFSETS) != len(POSTINGS) / 4 || last(OCC_OFFSETS) != len(OCCURRENCES) / 8 {
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
        })
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

    fn section(&self, i: usize) -> &[u8] {
        &self.buf.bytes()[self.sections[i].clone()]
    }

    fn u32s(&self, i: usize) -> &[u32] {
        bytemuck::try_cast_slice(self.section(i)).unwrap_or(&[])
    }

    fn map(&self) -> Option<fst::Map<&[u8]>> {
        fst::Map::new(self.section(FST)).ok()
    }

    fn postings(&self, term: u32) -> &[u32] {
        let off = self.u32s(TERM_OFFSETS);
        let all = self.u32s(POSTINGS);
        let (Some(&a), Some(&b)) = (off.get(term as usize), off.get(term as usize + 1)) else {
            return &[];
        };
        all.get(a as usize..b as usize).unwrap_or(&[])
    }

    fn target(&self, doc: u32) -> Target {
        let n = self.u32s(TARGETS).get(doc as usize).copied().unwrap_or(0);
        match self.section(KINDS).get(doc as usize) {
            Some(&KIND_ARTIST) => Target::Artist(n),
            _ => Target::Track(n),
        }
    }

    fn popularity(&self, doc: u32) -> f32 {
        let p: &[f32] = bytemuck::try_cast_slice(self.section(POPULARITY)).unwrap_or(&[]);
        p.get(doc as usize)
            .copied()
            .filter(|p| p.is_finite())
            .unwrap_or(0.0)
    }

    /// The doc's name words as (term, start, end).
    fn occurrences(&self, doc: u32) -> impl Iterator<Item = (u32, u32, u32)> + '_ {
        let off = self.u32s(OCC_OFFSETS);
        let occ = self.u32s(OCCURRENCES);
        let range = match (off.get(doc as usize), off.get(doc as usize + 1)) {
            (Some(&a), Some(&b)) => 2 * a as usize..2 * b as usize,
            _ => 0..0,
        };
        occ.get(range)
            .unwrap_or(&[])
            .chunks_exact(2)
            .map(|c| (c[0], c[1] & 0xff, (c[1] >> 8) & 0xff))
    }

    /// Terms a query word matches, sorted by term id (the fst's order). The last word of a query may be
    /// unfinished, so it also matches terms that merely start with it (or with a near miss).
    fn lookup(&self, map: &fst::Map<&[u8]>, word: &str, prefix: bool) -> Vec<TermMatch> {
        let budget = typo_budget(word);
        let mut out = Vec::new();
        if budget == 0 {
            if prefix {
                let aut = fst::automaton::Str::new(word).starts_with();
                let mut s = map.search(aut).into_stream();
                while let Some((term, id)) = s.next() {
                    out.push(TermMatch {
                        term: id as u32,
                        cost: 0,
                        full: term.len() == word.len(),
                    });
                }
            } else if let Some(id) = map.get(word) {
                out.push(TermMatch {
                    term: id as u32,
                    cost: 0,
                    full: true,
                });
            }
            return out;
        }
        let builder = lev_builder(budget);
        let dfa = if prefix {
            builder.build_prefix_dfa(word)
        } else {
            builder.build_dfa(word)
        };
        // For an unfinished word, also whether a term is within the budget as a whole word.
        let whole: Option<DFA> = prefix.then(|| builder.build_dfa(word));
        let mut s = map.search_with_state(Dfa(&dfa)).into_stream();
        while let Some((term, id, state)) = s.next() {
            let Distance::Exact(cost) = dfa.distance(state) else {
                continue;
            };
            // Whole only at the cost it was found for: "queens" is within one typo of "queen"
            // as a word, but as its continuation it needs none, so it is a prefix, not a match.
            let full = match &whole {
                Some(w) => matches!(w.eval(term), Distance::Exact(d) if d <= cost),
                None => true,
            };
            out.push(TermMatch {
                term: id as u32,
                cost,
                full,
            });
        }
        out
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
        for (i, word_matches) in matches.iter().enumerate() {
            s.word_touched.clear();
            for m in word_matches {
                let cost = m.cost.min(3) << W_COST_SHIFT;
                for &p in self.postings(m.term) {
                    let doc = (p >> FLAG_BITS) as usize;
                    let mut flags = (p & 0xf) as u8;
                    if !m.full {
                        flags &= !(WHOLE as u8);
                    }
                    let Some(slot) = s.word.get_mut(doc) else {
                        continue;
                    };
                    let old = *slot;
                    let full = if m.full { W_FULL } else { 0 };
                    let new = W_PRESENT | cost | full | flags;
                    if old == 0 {
                        s.word_touched.push(doc as u32);
                        *slot = new;
                    } else if cost < old & W_COST_MASK {
                        *slot = new;
                    } else if cost == old & W_COST_MASK {
                        *slot = old | new;
                    }
                }
            }
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
        }

        let all = ((1u16 << n) - 1) as u8;
        let the = self.map().and_then(|m| m.get("the")).map(|t| t as u32);
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
        let len = self
            .section(NAME_LENGTHS)
            .get(doc as usize)
            .copied()
            .unwrap_or(0) as u32;
        let mut reach: u128 = 1;
        if the.is_some()
            && self
                .occurrences(doc)
                .any(|o| Some(o.0) == the && o.1 == 0 && o.2 == 1)
        {
            reach |= 2;
        }
        let mut whole_end: u128 = 0;
        let last = matches.len() - 1;
        for (i, word_matches) in matches.iter().enumerate() {
            let mut next: u128 = 0;
            for (term, start, end) in self.occurrences(doc) {
                if start >= 128 || end >= 128 || reach & (1 << start) == 0 {
                    continue;
                }
                let Ok(k) = word_matches.binary_search_by_key(&term, |m| m.term) else {
                    continue;
                };
                if u16::from(word_matches[k].cost) != (costs >> (2 * i)) & 3 {
                    continue;
                }
                next |= 1 << end;
                if i == last && word_matches[k].full {
                    whole_end |= 1 << end;
                }
            }
            if next == 0 {
                return Class::Other;
            }
            reach = next;
        }
        if len < 128 && whole_end & (1 << len) != 0 {
            Class::Exact
        } else {
            Class::Prefix
        }
    }
}

/// Lets a `levenshtein_automata` DFA drive an fst search, reporting its state so the distance of
/// each hit can be read off it.
struct Dfa<'a>(&'a DFA);

impl fst::Automaton for Dfa<'_> {
    type State = u32;

    fn start(&self) -> u32 {
        self.0.initial_state()
    }

    fn is_match(&self, state: &u32) -> bool {
        matches!(self.0.distance(*state), Distance::Exact(_))
    }

    fn can_match(&self, state: &u32) -> bool {
        *state != levenshtein_automata::SINK_STATE
    }

    fn accept(&self, state: &u32, byte: u8) -> u32 {
        self.0.transition(*state, byte)
    }
}
