//! Reading a musicData.sqlite in a test: a query's single value, a query's rows, and the nine
//! clustering features recomputed from their raw columns. A failed query panics naming its SQL,
//! which is what a test wants to see.

use rusqlite::types::FromSql;
use rusqlite::{Connection, Params, Row};

/// The single value `sql` selects with `params`.
pub fn value<T: FromSql>(conn: &Connection, sql: &str, params: impl Params) -> T {
    conn.query_row(sql, params, |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Every row `sql` selects with `params`, each read by `read`.
pub fn rows_with<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    read: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> Vec<T> {
    let mut statement = conn.prepare(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let rows = statement
        .query_map(params, read)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.map(|r| r.unwrap_or_else(|e| panic!("{sql}: {e}")))
        .collect()
}

/// Every row `sql` selects with `params`, as a tuple of its columns.
pub fn rows<T>(conn: &Connection, sql: &str, params: impl Params) -> Vec<T>
where
    T: for<'r> TryFrom<&'r Row<'r>, Error = rusqlite::Error>,
{
    rows_with(conn, sql, params, |r| T::try_from(r))
}

/// The one column `sql` selects with `params`, row by row.
pub fn column<T: FromSql>(conn: &Connection, sql: &str, params: impl Params) -> Vec<T> {
    rows_with(conn, sql, params, |r| r.get(0))
}

/// The raw columns of the nine clustering features, in their contract order, for a SELECT list
/// whose rows [`scaled_features`] reads.
pub const FEATURE_COLUMNS: &str = "energy, speechiness, acousticness, instrumentalness, \
    liveness, valence, loudness, tempo, duration_ms";

/// The nine clustering features of a row whose columns from `first` on are [`FEATURE_COLUMNS`],
/// the last three scaled by the original's formulas from `extremes` (as [`crate::scale_extremes`]
/// reads them): written here once so that every test recomputes them the same independent way.
pub fn scaled_features(
    row: &Row<'_>,
    first: usize,
    (min_loudness, max_tempo, max_duration_ms): (f64, f64, f64),
) -> rusqlite::Result<[f64; 9]> {
    let raw = |i: usize| row.get::<_, f64>(first + i);
    Ok([
        raw(0)?,
        raw(1)?,
        raw(2)?,
        raw(3)?,
        raw(4)?,
        raw(5)?,
        1.0 - raw(6)? / min_loudness,
        raw(7)? / max_tempo,
        raw(8)? / max_duration_ms,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_rows_and_features_read_what_was_stored() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(&format!(
            "CREATE TABLE t (k TEXT, {FEATURE_COLUMNS});
             INSERT INTO t VALUES ('a', 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, -30, 100, 200000);
             INSERT INTO t VALUES ('b', 1, 1, 1, 1, 1, 1, -60, 200, 400000);"
        ))
        .unwrap();
        let n: i64 = value(&conn, "SELECT count(*) FROM t WHERE k <> ?1", ["b"]);
        assert_eq!(n, 1);
        let keys: Vec<String> = column(&conn, "SELECT k FROM t ORDER BY k DESC", []);
        assert_eq!(keys, ["b", "a"]);
        let pairs: Vec<(String, f64)> = rows(&conn, "SELECT k, tempo FROM t ORDER BY k", []);
        assert_eq!(pairs, [("a".into(), 100.0), ("b".into(), 200.0)]);
        let features = rows_with(
            &conn,
            &format!("SELECT k, {FEATURE_COLUMNS} FROM t ORDER BY k"),
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    scaled_features(r, 1, (-60.0, 200.0, 400000.0))?,
                ))
            },
        );
        assert_eq!(
            features,
            [
                ("a".into(), [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.5, 0.5, 0.5]),
                ("b".into(), [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 1.0, 1.0]),
            ]
        );
    }
}
