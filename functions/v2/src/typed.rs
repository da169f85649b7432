//! The original's response body for a title: boto3's `get_item` result passed to Flask's
//! `jsonify`, i.e. DynamoDB's typed JSON (`{"S": ..}`, `{"N": "3"}`, `{"L": [..]}`) with keys
//! sorted. Old clients read `data.Item.artists.L[0].S`, so that layout is kept byte for byte
//! (minus `ResponseMetadata`, which only leaked AWS request ids).

use music_shared::items::TitleItem;
use serde::Serialize;

/// DynamoDB's string attribute, `{"S": ..}`.
#[derive(Serialize)]
pub struct S<'a> {
    #[serde(rename = "S")]
    pub s: &'a str,
}

/// DynamoDB's number attribute, `{"N": "3"}` (numbers travel as strings).
#[derive(Serialize)]
pub struct N {
    #[serde(rename = "N")]
    pub n: String,
}

/// DynamoDB's list attribute, `{"L": [..]}`.
#[derive(Serialize)]
pub struct L<T> {
    #[serde(rename = "L")]
    pub l: Vec<T>,
}

fn strings(values: &[String]) -> L<S<'_>> {
    L {
        l: values.iter().map(|s| S { s }).collect(),
    }
}

/// A title item's attributes in typed form, in Python's `sort_keys` order (by bytes:
/// "Assignments" before "artists"). `name_folded` is our lookup key, not part of the original
/// item, so it stays private.
#[derive(Serialize)]
pub struct Attributes<'a> {
    #[serde(rename = "Assignments")]
    pub assignments: L<N>,
    pub artists: L<S<'a>>,
    pub genres: L<L<S<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<L<S<'a>>>,
    pub name: S<'a>,
}

/// `{"Item": {...}}`.
#[derive(Serialize)]
pub struct Envelope<'a> {
    #[serde(rename = "Item")]
    pub item: Attributes<'a>,
}

/// `{"Item": {...}}` with the item's attributes in typed form.
pub fn envelope(item: &TitleItem) -> Envelope<'_> {
    Envelope {
        item: Attributes {
            assignments: L {
                l: item
                    .assignments
                    .iter()
                    .map(|n| N { n: n.to_string() })
                    .collect(),
            },
            artists: strings(&item.artists),
            genres: L {
                l: item.genres.iter().map(|g| strings(g)).collect(),
            },
            id: item.id.as_deref().map(strings),
            name: S { s: &item.name },
        },
    }
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
