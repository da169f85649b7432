//! On a small synthetic corpus, the index must return exactly what a brute-force reading of
//! every name gives: the same hits, labels, counts and order, for hand-picked and for seeded
//! random queries (words of the corpus, cut short, with typos injected anywhere).
//!
//! The reference below shares nothing with the index but the word splitting (tested on its own
//! in the crate): it computes edit distances with a plain dynamic programme per (word, name
//! word) pair and tries every way the query can line up with the start of a name.

use music_search::{index_words, query_words, typo_budget, Builder, Index, Match, Target};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
/// neighbours each cost one (a swapped pair is not edited again).
fn osa(a: &[char], b: &[char]) -> usize {
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let sub = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + sub);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// Distance from the query word to the closest prefix of the name word.
fn prefix_distance(q: &[char], t: &[char]) -> usize {
    (0..=t.len()).map(|i| osa(q, &t[..i])).min().unwrap()
}

struct Doc {
    target: Target,
    popularity: f32,
    /// (word, start, end) of the doc's own name.
    name: Vec<(String, usize, usize)>,
    name_len: usize,
    /// Every word of the doc, name and credited artists.
    all: Vec<String>,
    order: usize,
}

#[derive(Debug, Clone, Copy)]
struct WordMatch {
    cost: usize,
    full: bool,
}

fn word_match(word: &str, prefix: bool, term: &str) -> Option<WordMatch> {
    let (q, t): (Vec<char>, Vec<char>) = (word.chars().collect(), term.chars().collect());
    let budget = typo_budget(word) as usize;
    let whole = osa(&q, &t);
    let cost = if prefix {
        prefix_distance(&q, &t)
    } else {
        whole
    };
    // A second typo only with the first letter right.
    if cost == 2 && q.first() != t.first() {
        return None;
    }
    // Words with characters from U+0800 on (CJK and the like) are only found by exact letters.
    if cost > 0 && t.iter().any(|&c| c >= '\u{800}') {
        return None;
    }
    // Whole only at the cost the word was found for.
    (cost <= budget).then_some(WordMatch {
        cost,
        full: whole <= cost,
    })
}

/// (target, label, words matched, typos, last word complete) of every doc the query should find, best first.
fn brute_force(docs: &[Doc], query: &str) -> Vec<(Target, Match, u8, u8, bool)> {
    let (words, last_is_typed) = query_words(query);
    if words.is_empty() {
        return Vec::new();
    }
    let n = words.len();
    let prefix = |i: usize| last_is_typed && i == n - 1;
    let mut ranked = Vec::new();
    for d in docs {
        let mut matched = 0u8;
        let mut typos = 0usize;
        let mut last_full = false;
        // Per query word, the fewest typos it needs in this doc; only matches at that cost count.
        let mut best_cost = vec![usize::MAX; n];
        for (i, w) in words.iter().enumerate() {
            let found: Vec<WordMatch> = d
                .all
                .iter()
                .filter_map(|t| word_match(w, prefix(i), t))
                .collect();
            if let Some(best) = found.iter().map(|m| m.cost).min() {
                matched += 1;
                typos += best;
                best_cost[i] = best;
                if i == n - 1 {
                    last_full = found.iter().any(|m| m.cost == best && m.full);
                }
            }
        }
        if matched == 0 {
            continue;
        }
        // Try every chain of name words starting at position 0, one per query word in order.
        let mut class = 2;
        if matched as usize == n {
            struct Walk<'a> {
                d: &'a Doc,
                words: &'a [String],
                prefix: &'a dyn Fn(usize) -> bool,
                best_cost: &'a [usize],
            }
            fn walk(w: &Walk, i: usize, at: usize, best: &mut usize) {
                for (t, start, end) in &w.d.name {
                    if *start != at {
                        continue;
                    }
                    let Some(m) = word_match(&w.words[i], (w.prefix)(i), t) else {
                        continue;
                    };
                    if m.cost != w.best_cost[i] {
                        continue;
                    }
                    if i + 1 == w.words.len() {
                        let c = if m.full && *end == w.d.name_len { 0 } else { 1 };
                        *best = (*best).min(c);
                    } else {
                        walk(w, i + 1, *end, best);
                    }
                }
            }
            let w = Walk {
                d,
                words: &words,
                prefix: &prefix,
                best_cost: &best_cost,
            };
            walk(&w, 0, 0, &mut class);
            // A leading "the" may be left out.
            if d.name
                .iter()
                .any(|(t, s, e)| t == "the" && *s == 0 && *e == 1)
            {
                walk(&w, 0, 1, &mut class);
            }
        }
        let label = if typos > 0 {
            Match::Fuzzy
        } else {
            [Match::Exact, Match::Prefix, Match::Word][class]
        };
        let key = (
            std::cmp::Reverse(matched),
            typos,
            class,
            !last_full,
            d.order,
        );
        ranked.push((key, (d.target, label, matched, typos as u8, last_full)));
    }
    ranked.sort_by_key(|a| a.0);
    ranked.into_iter().map(|(_, hit)| hit).collect()
}

