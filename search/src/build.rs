//! Building the index bytes (run by the pipeline, once per catalogue).

use rustc_hash::FxHashMap;

use crate::bits::{bit_width, pack, put_varint, BitWriter, MAX_WIDTH};
use crate::format::*;
use crate::text::name_occurrences;

struct Doc {
    kind: u8,
    target: u32,
    popularity: f32,
    name: String,
    artists: Vec<String>,
}

const KIND_TRACK: u8 = 0;
const KIND_ARTIST: u8 = 1;

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

/// A doc's words with provisional term ids, as its record will list them.
struct Record {
    plain: Vec<u32>,
    /// (term, start, end)
    joined: Vec<(u32, u32, u32)>,
    artists: Vec<u32>,
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
    /// Panics if 2^28 names or more were added (doc ids share the ranking key with other
    /// criteria).
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
        // (Looked up before they are copied: most occurrences are of a term already seen.)
        let mut ids: FxHashMap<String, u32> = FxHashMap::default();
        let mut terms: Vec<String> = Vec::new();
        // Per term: doc << 4 | FIRST | WHOLE, one entry per doc, by doc.
        let mut postings: Vec<Vec<u32>> = Vec::new();
        let mut records: Vec<Record> = Vec::with_capacity(docs.len());

        let mut intern = |term: &str, postings: &mut Vec<Vec<u32>>| -> u32 {
            match ids.get(term) {
                Some(&id) => id,
                None => {
                    let id = terms.len() as u32;
                    ids.insert(term.to_owned(), id);
                    terms.push(term.to_owned());
                    postings.push(Vec::new());
                    id
                }
            }
        };
        let post = |id: u32, doc: u32, flags: u32, postings: &mut Vec<Vec<u32>>| {
            let list = &mut postings[id as usize];
            match list.last_mut() {
                Some(last) if *last >> 4 == doc => *last |= flags,
                _ => list.push(doc << 4 | flags),
            }
        };

