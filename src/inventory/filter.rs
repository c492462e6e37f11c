//! What the inventory's list and export accept: the sort syntax, and the export
//! filters with their comparison syntax.
//!
//! **Sort**: `sort=<key>` ascending, `sort=-<key>` descending, keys `name`,
//! `createdAt`, `modifiedAt`, `lastScanned`, `lastScanStatus`, `definitionFormat`,
//! `operationsCount` (default `createdAt`). Ties are broken by id, so pages are
//! stable.
//!
//! **Export filters** (query parameters of `POST /export`), all optional:
//! - `definitionFormat=Openapi3,Graphql`: any of these formats (any letter case).
//! - `operationsCount=<op><n>` with `<op>` one of `=` (default), `>`, `>=`, `<`, `<=`,
//!   or a range `a..b` (inclusive): `operationsCount=>=10`, `operationsCount=1..5`.
//! - `createdAt`, `modifiedAt`, `scanDate` (last scan): the same operators on a date
//!   (`2025-11-15`, the whole UTC day) or an RFC 3339 instant
//!   (`2025-11-15T10:30:00Z`); `createdAt=2025-11-01..2025-11-30` is both days
//!   included. `scanDate` never matches a target that was not scanned.
//!
//! For `exportType=operations`, the filters select the targets whose operations are
//! exported.

use apihub_connectors::FieldError;
use std::str::FromStr;

use apihub_connectors::DefinitionFormat;

use crate::store::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    CreatedAt,
    ModifiedAt,
    LastScanned,
    LastScanStatus,
    DefinitionFormat,
    OperationsCount,
}

impl SortKey {
    pub const ALL: [(SortKey, &'static str); 7] = [
        (SortKey::Name, "name"),
        (SortKey::CreatedAt, "createdAt"),
        (SortKey::ModifiedAt, "modifiedAt"),
        (SortKey::LastScanned, "lastScanned"),
        (SortKey::LastScanStatus, "lastScanStatus"),
        (SortKey::DefinitionFormat, "definitionFormat"),
        (SortKey::OperationsCount, "operationsCount"),
    ];

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(k, _)| *k == self)
            .map_or("createdAt", |(_, n)| n)
    }

    /// The SQL expression sorted on; it matches an index of `api_targets`.
    pub fn column(self) -> &'static str {
        match self {
            SortKey::Name => "name_key",
            SortKey::CreatedAt => "created_at",
            SortKey::ModifiedAt => "modified_at",
            SortKey::LastScanned => "IFNULL(last_scanned, -1)",
            SortKey::LastScanStatus => "IFNULL(last_scan_status, '')",
            SortKey::DefinitionFormat => "definition_format",
            SortKey::OperationsCount => "operations_count",
        }
    }

    /// Whether the sort value is text (else an integer).
    pub fn is_text(self) -> bool {
        matches!(
            self,
            SortKey::Name | SortKey::LastScanStatus | SortKey::DefinitionFormat
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Sort {
            key: SortKey::CreatedAt,
            descending: false,
        }
    }
}

impl Sort {
    /// The canonical spelling, which cursors remember.
    pub fn spec(&self) -> String {
        format!(
            "{}{}",
            if self.descending { "-" } else { "" },
            self.key.name()
        )
    }
}

impl FromStr for Sort {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        let (descending, name) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s.strip_prefix('+').unwrap_or(s)),
        };
        SortKey::ALL
            .iter()
            .find(|(_, n)| n.eq_ignore_ascii_case(name))
            .map(|(key, _)| Sort {
                key: *key,
                descending,
            })
            .ok_or_else(|| {
                let keys: Vec<&str> = SortKey::ALL.iter().map(|(_, n)| *n).collect();
                format!(
                    "unknown sort key `{name}`; use one of {} (prefix `-` for descending)",
                    keys.join(", ")
                )
            })
    }
}

/// A half-open time interval in epoch milliseconds: `from <= t < to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeRange {
    pub from: Option<i64>,
    pub to: Option<i64>,
}

/// An inclusive integer interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CountRange {
    pub min: Option<i64>,
    pub max: Option<i64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExportFilter {
    pub formats: Option<Vec<DefinitionFormat>>,
    pub operations_count: Option<CountRange>,
    pub created_at: Option<TimeRange>,
    pub modified_at: Option<TimeRange>,
    pub scan_date: Option<TimeRange>,
}

const DAY_MS: i64 = 86_400_000;

fn rejected(field: &str, message: String) -> StoreError {
    FieldError::new(field, message).into()
}

/// Splits `>=value` into the operator and the value.
fn operator(raw: &str) -> (&str, &str) {
    for op in [">=", "<=", ">", "<", "="] {
        if let Some(rest) = raw.strip_prefix(op) {
            return (op, rest.trim());
        }
    }
    ("=", raw.trim())
}

/// A date is the whole UTC day; an instant is itself: `[start, end)`.
fn instant_bounds(field: &str, raw: &str) -> Result<(i64, i64), StoreError> {
    if let Ok(day) = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        let start = day
            .and_hms_opt(0, 0, 0)
            .map(|d| d.and_utc().timestamp_millis())
            .unwrap_or(0);
        return Ok((start, start + DAY_MS));
    }
    match chrono::DateTime::parse_from_rfc3339(raw) {
        Ok(t) => Ok((t.timestamp_millis(), t.timestamp_millis() + 1)),
        Err(_) => Err(rejected(
            field,
            format!("`{raw}` is not a date (YYYY-MM-DD) or an RFC 3339 time"),
        )),
    }
}

