//! Batch jobs behind the `scripts/` binaries. The pipeline lives in a library so that the tests
//! can run it on the real files without going through a process boundary.

#[cfg(feature = "dynamodb")]
pub mod dynamo_writer;
pub mod fingerprint;
pub mod pipeline;
pub mod sqlite_out;
