//! What the benchmarks that generate search queries share; included with `#[path]` by
//! bench/search/main.rs and bench/v3/main.rs.

/// One slip of the fingers somewhere in `word`: a wrong letter, a missing or extra one, or two
/// neighbours swapped; `letter` draws the wrong or extra letter. Words shorter than `min_len`
/// characters are left alone. The draws come in a fixed order (position, letter, kind of edit),
/// so a seeded `rng` gives the same queries run after run.
pub fn typo<R: rand::Rng>(
    rng: &mut R,
    word: &str,
    min_len: usize,
    letter: impl FnOnce(&mut R) -> char,
) -> String {
    let mut c: Vec<char> = word.chars().collect();
    if c.len() < min_len {
        return word.to_owned();
    }
    let at = rng.gen_range(0..c.len());
    let letter = letter(rng);
    match rng.gen_range(0..4) {
        0 => c[at] = letter,
        1 => {
            c.remove(at);
        }
        2 => c.insert(at, letter),
        _ => {
            let at = at.min(c.len() - 2);
            c.swap(at, at + 1);
        }
    }
    c.into_iter().collect()
}
