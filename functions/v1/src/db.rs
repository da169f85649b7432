use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use music_http::cache::StaticBody;
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, Statement};
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

/// The environment variable naming the database file.
pub const DB_ENV: &str = "MUSIC_ML_DB";
const DB_FILE: &str = "musicData.sqlite";

/// Public columns of each table, in the original's order. Selected by name so that the helper
/// columns the pipeline appends (`artists_folded`, `genres`) never reach a client.
pub(crate) const DATA_BY_YEAR: &str =
    "SELECT year, acousticness, danceability, duration_ms, energy, \
     instrumentalness, liveness, loudness, speechiness, tempo, valence, popularity, key, mode \
     FROM data_by_year ORDER BY year";
pub(crate) const TOP_51_GENRES: &str =
    "SELECT mode, genres, acousticness, danceability, duration_ms, \
     energy, instrumentalness, liveness, loudness, speechiness, tempo, valence, popularity, key \
     FROM top_51_genres ORDER BY rowid";
const ARTIST_COLUMNS: &str = "mode, count, acousticness, artists, danceability, duration_ms, energy, \
     instrumentalness, liveness, loudness, speechiness, tempo, valence, popularity, key, duration_s, \
     duration_min, loudness_scale";
pub(crate) fn artist_exact_sql() -> String {
    format!("SELECT {ARTIST_COLUMNS} FROM Clean_Artists WHERE artists = ?1 ORDER BY rowid")
}
pub(crate) fn artist_folded_sql() -> String {
    format!("SELECT {ARTIST_COLUMNS} FROM Clean_Artists WHERE artists_folded = ?1 ORDER BY rowid")
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("database file {0} does not exist (set {DB_ENV} or build it with `cargo run --bin pipeline`)")]
    Missing(PathBuf),
    #[error("cannot open database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("database {path} is not a usable music database ({what}): {source}")]
    Invalid {
        path: PathBuf,
        what: String,
        source: rusqlite::Error,
    },
}

/// Where the database is: `$MUSIC_ML_DB`, else `musicData.sqlite` beside the executable (how the
/// Lambda artifact bundles it), else `data/build/musicData.sqlite` under the working directory
/// (a local run from the checkout).
pub fn db_path_from_env() -> PathBuf {
    if let Some(p) = std::env::var_os(DB_ENV).filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    if let Some(beside) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join(DB_FILE)))
    {
        if beside.is_file() {
            return beside;
        }
    }
    PathBuf::from("data/build").join(DB_FILE)
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
        if !path.is_file() {
            return Err(OpenError::Missing(path));
        }
        let connections = (0..connections.max(1))
            .map(|_| open_connection(&path))
            .collect::<Result<Vec<_>, _>>()?;
        let tables = StaticTables {
            data_by_year: whole_table(&path, &connections[0], "data_by_year", DATA_BY_YEAR)?,
            top_51_genres: whole_table(&path, &connections[0], "top_51_genres", TOP_51_GENRES)?,
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
    let invalid = |source| OpenError::Invalid {
        path: path.to_path_buf(),
        what: format!("reading table {table}"),
        source,
    };
    let mut stmt = conn.prepare(sql).map_err(invalid)?;
    let (body, _) = rows_json(&mut stmt, []).map_err(invalid)?;
    Ok(StaticBody::json(body))
}

/// `file:` URI for `path`, escaping the characters that URI parsing would treat specially.
fn sqlite_uri(path: &Path) -> String {
    let mut out = String::from("file:");
    for c in path.to_string_lossy().chars() {
        match c {
            '%' | '?' | '#' => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push_str("?mode=ro&immutable=1");
    out
}

fn open_connection(path: &Path) -> Result<Connection, OpenError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn =
        Connection::open_with_flags(sqlite_uri(path), flags).map_err(|source| OpenError::Open {
            path: path.into(),
            source,
        })?;
    let invalid = |what: &str| {
        let path = path.to_path_buf();
        let what = what.to_string();
        move |source| OpenError::Invalid { path, what, source }
    };
    conn.execute_batch("PRAGMA query_only = ON;")
        .map_err(invalid("setting query_only"))?;
    // The pipeline's ANALYZE writes sqlite_stat4, and with STAT4 the planner looks at bound
    // values, which makes SQLite re-prepare a cached statement after every new binding (about
    // half the cost of an artist lookup, measured). The plan is an index hit whatever the name,
    // so the query planner stability guarantee turns that off.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map_err(invalid("enabling QPSG"))?;
    conn.set_prepared_statement_cache_capacity(16);
    // Preparing every per-request statement checks the tables and columns exist (a corrupt file
    // fails here too) and warms the statement cache. The whole-table answers are read once, by
    // `AppState::open_with`.
    for (what, sql) in [
        ("table Clean_Artists", artist_exact_sql()),
        ("table Clean_Artists", artist_folded_sql()),
    ] {
        conn.prepare_cached(&sql).map_err(invalid(what))?;
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
    let mut rows = stmt.query(params)?;
    let mut out = Vec::with_capacity(1024);
    let mut ser = serde_json::Serializer::new(&mut out);
    let mut seq = ser.serialize_seq(None).map_err(to_sql_err)?;
    let mut count = 0;
    while let Some(row) = rows.next()? {
        seq.serialize_element(&RowRef { row, names: &names })
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
    names: &'a [String],
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
    use super::{rows_json, sqlite_uri};
    use std::path::Path;

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

    #[test]
    fn uri_escapes_query_characters() {
        assert_eq!(
            sqlite_uri(Path::new("/a b/x?y#z%.sqlite")),
            "file:/a b/x%3Fy%23z%25.sqlite?mode=ro&immutable=1"
        );
        assert_eq!(
            sqlite_uri(Path::new("/é.sqlite")),
            "file:/é.sqlite?mode=ro&immutable=1"
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
                let mut stmt = conn.prepare_cached(&sql).unwrap();
                rows_json(&mut stmt, [name]).unwrap();
            }
            let stmt = conn.prepare_cached(&sql).unwrap();
            assert_eq!(stmt.get_status(StatementStatus::RePrepare), 0, "{sql}");
        }
    }
}
