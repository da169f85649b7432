//! The pipeline on the real shipped catalogue: counts, de-duplication, the by-name join to the
//! union of both artist tables, the genre formats, scaling, elbow, determinism, numbering,
//! labels, the blobs, staleness, and the 2021 schema round trip.
//!
//! Expected counts are facts about the shipped files (SOURCES.md, and the pandas
//! measurement: 150,255 distinct ids, 87,032 kept), or are computed here from the raw files
//! with the csv crate directly, not through the pipeline's readers.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use music_pipeline::kaggle::{read_artists, read_tracks, TrackSchema};
use music_pipeline::kmeans::{self, KMeansConfig};
use music_pipeline::pylist::repr_str_list;
use music_scripts::pipeline::{compute, write_outputs, Options, Outcome};
use music_shared::{fold_name, FEATURES};
use music_testkit::sql::{self, FEATURE_COLUMNS};
use rusqlite::Connection;

fn raw() -> PathBuf {
    music_testkit::root().join("data/raw")
}

fn quiet_options(out: &Path) -> Options {
    let mut o = Options::defaults_in(&raw(), out);
    o.progress = false;
    o
}

/// One pipeline run into a temp dir, shared by the tests that only read its outputs.
fn built() -> &'static (tempfile::TempDir, Outcome) {
    static BUILT: std::sync::OnceLock<(tempfile::TempDir, Outcome)> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let opts = quiet_options(dir.path());
        let outcome = compute(&opts).unwrap();
        write_outputs(&opts, &outcome).unwrap();
        (dir, outcome)
    })
}

