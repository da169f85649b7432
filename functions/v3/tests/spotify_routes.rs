//! The Spotify-shaped routes and the "similar" default, on the shipped catalogue. Every expected
//! list is computed here from the SQLite tables by a plain full sort (standardized columns,
//! seeds' centre, filters, same-song and per-artist rules), in double precision, and compared
//! with the service's answer.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::OnceLock;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{all_tracks, app, db, get};
use serde_json::Value;
use tower::ServiceExt;

/// Column order of [`T::v`]: Spotify's names, year, then what only the similarity model
/// compares (explicit, and the title's letters).
const COLS: [&str; 18] = [
    "acousticness",
    "danceability",
    "duration_ms",
    "energy",
    "instrumentalness",
    "key",
    "liveness",
    "loudness",
    "mode",
    "popularity",
    "speechiness",
    "tempo",
    "valence",
    "time_signature",
    "year",
    "explicit",
    "accented_title",
    "non_latin_title",
];

/// The compared columns and their weights, as documented for `method=similar`.
const SPACE: [(&str, f64); 17] = [
    ("energy", 1.0),
    ("speechiness", 1.0),
    ("acousticness", 1.0),
    ("instrumentalness", 1.0),
    ("liveness", 0.5),
    ("valence", 0.5),
    ("loudness", 1.0),
    ("tempo", 1.0),
    ("duration_ms", 1.5),
    ("danceability", 1.0),
    ("year", 3.0),
    ("mode", 0.5),
    ("time_signature", 0.5),
    ("popularity", 0.5),
    ("explicit", 1.0),
    ("accented_title", 0.5),
    ("non_latin_title", 0.5),
];

/// (a Latin letter beyond ASCII, a letter of another script) in a title: Latin is ASCII and
/// U+00C0-U+024F, U+1E00-U+1EFF.
fn letters(title: &str) -> (f64, f64) {
    let non_ascii: Vec<char> = title
        .chars()
        .filter(|c| c.is_alphabetic() && !c.is_ascii())
        .collect();
    let latin =
        |c: &char| ('\u{C0}'..='\u{24F}').contains(c) || ('\u{1E00}'..='\u{1EFF}').contains(c);
    (
        f64::from(u8::from(non_ascii.iter().any(latin))),
        f64::from(u8::from(non_ascii.iter().any(|c| !latin(c)))),
    )
}

fn col(name: &str) -> usize {
    COLS.iter().position(|c| *c == name).unwrap()
}

struct T {
    id: String,
    artists: Vec<String>,
    explicit: bool,
    cluster: i64,
    /// Raw values; NaN for a missing year or time signature.
    v: [f64; 18],
    genres: BTreeSet<String>,
}

/// An artist as the tables give it: (Spotify id, genres, cluster).
type ArtistInfo = (Option<String>, BTreeSet<String>, Option<i64>);

struct Cat {
    t: Vec<T>,
    mean: [f64; 18],
    sd: [f64; 18],
    /// Per track, `v` standardized (NaN -> 0).
    zs: Vec<[f64; 18]>,
    /// artist name -> (spotify id, genres, cluster)
    artists: HashMap<String, ArtistInfo>,
}

impl Cat {
    fn z(&self, t: usize, c: usize) -> f64 {
        self.zs[t][c]
    }
    fn mean_z(&self, tracks: &[usize]) -> [f64; 18] {
        let mut out = [0.0; 18];
        for &t in tracks {
            for (c, o) in out.iter_mut().enumerate() {
                *o += self.z(t, c) / tracks.len() as f64;
            }
        }
        out
    }
    fn by_artist(&self, name: &str) -> Vec<usize> {
        (0..self.t.len())
            .filter(|&t| self.t[t].artists.iter().any(|a| a == name))
            .collect()
    }
    fn by_genre(&self, g: &str) -> Vec<usize> {
        (0..self.t.len())
            .filter(|&t| self.t[t].genres.contains(g))
            .collect()
    }
    fn track(&self, id: &str) -> usize {
        self.t.iter().position(|t| t.id == id).unwrap()
    }
}

