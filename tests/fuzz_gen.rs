//! Hostile inputs for the fuzz tests: path segments and query values built from a fixed seed, so
//! a failure is reproduced by re-running with the same seed. Each generator returns text that is
//! already percent-encoded (ready to put in a URI), because the interesting cases are exactly
//! the escapes: invalid UTF-8, encoded slashes, NUL, lone `%`.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;

/// Characters a URI path may carry unescaped besides the unreserved ones (RFC 3986 sub-delims,
/// `:` and `@`); the generator leaves some of them raw to exercise the router's decoding.
const RAW_OK: &[u8] = b"!$&'()*+,;=:@";

/// Percent-encode `bytes`, leaving unreserved characters raw and, at random, some sub-delims.
pub fn encode_bytes(rng: &mut StdRng, bytes: &[u8], in_query: bool) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for &b in bytes {
        let raw = b.is_ascii_alphanumeric()
            || b"-_.~".contains(&b)
            || (RAW_OK.contains(&b)
                && !(in_query && (b == b'&' || b == b'=' || b == b'+'))
                && rng.gen_bool(0.5));
        if raw {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

const SQL: &[&str] = &[
    "' OR '1'='1",
    "' OR 1=1 --",
    "\"; DROP TABLE tracks; --",
    "1; DELETE FROM Clean_Artists",
    "' UNION SELECT name, sql, 1, 1 FROM sqlite_master --",
    "%' AND 1=1 AND '%'='",
    "_",
    "%",
    "%%",
    "\\",
    "'",
    "''",
    "\"",
    "`",
    "a' COLLATE NOCASE --",
    "1) OR (1=1",
    "ATTACH DATABASE '/tmp/x' AS x; --",
    "name LIKE '%'",
    "0x27",
    "char(39)",
];

const NOSQL: &[&str] = &[
    "{\"$gt\": \"\"}",
    "{\"$ne\": null}",
    "[$regex]=.*",
    "{\"S\": \"x\"}",
    "{\"N\": \"1\"}",
    "attribute_exists(name)",
    "name = :v OR :v = :v",
    "#p",
    ":p",
    "begins_with(sort, 'rand#')",
    "rand#ffffffffffffffff",
    "fixed#00",
    "fixed#~",
    "rand#",
    "{\"Assignments\": {\"N\": \"3\"}}",
    "'; return true; var x='",
    "this.password.match(/.*/)",
    "__proto__",
    "constructor.prototype",
];

const TRAVERSAL: &[&str] = &[
    "..",
    "../..",
    "../../../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "....//....//",
    "/etc/passwd",
    "./",
    ".",
    "~",
    "Cargo.toml",
    "../Cargo.toml",
    "../../data/build/musicData.sqlite",
];

const NUMBERS: &[&str] = &[
    "-1",
    "10",
    "11",
    "255",
    "256",
    "-129",
    "65536",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "99999999999999999999999999",
    "1e309",
    "-1e309",
    "1e-400",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "-0",
    "+3",
    " 3",
    "3 ",
    "03",
    "0x3",
    "3.0",
    "3.5",
    "٣",
    "３",
    "1_000",
    "",
    "0",
    "9",
    "5",
    "100",
    "1000",
    "2147483648",
    "-2147483649",
];

/// Odd characters: controls, NUL, combining marks, RTL overrides, zero-width, surrogate-range
/// neighbours, private use, emoji with joiners, fullwidth, the replacement character.
const ODD: &[char] = &[
    '\0',
    '\u{1}',
    '\t',
    '\n',
    '\r',
    '\u{7f}',
    '\u{80}',
    '\u{85}',
    '\u{a0}',
    '\u{ad}',
    '\u{300}',
    '\u{301}',
    '\u{36f}',
    '\u{200b}',
    '\u{200d}',
    '\u{200e}',
    '\u{202e}',
    '\u{2028}',
    '\u{feff}',
    '\u{fffd}',
    '\u{fffe}',
    '\u{ffff}',
    '\u{d7ff}',
    '\u{e000}',
    '\u{10ffff}',
    '\u{1f600}',
    '\u{1f469}',
    '\u{1f3fd}',
    'ß',
    'İ',
    'ı',
    'ﬁ',
    'Å',
    'Ω',
    'é',
    'ñ',
    '日',
    '본',
    'ا',
    'ℌ',
    '①',
    '\u{ff21}',
    '"',
    '\'',
    '<',
    '>',
    '&',
    '%',
    '+',
    '#',
    '?',
    '/',
    '\\',
    ' ',
    '*',
    '$',
    '{',
    '}',
];

/// Percent-escapes that are not valid UTF-8 once decoded, or that decode to something a naive
/// router would treat as structure.
const BAD_ESCAPES: &[&str] = &[
    "%FF",
    "%C3",
    "%C3%28",
    "%A0%A1",
    "%E2%82",
    "%E2%28%A1",
    "%F0%90%28%BC",
    "%F8%A1%A1%A1%A1",
    "%ED%A0%80",
    "%ED%BF%BF",
    "%C0%AF",
    "%C0%80",
    "%E0%80%AF",
    "%F4%90%80%80",
    "%FE",
    "%80",
    "%2F",
    "%2f",
    "%5C",
    "%00",
    "%25",
    "%2e%2e%2f",
    "%2E%2E%2F",
    "..%2F",
    "..%2f..%2f",
    "%252F",
    "%",
    "%%",
    "%4",
    "%zz",
    "%G0",
    "%%30",
    "%u0041",
    "%C3%A9",
    "%3F",
    "%23",
    "%26",
    "%3D",
];

fn random_unicode(rng: &mut StdRng, max_chars: usize) -> String {
    let n = rng.gen_range(1..=max_chars);
    (0..n)
        .map(|_| match rng.gen_range(0..4) {
            0 => *ODD.choose(rng).expect("not empty"),
            1 => rng.gen_range(' '..='~'),
            2 => rng.gen_range('\u{a0}'..='\u{2fff}'),
            // Any scalar value (the range skips surrogates by construction of `char`).
            _ => loop {
                if let Some(c) = char::from_u32(rng.gen_range(0..=0x10ffff)) {
                    break c;
                }
            },
        })
        .collect()
}

/// A hostile value, percent-encoded, for a path segment (`in_query` false) or a query value.
/// `seeds` are real values (names, ids) to mutate, so that some inputs reach the stores.
pub fn hostile(rng: &mut StdRng, seeds: &[String], in_query: bool) -> String {
    let enc = |rng: &mut StdRng, s: &str| encode_bytes(rng, s.as_bytes(), in_query);
    match rng.gen_range(0..14) {
        0 | 1 => {
            let s = random_unicode(rng, 40);
            enc(rng, &s)
        }
        2 => {
            let s = SQL.choose(rng).expect("not empty").to_string();
            enc(rng, &s)
        }
        3 => {
            let s = NOSQL.choose(rng).expect("not empty").to_string();
            enc(rng, &s)
        }
        4 => {
            // Escapes mixed into text, left exactly as written.
            let mut s = String::new();
            for _ in 0..rng.gen_range(1..5) {
                if rng.gen_bool(0.5) {
                    s.push_str(BAD_ESCAPES.choose(rng).expect("not empty"));
                } else {
                    s.push_str(&encode_bytes(rng, b"ab", in_query));
                }
            }
            s
        }
        5 => String::new(),
        6 => {
            // Long: ASCII, or multi-byte text, or escapes, up to about 20 KB of UTF-8 before
            // encoding (the URI stays under the 64 KiB that the http crate accepts; longer
            // URIs are refused by hyper before any router runs: see fuzz_routes' own test).
            let unit = ["a", "é", "日本", "%FF", "'", "\u{301}"]
                .choose(rng)
                .expect("not empty")
                .to_string();
            let reps = rng.gen_range(1000..=if unit.len() > 2 { 6000 } else { 20_000 });
            if unit.starts_with('%') {
                unit.repeat(reps)
            } else {
                enc(rng, &unit.repeat(reps))
            }
        }
        7 => {
            let s = TRAVERSAL.choose(rng).expect("not empty").to_string();
            if rng.gen_bool(0.5) {
                enc(rng, &s)
            } else {
                // Raw: slashes and dots as they are, only what a URI cannot hold escaped.
                s.replace('\\', "%5C")
            }
        }
        8 | 9 => {
            let s = NUMBERS.choose(rng).expect("not empty").to_string();
            enc(rng, &s)
        }
        _ => {
            // A real value, mutated: cut, case-flipped, padded, or with an odd character.
            let Some(base) = seeds.choose(rng) else {
                return String::new();
            };
            let mut s: String = base.clone();
            match rng.gen_range(0..6) {
                0 => {
                    let cut = rng.gen_range(0..=s.chars().count());
                    s = s.chars().take(cut).collect();
                }
                1 => s = s.to_uppercase(),
                2 => s = format!("  {s}  "),
                3 => {
                    let c = *ODD.choose(rng).expect("not empty");
                    let at = rng.gen_range(0..=s.chars().count());
                    s = s
                        .chars()
                        .take(at)
                        .chain([c])
                        .chain(s.chars().skip(at))
                        .collect();
                }
                4 => s.push_str(SQL.choose(rng).expect("not empty")),
                _ => {}
            }
            enc(rng, &s)
        }
    }
}

/// A query string: the route's own keys and some unknown ones, repeated, empty, without `=`,
/// with hostile values.
pub fn query(rng: &mut StdRng, keys: &[String], seeds: &[String]) -> String {
    let mut parts = Vec::new();
    for _ in 0..rng.gen_range(0..5) {
        let key = match rng.gen_range(0..6) {
            0 => hostile(rng, &[], true),
            1 => "".to_string(),
            _ if !keys.is_empty() => keys.choose(rng).expect("not empty").clone(),
            _ => "x".to_string(),
        };
        match rng.gen_range(0..8) {
            0 => parts.push(key),
            1 => parts.push(format!("{key}=")),
            2 => parts.push(format!(
                "{key}={}",
                BAD_ESCAPES.choose(rng).expect("not empty")
            )),
            3 => {
                let n = NUMBERS.choose(rng).expect("not empty");
                parts.push(format!("{key}={}", encode_bytes(rng, n.as_bytes(), true)))
            }
            _ => parts.push(format!("{key}={}", hostile(rng, seeds, true))),
        }
    }
    let sep = if rng.gen_bool(0.9) { "&" } else { ";" };
    let mut q = parts.join(sep);
    if rng.gen_bool(0.05) {
        q.push_str("&&==&");
    }
    q
}
