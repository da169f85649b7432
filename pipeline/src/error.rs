use std::path::PathBuf;

/// Everything that can go wrong while reading, cleaning or clustering the data.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: bad CSV: {source}")]
    Csv {
        path: PathBuf,
        #[source]
        source: csv::Error,
    },
    #[error("{path}: the header has no column {column:?} (is this the right file?)")]
    MissingColumn { path: PathBuf, column: String },
    #[error("{path}: not a known track or artist schema: {detail}")]
    UnknownSchema { path: PathBuf, detail: String },
    #[error("not a Python list literal: {0}")]
    PyList(String),
    #[error("k-means failed: {0}")]
    KMeans(String),
}
