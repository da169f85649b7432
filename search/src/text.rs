//! Turning names and queries into words.
//!
//! Both sides go through `music_shared::fold_name` first, so case, accents, compatibility forms
//! and curly quotes never decide a match. Words are runs of letters and digits (any script); an
//! apostrophe between two of them is dropped rather than splitting the word, because people type
//! "dont" for "Don't" and "b52s" for "B-52's" far more often than they type the apostrophe.
//! Anything else separates words. Scripts written without spaces (Japanese, Chinese, Thai) stay
//! one word per run, which the type-ahead prefix lookup still finds from its start.

use music_shared::fold_name;

/// Positions past this in one name are still searchable as words, but cannot take part in an
/// exact or prefix match of the whole name (kept small so that match check is one `u128`).
pub(crate) const MAX_POSITION: u32 = 127;

/// Characters of a raw query looked at; a name is never longer, so more is only work.
pub const MAX_QUERY_BYTES: usize = 512;

/// Query words used; words after this are ignored.
pub const MAX_QUERY_WORDS: usize = 8;

/// One word of a folded name as the index stores it: `start..end` are positions in the name's
/// sequence of plain words. A joined form (`acdc` for `ac/dc`) spans all the words it joins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Occurrence {
    pub term: String,
    pub start: usize,
    pub end: usize,
}

/// The plain words of already folded text, each with whether it was glued to the word before by
/// punctuation alone (no white space between), which is what makes a joined form.
fn words_glued(folded: &str) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = Vec::new();
    let mut current = String::new();
    // Whether only punctuation (no space) was seen since the last word ended.
    let mut glued = false;
    let mut chars = folded.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() {
            current.push(c);
            continue;
        }
        if c == '\'' && !current.is_empty() && chars.peek().is_some_and(|n| n.is_alphanumeric()) {
            continue;
        }
        if !current.is_empty() {
            out.push((std::mem::take(&mut current), glued));
            glued = true;
        }
        if c.is_whitespace() {
            glued = false;
        }
    }
    if !current.is_empty() {
        out.push((current, glued));
    }
    if let Some(first) = out.first_mut() {
        first.1 = false;
    }
    out
}

/// The words of a raw query, folded, in order, at most [`MAX_QUERY_WORDS`]; the second value
/// says whether the last returned word is the query's last (the one still being typed).
pub fn query_words(query: &str) -> (Vec<String>, bool) {
    let mut end = query.len().min(MAX_QUERY_BYTES);
    while !query.is_char_boundary(end) {
        end -= 1;
    }
    let mut words: Vec<String> = words_glued(&fold_name(&query[..end]))
        .into_iter()
        .map(|(w, _)| w)
        .collect();
    let complete = words.len() <= MAX_QUERY_WORDS;
    words.truncate(MAX_QUERY_WORDS);
    (words, complete)
}

/// The index words of a display name: its plain words with their positions, then one joined
/// form per run of two or more words glued by punctuation. Also returns the number of plain
/// words (the name's length for an exact match).
pub(crate) fn name_occurrences(name: &str) -> (Vec<Occurrence>, usize) {
    let words = words_glued(&fold_name(name));
    let mut out: Vec<Occurrence> = words
        .iter()
        .enumerate()
        .map(|(i, (w, _))| Occurrence {
            term: w.clone(),
            start: i,
            end: i + 1,
        })
        .collect();
    let mut run_start = 0;
    for i in 1..=words.len() {
        if i < words.len() && words[i].1 {
            continue;
        }
        if i - run_start >= 2 {
            let joined: String = words[run_start..i]
                .iter()
                .map(|(w, _)| w.as_str())
                .collect();
            out.push(Occurrence {
                term: joined,
                start: run_start,
                end: i,
            });
        }
        run_start = i;
    }
    (out, words.len())
}

/// How many typos a query word may carry: none under 4 characters (one typo would match nearly
/// everything), one up to 7, two from 8. Very long words get none: the automaton grows with the
/// word and no real name word is that long. Neither do words with characters from U+0800 on
/// (CJK, Hangul, Thai, ...): typed through an input method, their mistakes are not letter edits,
/// and one such character is a syllable or a word, so one "typo" would be a different word.
pub fn typo_budget(word: &str) -> u8 {
    if word.chars().any(|c| c >= '\u{800}') {
        return 0;
    }
    match word.chars().count() {
        0..=3 => 0,
        4..=7 => 1,
        8..=32 => 2,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(name: &str) -> Vec<(String, usize, usize)> {
        name_occurrences(name)
            .0
            .into_iter()
            .map(|o| (o.term, o.start, o.end))
            .collect()
    }

    #[test]
    fn apostrophes_join_and_punctuation_separates() {
        assert_eq!(
            query_words("Don't Stop Me Now").0,
            ["dont", "stop", "me", "now"]
        );
        assert_eq!(query_words("Don’t").0, ["dont"]);
        assert_eq!(query_words("rock 'n' roll").0, ["rock", "n", "roll"]);
        assert_eq!(query_words("lovin' you").0, ["lovin", "you"]);
        assert_eq!(
            query_words("Mr. Brightside (Live)").0,
            ["mr", "brightside", "live"]
        );
        assert_eq!(query_words("  %  \"\" ''' ").0, Vec::<String>::new());
        assert_eq!(query_words("BEYONCÉ").0, ["beyonce"]);
    }

    #[test]
    fn joined_forms_of_punctuated_names() {
        assert_eq!(
            terms("AC/DC"),
            [
                ("ac".into(), 0, 1),
                ("dc".into(), 1, 2),
                ("acdc".into(), 0, 2)
            ]
        );
        assert_eq!(
            terms("JAY-Z"),
            [
                ("jay".into(), 0, 1),
                ("z".into(), 1, 2),
                ("jayz".into(), 0, 2)
            ]
        );
        assert_eq!(
            terms("The B-52's"),
            [
                ("the".into(), 0, 1),
                ("b".into(), 1, 2),
                ("52s".into(), 2, 3),
                ("b52s".into(), 1, 3)
            ]
        );
        // A space breaks the run: no "mrbrightside".
        assert_eq!(terms("Mr. Brightside").len(), 2);
        assert_eq!(terms("東京事変"), [("東京事変".into(), 0, 1)]);
        assert_eq!(name_occurrences("!!!").1, 0);
    }

    #[test]
    fn long_queries_are_cut_on_a_char_boundary() {
        let q = "é".repeat(5000);
        let (words, _) = query_words(&q);
        assert_eq!(words.len(), 1);
        let (words, complete) = query_words(&"a ".repeat(100));
        assert_eq!(words.len(), MAX_QUERY_WORDS);
        assert!(!complete);
    }

    #[test]
    fn typo_budget_by_length() {
        assert_eq!(typo_budget("mac"), 0);
        assert_eq!(typo_budget("jude"), 1);
        assert_eq!(typo_budget("fleetwod"), 2);
        assert_eq!(typo_budget("ééé"), 0);
        assert_eq!(typo_budget(&"x".repeat(40)), 0);
        assert_eq!(typo_budget("東京事変"), 0);
        assert_eq!(typo_budget("møller"), 1);
    }
}
