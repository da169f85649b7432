//! The v1 side of the SQLite contract (`music_db`): the public columns of the original's tables,
//! selected by name from the declarations, and a small pool of read-only connections.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use music_db::{CleanArtistRow, TopGenreRow, YearRow};
use music_http::cache::StaticBody;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, Statement};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

pub use music_db::OpenError;

/// Every year, in the original's column order (the JSON key order).
pub(crate) fn data_by_year_sql() -> String {
    format!("{} ORDER BY year", YearRow::SELECT)
}

/// The 51 genres in file order.
pub(crate) fn top_51_genres_sql() -> String {
    format!("{} ORDER BY rowid", TopGenreRow::SELECT)
}

/// `SELECT <public columns> FROM Clean_Artists WHERE <condition>`: the hidden folded-name
/// column is compared against, never shown.
fn artist_sql(condition: &str) -> String {
    format!(
        "SELECT {} FROM {} WHERE {condition} ORDER BY rowid",
        CleanArtistRow::PUBLIC.join(", "),
        CleanArtistRow::TABLE
    )
}

/// The exact name (?1) goes through the folded-name index (?2 is the name folded): one index
/// serves both lookups, which keeps a second one (0.7 MB) out of the shipped file.
pub(crate) fn artist_exact_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| artist_sql("artists_folded = ?2 AND artists = ?1"))
}

pub(crate) fn artist_folded_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| artist_sql("artists_folded = ?1"))
}

/// The opened database, shared by every request of the process.
///
/// A rusqlite `Connection` may move between threads but not be shared, so the state holds one
/// connection per core behind its own mutex; a request takes the first free one. With
/// connections opened `immutable=1` and `SQLITE_OPEN_NO_MUTEX` this costs one uncontended lock
/// per request instead of a pool's bookkeeping.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    connections: Vec<Mutex<Connection>>,
    next: AtomicUsize,
    tables: StaticTables,
}

/// The two whole-table answers. The file is immutable, so they are read and serialised once when
/// the state opens (at cold start in a Lambda) and every request gets the same bytes and `ETag`,
/// without touching SQLite.
#[derive(Debug)]
pub(crate) struct StaticTables {
    pub(crate) data_by_year: StaticBody,
    pub(crate) top_51_genres: StaticBody,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("path", &self.inner.path)
            .field("connections", &self.inner.connections.len())
            .finish()
    }
}

impl AppState {
    /// Opens the file read-only with one connection per available core.
    pub fn open(path: impl AsRef<Path>) -> Result<AppState, OpenError> {
        let n = std::thread::available_parallelism()
            .map_or(2, |n| n.get())
            .clamp(1, 16);
        Self::open_with(path, n)
    }

    /// Opens the file read-only with `connections` connections (at least one). Fails if the
    /// file is missing, is not SQLite, or lacks a table or column a route reads, so that a bad
    /// bundle is caught at init rather than on the first request.
    pub fn open_with(path: impl AsRef<Path>, connections: usize) -> Result<AppState, OpenError> {
        let path = path.as_ref().to_path_buf();
        let connections = (0..connections.max(1))
            .map(|_| open_connection(&path))
            .collect::<Result<Vec<_>, _>>()?;
        let tables = StaticTables {
            data_by_year: whole_table(&path, &connections[0], "data_by_year", &data_by_year_sql())?,
            top_51_genres: whole_table(
                &path,
                &connections[0],
                "top_51_genres",
                &top_51_genres_sql(),
            )?,
        };
        Ok(AppState {
            inner: Arc::new(Inner {
                path,
                connections: connections.into_iter().map(Mutex::new).collect(),
                next: AtomicUsize::new(0),
                tables,
            }),
        })
    }

    pub(crate) fn tables(&self) -> &StaticTables {
        &self.inner.tables
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Every connection, locked (tests: prove a route does not touch SQLite).
    #[cfg(test)]
    pub(crate) fn lock_all(&self) -> Vec<MutexGuard<'_, Connection>> {
        self.inner
            .connections
            .iter()
            .map(|c| c.lock().unwrap_or_else(|e| e.into_inner()))
            .collect()
    }

