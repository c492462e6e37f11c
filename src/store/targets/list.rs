//! The list endpoint: search (trigram index or a scan in sort order, whichever is
//! cheaper for the term), the hidden filter, and keyset pagination both ways.

use rusqlite::{Connection, OptionalExtension, params_from_iter};
use serde_json::Value;

use super::ListQuery;
use super::records::{TARGET_COLUMNS, TargetRecord, TargetRecords, attach, target_from_row};
use crate::store::{Cursor, Store, StoreError};

impl Store {
    /// One page of targets in `q.sort` order, keyset-paginated.
    pub async fn list_targets(&self, q: ListQuery) -> Result<TargetRecords, StoreError> {
        let cursor = Cursor::decode(q.cursor.as_deref(), &q.sort.spec())?;
        self.read(move |c| list(c, &q, cursor)).await
    }

    /// How many targets there are of each definition format, most first.
    pub async fn format_totals(&self) -> Result<Vec<(String, u64)>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT definition_format, COUNT(*) FROM api_targets \
                 GROUP BY definition_format ORDER BY COUNT(*) DESC, definition_format",
            )?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)?.max(0) as u64)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
fn like_pattern(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('%');
    for ch in crate::text::name_key(s).chars() {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    out
}

/// Up to this many names per trigram, a search goes through the trigram index.
const SELECTIVE_DOCS: i64 = 5_000;

/// Whether `term` is selective: 3+ characters and one of its trigrams is in at
/// most `SELECTIVE_DOCS` names (that bounds the matches from above).
fn selective(c: &Connection, term: &str) -> Result<bool, StoreError> {
    let chars: Vec<char> = crate::text::name_key(term).chars().collect();
    if chars.len() < 3 {
        return Ok(false);
    }
    let mut stmt = c.prepare_cached("SELECT doc FROM api_target_search_terms WHERE term = ?1")?;
    for w in chars.windows(3) {
        let trigram: String = w.iter().collect();
        let docs: i64 = stmt
            .query_row([&trigram], |r| r.get(0))
            .optional()?
            .unwrap_or(0);
        if docs <= SELECTIVE_DOCS {
            return Ok(true);
        }
    }
    Ok(false)
}

fn list(
    c: &Connection,
    q: &ListQuery,
    cursor: Option<Cursor>,
) -> Result<TargetRecords, StoreError> {
    let col = q.sort.key.column();
    let mut filters: Vec<String> = Vec::new();
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    if let Some(s) = q.search.as_deref().filter(|s| !s.is_empty()) {
        // A selective term is answered from the trigram index (a phrase query is a
        // case-insensitive substring match). A common or short one matches so many
        // names that scanning in sort order fills a page at once, and is cheaper
        // than reading the index's long posting lists.
        let n = args.len() + 1;
        if selective(c, s)? {
            let phrase = format!("\"{}\"", crate::text::name_key(s).replace('"', "\"\""));
            filters.push(format!(
                "rowid IN (SELECT rowid FROM api_target_search WHERE api_target_search MATCH ?{n})"
            ));
            args.push(phrase.into());
        } else {
            filters.push(format!("name_key LIKE ?{n} ESCAPE '\\'"));
            args.push(like_pattern(s).into());
        }
    }
    if let Some(h) = q.hidden {
        filters.push(format!("is_hidden = ?{}", args.len() + 1));
        args.push(i64::from(h).into());
    }
    let base_where = if filters.is_empty() {
        "1".to_owned()
    } else {
        filters.join(" AND ")
    };
    let total: i64 = c.query_row(
        &format!("SELECT COUNT(*) FROM api_targets WHERE {base_where}"),
        params_from_iter(args.iter()),
        |r| r.get(0),
    )?;

    // Walking forward in the sort order, or backward for a previousPage cursor.
    let backward = cursor.as_ref().is_some_and(|c| c.backward);
    let ascending = q.sort.descending == backward;
    let (cmp, dir) = if ascending {
        (">", "ASC")
    } else {
        ("<", "DESC")
    };
    let mut where_ = base_where.clone();
    if let Some(cur) = &cursor {
        let v = args.len() + 1;
        where_ = format!(
            "{base_where} AND ({col} {cmp} ?{v} OR ({col} = ?{v} AND id {cmp} ?{}))",
            v + 1
        );
        args.push(sort_value(&cur.value, q.sort.key.is_text()));
        args.push(cur.id.clone().into());
    }
    let sql = format!(
        "SELECT {TARGET_COLUMNS}, {col} FROM api_targets WHERE {where_} ORDER BY {col} {dir}, id {dir} LIMIT {}",
        q.limit + 1
    );
    let mut stmt = c.prepare_cached(&sql)?;
    let mut rows: Vec<(TargetRecord, Value)> = stmt
        .query_map(params_from_iter(args.iter()), |r| {
            let key = match r.get_ref(22)? {
                rusqlite::types::ValueRef::Integer(i) => Value::from(i),
                rusqlite::types::ValueRef::Text(t) => {
                    Value::from(String::from_utf8_lossy(t).into_owned())
                }
                _ => Value::Null,
            };
            Ok((target_from_row(r)?, key))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let more = rows.len() > q.limit as usize;
    rows.truncate(q.limit as usize);
    if backward {
        rows.reverse();
    }
    let make = |(t, v): &(TargetRecord, Value), backward: bool| {
        Cursor {
            sort: q.sort.spec(),
            value: v.clone(),
            id: t.id.clone(),
            backward,
        }
        .encode()
    };
    // Forward: a next page if there were more rows; a previous page if we came from one.
    // Backward: the mirror image.
    let (next_page, previous_page) = if backward {
        (
            rows.last().map(|r| make(r, false)),
            if more {
                rows.first().map(|r| make(r, true))
            } else {
                None
            },
        )
    } else {
        (
            if more {
                rows.last().map(|r| make(r, false))
            } else {
                None
            },
            if cursor.is_some() {
                rows.first().map(|r| make(r, true))
            } else {
                None
            },
        )
    };
    let mut targets: Vec<TargetRecord> = rows.into_iter().map(|(t, _)| t).collect();
    attach(c, &mut targets)?;
    Ok(TargetRecords {
        targets,
        total_count: u64::try_from(total).unwrap_or(0),
        next_page,
        previous_page,
    })
}

fn sort_value(v: &Value, text: bool) -> rusqlite::types::Value {
    match v {
        Value::String(s) if text => s.clone().into(),
        Value::Number(n) if !text => n.as_i64().unwrap_or(0).into(),
        // A tampered cursor: compare against something harmless rather than fail.
        _ if text => String::new().into(),
        _ => 0i64.into(),
    }
}