const TRACKS: &[(&str, &[&str], f32)] = &[
    ("Dreams", &["Fleetwood Mac"], 80.0),
    ("Dreams - 2004 Remaster", &["Fleetwood Mac"], 60.0),
    ("Dreams", &["The Cranberries"], 70.0),
    ("Sweet Dreams (Are Made of This)", &["Eurythmics"], 75.0),
    ("Dreamer", &["Supertramp"], 50.0),
    ("Landslide", &["Fleetwood Mac"], 72.0),
    ("Bohemian Rhapsody", &["Queen"], 85.0),
    ("Bohemian Rhapsody", &["The Braids"], 30.0),
    ("Don't Stop Me Now", &["Queen"], 78.0),
    ("Dont Stop", &["Fleetwood Mac"], 55.0),
    ("Killer Queen", &["Queen"], 65.0),
    ("Dancing Queen", &["ABBA"], 74.0),
    ("Queen", &["Perfume Genius"], 40.0),
    ("Back In Black", &["AC/DC"], 77.0),
    ("Highway to Hell", &["AC/DC"], 76.0),
    ("Empire State of Mind", &["JAY-Z", "Alicia Keys"], 73.0),
    ("Roam", &["The B-52's"], 45.0),
    ("Love Shack", &["The B-52's"], 58.0),
    ("Crazy In Love", &["Beyoncé", "JAY-Z"], 79.0),
    ("Halo", &["Beyoncé"], 71.0),
    ("Love", &["Kendrick Lamar", "Zacari"], 68.0),
    ("Lover", &["Taylor Swift"], 69.0),
    ("Love Love Love", &["Of Monsters and Men"], 35.0),
    ("Wonderwall", &["Oasis"], 82.0),
    ("Wonderwall", &["Ryan Adams"], 41.0),
    ("Wonderland", &["Taylor Swift"], 52.0),
    ("Purple Rain", &["Prince"], 70.5),
    ("Purple Haze", &["Jimi Hendrix"], 66.0),
    ("Hey Jude", &["The Beatles"], 77.5),
    ("Hey Jude", &["Wilson Pickett"], 33.0),
    ("Jude", &["Dude"], 20.0),
    ("Yesterday", &["The Beatles"], 74.5),
    ("東京事変", &["椎名林檎"], 25.0),
    ("Mø", &["MØ"], 31.0),
    ("Sigur Rós", &["Sigur Rós"], 29.0),
    ("Take On Me", &["a-ha"], 81.0),
    ("Rock 'n' Roll", &["Led Zeppelin"], 54.0),
    ("T.N.T.", &["AC/DC"], 57.0),
    ("Mac", &["Mac Miller"], 10.0),
    ("Self Care", &["Mac Miller"], 64.0),
    ("Same", &["Same"], 64.0),
    ("Nothing Really Matters", &[], f32::NAN),
    ("G-Love", &["Booba"], 45.0),
    ("The", &["The The"], 12.0),
    ("The Dreamer", &["The-Dream"], 44.0),
    ("Queens", &["Buzz"], 44.0),
];

