//! Writing the file: the pipeline's side of the contract.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use crate::table::Row;
use crate::tables::{
    BlobRow, BuildInfoRow, ALL_TABLES, INDEXES, RANDOM_TABLE_VIEW, SCHEMA_VERSION,
};

/// A database being written. Rows go into a temporary file beside the final one, inside one
/// transaction; [`Writer::finish`] adds the indexes and renames the file into place, so a crash
/// never leaves a half-written store where a server would open it.
pub struct Writer {
    conn: Connection,
    tmp: PathBuf,
    path: PathBuf,
}

impl Writer {
    /// Start a new file that will become `path`, with every table created and empty.
    pub fn create(path: &Path) -> rusqlite::Result<Writer> {
        let tmp = path.with_extension("sqlite.tmp");
        let _ = std::fs::remove_file(&tmp);
        let conn = Connection::open(&tmp)?;
        // Nothing is durable until the rename: no journal, no syncs, pages in memory.
        conn.execute_batch(
            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA page_size = 8192;
             PRAGMA locking_mode = EXCLUSIVE; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -262144;
             BEGIN;",
        )?;
        for ddl in ALL_TABLES {
            conn.execute_batch(ddl)?;
        }
        Ok(Writer {
            conn,
            tmp,
            path: path.to_path_buf(),
        })
    }

    /// Insert rows of one table with one prepared statement.
    pub fn insert<'a, R: Row + 'a>(
        &self,
        rows: impl IntoIterator<Item = &'a R>,
    ) -> rusqlite::Result<usize> {
        let mut stmt = self.conn.prepare_cached(R::INSERT)?;
        let mut n = 0;
        for row in rows {
            row.insert(&mut stmt)?;
            n += 1;
        }
        Ok(n)
    }

    pub fn blob(&self, name: &str, data: Vec<u8>) -> rusqlite::Result<()> {
        self.insert(&[BlobRow {
            name: name.to_string(),
            data,
        }])
        .map(|_| ())
    }

    /// Add the indexes and the view, record the schema version with `info`, commit and move the
    /// file into place.
    pub fn finish(self, info: &[(&str, String)]) -> rusqlite::Result<PathBuf> {
        let mut rows: Vec<BuildInfoRow> = info
            .iter()
            .map(|(k, v)| BuildInfoRow {
                key: k.to_string(),
                value: v.clone(),
            })
            .collect();
        rows.push(BuildInfoRow {
            key: "schema_version".into(),
            value: SCHEMA_VERSION.to_string(),
        });
        self.insert(&rows)?;
        for ddl in INDEXES {
            self.conn.execute_batch(ddl)?;
        }
        self.conn.execute_batch(RANDOM_TABLE_VIEW)?;
        // A bounded ANALYZE: full statistics cost seconds and buy nothing for these lookups.
        self.conn
            .execute_batch("PRAGMA analysis_limit = 1000; ANALYZE; COMMIT;")?;
        let Writer { conn, tmp, path } = self;
        conn.close().map_err(|(_, e)| e)?;
        std::fs::rename(&tmp, &path).map_err(|e| {
            rusqlite::Error::ToSqlConversionFailure(Box::new(std::io::Error::new(
                e.kind(),
                format!("moving {} to {}: {e}", tmp.display(), path.display()),
            )))
        })?;
        Ok(path)
    }
}
