//! Building the index bytes (run by the pipeline, once per catalogue).

use std::collections::HashMap;

use crate::format::*;
use crate::text::{name_occurrences, MAX_POSITION};

struct Doc {
    kind: u8,
    target: u32,
    popularity: f32,
    name: String,
    artists: Vec<String>,
}

/// Collects tracks and artists, then writes the index bytes with [`Builder::build`].
#[derive(Default)]
pub struct Builder {
    docs: Vec<Doc>,
}

/// NaN and infinities would make the popularity order depend on how a sort treats them.
fn clean(popularity: f32) -> f32 {
    if popularity.is_finite() {
        popularity
    } else {
        0.0
    }
}

impl Builder {
    pub fn new() -> Builder {
        Builder::default()
    }

    /// `target` is the caller's number for the track (its row in the catalogue); names are
    /// display forms (folding and word splitting happen here).
    pub fn track(&mut self, target: u32, title: &str, artists: &[&str], popularity: f32) {
        self.docs.push(Doc {
            kind: KIND_TRACK,
            target,
            popularity: clean(popularity),
            name: title.to_owned(),
            artists: artists.iter().map(|a| (*a).to_owned()).collect(),
        });
    }

    pub fn artist(&mut self, target: u32, name: &str, popularity: f32) {
        self.docs.push(Doc {
            kind: KIND_ARTIST,
            target,
            popularity: clean(popularity),
            name: name.to_owned(),
            artists: Vec::new(),
        });
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    /// Deterministic: the same calls in the same order give byte-identical output (every map
    /// is turned into sorted order before it is written).
    ///
    /// Panics if more than 2^28 names were added (doc ids share a u32 with four flag bits).
    pub fn build(mut self) -> Vec<u8> {
        assert!(self.docs.len() < MAX_DOCS, "search index: too many names");
        // Best first: then "best by popularity" is "smallest doc id" everywhere.
        let mut order: Vec<usize> = (0..self.docs.len()).collect();
        order.sort_by(|&a, &b| {
            let (x, y) = (&self.docs[a], &self.docs[b]);
            y.popularity
                .total_cmp(&x.popularity)
                .then(x.kind.cmp(&y.kind))
                .then(x.target.cmp(&y.target))
                .then(a.cmp(&b))
        });
        let mut slots: Vec<Option<Doc>> = self.docs.drain(..).map(Some).collect();
        let docs: Vec<Doc> = order.iter().map(|&i| slots[i].take().unwrap()).collect();

        // Terms get provisional ids in order of first sight, renumbered in sorted order below.
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut terms: Vec<String> = Vec::new();
        let mut postings: Vec<Vec<u32>> = Vec::new();
        let mut name_lengths: Vec<u8> = Vec::with_capacity(docs.len());
        let mut occ_offsets: Vec<u32> = Vec::with_capacity(docs.len() + 1);
        // (provisional term id, start | end << 8), rewritten with final ids at the end.
        let mut occurrences: Vec<(u32, u32)> = Vec::new();
        occ_offsets.push(0);

        let mut add = |term: &str, doc: u32, flags: u32, postings: &mut Vec<Vec<u32>>| -> u32 {
            let id = *ids.entry(term.to_owned()).or_insert_with(|| {
                terms.push(term.to_owned());
                postings.push(Vec::new());
                (terms.len() - 1) as u32
            });
            let list = &mut postings[id as usize];
            match list.last_mut() {
                Some(last) if *last >> FLAG_BITS == doc => *last |= flags,
                _ => list.push(doc << FLAG_BITS | flags),
            }
            id
        };

        for (doc, d) in docs.iter().enumerate() {
            let doc = doc as u32;
            let (occs, len) = name_occurrences(&d.name);
            // "The Beatles" also starts at "beatles": people leave the article out.
            let start = if occs.first().is_some_and(|o| o.term == "the" && o.end == 1) {
                1
            } else {
                0
            };
            for o in &occs {
                let mut flags = NAME;
                if o.start == 0 || o.start == start {
                    flags |= FIRST;
                    if o.end == len {
                        flags |= WHOLE;
                    }
                }
                let id = add(&o.term, doc, flags, &mut postings);
                if o.end <= MAX_POSITION + 1 {
                    occurrences.push((id, o.start as u32 | (o.end as u32) << 8));
                }
            }
            name_lengths.push(len.min(MAX_POSITION + 1) as u8);
            occ_offsets.push(occurrences.len() as u32);
            for artist in &d.artists {
                for o in name_occurrences(artist).0 {
                    add(&o.term, doc, ARTIST, &mut postings);
                }
            }
        }

        let mut sorted: Vec<u32> = (0..terms.len() as u32).collect();
        sorted.sort_by(|&a, &b| terms[a as usize].cmp(&terms[b as usize]));
        let mut final_id = vec![0u32; terms.len()];
        for (new, &old) in sorted.iter().enumerate() {
            final_id[old as usize] = new as u32;
        }

        assert!(
            terms.len() < MAX_DOCS,
            "search index: too many distinct words"
        );
        let mut fst_builder = fst::MapBuilder::memory();
        let mut term_offsets: Vec<u32> = Vec::with_capacity(terms.len() + 1);
        let mut first_ends: Vec<u32> = Vec::with_capacity(terms.len());
        let mut flat: Vec<u32> = Vec::new();
        let mut forward: Vec<Vec<u32>> = vec![Vec::new(); docs.len()];
        term_offsets.push(0);
        for (new, &old) in sorted.iter().enumerate() {
            fst_builder
                .insert(terms[old as usize].as_bytes(), new as u64)
                .expect("terms are inserted in sorted order, without duplicates");
            let list = &postings[old as usize];
            flat.extend(list.iter().filter(|&&p| p & FIRST != 0));
            first_ends.push(flat.len() as u32);
            flat.extend(list.iter().filter(|&&p| p & FIRST == 0));
            term_offsets.push(u32::try_from(flat.len()).expect("search index: over 2^32 postings"));
            // Terms are visited in id order, so each doc's list comes out sorted by term.
            for &p in list {
                forward[(p >> FLAG_BITS) as usize].push((new as u32) << FLAG_BITS | p & 0xf);
            }
        }
        let mut fwd_offsets: Vec<u32> = Vec::with_capacity(docs.len() + 1);
        let mut fwd_flat: Vec<u32> = Vec::with_capacity(flat.len());
        fwd_offsets.push(0);
        for list in forward {
            fwd_flat.extend(list);
            fwd_offsets.push(fwd_flat.len() as u32);
        }
        let fst_bytes = fst_builder
            .into_inner()
            .expect("writing to memory cannot fail");

        let mut occ_words: Vec<u32> = Vec::with_capacity(occurrences.len() * 2);
        for (id, span) in occurrences {
            occ_words.push(final_id[id as usize]);
            occ_words.push(span);
        }

        let u32s = |v: &[u32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
        let targets: Vec<u32> = docs.iter().map(|d| d.target).collect();
        let popularity: Vec<u8> = docs
            .iter()
            .flat_map(|d| d.popularity.to_le_bytes())
            .collect();
        let kinds: Vec<u8> = docs.iter().map(|d| d.kind).collect();
        let sections: [Vec<u8>; SECTIONS] = [
            fst_bytes,
            u32s(&term_offsets),
            u32s(&flat),
            u32s(&targets),
            popularity,
            kinds,
            name_lengths,
            u32s(&occ_offsets),
            u32s(&occ_words),
            u32s(&first_ends),
            u32s(&fwd_offsets),
            u32s(&fwd_flat),
        ];

        let total = HEADER_BYTES + sections.iter().map(|s| padded(s.len())).sum::<usize>();
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(&MAGIC);
        for n in [
            VERSION,
            docs.len() as u32,
            terms.len() as u32,
            SECTIONS as u32,
        ] {
            out.extend_from_slice(&n.to_le_bytes());
        }
        for s in &sections {
            let len = u32::try_from(s.len()).expect("search index: section over 4 GiB");
            out.extend_from_slice(&len.to_le_bytes());
        }
        for s in &sections {
            out.extend_from_slice(s);
            out.resize(padded(out.len()), 0);
        }
        debug_assert_eq!(out.len(), total);
        out
    }
}