fn cat() -> &'static Cat {
    static CAT: OnceLock<Cat> = OnceLock::new();
    CAT.get_or_init(|| {
        let conn = db();
        let mut artists = HashMap::new();
        let mut st = conn
            .prepare("SELECT name, spotify_id, genres, cluster FROM artists")
            .unwrap();
        let rows = st
            .query_map([], |r| {
                let genres: Vec<String> = serde_json::from_str(&r.get::<_, String>(2)?).unwrap();
                Ok((
                    r.get::<_, String>(0)?,
                    (
                        r.get::<_, Option<String>>(1)?,
                        genres.into_iter().collect::<BTreeSet<_>>(),
                        r.get::<_, Option<i64>>(3)?,
                    ),
                ))
            })
            .unwrap();
        for row in rows {
            let (name, a) = row.unwrap();
            artists.insert(name, a);
        }
        let sql = format!(
            "SELECT id, artists, explicit, cluster, name, {} FROM tracks ORDER BY track",
            COLS[..15].join(", ")
        );
        let mut st = conn.prepare(&sql).unwrap();
        let t: Vec<T> = st
            .query_map([], |r| {
                let names: Vec<String> = serde_json::from_str(&r.get::<_, String>(1)?).unwrap();
                let mut v = [0.0; 18];
                for (i, x) in v.iter_mut().take(15).enumerate() {
                    *x = r.get::<_, Option<f64>>(5 + i)?.unwrap_or(f64::NAN);
                }
                v[15] = f64::from(u8::from(r.get::<_, bool>(2)?));
                (v[16], v[17]) = letters(&r.get::<_, String>(4)?);
                let genres = names
                    .iter()
                    .filter_map(|n| artists.get(n))
                    .flat_map(|a: &ArtistInfo| a.1.clone())
                    .collect();
                Ok(T {
                    id: r.get(0)?,
                    artists: names,
                    explicit: r.get(2)?,
                    cluster: r.get(3)?,
                    v,
                    genres,
                })
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut mean = [0.0; 18];
        let mut sd = [1.0; 18];
        for c in 0..18 {
            let vals: Vec<f64> = t.iter().map(|x| x.v[c]).filter(|x| x.is_finite()).collect();
            let m = vals.iter().sum::<f64>() / vals.len() as f64;
            let var = vals.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / vals.len() as f64;
            mean[c] = m;
            if var > 1e-12 {
                sd[c] = var.sqrt();
            }
        }
        let zs = t
            .iter()
            .map(|x| {
                std::array::from_fn(|c| {
                    let v = (x.v[c] - mean[c]) / sd[c];
                    if v.is_finite() {
                        v
                    } else {
                        0.0
                    }
                })
            })
            .collect();
        Cat {
            t,
            mean,
            sd,
            zs,
            artists,
        }
    })
}

#[derive(Default, Clone)]
struct Ask {
    tracks: Vec<String>,
    artists: Vec<String>,
    genres: Vec<String>,
    targets: Vec<(&'static str, f64)>,
    /// (column, min, max)
    ranges: Vec<(&'static str, f64, f64)>,
    exclude: Vec<String>,
    max_per_artist: Option<usize>,
    hide_explicit: bool,
    seed_artist_cap: Option<usize>,
    limit: usize,
}

/// The expected list: (track number, distance), nearest first.
fn oracle(ask: &Ask) -> Vec<(usize, f64)> {
    let c = cat();
    let rows = all_tracks();
    let mut centres: Vec<[f64; 18]> = Vec::new();
    let mut banned = HashSet::new();
    let mut seed_artists: HashSet<&str> = HashSet::new();
    for id in &ask.tracks {
        let t = c.track(id);
        centres.push(c.mean_z(&[t]));
        banned.insert(rows[t].group);
        seed_artists.extend(c.t[t].artists.iter().map(String::as_str));
    }
    for id in &ask.artists {
        let name = c
            .artists
            .iter()
            .find(|(_, a)| a.0.as_deref() == Some(id.as_str()))
            .unwrap()
            .0;
        centres.push(c.mean_z(&c.by_artist(name)));
    }
    for g in &ask.genres {
        centres.push(c.mean_z(&c.by_genre(g)));
    }
    for id in &ask.exclude {
        banned.insert(rows[c.track(id)].group);
    }
    let mut q = [0.0; 18];
    for centre in &centres {
        for i in 0..18 {
            q[i] += centre[i] / centres.len() as f64;
        }
    }
    let mut w = [0.0; 18];
    for (name, weight) in SPACE {
        w[col(name)] = weight;
    }
    for &(name, value) in &ask.targets {
        let i = col(name);
        q[i] = (value - c.mean[i]) / c.sd[i];
        w[i] = f64::max(w[i], 2.0);
    }
    let mut scored: Vec<(f64, usize)> = (0..c.t.len())
        .filter(|&t| {
            let x = &c.t[t];
            !(ask.hide_explicit && x.explicit)
                && ask
                    .ranges
                    .iter()
                    .all(|&(name, lo, hi)| x.v[col(name)] >= lo && x.v[col(name)] <= hi)
                && !banned.contains(&rows[t].group)
        })
        .map(|t| {
            let d2: f64 = (0..18).map(|i| (w[i] * (c.z(t, i) - q[i])).powi(2)).sum();
            (d2.sqrt(), t)
        })
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut out = Vec::new();
    let mut groups = HashSet::new();
    let mut per_artist: HashMap<&str, usize> = HashMap::new();
    let mut by_seed = 0;
    for (d, t) in scored {
        if out.len() == ask.limit {
            break;
        }
        let names = &c.t[t].artists;
        if groups.contains(&rows[t].group) {
            continue;
        }
        if let Some(cap) = ask.max_per_artist {
            if names
                .iter()
                .any(|a| per_artist.get(a.as_str()).copied().unwrap_or(0) >= cap)
            {
                continue;
            }
        }
        let mine = names.iter().any(|a| seed_artists.contains(a.as_str()));
        if mine && ask.seed_artist_cap.is_some_and(|cap| by_seed >= cap) {
            continue;
        }
        groups.insert(rows[t].group);
        by_seed += usize::from(mine);
        for a in names {
            *per_artist.entry(a.as_str()).or_default() += 1;
        }
        out.push((t, d));
    }
    out
}

/// The service's list equals the oracle's: the same distances in the same order (single
/// against double precision: within 1e-3), and the same tracks except where two distances tie
/// that closely.
fn assert_same(what: &str, got: &[Value], want: &[(usize, f64)]) {
    let c = cat();
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, (t, d))) in got.iter().zip(want).enumerate() {
        let gd = g["distance"].as_f64().unwrap();
        assert!((gd - d).abs() < 1e-3, "{what} #{i}: distance {gd} vs {d}");
        if g["id"] != c.t[*t].id.as_str() {
            let tied = want
                .iter()
                .any(|(t2, d2)| g["id"] == c.t[*t2].id.as_str() && (d2 - d).abs() < 1e-3);
            assert!(
                tied,
                "{what} #{i}: got {} want {} ({d})",
                g["id"], c.t[*t].id
            );
        }
    }
}

fn seeds_spread(n: usize) -> Vec<usize> {
    let len = cat().t.len();
    (0..n).map(|i| (i * 7_919 + 13) % len).collect()
}

#[tokio::test]
async fn similar_default_is_the_full_sort_with_the_own_artist_cap() {
    let c = cat();
    for seed in seeds_spread(25) {
        let id = &c.t[seed].id;
        let (status, body) = get(&format!("/api/v3/tracks/{id}/recommendations")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["method"], "similar");
        let got = body["recommendations"].as_array().unwrap();
        let want = oracle(&Ask {
            tracks: vec![id.clone()],
            seed_artist_cap: Some(2),
            limit: 10,
            ..Ask::default()
        });
        assert_same(&format!("similar {id}"), got, &want);
        let own = got
            .iter()
            .filter(|g| {
                g["artists"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|a| c.t[seed].artists.iter().any(|s| a == s.as_str()))
            })
            .count();
        assert!(own <= 2, "{id}: {own} of 10 by the seed's artists");
        assert!(got.iter().all(|g| g["reason"]["text"].is_string()));
    }
}

fn query(ask: &Ask) -> String {
    let mut q = vec![format!("limit={}", ask.limit)];
    let join = |v: &[String]| v.join(",");
    if !ask.tracks.is_empty() {
        q.push(format!("seed_tracks={}", join(&ask.tracks)));
    }
    if !ask.artists.is_empty() {
        q.push(format!("seed_artists={}", join(&ask.artists)));
    }
    if !ask.genres.is_empty() {
        q.push(format!(
            "seed_genres={}",
            join(&ask.genres).replace(' ', "%20").replace('&', "%26")
        ));
    }
    for (name, v) in &ask.targets {
        q.push(format!("target_{name}={v}"));
    }
    for (name, lo, hi) in &ask.ranges {
        if lo.is_finite() {
            q.push(format!("min_{name}={lo}"));
        }
        if hi.is_finite() {
            q.push(format!("max_{name}={hi}"));
        }
    }
    if !ask.exclude.is_empty() {
        q.push(format!("exclude={}", join(&ask.exclude)));
    }
    if let Some(m) = ask.max_per_artist {
        q.push(format!("max_per_artist={m}"));
    }
    if ask.hide_explicit {
        q.push("explicit=false".into());
    }
    format!("/api/v3/recommendations?{}&market=US", q.join("&"))
}

/// Artists with a Spotify id and at least `min` tracks, by name.
fn artists_with_tracks(min: usize) -> Vec<(String, String)> {
    let c = cat();
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for t in &c.t {
        for a in &t.artists {
            *count.entry(a).or_default() += 1;
        }
    }
    count
        .into_iter()
        .filter(|(_, n)| *n >= min)
        .filter_map(|(name, _)| {
            let id = c.artists.get(name)?.0.clone()?;
            Some((name.to_string(), id))
        })
        .collect()
}

#[tokio::test]
async fn five_seeds_three_targets_and_filters_are_the_full_sort() {
    let c = cat();
    let seeds = seeds_spread(40);
    let artists = artists_with_tracks(20);
    let cases = [
        Ask {
            tracks: vec![c.t[seeds[0]].id.clone(), c.t[seeds[1]].id.clone()],
            artists: vec![artists[3].1.clone()],
            genres: vec!["rock".into(), "classic rock".into()],
            targets: vec![("energy", 0.8), ("valence", 0.6), ("tempo", 120.0)],
            ranges: vec![
                ("popularity", 30.0, f64::INFINITY),
                ("year", 1970.0, 1999.0),
            ],
            limit: 20,
            ..Ask::default()
        },
        Ask {
            tracks: vec![c.t[seeds[5]].id.clone()],
            genres: vec!["pop".into()],
            targets: vec![("danceability", 0.9), ("acousticness", 0.1)],
            ranges: vec![("duration_ms", 120_000.0, 240_000.0)],
            exclude: vec![c.t[seeds[6]].id.clone(), c.t[seeds[7]].id.clone()],
            max_per_artist: Some(1),
            hide_explicit: true,
            limit: 50,
            ..Ask::default()
        },
        Ask {
            artists: vec![artists[10].1.clone(), artists[40].1.clone()],
            targets: vec![("key", 5.0), ("mode", 0.0), ("loudness", -8.0)],
            ranges: vec![("time_signature", 4.0, 4.0), ("speechiness", 0.0, 0.2)],
            limit: 100,
            ..Ask::default()
        },
        // Filters that leave a handful: fewer tracks, not an error.
        Ask {
            genres: vec!["rock".into()],
            ranges: vec![("popularity", 90.0, 100.0), ("year", 2020.0, 2021.0)],
            limit: 100,
            ..Ask::default()
        },
    ];
    for (i, ask) in cases.iter().enumerate() {
        let uri = query(ask);
        let (status, body) = get(&uri).await;
        assert_eq!(status, StatusCode::OK, "{uri}: {body}");
        let got = body["tracks"].as_array().unwrap();
        let want = oracle(ask);
        assert_same(&format!("case {i}"), got, &want);
        if i == 3 {
            assert!(got.len() < 100, "case 3 should leave few: {}", got.len());
        }
        // Filters hold on every answer, read back from the table.
        for g in got {
            let t = &c.t[c.track(g["id"].as_str().unwrap())];
            for (name, lo, hi) in &ask.ranges {
                assert!(
                    t.v[col(name)] >= *lo && t.v[col(name)] <= *hi,
                    "{uri}: {name}"
                );
            }
            assert!(!(ask.hide_explicit && t.explicit));
            assert!(!ask.exclude.contains(&t.id) && !ask.tracks.contains(&t.id));
            assert_eq!(g["uri"], format!("spotify:track:{}", t.id));
            assert_eq!(g["cluster"].as_i64(), Some(t.cluster));
            let shared: Vec<&str> = g["reason"]["shared_genres"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert!(shared.iter().all(|s| t.genres.contains(*s)));
        }
        // Seeds: a track's pool is its cluster, before and after the filters.
        let seeds_out = body["seeds"].as_array().unwrap();
        assert_eq!(
            seeds_out.len(),
            ask.tracks.len() + ask.artists.len() + ask.genres.len()
        );
        for s in seeds_out.iter().filter(|s| s["type"] == "TRACK") {
            let cl = c.t[c.track(s["id"].as_str().unwrap())].cluster;
            let all = c.t.iter().filter(|t| t.cluster == cl).count();
            let kept =
                c.t.iter()
                    .filter(|t| {
                        t.cluster == cl
                            && !(ask.hide_explicit && t.explicit)
                            && ask
                                .ranges
                                .iter()
                                .all(|(n, lo, hi)| t.v[col(n)] >= *lo && t.v[col(n)] <= *hi)
                    })
                    .count();
            assert_eq!(s["initialPoolSize"].as_u64(), Some(all as u64));
            assert_eq!(s["afterFilteringSize"].as_u64(), Some(kept as u64));
        }
        for s in seeds_out.iter().filter(|s| s["type"] == "GENRE") {
            let n = c.by_genre(s["id"].as_str().unwrap()).len();
            assert_eq!(s["initialPoolSize"].as_u64(), Some(n as u64));
        }
    }
}

async fn spotify_error(uri: &str) -> (StatusCode, String) {
    let (status, body) = get(uri).await;
    assert_eq!(
        body["error"]["status"].as_u64(),
        Some(u64::from(status.as_u16())),
        "{uri}: Spotify's error form: {body}"
    );
    (
        status,
        body["error"]["message"].as_str().unwrap().to_string(),
    )
}

#[tokio::test]
async fn bad_input_is_a_400_naming_the_parameter() {
    let c = cat();
    let id = &c.t[0].id;
    let six = (0..6)
        .map(|i| c.t[i].id.clone())
        .collect::<Vec<_>>()
        .join(",");
    let long = "a".repeat(10_000);
    // Too few or too many seeds, a seed too long to be one, bytes that are not UTF-8.
    let mut cases: Vec<(String, &str)> = vec![
        ("".into(), "at least one seed"),
        (format!("seed_tracks={six}"), "at most 5 seeds"),
        (
            format!("seed_tracks={id}&seed_genres=rock,pop,jazz,soul,funk"),
            "at most 5 seeds",
        ),
        (format!("seed_tracks={long}"), "seed_tracks"),
        (format!("seed_genres={long}"), "seed_genres"),
        ("seed_tracks=%FF".into(), "UTF-8"),
    ];
    // Text that is no genre, track or artist given as one: the message names that kind of seed.
    let bad_seeds = [
        "seed_genres=no%20such%20genre",
        "seed_tracks=0000000000000000000000",
        "seed_artists=0000000000000000000000",
        "seed_tracks=%27%20OR%201%3D1%20--",
        "seed_tracks=%25%25",
        "seed_tracks=%F0%9F%8E%B5%E2%80%8F",
    ];
    // A good seed, then a bad value (out of range, not a number, contradicting the one after
    // it, given twice) or an unknown name: the message names that first parameter.
    let bad_options = [
        "limit=0",
        "limit=101",
        "limit=ten",
        "min_energy=1.5",
        "max_tempo=-3",
        "target_popularity=NaN",
        "min_year=1990&max_year=1980",
        "min_energy=0.9&max_energy=0.1",
        "target_enrgy=0.5",
        "limit=5&limit=6",
        "explicit=maybe",
        "max_per_artist=0",
    ];
    let first_name = |q: &'static str| q.split('=').next().unwrap();
    cases.extend(bad_seeds.map(|q| (q.to_string(), first_name(q))));
    cases.extend(bad_options.map(|q| (format!("seed_tracks={id}&{q}"), first_name(q))));
    for (q, names) in cases {
        let uri = format!("/api/v3/recommendations?{q}");
        let (status, message) = spotify_error(&uri).await;
        assert_eq!(
            status,
            StatusCode::BAD_REQUEST,
            "{}: {message}",
            &uri[..uri.len().min(120)]
        );
        assert!(message.contains(names), "{q:.80}: {message}");
        assert!(message.chars().count() <= 300);
    }
    // Spotify's own parameters that do not apply are accepted and ignored.
    let (status, _) = get(&format!(
        "/api/v3/recommendations?seed_tracks={id}&market=DE"
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn audio_features_are_the_table_s_in_spotify_s_shape() {
    let c = cat();
    let ids: Vec<&str> = seeds_spread(60)
        .iter()
        .map(|&t| c.t[t].id.as_str())
        .collect();
    let mut asked: Vec<&str> = ids.clone();
    asked.insert(3, "0000000000000000000000");
    let (status, many) = get(&format!("/api/v3/audio-features?ids={}", asked.join(","))).await;
    assert_eq!(status, StatusCode::OK);
    let (_, slashed) = get(&format!("/api/v3/audio-features/?ids={}", asked.join(","))).await;
    assert_eq!(many, slashed, "with and without the trailing slash");
    let list = many["audio_features"].as_array().unwrap();
    assert_eq!(list.len(), asked.len());
    assert!(list[3].is_null());
    for (id, got) in asked.iter().zip(list).filter(|(_, g)| !g.is_null()) {
        let t = &c.t[c.track(id)];
        assert_eq!(got["id"], *id);
        assert_eq!(got["type"], "audio_features");
        for name in COLS[..15]
            .iter()
            .filter(|n| **n != "popularity" && **n != "year")
        {
            let want = t.v[col(name)];
            let g = &got[*name];
            if want.is_nan() {
                assert!(g.is_null(), "{id} {name}");
            } else {
                let g = g.as_f64().unwrap();
                assert!(
                    (g - want).abs() <= want.abs() * 1e-6 + 1e-6,
                    "{id} {name}: {g} vs {want}"
                );
            }
        }
        let (_, one) = get(&format!("/api/v3/audio-features/{id}")).await;
        assert_eq!(&one, got);
    }
    let (status, message) = spotify_error("/api/v3/audio-features/0000000000000000000000").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{message}");
    let too_many = vec![ids[0]; 101].join(",");
    for q in [
        format!("ids={too_many}"),
        "ids=".into(),
        "".into(),
        "ids=a%27b".into(),
        "idz=x".into(),
    ] {
        let (status, message) = spotify_error(&format!("/api/v3/audio-features?{q}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{q:.40}: {message}");
    }
}

#[tokio::test]
async fn genre_seeds_are_the_genres_of_ten_tracks_or_more() {
    let c = cat();
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for t in &c.t {
        for g in &t.genres {
            *count.entry(g).or_default() += 1;
        }
    }
    let want: Vec<&str> = count
        .into_iter()
        .filter(|(_, n)| *n >= 10)
        .map(|(g, _)| g)
        .collect();
    let (status, body) = get("/api/v3/recommendations/available-genre-seeds").await;
    assert_eq!(status, StatusCode::OK);
    let got: Vec<&str> = body["genres"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g.as_str().unwrap())
        .collect();
    assert!(want.len() > 100, "{} genres", want.len());
    assert_eq!(got, want);
}

#[tokio::test]
async fn related_artists_are_the_nearest_in_sound_and_genres() {
    let c = cat();
    // Artist centres in the compared columns, from the tables.
    let mut tracks_of: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, t) in c.t.iter().enumerate() {
        for a in &t.artists {
            let list = tracks_of.entry(a.as_str()).or_default();
            if list.last() != Some(&i) {
                list.push(i);
            }
        }
    }
    let centres: HashMap<&str, [f64; 18]> = tracks_of
        .iter()
        .map(|(name, tracks)| (*name, c.mean_z(tracks)))
        .collect();
    let score = |a: &str, b: &str| {
        let (x, y) = (centres[a], centres[b]);
        let d: f64 = SPACE
            .iter()
            .map(|(n, w)| (w * (x[col(n)] - y[col(n)])).powi(2))
            .sum::<f64>()
            .sqrt();
        let (ga, gb) = (&c.artists[a].1, &c.artists[b].1);
        let union = ga.union(gb).count();
        let jaccard = if union == 0 {
            0.0
        } else {
            ga.intersection(gb).count() as f64 / union as f64
        };
        d * (1.0 - jaccard / 2.0)
    };
    let candidates: Vec<&str> = tracks_of
        .keys()
        .copied()
        .filter(|n| c.artists.get(*n).is_some_and(|a| a.0.is_some()))
        .collect();
    for (name, id) in [
        ("Creedence Clearwater Revival", "3IYUhFvPQItj6xySrBmZkd"),
        ("Fleetwood Mac", "08GQAI4eElDnROBrJRGE0X"),
    ] {
        let (status, body) = get(&format!("/api/v3/artists/{id}/related-artists?market=US")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let got = body["artists"].as_array().unwrap();
        assert_eq!(got.len(), 20);
        let mut want: Vec<(f64, &str)> = candidates
            .iter()
            .filter(|n| **n != name)
            .map(|n| (score(name, n), *n))
            .collect();
        want.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (i, g) in got.iter().enumerate() {
            assert_ne!(g["id"], id);
            let d = g["distance"].as_f64().unwrap();
            assert!(
                (d - want[i].0).abs() < 1e-3,
                "{name} #{i}: {d} vs {:?}",
                want[i]
            );
            let gname = g["name"].as_str().unwrap();
            assert!((score(name, gname) - d).abs() < 1e-3, "{name}: {gname}");
        }
    }
    let (status, _) = spotify_error("/api/v3/artists/0000000000000000000000/related-artists").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = spotify_error("/api/v3/artists/%27%3B/related-artists").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn random_method_draws_anew_from_the_cluster() {
    let c = cat();
    let rows = all_tracks();
    let seed = seeds_spread(3)[2];
    let id = &c.t[seed].id;
    let mut lists = HashSet::new();
    for _ in 0..60 {
        let res = app()
            .oneshot(
                Request::get(format!("/api/v3/tracks/{id}/recommendations?method=random"))
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.headers()["cache-control"], "no-store");
        let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
            .await
            .unwrap();
        let body: Value = serde_json::from_slice(&bytes).unwrap();
        let got: Vec<usize> = body["recommendations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| c.track(r["id"].as_str().unwrap()))
            .collect();
        assert_eq!(got.len(), 10);
        let groups: HashSet<usize> = got.iter().map(|&t| rows[t].group).collect();
        assert_eq!(groups.len(), 10, "each song once");
        assert!(!groups.contains(&rows[seed].group), "never the seed's song");
        assert!(got.iter().all(|&t| c.t[t].cluster == c.t[seed].cluster));
        lists.insert(got);
    }
    // Ten of a cluster of thousands: two equal draws in 60 would mean it is not drawing anew.
    assert_eq!(lists.len(), 60);
}