const ARTISTS: &[(&str, f32)] = &[
    ("Fleetwood Mac", 83.0),
    ("Queen", 86.0),
    ("Queens of the Stone Age", 70.0),
    ("AC/DC", 80.0),
    ("JAY-Z", 79.0),
    ("Beyoncé", 84.0),
    ("The Beatles", 88.0),
    ("Oasis", 78.0),
    ("Prince", 76.0),
    ("a-ha", 71.0),
    ("The B-52's", 60.0),
    ("Mac Miller", 75.0),
    ("Macklemore", 73.0),
    ("MØ", 62.0),
    ("Sigur Rós", 61.0),
    ("Same", 64.0),
    ("The Beatles", 68.0),
    ("The-Dream", 47.0),
    ("The The", 15.0),
];

fn corpus() -> (Index, Vec<Doc>) {
    let mut b = Builder::new();
    let mut docs = Vec::new();
    let words_of = |names: &[&str]| -> Vec<String> {
        names
            .iter()
            .flat_map(|n| index_words(n).0.into_iter().map(|(w, _, _)| w))
            .collect()
    };
    for (i, (title, artists, pop)) in TRACKS.iter().enumerate() {
        b.track(i as u32, title, artists, *pop);
        let (name, name_len) = index_words(title);
        let mut all = words_of(&[title]);
        all.extend(words_of(artists));
        docs.push(Doc {
            target: Target::Track(i as u32),
            popularity: if pop.is_finite() { *pop } else { 0.0 },
            name,
            name_len,
            all,
            order: 0,
        });
    }
    for (i, (name, pop)) in ARTISTS.iter().enumerate() {
        b.artist(i as u32, name, *pop);
        let (occ, name_len) = index_words(name);
        docs.push(Doc {
            target: Target::Artist(i as u32),
            popularity: *pop,
            name: occ,
            name_len,
            all: words_of(&[name]),
            order: 0,
        });
    }
    // Popularity order, then tracks before artists, then the caller's number.
    let mut by_rank: Vec<usize> = (0..docs.len()).collect();
    by_rank.sort_by(|&a, &b| {
        let (x, y) = (&docs[a], &docs[b]);
        y.popularity
            .total_cmp(&x.popularity)
            .then(matches!(x.target, Target::Artist(_)).cmp(&matches!(y.target, Target::Artist(_))))
            .then(x.target.cmp(&y.target))
    });
    for (rank, &i) in by_rank.iter().enumerate() {
        docs[i].order = rank;
    }
    (Index::from_bytes(b.build()).unwrap(), docs)
}

fn got(index: &Index, q: &str) -> Vec<(Target, Match, u8, u8, bool)> {
    index
        .search(q, 10_000)
        .into_iter()
        .map(|h| (h.target, h.matched, h.words, h.typos, h.complete))
        .collect()
}

#[test]
fn hand_picked_queries_agree() {
    let (index, docs) = corpus();
    let queries = [
        "dreams",
        "dream",
        "drea",
        "dre",
        "d",
        "fleetwod mac dre",
        "dreams fleetwood mac",
        "mac fleetwood",
        "fleetwood mac",
        "bohemian rhapsody queen",
        "queen",
        "quen",
        "queens",
        "qeen",
        "dont stop",
        "don't stop me",
        "acdc",
        "ac/dc",
        "ac dc back",
        "jayz",
        "jay z",
        "b52s",
        "b-52",
        "beyonce",
        "BEYONCÉ crazy",
        "love",
        "love love",
        "lvoe",
        "lover",
        "wonderwall oasis",
        "wondrewall",
        "wonderwal",
        "purple rain prince",
        "hey jude beatles",
        "jude",
        "dude",
        "東京",
        "東京事変",
        "椎名",
        "mø",
        "mo",
        "sigur ros",
        "sigur rós",
        "take on me aha",
        "a ha",
        "rock n roll",
        "rock 'n' roll",
        "tnt",
        "t.n.t",
        "mac",
        "same",
        "same same",
        "nothing really",
        "zzzzzz",
        "queen zzzzzz",
        "",
        "%",
        "the the the",
        "the",
        "the the",
        "beatles",
        "the beatles",
        "beatels hey",
        "dreamer",
        "the dreamer",
        "thedream",
        "glove",
        "queen buzz",
    ];
    for q in queries {
        assert_eq!(got(&index, q), brute_force(&docs, q), "query {q:?}");
    }
}

