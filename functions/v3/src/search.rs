//! Type-ahead search over track titles and artist names, held in memory.
//!
//! Why in memory and not FTS5: the whole corpus is ~23k short names (628 titles + 22.7k artists),
//! a few hundred KB. The matching we need (prefix of the folded name, prefix of a later word, one
//! typo against a prefix) is not what FTS5's trigram tokenizer answers directly: trigram gives
//! substring candidates, and typo tolerance would still need a verification pass and a ranking
//! pass in Rust. Measured in bench/v3 (see bench/results/v3.md), the in-memory index answers in
//! microseconds on the shipped data and stays within the budget at 600k titles, with no extra
//! table in the bundled file and no per-request SQLite work.
//!
//! Layout: every folded name is kept, sorted, in one `\n`-separated arena. A prefix is then a
//! contiguous range found by binary search, and the scans that are needed (word prefixes, typo
//! candidates) are single SIMD `memmem` passes over the arena rather than a loop over names.

use std::cmp::Ordering;

use memchr::memmem;

/// Fewer characters than this and "one typo" would match nearly everything.
pub const MIN_FUZZY_CHARS: usize = 4;

/// How a name matched the query, best first: the derived order is the ranking order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Match {
    /// The folded name is the folded query.
    Exact,
    /// The folded name starts with the folded query.
    Prefix,
    /// A later word of the folded name starts with the folded query (`mac` -> `fleetwood mac`).
    Word,
    /// The folded query is one edit (insert, delete, substitute, swap neighbours) away from a
    /// prefix of the folded name (`fleetwod mac` -> `fleetwood mac`).
    Fuzzy,
}

/// What an index entry points at: the caller's own numbering of its tracks and artists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    Track(u32),
    Artist(u32),
}

/// One name to index.
pub struct Entry {
    pub folded: String,
    pub popularity: f64,
    pub target: Target,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub target: Target,
    pub matched: Match,
    pub popularity: f64,
}

pub struct SearchIndex {
    /// `\n` + name0 + `\n` + name1 + ... + `\n`; folded names never contain `\n` (folding turns
    /// every run of white space into one space).
    arena: String,
    /// Byte offset of each name in `arena`, in sorted-name order.
    starts: Vec<u32>,
    popularity: Vec<f64>,
    targets: Vec<Target>,
}

impl SearchIndex {
    pub fn build(mut entries: Vec<Entry>) -> SearchIndex {
        entries.retain(|e| !e.folded.is_empty());
        for e in &mut entries {
            if e.folded.contains('\n') {
                e.folded = e.folded.replace('\n', " ");
            }
        }
        entries.sort_by(|a, b| a.folded.cmp(&b.folded).then(a.target.cmp(&b.target)));
        let mut arena = String::with_capacity(entries.iter().map(|e| e.folded.len() + 1).sum::<usize>() + 1);
        arena.push('\n');
        let mut starts = Vec::with_capacity(entries.len());
        let mut popularity = Vec::with_capacity(entries.len());
        let mut targets = Vec::with_capacity(entries.len());
        for e in entries {
            starts.push(u32::try_from(arena.len()).expect("search arena over 4 GiB"));
            arena.push_str(&e.folded);
            arena.push('\n');
            popularity.push(if e.popularity.is_finite() { e.popularity } else { 0.0 });
            targets.push(e.target);
        }
        SearchIndex { arena, starts, popularity, targets }
    }

    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    fn name(&self, i: usize) -> &str {
        let start = self.starts[i] as usize;
        let end = self.starts.get(i + 1).map_or(self.arena.len(), |&s| s as usize) - 1;
        &self.arena[start..end]
    }

