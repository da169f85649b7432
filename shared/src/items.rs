//! The items of the v2 DynamoDB tables, exactly as the pipeline writes them (one JSON object per
//! line under `data/build/`) and as the batch writer and the embedded store read them back.

use serde::{Deserialize, Serialize};

/// Default table names, as the original deployment called them.
pub const TABLE_TRACKS: &str = "Music_ML3";
pub const TABLE_TRACKS_WITH_IDS: &str = "Music_ML_IDs";
pub const TABLE_ASSIGNMENTS: &str = "Music_ML_Assignments";

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

/// One track in the cluster-assignments table: partition key `Assignments` (N), sort key `sort`
/// (S). The fixed tracks of a cluster sort as `fixed#00`..`fixed#09`; every track also has one
/// item under `rand#<16 hex digits>`, a uniformly random key, so that "10 random tracks" is a
/// query from a random point (wrapping around) instead of a scan.
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
