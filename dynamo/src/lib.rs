//! DynamoDB as both of its users reach it: the v2 Lambda (reads, a person waiting) and the batch
//! writer (writes, a job that may wait). They differ in patience, not in how a client is built,
//! so the builder ([`client`]), the reading of an SDK failure ([`Failure`]) and the table names
//! ([`TableNames`], [`TableArgs`]) are written once, here.

#[cfg(feature = "client")]
mod client;
#[cfg(feature = "client")]
mod failure;
mod tables;

#[cfg(feature = "client")]
pub use client::{client, Timeouts, DEFAULT_REGION};
#[cfg(feature = "client")]
pub use failure::Failure;
pub use tables::{TableArgs, TableNames, TABLE_ASSIGNMENTS, TABLE_TRACKS, TABLE_TRACKS_WITH_IDS};