    /// The entry whose name contains arena byte `offset`.
    fn entry_at(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s as usize <= offset) - 1
    }

    /// Entries whose name starts with `prefix`: contiguous, because the names are sorted.
    fn prefix_range(&self, prefix: &str) -> std::ops::Range<usize> {
        let lo = partition(self.len(), |i| self.name(i) < prefix);
        let hi = partition(self.len(), |i| {
            let n = self.name(i);
            n < prefix || n.starts_with(prefix)
        });
        lo..hi
    }

    /// The best `limit` hits for an already folded, non-empty query, ranked by how they matched
    /// (exact > prefix > word > fuzzy), then popularity (higher first), then name.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        if query.is_empty() || limit == 0 || self.is_empty() {
            return Vec::new();
        }
        let mut found: Vec<(u32, Match)> = Vec::new();
        for i in self.prefix_range(query) {
            let m = if self.name(i).len() == query.len() { Match::Exact } else { Match::Prefix };
            found.push((i as u32, m));
        }
        // A word or typo hit can never outrank a prefix hit, so when the prefixes alone fill the
        // page the scans are skipped.
        if found.len() < limit {
            self.word_hits(query, &mut found);
            self.fuzzy_hits(query, &mut found);
        }
        // One entry can be found by several passes; keep its best match.
        found.sort_unstable();
        found.dedup_by_key(|(i, _)| *i);
        let mut hits: Vec<Hit> = found
            .into_iter()
            .map(|(i, matched)| Hit { target: self.targets[i as usize], matched, popularity: self.popularity[i as usize] })
            .collect();
        let order = |a: &Hit, b: &Hit| {
            a.matched
                .cmp(&b.matched)
                .then(b.popularity.partial_cmp(&a.popularity).unwrap_or(Ordering::Equal))
                .then(a.target.cmp(&b.target))
        };
        if hits.len() > limit {
            hits.select_nth_unstable_by(limit - 1, order);
            hits.truncate(limit);
        }
        hits.sort_by(order);
        hits
    }

    fn word_hits(&self, query: &str, found: &mut Vec<(u32, Match)>) {
        let needle = format!(" {query}");
        for offset in memmem::find_iter(self.arena.as_bytes(), needle.as_bytes()) {
            found.push((self.entry_at(offset) as u32, Match::Word));
        }
    }

    fn fuzzy_hits(&self, query: &str, found: &mut Vec<(u32, Match)>) {
        let q: Vec<char> = query.chars().collect();
        if q.len() < MIN_FUZZY_CHARS {
            return;
        }
        // The one edit sits either in the second half of the query, so the name starts with the
        // first half (a sorted range), or in the first half, so the rest of the query after it
        // appears intact near the start of the name (found with memmem). Both are then verified.
        let half = q.len() / 2;
        let head: String = q[..half].iter().collect();
        for i in self.prefix_range(&head) {
            if one_edit_from_prefix(&q, self.name(i)) {
                found.push((i as u32, Match::Fuzzy));
            }
        }
        let tail: String = q[half + 1..].iter().collect();
        // The tail starts at char `half + 1` of the query, so at char half..=half+2 of the name;
        // in bytes, at most 4 per char.
        let max_offset = (half + 2) * 4;
        let mut last = usize::MAX;
        for offset in memmem::find_iter(self.arena.as_bytes(), tail.as_bytes()) {
            let i = self.entry_at(offset);
            if i == last || offset - self.starts[i] as usize > max_offset {
                continue;
            }
            last = i;
            if one_edit_from_prefix(&q, self.name(i)) {
                found.push((i as u32, Match::Fuzzy));
            }
        }
    }
}

