//! The field rules every Inventory API request shares: names of 1-255
//! characters, descriptions of at most 1,023, tags, http(s) URLs and paging, each
//! failure naming its field.

use serde::Deserialize;
use utoipa::IntoParams;

use apihub_connectors::FieldError;

pub const MAX_NAME: usize = 255;
pub const MAX_DESCRIPTION: usize = 1023;
pub const MAX_TAG: usize = 255;
pub const MAX_TAGS: usize = 100;
pub const MAX_URL: usize = 2048;
pub const MAX_PAGE_SIZE: u32 = 500;
pub const DEFAULT_PAGE_SIZE: u32 = 20;
pub const MAX_PAGE_NUMBER: u32 = 10_000_000;

fn invalid(field: &str, message: impl Into<String>) -> FieldError {
    FieldError::new(field, message)
}

/// A name: trimmed, in NFC, 1-255 characters, no control or invisible characters.
pub fn name(field: &str, value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > MAX_NAME {
        return Err(invalid(field, format!("must be 1-{MAX_NAME} characters")));
    }
    crate::text::check_name(v).map_err(|e| invalid(field, e))?;
    Ok(crate::text::normalized(v))
}

/// An optional description of at most 1,023 characters; empty is none.
pub fn description(field: &str, value: Option<String>) -> Result<Option<String>, FieldError> {
    match value {
        Some(d) if d.chars().count() > MAX_DESCRIPTION => Err(invalid(
            field,
            format!("must be at most {MAX_DESCRIPTION} characters"),
        )),
        Some(d) if d.trim().is_empty() => Ok(None),
        other => Ok(other),
    }
}

/// Tags: each 1-255 characters once trimmed, at most 100, duplicates dropped
/// (first kept).
pub fn tags(field: &str, values: Vec<String>) -> Result<Vec<String>, FieldError> {
    if values.len() > MAX_TAGS {
        return Err(invalid(field, format!("at most {MAX_TAGS} tags")));
    }
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for (i, t) in values.iter().enumerate() {
        let t = t.trim();
        if t.is_empty() || t.chars().count() > MAX_TAG {
            return Err(invalid(
                &format!("{field}[{i}]"),
                format!("must be 1-{MAX_TAG} characters"),
            ));
        }
        if !out.iter().any(|o| o == t) {
            out.push(t.to_owned());
        }
    }
    Ok(out)
}

/// An absolute http(s) URL with a host, of at most 2,048 characters.
pub fn http_url(field: &str, value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    let ok = v.chars().count() <= MAX_URL
        && url::Url::parse(v)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    if ok {
        Ok(v.to_owned())
    } else {
        Err(invalid(
            field,
            format!("must be an absolute http(s) URL with a host, at most {MAX_URL} characters"),
        ))
    }
}

/// The key a URL is matched by: scheme and host lower-case (the URL parser
/// does that), default port dropped, no trailing slash, no fragment.
pub fn url_key(value: &str) -> Option<String> {
    let mut u = url::Url::parse(value.trim()).ok()?;
    u.set_fragment(None);
    let s = u.to_string();
    Some(s.trim_end_matches('/').to_owned())
}

/// Ids as sent (each non-empty), duplicates dropped.
pub fn ids(field: &str, values: Vec<String>) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for (i, id) in values.into_iter().enumerate() {
        let id = id.trim().to_owned();
        if id.is_empty() {
            return Err(invalid(&format!("{field}[{i}]"), "must not be empty"));
        }
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Ok(out)
}

/// `pageSize` and `pageNumber` of a list.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page, 1-500; default 20.
    #[param(minimum = 1, maximum = 500)]
    pub page_size: Option<u32>,
    /// Which page, from 1; default 1. A page past the end is empty.
    #[param(minimum = 1, maximum = 10_000_000)]
    pub page_number: Option<u32>,
}

/// A checked page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub size: u32,
    pub number: u32,
}

impl Paging {
    pub fn offset(self) -> i64 {
        i64::from(self.number - 1) * i64::from(self.size)
    }

    pub fn info(self, total: u64) -> crate::appsec::PageInfo {
        crate::appsec::PageInfo {
            total_count: total,
            page_size: self.size,
            current_page: self.number,
            total_pages: total.div_ceil(u64::from(self.size)),
        }
    }
}

impl PageQuery {
    pub fn paging(self) -> Result<Paging, FieldError> {
        paging(self.page_size, self.page_number)
    }
}

/// Checks `pageSize` (1-500, default 20) and `pageNumber` (1-10,000,000, default 1) of
/// any list's query.
pub fn paging(page_size: Option<u32>, page_number: Option<u32>) -> Result<Paging, FieldError> {
    let size = page_size.unwrap_or(DEFAULT_PAGE_SIZE);
    if !(1..=MAX_PAGE_SIZE).contains(&size) {
        return Err(invalid("pageSize", format!("must be 1-{MAX_PAGE_SIZE}")));
    }
    let number = page_number.unwrap_or(1);
    if !(1..=MAX_PAGE_NUMBER).contains(&number) {
        return Err(invalid(
            "pageNumber",
            format!("must be 1-{MAX_PAGE_NUMBER} (pages count from 1)"),
        ));
    }
    Ok(Paging { size, number })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_name_their_field() {
        assert_eq!(name("name", " a ").as_deref(), Ok("a"));
        assert!(name("name", &"x".repeat(255)).is_ok());
        assert_eq!(
            name("name", &"x".repeat(256)).map_err(|e| e.field),
            Err("name".into())
        );
        assert_eq!(name("name", "  ").map_err(|e| e.field), Err("name".into()));
        assert!(description("description", Some("d".repeat(1023))).is_ok());
        assert!(description("description", Some("d".repeat(1024))).is_err());
        assert_eq!(
            tags("tags", vec!["a".into(), " a".into(), "b".into()]),
            Ok(vec!["a".to_owned(), "b".to_owned()])
        );
        assert_eq!(
            tags("tags", vec!["".into()]).map_err(|e| e.field),
            Err("tags[0]".into())
        );
        assert!(http_url("targetUrl", "ftp://x").is_err());
        assert!(http_url("targetUrl", "https://").is_err());
        assert_eq!(
            url_key("HTTPS://Api.Example.com:443/v1/#x").as_deref(),
            Some("https://api.example.com/v1")
        );
        let page = |size, number| {
            PageQuery {
                page_size: size,
                page_number: number,
            }
            .paging()
        };
        assert_eq!(
            page(None, None),
            Ok(Paging {
                size: 20,
                number: 1
            })
        );
        assert_eq!(
            page(Some(0), None).map_err(|e| e.field),
            Err("pageSize".into())
        );
        assert_eq!(
            page(Some(501), None).map_err(|e| e.field),
            Err("pageSize".into())
        );
        assert_eq!(
            page(Some(500), Some(0)).map_err(|e| e.field),
            Err("pageNumber".into())
        );
        assert_eq!(
            Paging {
                size: 10,
                number: 3
            }
            .offset(),
            20
        );
        assert_eq!(
            Paging {
                size: 10,
                number: 1
            }
            .info(21)
            .total_pages,
            3
        );
    }
}