    /// A free connection if there is one, else waits for the one this request was assigned.
    pub(crate) fn connection(&self) -> MutexGuard<'_, Connection> {
        let conns = &self.inner.connections;
        let start = self.inner.next.fetch_add(1, Ordering::Relaxed) % conns.len();
        for i in 0..conns.len() {
            if let Ok(guard) = conns[(start + i) % conns.len()].try_lock() {
                return guard;
            }
        }
        // A poisoned mutex only means another request panicked while holding it; the
        // connection is read-only, so its state cannot be half-written.
        conns[start].lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn whole_table(
    path: &Path,
    conn: &Connection,
    table: &str,
    sql: &str,
) -> Result<StaticBody, OpenError> {
    let invalid = |source| OpenError::invalid(path, format!("reading table {table}"), source);
    let mut stmt = conn.prepare(sql).map_err(invalid)?;
    let (body, _) = rows_json(&mut stmt, []).map_err(invalid)?;
    Ok(StaticBody::json(body))
}

/// A connection opened the one way every reader opens the file (`music_db::open_read_only`:
/// read-only, immutable, schema version checked), with every per-request statement prepared now,
/// which checks the tables and columns exist and warms the statement cache.
fn open_connection(path: &Path) -> Result<Connection, OpenError> {
    let conn = music_db::open_read_only(path)?;
    for sql in [artist_exact_sql(), artist_folded_sql()] {
        let stmt = conn
            .prepare_cached(sql)
            .map_err(|e| OpenError::invalid(path, "table Clean_Artists", e))?;
        // The handler names the columns from the contract instead of asking SQLite each time.
        assert_eq!(
            stmt.column_names().collect::<Vec<_>>(),
            CleanArtistRow::PUBLIC,
            "the artist statements select the public columns, in order"
        );
    }
    Ok(conn)
}

/// Runs `stmt` and writes its rows as a JSON array of objects keyed by column name, in column
/// order. REAL values that are not finite and NULLs become `null`; a BLOB (no public column
/// holds one) becomes `null` too rather than failing the request.
pub(crate) fn rows_json(
    stmt: &mut Statement<'_>,
    params: impl rusqlite::Params,
) -> rusqlite::Result<(Vec<u8>, usize)> {
    let names: Vec<String> = stmt.column_names().map(String::from).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    rows_json_named(stmt, &names, params)
}

/// [`rows_json`] with the column names given: a request-path statement knows them from the
/// contract, and reading them back from SQLite (one `String` per column, per request) was over a
/// third of the artist lookup's time. The names must be the statement's, in order
/// (`open_connection` checks the artist statements at start).
pub(crate) fn rows_json_named(
    stmt: &mut Statement<'_>,
    names: &[&str],
    params: impl rusqlite::Params,
) -> rusqlite::Result<(Vec<u8>, usize)> {
    debug_assert_eq!(stmt.column_count(), names.len());
    let mut rows = stmt.query(params)?;
    let mut out = Vec::with_capacity(1024);
    let mut ser = serde_json::Serializer::new(&mut out);
    let mut seq = ser.serialize_seq(None).map_err(to_sql_err)?;
    let mut count = 0;
    while let Some(row) = rows.next()? {
        seq.serialize_element(&RowRef { row, names })
            .map_err(to_sql_err)?;
        count += 1;
    }
    SerializeSeq::end(seq).map_err(to_sql_err)?;
    Ok((out, count))
}

fn to_sql_err(e: serde_json::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(Box::new(e))
}

struct RowRef<'a, 'r> {
    row: &'a rusqlite::Row<'r>,
    names: &'a [&'a str],
}