/// The shortcuts taken for small limits (one-word queries stopping after the names that start
/// with the word; a common word checked through the other words' docs, then only the first
/// docs of each of its terms) give exactly the brute force's first hits. The corpus is small,
/// so "common" is set to any word with more than 2 postings.
#[test]
fn shortcuts_agree_with_brute_force() {
    let (index, docs) = corpus();
    let index = index.with_common_word_postings(2);
    let queries = [
        "d",
        "qu",
        "l",
        "the",
        "t",
        "queen d",
        "fleetwood d",
        "mac d",
        "queen l",
        "zzzz l",
        "zzzz d",
        "qqqq t",
        "beyonce c",
        "love l",
        "the b",
        "rock n r",
        "jay z",
        "a h",
        "dreams t",
        "hey j",
        "wonderwall o",
        "qeen l",
        "drems f",
    ];
    for q in queries {
        for limit in [1, 2, 3, 5] {
            let want: Vec<_> = brute_force(&docs, q).into_iter().take(limit).collect();
            let got: Vec<_> = index
                .search(q, limit)
                .into_iter()
                .map(|h| (h.target, h.matched, h.words, h.typos, h.complete))
                .collect();
            assert_eq!(got, want, "query {q:?} limit {limit}");
        }
    }
}

/// A random edit somewhere in the word: substitute, delete, insert, or swap two neighbours.
fn typo(rng: &mut Xoshiro256PlusPlus, word: &str) -> String {
    let mut c: Vec<char> = word.chars().collect();
    if c.is_empty() {
        return String::new();
    }
    let at = rng.gen_range(0..c.len());
    let letters: Vec<char> = "abcdeilmnorstuøé".chars().collect();
    match rng.gen_range(0..4) {
        0 => c[at] = *letters.choose(rng).unwrap(),
        1 => {
            c.remove(at);
        }
        2 => c.insert(at, *letters.choose(rng).unwrap()),
        _ if at + 1 < c.len() => c.swap(at, at + 1),
        _ => c.push('x'),
    }
    c.into_iter().collect()
}

#[test]
fn random_queries_agree() {
    let (index, docs) = corpus();
    let vocabulary: Vec<String> = {
        let mut v: Vec<String> = docs.iter().flat_map(|d| d.all.clone()).collect();
        v.sort();
        v.dedup();
        v
    };
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    let mut nonempty = 0;
    for _ in 0..3000 {
        let n = rng.gen_range(1..=3);
        let mut words: Vec<String> = (0..n)
            .map(|_| vocabulary.choose(&mut rng).unwrap().clone())
            .collect();
        for w in words.iter_mut() {
            if rng.gen_bool(0.4) {
                *w = typo(&mut rng, w);
            }
            if rng.gen_bool(0.1) {
                *w = typo(&mut rng, w);
            }
        }
        if rng.gen_bool(0.5) {
            let last = words.last_mut().unwrap();
            let keep = rng.gen_range(1..=last.chars().count().max(1));
            *last = last.chars().take(keep).collect();
        }
        let q = words.join(" ");
        let want = brute_force(&docs, &q);
        nonempty += usize::from(!want.is_empty());
        assert_eq!(got(&index, &q), want, "query {q:?}");
    }
    assert!(nonempty > 2500, "only {nonempty} queries found anything");
}
