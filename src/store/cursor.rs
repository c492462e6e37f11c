//! Opaque keyset cursors for paginated lists. A cursor remembers the sort it was made
//! for and the last row's (sort value, id), so pages stay stable while rows are
//! inserted between requests. `0` (or nothing) means the first page.

use apihub_connectors::FieldError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::StoreError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// The sort this cursor belongs to; reusing it with another sort is an error.
    #[serde(rename = "s")]
    pub sort: String,
    /// Sort value of the boundary row.
    #[serde(rename = "v")]
    pub value: Value,
    /// Id of the boundary row (tie-breaker).
    #[serde(rename = "i")]
    pub id: String,
    /// `true` for a `previousPage` cursor: rows before the boundary.
    #[serde(rename = "b", default, skip_serializing_if = "std::ops::Not::not")]
    pub backward: bool,
}

impl Cursor {
    pub fn encode(&self) -> String {
        B64.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// `None` for the first page; an error naming `cursor` for anything unreadable or
    /// made for a different sort.
    pub fn decode(raw: Option<&str>, sort: &str) -> Result<Option<Cursor>, StoreError> {
        let raw = match raw.map(str::trim) {
            None | Some("") | Some("0") => return Ok(None),
            Some(r) => r,
        };
        let bad = |message: &str| StoreError::from(FieldError::new("cursor", message));
        let bytes = B64
            .decode(raw)
            .map_err(|_| bad("is not a cursor returned by this API (use 0 for the first page)"))?;
        let cursor: Cursor = serde_json::from_slice(&bytes)
            .map_err(|_| bad("is not a cursor returned by this API (use 0 for the first page)"))?;
        if cursor.sort != sort {
            return Err(bad("belongs to a different sort order; start again from 0"));
        }
        Ok(Some(cursor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_garbage_and_other_sorts() {
        let c = Cursor {
            sort: "-name".into(),
            value: Value::from("b"),
            id: "x".into(),
            backward: false,
        };
        let raw = c.encode();
        assert_eq!(Cursor::decode(Some(&raw), "-name").expect("ok"), Some(c));
        assert_eq!(Cursor::decode(Some("0"), "name").expect("ok"), None);
        assert!(Cursor::decode(Some("!!"), "name").is_err());
        assert!(Cursor::decode(Some(&raw), "name").is_err());
    }
}
