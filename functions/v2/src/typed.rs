//! The original's response body for a title: boto3's `get_item` result passed to Flask's
//! `jsonify`, i.e. DynamoDB's typed JSON (`{"S": ..}`, `{"N": "3"}`, `{"L": [..]}`) with keys
//! sorted. Old clients read `data.Item.artists.L[0].S`, so that layout is kept byte for byte
//! (minus `ResponseMetadata`, which only leaked AWS request ids).

use std::collections::BTreeMap;

use music_shared::items::TitleItem;
use serde_json::{json, Map, Value};

fn string(s: &str) -> Value {
    json!({ "S": s })
}

fn list(values: impl IntoIterator<Item = Value>) -> Value {
    json!({ "L": values.into_iter().collect::<Vec<_>>() })
}

/// `{"Item": {...}}` with the item's attributes in typed form. `name_folded` is our lookup key,
/// not part of the original item, so it stays private.
pub fn envelope(item: &TitleItem) -> Value {
    // BTreeMap orders keys by bytes, as Python's sort_keys does for these ASCII names
    // ("Assignments" before "artists").
    let mut attrs: BTreeMap<&str, Value> = BTreeMap::new();
    attrs.insert("name", string(&item.name));
    attrs.insert("artists", list(item.artists.iter().map(|a| string(a))));
    attrs.insert(
        "genres",
        list(
            item.genres
                .iter()
                .map(|g| list(g.iter().map(|s| string(s)))),
        ),
    );
    attrs.insert(
        "Assignments",
        list(
            item.assignments
                .iter()
                .map(|n| json!({ "N": n.to_string() })),
        ),
    );
    if let Some(ids) = &item.id {
        attrs.insert("id", list(ids.iter().map(|s| string(s))));
    }
    let mut envelope = Map::new();
    envelope.insert(
        "Item".to_string(),
        Value::Object(attrs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()),
    );
    Value::Object(envelope)
}

/// The same item as plain JSON, in the item files' field order, without `name_folded`.
#[derive(serde::Serialize)]
pub struct Plain<'a> {
    pub name: &'a str,
    pub artists: &'a [String],
    pub genres: &'a [Vec<String>],
    #[serde(rename = "Assignments")]
    pub assignments: &'a [u8],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'a [String]>,
}

pub fn plain(item: &TitleItem) -> Plain<'_> {
    Plain {
        name: &item.name,
        artists: &item.artists,
        genres: &item.genres,
        assignments: &item.assignments,
        id: item.id.as_deref(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_matches_the_originals_layout() {
        let item = TitleItem {
            name: "Crazy in Love".into(),
            artists: vec!["Beyoncé".into(), "JAY-Z".into()],
            genres: vec![vec!["dance pop".into(), "pop".into()], vec![]],
            assignments: vec![3, 7],
            id: Some(vec!["a".into(), "a".into()]),
            name_folded: "crazy in love".into(),
        };
        let text = serde_json::to_string(&envelope(&item)).unwrap();
        assert_eq!(
            text,
            r#"{"Item":{"Assignments":{"L":[{"N":"3"},{"N":"7"}]},"artists":{"L":[{"S":"Beyoncé"},{"S":"JAY-Z"}]},"genres":{"L":[{"L":[{"S":"dance pop"},{"S":"pop"}]},{"L":[]}]},"id":{"L":[{"S":"a"},{"S":"a"}]},"name":{"S":"Crazy in Love"}}}"#
        );
        let plain = serde_json::to_string(&plain(&TitleItem { id: None, ..item })).unwrap();
        assert_eq!(
            plain,
            r#"{"name":"Crazy in Love","artists":["Beyoncé","JAY-Z"],"genres":[["dance pop","pop"],[]],"Assignments":[3,7]}"#
        );
    }
}