/// The first index in `0..len` where `below` turns false (it must be true then false).
fn partition(len: usize, below: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, len);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if below(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Whether `q` is within one edit (insertion, deletion, substitution, or a swap of two
/// neighbours) of some prefix of `name`. Type-ahead means the user has typed only the start of
/// a name, so the distance is to the best prefix, not to the whole name.
pub fn one_edit_from_prefix(q: &[char], name: &str) -> bool {
    let n: Vec<char> = name.chars().take(q.len() + 2).collect();
    let starts = |q: &[char], n: &[char]| q.len() <= n.len() && n[..q.len()] == *q;
    let i = q.iter().zip(&n).take_while(|(a, b)| a == b).count();
    if i == q.len() {
        return true; // an exact prefix
    }
    // First difference at i: try each edit there.
    let sub = starts(&q[i + 1..], n.get(i + 1..).unwrap_or(&[]));
    let extra_in_q = starts(&q[i + 1..], &n[i..]);
    let missing_in_q = i + 1 <= n.len() && starts(&q[i..], &n[i + 1..]);
    let swap = i + 1 < q.len()
        && i + 1 < n.len()
        && q[i] == n[i + 1]
        && q[i + 1] == n[i]
        && starts(&q[i + 2..], &n[i + 2..]);
    sub || extra_in_q || missing_in_q || swap
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chars(s: &str) -> Vec<char> {
        s.chars().collect()
    }

    #[test]
    fn one_edit_cases() {
        let yes = [
            ("fleetwod mac", "fleetwood mac"),
            ("fleetwood mac", "fleetwood mac"),
            ("fletwood", "fleetwood mac"),
            ("flaetwood", "fleetwood mac"),
            ("fleetwoood", "fleetwood mac"),
            ("feletwood", "fleetwood mac"),
            ("crazy in lov", "crazy in love"),
            ("crazy in lovee", "crazy in love"),
            ("xeyonce", "beyonce"),
            ("eyonce", "beyonce"),
        ];
        for (q, n) in yes {
            assert!(one_edit_from_prefix(&chars(q), n), "{q} ~ {n}");
        }
        let no = [("fleetwdo mca", "fleetwood mac"), ("beyoncexx", "beyonce"), ("xxyonce", "beyonce"), ("mac", "fleetwood mac")];
        for (q, n) in no {
            assert!(!one_edit_from_prefix(&chars(q), n), "{q} !~ {n}");
        }
    }

    fn index(names: &[(&str, f64)]) -> SearchIndex {
        SearchIndex::build(
            names
                .iter()
                .enumerate()
                .map(|(i, (n, p))| Entry { folded: n.to_string(), popularity: *p, target: Target::Track(i as u32) })
                .collect(),
        )
    }

    #[test]
    fn ranks_exact_then_prefix_then_word_then_fuzzy_then_popularity() {
        let idx = index(&[
            ("mac", 1.0),             // 0 exact
            ("mac miller", 90.0),     // 1 prefix
            ("macklemore", 50.0),     // 2 prefix
            ("fleetwood mac", 99.0),  // 3 word
            ("nac", 100.0),           // 4 would be fuzzy, but "mac" is too short for typos
            ("something else", 100.0),
        ]);
        let hits = idx.search("mac", 10);
        let got: Vec<(Target, Match)> = hits.iter().map(|h| (h.target, h.matched)).collect();
        assert_eq!(
            got,
            vec![
                (Target::Track(0), Match::Exact),
                (Target::Track(1), Match::Prefix),
                (Target::Track(2), Match::Prefix),
                (Target::Track(3), Match::Word),
            ]
        );
        let hits = idx.search("macklemor", 10);
        assert_eq!(hits.len(), 1);
        let hits = idx.search("mackelmore", 10);
        assert_eq!(hits.iter().map(|h| (h.target, h.matched)).collect::<Vec<_>>(), vec![(Target::Track(2), Match::Fuzzy)]);
        // A typo in the first half is found through the tail.
        let hits = idx.search("fkeetwood", 10);
        assert_eq!(hits.iter().map(|h| h.target).collect::<Vec<_>>(), vec![Target::Track(3)]);
    }

    #[test]
    fn limit_keeps_the_best() {
        let names: Vec<(String, f64)> = (0..100).map(|i| (format!("song {i:03}"), i as f64)).collect();
        let refs: Vec<(&str, f64)> = names.iter().map(|(n, p)| (n.as_str(), *p)).collect();
        let idx = index(&refs);
        let hits = idx.search("song", 3);
        assert_eq!(hits.iter().map(|h| h.target).collect::<Vec<_>>(), vec![Target::Track(99), Target::Track(98), Target::Track(97)]);
        assert!(idx.search("zzz", 3).is_empty());
    }

    #[test]
    fn non_ascii_names() {
        let idx = index(&[("mø", 10.0), ("sigur ros", 5.0), ("東京事変", 3.0)]);
        assert_eq!(idx.search("mø", 5).len(), 1);
        assert_eq!(idx.search("東京", 5).len(), 1);
        assert_eq!(idx.search("東京事変x", 5)[0].matched, Match::Fuzzy);
        assert_eq!(idx.search("sigur rps", 5)[0].matched, Match::Fuzzy);
    }
}
