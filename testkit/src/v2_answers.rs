//! What v2's routes must answer, worked out from the item files independently of the code under
//! test: written once for the in-process route tests and the DynamoDB end-to-end tests alike.

use serde_json::{json, Map, Value};

/// The path that asks v2 for the plain item of the title `query`.
pub fn plain_lookup_path(query: &str) -> String {
    format!(
        "/api/v2.1/Music_ML_tracks/{}?format=plain",
        crate::encode(query)
    )
}

/// The query for `folded` that only the folded index answers: it in upper case (an exact title
/// nowhere), or `None` where that is a title after all (`is_title`) or does not fold back to
/// `folded` (`fold`, the catalogue's folding, which this crate cannot depend on).
pub fn upper_case_query(
    folded: &str,
    is_title: impl Fn(&str) -> bool,
    fold: impl Fn(&str) -> String,
) -> Option<String> {
    let query = folded.to_uppercase();
    (!is_title(&query) && fold(&query) == folded).then_some(query)
}

/// A plain item's fields as v2's typed answer shows them.
pub fn typed_fields(plain: &Value) -> Map<String, Value> {
    let fields = plain.as_object().expect("an item is an object");
    fields
        .iter()
        .map(|(k, v)| (k.clone(), crate::dynamo::typed(v)))
        .collect()
}

/// The fixed rows of cluster `n` among the assignment items, in their order, as
/// `Fixed_Song_Assignments/<n>` answers them.
pub fn fixed_rows(assignments: &[Value], n: u64) -> Vec<Value> {
    let is_fixed =
        |i: &&Value| i["Assignments"] == n && i["sort"].as_str().unwrap().starts_with("fixed#");
    let mut fixed: Vec<&Value> = assignments.iter().filter(is_fixed).collect();
    fixed.sort_by_key(|i| i["sort"].as_str().unwrap());
    fixed
        .iter()
        .map(|i| json!({"name": i["name"], "id": i["id"], "artists": i["artists"], "Assignments": i["Assignments"]}))
        .collect()
}