pub fn parse_time_filter(field: &str, raw: &str) -> Result<TimeRange, StoreError> {
    if let Some((a, b)) = raw.split_once("..") {
        // A reversed range is empty: it selects nothing (not an error, as a
        // filter that matches no row is a valid question).
        let (from, _) = instant_bounds(field, a.trim())?;
        let (_, to) = instant_bounds(field, b.trim())?;
        return Ok(TimeRange {
            from: Some(from),
            to: Some(to),
        });
    }
    let (op, value) = operator(raw);
    let (start, end) = instant_bounds(field, value)?;
    Ok(match op {
        ">" => TimeRange {
            from: Some(end),
            to: None,
        },
        ">=" => TimeRange {
            from: Some(start),
            to: None,
        },
        "<" => TimeRange {
            from: None,
            to: Some(start),
        },
        "<=" => TimeRange {
            from: None,
            to: Some(end),
        },
        _ => TimeRange {
            from: Some(start),
            to: Some(end),
        },
    })
}

pub fn parse_count_filter(field: &str, raw: &str) -> Result<CountRange, StoreError> {
    let number = |s: &str| {
        s.trim()
            .parse::<i64>()
            .map_err(|_| rejected(field, format!("`{}` is not a whole number", s.trim())))
    };
    if let Some((a, b)) = raw.split_once("..") {
        // A reversed range selects nothing, like a reversed time range.
        let (min, max) = (number(a)?, number(b)?);
        return Ok(CountRange {
            min: Some(min),
            max: Some(max),
        });
    }
    let (op, value) = operator(raw);
    let n = number(value)?;
    Ok(match op {
        ">" => CountRange {
            min: Some(n.saturating_add(1)),
            max: None,
        },
        ">=" => CountRange {
            min: Some(n),
            max: None,
        },
        "<" => CountRange {
            min: None,
            max: Some(n.saturating_sub(1)),
        },
        "<=" => CountRange {
            min: None,
            max: Some(n),
        },
        _ => CountRange {
            min: Some(n),
            max: Some(n),
        },
    })
}

pub fn parse_formats(raw: &str) -> Result<Vec<DefinitionFormat>, StoreError> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<DefinitionFormat>()
                .map_err(|e| rejected("definitionFormat", e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()
        .and_then(|v| {
            if v.is_empty() {
                Err(rejected(
                    "definitionFormat",
                    "must name at least one format".into(),
                ))
            } else {
                Ok(v)
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        crate::clock::parse_ms(s).expect("time")
    }

    #[test]
    fn sort_syntax() {
        assert_eq!(
            "-name".parse::<Sort>(),
            Ok(Sort {
                key: SortKey::Name,
                descending: true
            })
        );
        assert_eq!(
            "operationscount".parse::<Sort>().map(|s| s.spec()),
            Ok("operationsCount".into())
        );
        assert!(
            "size"
                .parse::<Sort>()
                .expect_err("unknown")
                .contains("operationsCount")
        );
    }

    #[test]
    fn time_filters_cover_days_and_instants() {
        let day = parse_time_filter("createdAt", "2025-11-15").expect("day");
        assert_eq!(
            day,
            TimeRange {
                from: Some(ms("2025-11-15")),
                to: Some(ms("2025-11-16"))
            }
        );
        let after = parse_time_filter("createdAt", ">2025-11-15").expect("after");
        assert_eq!(after.from, Some(ms("2025-11-16")));
        let range = parse_time_filter("createdAt", "2025-11-01..2025-11-30").expect("range");
        assert_eq!(
            range,
            TimeRange {
                from: Some(ms("2025-11-01")),
                to: Some(ms("2025-12-01"))
            }
        );
        let at = parse_time_filter("scanDate", "<=2025-11-15T10:30:00Z").expect("instant");
        assert_eq!(at.to, Some(ms("2025-11-15T10:30:00Z") + 1));
        assert!(parse_time_filter("createdAt", "yesterday").is_err());
        let reversed = parse_time_filter("createdAt", "2025-12-01..2025-11-01").expect("empty");
        assert!(
            reversed.from >= reversed.to,
            "a reversed range selects nothing"
        );
    }

    #[test]
    fn count_filters() {
        assert_eq!(
            parse_count_filter("c", ">=10").expect("ge"),
            CountRange {
                min: Some(10),
                max: None
            }
        );
        assert_eq!(
            parse_count_filter("c", "<3").expect("lt"),
            CountRange {
                min: None,
                max: Some(2)
            }
        );
        assert_eq!(
            parse_count_filter("c", "1..5").expect("range"),
            CountRange {
                min: Some(1),
                max: Some(5)
            }
        );
        assert_eq!(
            parse_count_filter("c", "7").expect("eq"),
            CountRange {
                min: Some(7),
                max: Some(7)
            }
        );
        assert!(parse_count_filter("c", ">x").is_err());
        assert_eq!(
            parse_formats("openapi3, Graphql").expect("formats"),
            vec![DefinitionFormat::Openapi3, DefinitionFormat::Graphql]
        );
        assert!(parse_formats("yaml").is_err());
    }
}