fn db() -> Connection {
    Connection::open_with_flags(
        built().0.path().join("musicData.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap()
}

/// A CSV of data/raw, gzipped or not, read with the csv crate alone.
fn raw_csv(name: &str) -> (csv::StringRecord, Vec<csv::StringRecord>) {
    let file = std::fs::File::open(raw().join(name)).unwrap();
    let reader: Box<dyn Read> = if name.ends_with(".gz") {
        Box::new(flate2::read::GzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut r = csv::Reader::from_reader(reader);
    let headers = r.headers().unwrap().clone();
    let rows = r.records().map(Result::unwrap).collect();
    (headers, rows)
}

fn col(headers: &csv::StringRecord, name: &str) -> usize {
    // The last match: pandas leftovers come first, the real column after them.
    let names: Vec<&str> = headers.iter().collect();
    names.iter().rposition(|h| *h == name).unwrap()
}

/// The raw features of every stored track, with the scaled ones computed from build_info's
/// extremes by the original's formulas, in FEATURES order.
fn stored_features(conn: &Connection) -> Vec<(i64, f64, [f64; 9])> {
    let extremes = music_testkit::scale_extremes(conn);
    sql::rows_with(
        conn,
        &format!("SELECT cluster, distance, {FEATURE_COLUMNS} FROM tracks ORDER BY track"),
        [],
        |r| Ok((r.get(0)?, r.get(1)?, sql::scaled_features(r, 2, extremes)?)),
    )
}

#[test]
fn the_real_catalogue_keeps_87032_of_150255_distinct_tracks() {
    let (_, o) = built();
    // SOURCES.md: 145,065 + 4,998 + 688 rows; the ids overlap in 496 rows.
    let per_file: Vec<(usize, usize)> = o.inputs.iter().map(|i| (i.read, i.duplicates)).collect();
    assert_eq!(per_file, vec![(145_065, 0), (4_998, 90), (688, 406)]);
    assert_eq!(o.read, 150_751);
    assert_eq!(o.duplicates, 496);
    assert_eq!(o.rejected, 0);
    // The pandas measurement: with the union of both artist tables, 87,032 kept.
    assert_eq!(o.rows.len(), 87_032);
    assert_eq!(
        o.read - o.duplicates - o.dropped_loudness - o.dropped_no_genre,
        87_032
    );
    let distinct: HashSet<String> = [
        "tracks_2021_subsets.csv.gz",
        "data_2020_subsets.csv.gz",
        "Top80song.csv",
    ]
    .iter()
    .flat_map(|f| {
        let (h, rows) = raw_csv(f);
        let id = col(&h, "id");
        rows.into_iter().map(move |r| r[id].to_string())
    })
    .collect();
    assert_eq!(distinct.len(), 150_255);
    let conn = db();
    let n: i64 = sql::value(&conn, "SELECT count(*) FROM tracks", []);
    assert_eq!(n, 87_032);
    let n: i64 = sql::value(
        &conn,
        "SELECT count(*) FROM songAssignments_randomTable",
        [],
    );
    assert_eq!(n, 87_032);
    let ids: i64 = sql::value(&conn, "SELECT count(DISTINCT id) FROM tracks", []);
    assert_eq!(ids, 87_032);
}

#[test]
fn a_duplicate_id_keeps_the_first_tables_row() {
    // Ids present in both the 2021 table and Top80song.csv keep the 2021 row: its artist ids.
    let (h, rows) = raw_csv("Top80song.csv");
    let top_ids: HashSet<String> = rows.iter().map(|r| r[col(&h, "id")].to_string()).collect();
    let conn = db();
    let from_2021: Vec<(String, String)> = sql::rows(
        &conn,
        "SELECT id, artist_ids FROM tracks WHERE source = 0",
        [],
    );
    let mut checked = 0;
    for (id, artist_ids) in from_2021 {
        if top_ids.contains(&id) {
            let ids: Vec<String> = serde_json::from_str(&artist_ids).unwrap();
            assert!(!ids.is_empty(), "{id} should carry the 2021 artist ids");
            checked += 1;
        }
    }
    assert!(
        checked > 200,
        "{checked} shared ids kept from the 2021 table"
    );
    let from_top: i64 = sql::value(&conn, "SELECT count(*) FROM tracks WHERE source = 2", []);
    assert_eq!(from_top as usize, built().1.inputs[2].kept);
}

/// Name -> has genres, from both raw artist tables, the 28,680-artist one winning.
fn raw_union_has_genres() -> HashMap<String, bool> {
    let mut out = HashMap::new();
    for file in ["data_w_genres_2020.csv.gz", "data_w_genres.csv.gz"] {
        let (h, rows) = raw_csv(file);
        let (a, g) = (col(&h, "artists"), col(&h, "genres"));
        for r in rows {
            let genres = r[g].trim();
            out.entry(r[a].to_string())
                .or_insert(!genres.is_empty() && genres != "[]");
        }
    }
    out
}

#[test]
fn tracks_join_the_union_of_both_artist_tables_by_name() {
    let union = raw_union_has_genres();
    assert_eq!(union.len(), 30_500);
    let conn = db();
    let mut only_in_older = 0;
    let (h, rows) = raw_csv("data_w_genres_2020.csv.gz");
    let newer: HashSet<String> = rows
        .iter()
        .map(|r| r[col(&h, "artists")].to_string())
        .collect();
    let tracks: Vec<(String, f64)> = sql::rows(&conn, "SELECT artists, loudness FROM tracks", []);
    for (artists, loudness) in tracks {
        let artists: Vec<String> = serde_json::from_str(&artists).unwrap();
        assert!(loudness <= 0.0);
        assert!(
            artists.iter().any(|a| union.get(a) == Some(&true)),
            "{artists:?} has no artist with genres"
        );
        if !artists
            .iter()
            .any(|a| newer.contains(a) && union.get(a) == Some(&true))
        {
            only_in_older += 1;
        }
    }
    // The union matters: these tracks would be lost with the 28,680-artist table alone
    // (87,032 - 85,615, the pandas measurement).
    assert_eq!(only_in_older, 87_032 - 85_615);
    // Both tables' artists are there: Clean_Artists and the artist pages use the union.
    let n: i64 = sql::value(&conn, "SELECT count(*) FROM Clean_Artists", []);
    assert_eq!(n, 30_500);
    for name in ["Kendrick Lamar", "Joe Hisaishi", "The B-52's", "Beyoncé"] {
        let (n, genres): (i64, String) = conn
            .query_row(
                "SELECT (SELECT count(*) FROM Clean_Artists WHERE artists = ?1), \
                 (SELECT genres FROM artists WHERE name = ?1)",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(n, 1, "{name}");
        assert_ne!(genres, "[]", "{name} has genres");
    }
}

#[test]
fn both_genre_formats_parse_on_the_real_rows() {
    let newer = read_artists(&raw().join("data_w_genres_2020.csv.gz")).unwrap();
    assert!(newer.rejected.is_empty(), "{:?}", newer.rejected);
    assert_eq!(newer.rows.len(), 28_680);
    assert_eq!(
        newer.rows.iter().filter(|a| !a.genres.is_empty()).count(),
        18_823
    );
    let distinct: HashSet<&str> = newer
        .rows
        .iter()
        .flat_map(|a| a.genres.iter().map(String::as_str))
        .collect();
    // SOURCES.md: split on ", ", strip the double quotes: 2,972 distinct genres.
    assert_eq!(distinct.len(), 2_972);
    assert!(distinct
        .iter()
        .all(|g| !g.contains('"') && g.trim() == *g && !g.is_empty()));
    assert!(distinct.contains("childrens music"));
    let older = read_artists(&raw().join("data_w_genres.csv.gz")).unwrap();
    assert_eq!(older.rows.len(), 22_727);
    assert_eq!(
        older.rows.iter().filter(|a| !a.genres.is_empty()).count(),
        16_403
    );
    for name in ["The B-52's", "Beyoncé", "\"Weird Al\" Yankovic", "AC/DC"] {
        assert!(older.genres.by_name.contains_key(name), "{name} missing");
    }
}

#[test]
fn every_scaled_value_is_in_the_unit_interval_and_extremes_reach_the_ends() {
    let rows = stored_features(&db());
    for (j, f) in FEATURES.iter().enumerate().skip(6) {
        let lo = rows.iter().map(|r| r.2[j]).fold(f64::INFINITY, f64::min);
        let hi = rows
            .iter()
            .map(|r| r.2[j])
            .fold(f64::NEG_INFINITY, f64::max);
        assert!(
            (0.0..=1.0).contains(&lo) && (0.0..=1.0).contains(&hi),
            "{f} in [{lo}, {hi}]"
        );
        // Ratio-to-extreme: the extreme track itself scales to exactly 0 (the quietest track's
        // loudness_scale) or 1 (tempo, duration).
        if *f == "loudness_scale" {
            assert_eq!(lo, 0.0, "{f}");
        } else {
            assert_eq!(hi, 1.0, "{f}");
        }
    }
}

#[test]
fn inertia_never_grows_with_k_and_is_a_sum() {
    let (_, o) = built();
    let ks: Vec<usize> = o.elbow.iter().map(|(k, _)| *k).collect();
    assert_eq!(ks, (1..=10).collect::<Vec<_>>());
    for w in o.elbow.windows(2) {
        assert!(
            w[1].1 <= w[0].1,
            "inertia grew from k={} to k={}",
            w[0].0,
            w[1].0
        );
    }
    // k = 1: the centroid is the mean, so the inertia is the total sum of squares, computed here
    // from the stored raw features.
    let rows = stored_features(&db());
    let n = rows.len() as f64;
    let mean: Vec<f64> = (0..9)
        .map(|j| rows.iter().map(|r| r.2[j]).sum::<f64>() / n)
        .collect();
    let tss: f64 = rows
        .iter()
        .map(|r| {
            r.2.iter()
                .zip(&mean)
                .map(|(x, m)| (x - m).powi(2))
                .sum::<f64>()
        })
        .sum();
    // Above this many tracks the k that are not kept are fitted on a sample and evaluated on
    // every track (KMeansConfig::sample), so k = 1 is the sample mean's inertia: never below the
    // total sum of squares (the true minimum), and within a fraction of a percent of it.
    let k1 = o.elbow[0].1;
    assert!(
        k1 >= tss * (1.0 - 1e-12) && k1 <= tss * 1.005,
        "k=1 inertia {k1} vs total sum of squares {tss}"
    );
    let conn = db();
    let stored: f64 = sql::value(&conn, "SELECT inertia FROM elbow WHERE k = 10", []);
    let from_distances: f64 = sql::value(&conn, "SELECT sum(distance * distance) FROM tracks", []);
    assert!((stored - from_distances).abs() / stored < 1e-9);
}

#[test]
fn every_track_sits_in_its_nearest_cluster_and_the_fixed_table_is_the_nearest_ten() {
    let conn = db();
    let mut centroids = HashMap::new();
    let stored: Vec<(i64, String)> = sql::rows(&conn, "SELECT cluster, centroid FROM clusters", []);
    for (c, json) in stored {
        let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&json).unwrap();
        let v: Vec<f64> = FEATURES.iter().map(|f| map[*f].as_f64().unwrap()).collect();
        centroids.insert(c, v);
    }
    assert_eq!(centroids.len(), 10);
    for (cluster, distance, x) in stored_features(&conn) {
        let d = |c: &Vec<f64>| {
            c.iter()
                .zip(&x)
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
                .sqrt()
        };
        let own = d(&centroids[&cluster]);
        assert!((own - distance).abs() < 1e-9);
        for other in centroids.values() {
            assert!(own <= d(other) + 1e-12);
        }
    }
    for c in 0..10 {
        let fixed: Vec<String> = sql::column(
            &conn,
            "SELECT id FROM fixed_song_combined WHERE Assignments = ?1 ORDER BY distance, id",
            [c],
        );
        // The nearest tracks, each (title, artists) once: the same recording under several ids
        // counts once.
        let mut seen = HashSet::new();
        let nearest: Vec<String> = sql::rows::<(String, String, String)>(
            &conn,
            "SELECT id, name, artists FROM tracks WHERE cluster = ?1 ORDER BY distance, id",
            [c],
        )
        .into_iter()
        .filter(|(_, name, artists)| seen.insert((fold_name(name), artists.clone())))
        .map(|(id, _, _)| id)
        .take(10)
        .collect();
        assert_eq!(fixed, nearest, "cluster {c}");
    }
}

#[test]
fn two_runs_give_byte_identical_files() {
    let (first, _) = built();
    let second = tempfile::tempdir().unwrap();
    let opts = quiet_options(second.path());
    write_outputs(&opts, &compute(&opts).unwrap()).unwrap();
    let mut names: Vec<_> = std::fs::read_dir(first.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names.len(), 4, "{names:?}");
    for name in names {
        let a = std::fs::read(first.path().join(&name)).unwrap();
        let b = std::fs::read(second.path().join(&name)).unwrap();
        assert!(a == b, "{name:?} differs between two runs");
    }
}

#[test]
fn clusters_are_numbered_after_the_originals_and_labelled_by_rule() {
    // Feed the original's own cluster means as centroids, shuffled: the matching must give each
    // back its own number, and the rule-based labels must say what the original's observations
    // say of clusters 5, 7 and 9.
    let (h, rows) = raw_csv("grouped_artist_mean.csv");
    let idx: Vec<usize> = FEATURES.iter().map(|f| col(&h, f)).collect();
    let refs: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| idx.iter().map(|&i| r[i].parse().unwrap()).collect())
        .collect();
    assert_eq!(refs.len(), 10);
    let perm = [3usize, 9, 0, 5, 1, 8, 2, 7, 4, 6];
    let shuffled: Vec<f64> = perm.iter().flat_map(|&p| refs[p].clone()).collect();
    let centroids = ndarray::Array2::from_shape_vec((10, 9), shuffled).unwrap();
    let flat: Vec<f64> = refs.iter().flatten().copied().collect();
    let references = ndarray::Array2::from_shape_vec((10, 9), flat).unwrap();
    assert_eq!(
        kmeans::match_to_references(centroids.view(), references.view()),
        perm.to_vec()
    );
    use music_pipeline::cluster::describe;
    assert_eq!(describe(&refs[5]), "spoken word");
    assert_eq!(describe(&refs[6]), "electronic instrumental");
    assert_eq!(describe(&refs[7]), "sad instrumental / orchestral");
    assert_eq!(describe(&refs[9]), "happier instrumental / jazz");
    let (_, o) = built();
    assert!(o
        .clusters
        .iter()
        .all(|c| c.reference_distance.is_some_and(|d| d.is_finite())));
}

/// What the method page and README say of the original's observations on this data; if a
/// rebuild changes it, this fails and the words must change too.
#[test]
fn the_real_clusters_have_distinct_labels_and_keep_the_originals_7() {
    let (_, o) = built();
    let labels: HashSet<&str> = o.clusters.iter().map(|c| c.label.as_str()).collect();
    assert_eq!(labels.len(), 10, "labels repeat: {labels:?}");
    let c = |n: usize| &o.clusters[n];
    let at = |n: usize, f: &str| c(n).centroid[FEATURES.iter().position(|x| *x == f).unwrap()];
    // Holds: 7 is sad (low valence) and instrumental, 6 instrumental and electronic, 8 live.
    assert!(at(7, "instrumentalness") > 0.5 && at(7, "valence") < 0.4);
    assert_eq!(c(7).label, "sad instrumental / orchestral");
    assert!(at(6, "instrumentalness") > 0.5 && at(6, "acousticness") < 0.5);
    assert!(at(8, "liveness") > 0.5);
    // Does not hold: no spoken-word 5, no acoustic happier instrumental 9 in the shipped subset.
    assert!(o.clusters.iter().all(|c| c.label != "spoken word"));
    assert!(at(5, "speechiness") < 0.5 && c(5).reference_distance.unwrap() > 0.5);
    assert!(at(9, "instrumentalness") < 0.5);
    for cl in &o.clusters {
        assert!(
            !cl.description.is_empty() && !cl.distinctive_genres.is_empty(),
            "{}",
            cl.label
        );
    }
}

#[test]
fn awkward_names_survive_parsing_and_folding() {
    let conn = db();
    for (query, expected) in [
        ("beyonce", "Beyoncé"),
        ("the b-52's", "The B-52's"),
        ("\"weird al\" yankovic", "\"Weird Al\" Yankovic"),
    ] {
        let found: String = sql::value(
            &conn,
            "SELECT artists FROM Clean_Artists WHERE artists_folded = ?1",
            [query],
        );
        assert_eq!(found, expected);
    }
    // The original's random table (a view) gives Python-list reprs that read back to the names.
    let both: Vec<(String, String)> = sql::rows(
        &conn,
        "SELECT s.artists, t.artists FROM songAssignments_randomTable s JOIN tracks t USING (id)",
        [],
    );
    let mut n = 0;
    for (py, json) in both {
        let names: Vec<String> = serde_json::from_str(&json).unwrap();
        assert_eq!(py, repr_str_list(&names));
        n += 1;
    }
    assert_eq!(n, 87_032);
}

#[test]
fn items_are_parallel_lists_keyed_by_title() {
    let (dir, o) = built();
    let text = std::fs::read_to_string(dir.path().join("Music_ML_IDs.jsonl")).unwrap();
    let items: Vec<music_shared::items::TitleItem> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let titles: HashSet<&str> = o.rows.iter().map(|r| r.clean.track.name.as_str()).collect();
    assert_eq!(items.len(), titles.len());
    let by_id: HashMap<&str, usize> = o
        .rows
        .iter()
        .map(|r| (r.clean.track.id.as_str(), r.cluster))
        .collect();
    for item in &items {
        let ids = item.id.as_ref().unwrap();
        assert!(!item.artists.is_empty());
        assert_eq!(item.artists.len(), item.genres.len());
        assert_eq!(item.artists.len(), item.assignments.len());
        assert_eq!(item.artists.len(), ids.len());
        for (id, a) in ids.iter().zip(&item.assignments) {
            assert_eq!(by_id[id.as_str()], *a as usize);
        }
        assert!(item.genres.iter().all(|g| !g.is_empty()));
        assert_eq!(item.name_folded, fold_name(&item.name));
    }
    let lines = std::fs::read_to_string(dir.path().join("Music_ML_Assignments.jsonl")).unwrap();
    let assignments: Vec<music_shared::items::AssignmentItem> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        assignments
            .iter()
            .filter(|a| a.sort.starts_with("rand#"))
            .count(),
        87_032
    );
    assert_eq!(
        assignments
            .iter()
            .filter(|a| a.sort.starts_with("fixed#"))
            .count(),
        100
    );
    let keys: HashSet<(u8, &str)> = assignments
        .iter()
        .map(|a| (a.assignments, a.sort.as_str()))
        .collect();
    assert_eq!(keys.len(), assignments.len(), "primary keys are unique");
    // Each cluster's random keys are the dense indices 0..size, written in key order, one per
    // track of the cluster.
    let random: Vec<_> = assignments
        .iter()
        .filter(|a| a.sort.starts_with("rand#"))
        .collect();
    let mut next: HashMap<u8, usize> = HashMap::new();
    let mut clusters_seen = Vec::new();
    for a in &random {
        let i = next.entry(a.assignments).or_insert_with(|| {
            clusters_seen.push(a.assignments);
            0
        });
        assert_eq!(
            a.sort,
            format!("rand#{:08}", *i),
            "cluster {}",
            a.assignments
        );
        assert_eq!(by_id[a.id.as_str()], a.assignments as usize, "{}", a.id);
        *i += 1;
    }
    assert!(
        clusters_seen.windows(2).all(|w| w[0] < w[1]),
        "{clusters_seen:?}"
    );
    let mut sizes: HashMap<u8, usize> = HashMap::new();
    for r in &o.rows {
        *sizes.entry(r.cluster as u8).or_default() += 1;
    }
    assert_eq!(next, sizes, "every track once, in its cluster");
    // A fixed shuffle, not the rows' order: the first keys are spread over the whole cluster.
    let row_of: HashMap<&str, usize> = o
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| (r.clean.track.id.as_str(), i))
        .collect();
    let first: Vec<usize> = random
        .iter()
        .filter(|a| a.assignments == 2)
        .take(60)
        .map(|a| row_of[a.id.as_str()])
        .collect();
    assert!(
        first.windows(2).filter(|w| w[0] < w[1]).count() < 50,
        "cluster 2's first keys follow the rows' order: {first:?}"
    );
}

#[test]
fn the_blobs_load_and_describe_the_tracks() {
    let conn = db();
    let bytes = music_db::blob(&conn, music_db::blobs::NEIGHBOURS)
        .unwrap()
        .unwrap();
    let nb = music_db::blobs::Neighbours::from_bytes(&bytes).unwrap();
    assert_eq!(nb.len(), 87_032);
    assert_eq!(nb.k(), 10);
    let clusters: Vec<i64> = sql::column(&conn, "SELECT cluster FROM tracks ORDER BY track", []);
    assert!(clusters
        .iter()
        .zip(&nb.cluster)
        .all(|(a, b)| *a == i64::from(*b)));
    // Copies of a song share a group: the remasters of Dreams by Fleetwood Mac, for one.
    let dreams: Vec<i64> = sql::column(
        &conn,
        "SELECT t.track FROM tracks t, json_each(t.artists) a \
         WHERE a.value = 'Fleetwood Mac' AND t.name IN ('Dreams', 'Dreams - 2004 Remaster')",
        [],
    );
    let groups: HashSet<u32> = dreams.iter().map(|&t| nb.group[t as usize]).collect();
    assert!(dreams.len() >= 2, "{dreams:?}");
    assert_eq!(
        groups.len(),
        2,
        "'Dreams' and 'Dreams - 2004 Remaster' fold differently"
    );
    let index = music_db::blob(&conn, music_db::blobs::SEARCH_INDEX)
        .unwrap()
        .unwrap();
    let index = music_search::Index::from_bytes(index).unwrap();
    let artists: i64 = sql::value(&conn, "SELECT count(*) FROM artists", []);
    assert_eq!(index.len() as i64, 87_032 + artists);
}

#[test]
fn the_pipeline_binary_rebuilds_only_what_is_stale() {
    let out = tempfile::tempdir().unwrap();
    let run = |tracks: &Path| {
        let o = std::process::Command::new(env!("CARGO_BIN_EXE_pipeline"))
            .args(["--quiet", "--if-stale", "--n-init", "1"])
            .arg("--raw-dir")
            .arg(raw())
            .arg("--tracks")
            .arg(tracks)
            .arg("--out")
            .arg(out.path())
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8(o.stdout).unwrap()
    };
    let top = out.path().join("top.csv");
    std::fs::copy(raw().join("Top80song.csv"), &top).unwrap();
    assert!(run(&top).contains("Pipeline summary"));
    assert!(run(&top).contains("up to date"));
    // A changed input makes it stale again.
    let mut f = std::fs::OpenOptions::new().append(true).open(&top).unwrap();
    writeln!(f).unwrap();
    assert!(run(&top).contains("Pipeline summary"));
    // So does a missing output.
    std::fs::remove_file(out.path().join("Music_ML3.jsonl")).unwrap();
    assert!(run(&top).contains("Pipeline summary"));
    assert!(run(&top).contains("up to date"));
}

/// Write the first rows of the real 2020 file in the 2021 schema (tracks.csv + artists.csv,
/// artist ids made up since the 2020 file has none), read both back, and compare.
#[test]
fn the_2021_schema_round_trips_on_real_rows() {
    let v2020 = read_tracks(&raw().join("Top80song.csv")).unwrap();
    assert_eq!(v2020.schema, TrackSchema::Kaggle2020);
    let artists2020 = read_artists(&raw().join("data_w_genres.csv.gz")).unwrap();
    let sample: Vec<_> = v2020.tracks.iter().take(60).cloned().collect();
    let dir = tempfile::tempdir().unwrap();
    let mut ids: HashMap<String, String> = HashMap::new();
    let mut tracks_csv = csv::Writer::from_path(dir.path().join("tracks.csv")).unwrap();
    tracks_csv
        .write_record(music_pipeline::kaggle::around_audio_features::<20>(
            &[
                "id",
                "name",
                "popularity",
                "duration_ms",
                "explicit",
                "artists",
                "id_artists",
                "release_date",
            ],
            &["time_signature"],
        ))
        .unwrap();
    for t in &sample {
        let artist_ids: Vec<String> = t
            .artists
            .iter()
            .map(|a| {
                let n = ids.len();
                ids.entry(a.clone())
                    .or_insert_with(|| format!("artist{n:016}"))
                    .clone()
            })
            .collect();
        tracks_csv
            .write_record([
                t.id.clone(),
                t.name.clone(),
                t.popularity.to_string(),
                t.duration_ms.to_string(),
                (t.explicit as u8).to_string(),
                repr_str_list(&t.artists),
                repr_str_list(&artist_ids),
                t.release_date.clone(),
                t.danceability.to_string(),
                t.energy.to_string(),
                t.key.to_string(),
                t.loudness.to_string(),
                t.mode.to_string(),
                t.speechiness.to_string(),
                t.acousticness.to_string(),
                t.instrumentalness.to_string(),
                t.liveness.to_string(),
                t.valence.to_string(),
                t.tempo.to_string(),
                "4".into(),
            ])
            .unwrap();
    }
    tracks_csv.flush().unwrap();
    let mut artists_csv = std::fs::File::create(dir.path().join("artists.csv")).unwrap();
    writeln!(artists_csv, "id,followers,genres,name,popularity").unwrap();
    let mut w = csv::Writer::from_writer(artists_csv);
    let mut sorted: Vec<_> = ids.iter().collect();
    sorted.sort();
    for (name, id) in sorted {
        let genres = artists2020
            .genres
            .by_name
            .get(name)
            .cloned()
            .unwrap_or_default();
        w.write_record([id.as_str(), "100", &repr_str_list(&genres), name, "50"])
            .unwrap();
    }
    w.flush().unwrap();

    let v2021 = read_tracks(&dir.path().join("tracks.csv")).unwrap();
    assert_eq!(v2021.schema, TrackSchema::Kaggle2021);
    assert!(v2021.rejected.is_empty(), "{:?}", v2021.rejected);
    let artists2021 = read_artists(&dir.path().join("artists.csv")).unwrap();
    assert_eq!(v2021.tracks.len(), sample.len());
    for (a, b) in sample.iter().zip(&v2021.tracks) {
        assert_eq!(b.artist_ids.len(), b.artists.len());
        assert_eq!(b.time_signature, Some(4));
        let mut b_as_2020 = b.clone();
        b_as_2020.artist_ids.clear();
        b_as_2020.time_signature = None;
        assert_eq!(a, &b_as_2020, "track {} changed in the round trip", a.id);
        assert_eq!(
            artists2020.genres.genres_for(&a.artists, &[]),
            artists2021.genres.genres_for(&b.artists, &b.artist_ids),
            "genres of {} differ between the schemas",
            a.id
        );
    }
    // And the whole pipeline accepts the 2021 pair unchanged.
    let out = tempfile::tempdir().unwrap();
    let mut opts = quiet_options(out.path());
    opts.tracks = vec![dir.path().join("tracks.csv")];
    opts.artists = vec![dir.path().join("artists.csv")];
    opts.kmeans = KMeansConfig {
        n_init: 1,
        ..KMeansConfig::default()
    };
    let outcome = compute(&opts).unwrap();
    assert_eq!(outcome.inputs[0].schema, TrackSchema::Kaggle2021);
    assert!(
        outcome.rows.len() >= 50,
        "{} of 60 kept",
        outcome.rows.len()
    );
    write_outputs(&opts, &outcome).unwrap();
    let (ids_json, time_signature): (String, i64) =
        Connection::open(out.path().join("musicData.sqlite"))
            .unwrap()
            .query_row(
                "SELECT artist_ids, time_signature FROM tracks LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
    assert!(ids_json.contains("artist"), "{ids_json}");
    assert_eq!(time_signature, 4);
}