        // An artist's term ids, by display name: the same artists are credited on many tracks.
        let mut artist_terms: FxHashMap<&str, Vec<u32>> = FxHashMap::default();
        for (doc, d) in docs.iter().enumerate() {
            let doc = doc as u32;
            let (occs, len) = name_occurrences(&d.name);
            // "The Beatles" also starts at "beatles": people leave the article out.
            let start = if occs.first().is_some_and(|o| o.term == "the" && o.end == 1) {
                1
            } else {
                0
            };
            let mut record = Record {
                plain: Vec::with_capacity(len),
                joined: Vec::new(),
                artists: Vec::new(),
            };
            for (i, o) in occs.iter().enumerate() {
                let mut flags = 0;
                if o.start == 0 || o.start == start {
                    flags |= FIRST;
                    if o.end == len {
                        flags |= WHOLE;
                    }
                }
                let id = intern(&o.term, &mut postings);
                post(id, doc, flags, &mut postings);
                // The plain words come first, in order; the joined forms after them.
                if i < len {
                    debug_assert_eq!((o.start, o.end), (i, i + 1));
                    record.plain.push(id);
                } else {
                    record.joined.push((id, o.start as u32, o.end as u32));
                }
            }
            for artist in &d.artists {
                let ids = artist_terms.entry(artist.as_str()).or_insert_with(|| {
                    name_occurrences(artist)
                        .0
                        .iter()
                        .map(|o| intern(&o.term, &mut postings))
                        .collect()
                });
                for &id in ids.iter() {
                    post(id, doc, 0, &mut postings);
                    record.artists.push(id);
                }
            }
            records.push(record);
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
        let mut term_offsets: Vec<u64> = Vec::with_capacity(terms.len() + 1);
        let mut term_counts: Vec<u64> = Vec::with_capacity(terms.len() + 1);
        let mut post_bytes: Vec<u8> = Vec::new();
        let mut count = 0u64;
        let mut run = Vec::new();
        for &old in &sorted {
            fst_builder
                .insert(terms[old as usize].as_bytes(), term_offsets.len() as u64)
                .expect("terms are inserted in sorted order, without duplicates");
            term_offsets.push(post_bytes.len() as u64);
            term_counts.push(count);
            let list = &postings[old as usize];
            count += list.len() as u64;
            run.clear();
            let mut prev = 0;
            for &p in list.iter().filter(|&&p| p & FIRST != 0) {
                let doc = p >> 4;
                put_varint(&mut run, (doc - prev) << 1 | u32::from(p & WHOLE != 0));
                prev = doc;
            }
            put_varint(
                &mut post_bytes,
                u32::try_from(run.len()).expect("search index: a run over 4 GiB"),
            );
            post_bytes.extend_from_slice(&run);
            let mut prev = 0;
            for &p in list.iter().filter(|&&p| p & FIRST == 0) {
                let doc = p >> 4;
                put_varint(&mut post_bytes, doc - prev);
                prev = doc;
            }
        }
        term_offsets.push(post_bytes.len() as u64);
        term_counts.push(count);
        let postings_total = u32::try_from(count).expect("search index: over 2^32 postings");
        let fst_bytes = fst_builder
            .into_inner()
            .expect("writing to memory cannot fail");

        // Doc records, with final term ids; artist words once each and only if not in the name.
        let tb = term_bits(terms.len());
        let mut stream = BitWriter::default();
        let mut doc_offsets: Vec<u64> = Vec::with_capacity(docs.len());
        for r in &mut records {
            for t in r.plain.iter_mut().chain(&mut r.artists) {
                *t = final_id[*t as usize];
            }
            for j in &mut r.joined {
                j.0 = final_id[j.0 as usize];
            }
            let mut name: Vec<u32> = r
                .plain
                .iter()
                .chain(r.joined.iter().map(|j| &j.0))
                .copied()
                .collect();
            name.sort_unstable();
            r.artists.sort_unstable();
            r.artists.dedup();
            r.artists.retain(|t| name.binary_search(t).is_err());
            let len = r.plain.len() as u32;
            let counts = doc_counts(len, r.joined.len() as u32, r.artists.len() as u32);
            doc_offsets.push((stream.len() as u64) << 8 | u64::from(counts));
            if counts == ESCAPE {
                stream.small(len);
                stream.small(r.joined.len() as u32);
                stream.small(r.artists.len() as u32);
            }
            for &t in &r.plain {
                stream.bits(u64::from(t), tb);
            }
            let pb = position_bits(len);
            for &(t, start, end) in &r.joined {
                stream.bits(u64::from(t), tb);
                stream.bits(u64::from(start), pb);
                stream.bits(u64::from(end), pb);
            }
            for &t in &r.artists {
                stream.bits(u64::from(t), tb);
            }
        }
        let record_bytes = stream.finish();

        // Popularity once per run of equal values (docs are sorted by it).
        let mut pop_values: Vec<u8> = Vec::new();
        let mut pop_starts: Vec<u8> = Vec::new();
        let mut runs = 0u32;
        for (doc, d) in docs.iter().enumerate() {
            if doc == 0 || d.popularity.to_bits() != docs[doc - 1].popularity.to_bits() {
                pop_values.extend_from_slice(&d.popularity.to_le_bytes());
                pop_starts.extend_from_slice(&(doc as u32).to_le_bytes());
                runs += 1;
            }
        }

        let targets: Vec<u64> = docs
            .iter()
            .map(|d| u64::from(d.target) << 1 | u64::from(d.kind == KIND_ARTIST))
            .collect();
        let target_bits = bit_width(targets.iter().copied().max().unwrap_or(0));
        let offset_bits = bit_width(post_bytes.len() as u64);
        let record_bits = bit_width(8 * record_bytes.len() as u64) + 8;
        assert!(
            offset_bits.max(record_bits) <= MAX_WIDTH,
            "search index: too big"
        );
        let sections: [Vec<u8>; SECTIONS] = [
            fst_bytes,
            pack(term_offsets, offset_bits),
            post_bytes,
            pack(term_counts, bit_width(u64::from(postings_total))),
            pack(targets, target_bits),
            pop_values,
            pop_starts,
            pack(doc_offsets, record_bits),
            record_bytes,
        ];

        let total = HEADER_BYTES + sections.iter().map(|s| padded(s.len())).sum::<usize>();
        let mut out = Vec::with_capacity(total);
        out.extend_from_slice(&MAGIC);
        let fields: [u32; FIELDS] = [
            VERSION,
            docs.len() as u32,
            terms.len() as u32,
            postings_total,
            runs,
            target_bits,
            SECTIONS as u32,
        ];
        for n in fields {
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
