//! The items of the v2 DynamoDB tables, exactly as the pipeline writes them (one JSON object per
//! line under `data/build/`) and as the batch writer and the embedded store read them back.

use serde::{Deserialize, Serialize};

/// Item file names under `data/build/`, one per table.
pub const ITEMS_TRACKS: &str = "Music_ML3.jsonl";
pub const ITEMS_TRACKS_WITH_IDS: &str = "Music_ML_IDs.jsonl";
pub const ITEMS_ASSIGNMENTS: &str = "Music_ML_Assignments.jsonl";

/// Name of the global secondary index on [`TitleItem::name_folded`] (both title tables).
pub const INDEX_FOLDED_TITLE: &str = "name_folded-index";

/// One title of `Music_ML3` / `Music_ML_IDs`. Element `i` of each list describes one
/// (track, credited artist) pair, so a duet appears once per artist, as in the original.
/// Field names and order are the original's; `name_folded` is new (the folded-title key).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TitleItem {
    pub name: String,
    pub artists: Vec<String>,
    pub genres: Vec<Vec<String>>,
    #[serde(rename = "Assignments")]
    pub assignments: Vec<u8>,
    /// Spotify track ids; present in `Music_ML_IDs` only.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub id: Option<Vec<String>>,
    pub name_folded: String,
}

/// Sort-key prefixes in the assignments table.
pub const SORT_FIXED: &str = "fixed#";
pub const SORT_RANDOM: &str = "rand#";

/// Digits of the index in a `rand#` sort key: `rand#00000000` is a cluster's first track.
pub const RANDOM_INDEX_DIGITS: usize = 8;
/// The most tracks one cluster can hold (indices `0..MAX_CLUSTER_TRACKS`).
pub const MAX_CLUSTER_TRACKS: usize = 100_000_000;

/// The sort key of a cluster's track number `index`: `rand#` and the index in
/// [`RANDOM_INDEX_DIGITS`] zero-padded decimal digits, so that key order is index order.
pub fn random_sort_key(index: usize) -> String {
    debug_assert!(index < MAX_CLUSTER_TRACKS, "index {index}");
    format!("{SORT_RANDOM}{index:0width$}", width = RANDOM_INDEX_DIGITS)
}

/// The index of a `rand#` sort key written by [`random_sort_key`]; `None` for any other key
/// (a fixed one, or a `rand#<16 hex digits>` key of the pipeline before dense indices).
pub fn random_key_index(sort: &str) -> Option<usize> {
    let digits = sort.strip_prefix(SORT_RANDOM)?;
    if digits.len() != RANDOM_INDEX_DIGITS || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// One track in the cluster-assignments table: partition key `Assignments` (N), sort key `sort`
/// (S). The fixed tracks of a cluster sort as `fixed#00`..`fixed#09`; every track of a cluster
/// also has one item under a dense index, `rand#00000000`..`rand#<size - 1>` (see
/// [`random_sort_key`]; the pipeline numbers the tracks in a fixed shuffle of the cluster), so
/// that "10 random tracks" is 10 distinct indices drawn uniformly below the cluster's size and
/// fetched by key: the size is the last `rand#` key plus one, no Scan, no Query over the cluster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignmentItem {
    #[serde(rename = "Assignments")]
    pub assignments: u8,
    pub sort: String,
    pub name: String,
    pub id: String,
    /// Python-list repr, e.g. `['Iiro Rantala']`, as the original's rows carried it.
    pub artists: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_keys_are_zero_padded_indices_in_index_order() {
        assert_eq!(random_sort_key(0), "rand#00000000");
        assert_eq!(random_sort_key(42), "rand#00000042");
        assert_eq!(random_sort_key(MAX_CLUSTER_TRACKS - 1), "rand#99999999");
        let keys: Vec<String> = [0, 1, 9, 10, 99, 100, 14_714, 14_715]
            .iter()
            .map(|&i| random_sort_key(i))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(sorted, keys, "byte order is index order");
        for (i, k) in [0, 1, 9, 10, 99, 100, 14_714, 14_715].iter().zip(&keys) {
            assert_eq!(random_key_index(k), Some(*i));
        }
        for other in [
            "rand#",
            "rand#1",
            "rand#0000000a",
            "rand#000000001",
            "rand#-0000001",
            "rand#+0000001",
            "rand#3fa2c0d1e4b5a697",
            "fixed#00",
            "count",
        ] {
            assert_eq!(random_key_index(other), None, "{other}");
        }
    }
}
