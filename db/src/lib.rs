//! `musicData.sqlite`, the read-only store bundled into the v1 and v3 Lambdas: its contract in
//! one crate.
//!
//! * [`tables`]: every table, declared once ([`table!`]): the row struct, DDL, column list,
//!   `INSERT` and `SELECT` all come from that declaration, and rows are read by column name.
//! * [`write::Writer`]: how the pipeline writes the file (temporary file, one transaction, indexes
//!   last, renamed into place).
//! * [`open`]: how readers open it (read-only, immutable, schema version checked).
//! * [`blobs`]: prebuilt binary data the v3 Lambda loads whole (the search index's bytes, the
//!   neighbour arrays).

pub mod blobs;
mod json;
pub mod open;
mod table;
pub mod tables;
pub mod write;

pub use json::Json;
pub use open::{
    blob, build_info, default_db_path, open_read_only, DbArg, OpenError, DB_DEFAULT, DB_ENV,
    DB_FILE,
};
pub use table::Row;
pub use tables::*;
pub use write::Writer;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_come_from_the_declaration() {
        assert_eq!(
            ElbowRow::DDL,
            "CREATE TABLE elbow (k INTEGER PRIMARY KEY, inertia REAL NOT NULL)"
        );
        assert_eq!(
            ElbowRow::INSERT,
            "INSERT INTO elbow (k, inertia) VALUES (?, ?)"
        );
        assert_eq!(ElbowRow::SELECT, "SELECT k, inertia FROM elbow");
        assert_eq!(TrackRow::COLUMNS[0], "track");
        assert_eq!(
            TrackRow::INSERT.matches('?').count(),
            TrackRow::COLUMNS.len()
        );
        // The public columns are the table's columns minus the hidden ones, in the same order.
        let public: Vec<&str> = CleanArtistRow::COLUMNS
            .iter()
            .copied()
            .filter(|c| *c != "artists_folded")
            .collect();
        assert_eq!(public, CleanArtistRow::PUBLIC);
        assert_eq!(&FixedSongRow::COLUMNS[..4], FixedSongRow::PUBLIC);
    }

    fn track(n: i64, artists: &[&str]) -> TrackRow {
        TrackRow {
            track: n,
            id: format!("id{n}"),
            name: format!("Song {n}"),
            artists: Json(artists.iter().map(|a| a.to_string()).collect()),
            artist_ids: Json(vec![]),
            year: Some(2000),
            release_date: "2000".into(),
            popularity: 50.0,
            explicit: n % 2 == 0,
            duration_ms: 200_000.0,
            key: 1,
            mode: 1,
            time_signature: None,
            danceability: 0.5,
            energy: 0.5,
            loudness: -5.0,
            speechiness: 0.1,
            acousticness: 0.2,
            instrumentalness: 0.0,
            liveness: 0.1,
            valence: 0.5,
            tempo: 120.0,
            cluster: 3,
            distance: 0.25,
            source: 0,
        }
    }

    #[test]
    fn write_then_read_back_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.sqlite");
        let w = Writer::create(&path).unwrap();
        let rows = vec![
            track(0, &["Beyoncé", "JAY-Z"]),
            track(1, &["The B-52's"]),
            track(2, &["\"Weird Al\" Yankovic"]),
            track(3, &["It's \"both\"", "back\\slash"]),
        ];
        assert_eq!(w.insert(&rows).unwrap(), 4);
        w.blob("x", vec![1, 2, 3]).unwrap();
        w.finish(&[("note", "test".into())]).unwrap();
        assert!(!dir.path().join("t.sqlite.tmp").exists());

        let conn = open_read_only(&path).unwrap();
        let mut stmt = conn
            .prepare(&format!("{} ORDER BY track", TrackRow::SELECT))
            .unwrap();
        let back: Vec<TrackRow> = stmt
            .query_map([], TrackRow::from_row)
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(back, rows);
        assert_eq!(blob(&conn, "x").unwrap(), Some(vec![1, 2, 3]));
        assert_eq!(blob(&conn, "y").unwrap(), None);
        assert_eq!(build_info(&conn, "note").unwrap().as_deref(), Some("test"));

        // A track is found by its id, through the id-prefix index and not a scan.
        let by_id = format!("SELECT name FROM tracks WHERE {TRACK_BY_ID}");
        for row in &rows {
            let name: String = conn.query_row(&by_id, [&row.id], |r| r.get(0)).unwrap();
            assert_eq!(name, row.name);
        }
        let unknown = conn.query_row(&by_id, ["0000000000000000000000"], |r| {
            r.get::<_, String>(0)
        });
        assert!(matches!(unknown, Err(rusqlite::Error::QueryReturnedNoRows)));
        let plan: String = conn
            .query_row(&format!("EXPLAIN QUERY PLAN {by_id}"), ["x"], |r| r.get(3))
            .unwrap();
        assert!(plan.contains("USING INDEX tracks_id_prefix"), "{plan}");

        // The original's random table is a view with Python-list reprs of the artists.
        let reprs: Vec<String> = conn
            .prepare("SELECT artists FROM songAssignments_randomTable ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            reprs,
            [
                "['Beyoncé', 'JAY-Z']",
                "[\"The B-52's\"]",
                "['\"Weird Al\" Yankovic']",
                "['It\\'s \"both\"', 'back\\\\slash']",
            ]
        );
    }

    #[test]
    fn a_file_of_another_schema_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite");
        rusqlite::Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE build_info (key TEXT PRIMARY KEY, value TEXT NOT NULL); INSERT INTO build_info VALUES ('schema_version', '1');")
            .unwrap();
        let err = open_read_only(&path).unwrap_err();
        assert!(matches!(err, OpenError::Schema { .. }), "{err}");
        assert!(err.to_string().contains("rebuild"), "{err}");
        assert!(matches!(
            open_read_only(&dir.path().join("none.sqlite")),
            Err(OpenError::Missing(_))
        ));
    }
}
