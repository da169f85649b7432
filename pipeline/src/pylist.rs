//! Python list literals, as pandas wrote them into the Kaggle CSVs (`['Guns N\' Roses', "Bob's"]`),
//! and the reverse, because the original API served `artists` as such a string.

use crate::ModelError;

/// Parse a list of string literals written by Python's `repr`.
pub fn parse_str_list(text: &str) -> Result<Vec<String>, ModelError> {
    let err = |why: &str| ModelError::PyList(format!("{why} in {text:?}"));
    let mut chars = text.trim().chars().peekable();
    if chars.next() != Some('[') {
        return Err(err("no opening ["));
    }
    let mut items = Vec::new();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        match chars.next() {
            Some(']') if items.is_empty() => break,
            Some(q @ ('\'' | '"')) => {
                let mut item = String::new();
                loop {
                    match chars.next() {
                        None => return Err(err("unterminated string")),
                        Some(c) if c == q => break,
                        Some('\\') => match chars.next() {
                            Some('n') => item.push('\n'),
                            Some('t') => item.push('\t'),
                            Some('r') => item.push('\r'),
                            Some('x') => item.push(
                                hex_char(&mut chars, 2).ok_or_else(|| err("bad \\x escape"))?,
                            ),
                            Some('u') => item.push(
                                hex_char(&mut chars, 4).ok_or_else(|| err("bad \\u escape"))?,
                            ),
                            Some('U') => item.push(
                                hex_char(&mut chars, 8).ok_or_else(|| err("bad \\U escape"))?,
                            ),
                            Some(c) => item.push(c),
                            None => return Err(err("dangling backslash")),
                        },
                        Some(c) => item.push(c),
                    }
                }
                items.push(item);
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
                match chars.next() {
                    Some(',') => continue,
                    Some(']') => break,
                    _ => return Err(err("expected , or ]")),
                }
            }
            _ => return Err(err("expected a quoted string")),
        }
    }
    if chars.any(|c| !c.is_whitespace()) {
        return Err(err("text after the closing ]"));
    }
    Ok(items)
}

fn hex_char(chars: &mut impl Iterator<Item = char>, digits: usize) -> Option<char> {
    let hex: String = chars.take(digits).collect();
    if hex.len() != digits {
        return None;
    }
    char::from_u32(u32::from_str_radix(&hex, 16).ok()?)
}

/// Python's `repr` of one string: single quotes unless the text has a `'` and no `"`.
pub fn repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `repr` of a list of strings, e.g. `['Iiro Rantala']`.
pub fn repr_str_list<S: AsRef<str>>(items: &[S]) -> String {
    let parts: Vec<String> = items.iter().map(|s| repr_str(s.as_ref())).collect();
    format!("[{}]", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_awkward_names() {
        let cases: [(&str, &[&str]); 8] = [
            ("['Fleetwood Mac']", &["Fleetwood Mac"]),
            ("[\"The B-52's\"]", &["The B-52's"]),
            ("['\"Weird Al\" Yankovic']", &["\"Weird Al\" Yankovic"]),
            ("['Beyoncé', 'JAY-Z']", &["Beyoncé", "JAY-Z"]),
            ("['Tyler, The Creator']", &["Tyler, The Creator"]),
            ("['It\\'s \"both\"']", &["It's \"both\""]),
            ("[]", &[]),
            (" [ 'a' ,'b' ] ", &["a", "b"]),
        ];
        for (literal, names) in cases {
            let parsed = parse_str_list(literal).unwrap_or_else(|e| panic!("{literal:?}: {e}"));
            assert_eq!(parsed, names, "{literal:?}");
        }
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "Fleetwood Mac", "['a'", "['a' 'b']", "['a'] x", "[1]"] {
            assert!(parse_str_list(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn repr_round_trips_like_python() {
        assert_eq!(repr_str_list(&["Iiro Rantala"]), "['Iiro Rantala']");
        assert_eq!(repr_str_list(&["The B-52's"]), "[\"The B-52's\"]");
        assert_eq!(
            repr_str_list(&["\"Weird Al\" Yankovic"]),
            "['\"Weird Al\" Yankovic']"
        );
        assert_eq!(repr_str_list(&["It's \"both\""]), "['It\\'s \"both\"']");
        for names in [vec!["a\\b", "c'd"], vec!["Beyoncé", "x\ny"]] {
            assert_eq!(parse_str_list(&repr_str_list(&names)).unwrap(), names);
        }
    }
}
