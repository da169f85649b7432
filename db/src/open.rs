//! Opening the bundled file for reading, the one way every reader does it.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags, OptionalExtension};

use crate::tables::{BlobRow, BuildInfoRow, SCHEMA_VERSION};

/// The environment variable naming the database file.
pub const DB_ENV: &str = "MUSIC_ML_DB";
/// The file's name, beside a Lambda's executable or in a layer.
pub const DB_FILE: &str = "musicData.sqlite";
/// Where a local checkout's pipeline writes it.
pub const DB_DEFAULT: &str = "data/build/musicData.sqlite";

/// Where the database is when no `--db` or `$MUSIC_ML_DB` names it: `musicData.sqlite` beside
/// the executable (how a Lambda artifact can bundle it), else `data/build/musicData.sqlite`
/// under the working directory (a local run from the checkout).
pub fn default_db_path() -> PathBuf {
    if let Some(beside) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|d| d.join(DB_FILE)))
    {
        if beside.is_file() {
            return beside;
        }
    }
    PathBuf::from(DB_DEFAULT)
}

/// `--db PATH`, the one way a binary that serves the file is told where it is: the flag, else
/// `$MUSIC_ML_DB` (the SAM template sets it to the layer's copy), else [`default_db_path`]. An
/// empty variable counts as unset.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct DbArg {
    /// SQLite database to serve [default: musicData.sqlite beside this executable, else
    /// data/build/musicData.sqlite].
    #[arg(long = "db", env = DB_ENV, value_name = "PATH")]
    pub db: Option<std::ffi::OsString>,
}

impl DbArg {
    pub fn path(&self) -> PathBuf {
        match &self.db {
            Some(p) if !p.is_empty() => PathBuf::from(p),
            _ => default_db_path(),
        }
    }
}

/// Why the database cannot be used: said once, with the path, at start-up.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("database file {0} does not exist (set {DB_ENV}, or build it with `cargo run --release --bin pipeline`)")]
    Missing(PathBuf),
    #[error("cannot open database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("database {path} was built for schema version {found}, this build reads version {expected}: rebuild it with `cargo run --release --bin pipeline`")]
    Schema {
        path: PathBuf,
        found: String,
        expected: u32,
    },
    #[error("database {path} is not a usable music database ({what}): {source}")]
    Invalid {
        path: PathBuf,
        what: String,
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl OpenError {
    /// Wrap any failure met while reading what a route needs at start-up.
    pub fn invalid(
        path: &Path,
        what: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> OpenError {
        OpenError::Invalid {
            path: path.to_path_buf(),
            what: what.into(),
            source: source.into(),
        }
    }
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

/// Open `path` read-only, as an immutable file (no locks, no journal checks: the file never
/// changes while a process serves it), and check that it was built for this schema.
pub fn open_read_only(path: &Path) -> Result<Connection, OpenError> {
    if !path.is_file() {
        return Err(OpenError::Missing(path.to_path_buf()));
    }
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn =
        Connection::open_with_flags(sqlite_uri(path), flags).map_err(|source| OpenError::Open {
            path: path.into(),
            source,
        })?;
    conn.execute_batch("PRAGMA query_only = ON;")
        .map_err(|e| OpenError::invalid(path, "setting query_only", e))?;
    // The pipeline's ANALYZE writes sqlite_stat4, and with STAT4 the planner looks at bound values,
    // which makes SQLite re-prepare a cached statement after every new binding (about half the cost
    // of an artist lookup, measured). Every plan here is an index hit whatever the value, so the
    // query planner stability guarantee turns that off.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map_err(|e| OpenError::invalid(path, "enabling QPSG", e))?;
    conn.set_prepared_statement_cache_capacity(32);
    let found = build_info(&conn, "schema_version")
        .map_err(|e| OpenError::invalid(path, "reading build_info", e))?;
    if found.as_deref() != Some(SCHEMA_VERSION.to_string().as_str()) {
        return Err(OpenError::Schema {
            path: path.to_path_buf(),
            found: found.unwrap_or_else(|| "none".into()),
            expected: SCHEMA_VERSION,
        });
    }
    Ok(conn)
}

/// One `build_info` value.
pub fn build_info(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached(&format!("{} WHERE key = ?1", BuildInfoRow::SELECT))?
        .query_row([key], |r| r.get("value"))
        .optional()
}

/// One blob, whole.
pub fn blob(conn: &Connection, name: &str) -> rusqlite::Result<Option<Vec<u8>>> {
    conn.prepare_cached(&format!(
        "SELECT data FROM {} WHERE name = ?1",
        BlobRow::TABLE
    ))?
    .query_row([name], |r| r.get(0))
    .optional()
}

#[cfg(test)]
mod tests {
    use super::sqlite_uri;
    use std::path::Path;

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