impl serde::Serialize for RowRef<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.names.len()))?;
        for (i, name) in self.names.iter().enumerate() {
            let value = self.row.get_ref(i).map_err(serde::ser::Error::custom)?;
            match value {
                ValueRef::Null | ValueRef::Blob(_) => map.serialize_entry(name, &())?,
                ValueRef::Integer(n) => map.serialize_entry(name, &n)?,
                ValueRef::Real(x) if x.is_finite() => map.serialize_entry(name, &x)?,
                ValueRef::Real(_) => map.serialize_entry(name, &())?,
                ValueRef::Text(t) => match std::str::from_utf8(t) {
                    Ok(text) => map.serialize_entry(name, text)?,
                    Err(_) => map.serialize_entry(name, &String::from_utf8_lossy(t))?,
                },
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::rows_json;

    #[test]
    fn rows_keep_column_order_and_nulls_stay_null() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE t (z INTEGER, a REAL, m TEXT, b BLOB);
             INSERT INTO t VALUES (1, 0.5, 'Beyoncé \"x\"', x'00');
             INSERT INTO t VALUES (NULL, NULL, NULL, NULL);",
        )
        .unwrap();
        // SQLite stores a NaN bound as REAL as NULL, so NULL is how a NaN in the data arrives.
        conn.execute("INSERT INTO t VALUES (2, ?1, 'nan', NULL)", [f64::NAN])
            .unwrap();
        let mut stmt = conn
            .prepare("SELECT z, a, m, b FROM t ORDER BY rowid")
            .unwrap();
        let (body, n) = rows_json(&mut stmt, []).unwrap();
        assert_eq!(n, 3);
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"[{"z":1,"a":0.5,"m":"Beyoncé \"x\"","b":null},{"z":null,"a":null,"m":null,"b":null},{"z":2,"a":null,"m":"nan","b":null}]"#
        );
    }
}

#[cfg(test)]
mod reprepare {
    use super::*;
    use rusqlite::StatementStatus;

    /// An artist lookup must reuse its prepared statement: re-preparing per binding was half
    /// the cost of a lookup before the planner was told not to look at bound values.
    #[test]
    fn artist_lookups_do_not_reprepare() {
        let db = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/build/musicData.sqlite");
        let state = AppState::open_with(&db, 1).unwrap();
        let conn = state.connection();
        for sql in [artist_exact_sql(), artist_folded_sql()] {
            for name in ["AC/DC", "beyonce", "The B-52's", "nobody", "abba"] {
                let mut stmt = conn.prepare_cached(sql).unwrap();
                if sql == artist_exact_sql() {
                    rows_json(&mut stmt, [name, &music_shared::fold_name(name)]).unwrap();
                } else {
                    rows_json(&mut stmt, [name]).unwrap();
                }
            }
            let stmt = conn.prepare_cached(sql).unwrap();
            assert_eq!(stmt.get_status(StatementStatus::RePrepare), 0, "{sql}");
        }
    }

    /// The handler's column names from the contract give the bytes SQLite's own names give.
    #[test]
    fn named_rows_are_the_same_json() {
        let db = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/build/musicData.sqlite");
        let state = AppState::open_with(&db, 1).unwrap();
        let conn = state.connection();
        for name in ["AC/DC", "The B-52's", "Beyoncé", "Queen"] {
            let folded = music_shared::fold_name(name);
            let mut stmt = conn.prepare_cached(artist_exact_sql()).unwrap();
            let by_sqlite = rows_json(&mut stmt, [name, &folded]).unwrap();
            let named =
                rows_json_named(&mut stmt, CleanArtistRow::PUBLIC, [name, &folded]).unwrap();
            assert_eq!(named, by_sqlite, "{name}");
            assert_eq!(named.1, 1, "{name} is in Clean_Artists once");
        }
    }

    #[test]
    fn poisoned_connections_are_used_on() {
        let db = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/build/musicData.sqlite");
        let state = AppState::open_with(&db, 2).unwrap();
        for conn in state.inner.connections.iter() {
            let poisoned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let _held = conn.lock().unwrap();
                panic!("a request panics while holding its connection");
            }));
            assert!(poisoned.is_err());
            assert!(conn.is_poisoned());
        }
        for _ in 0..4 {
            let conn = state.connection();
            let n: i64 = conn
                .query_row("SELECT count(*) FROM data_by_year", [], |r| r.get(0))
                .unwrap();
            assert!(n > 0);
        }
    }
}
