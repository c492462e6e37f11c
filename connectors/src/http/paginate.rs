//! Walking paged listings: next links (absolute or relative), page tokens, offsets
//! and page numbers. Each walker says what to ask for next and is told what the
//! page said; it stops at the end, on a repeated token or link (a server that
//! loops), and after [`MAX_PAGES`].
//!
//! ```text
//! let mut pages = TokenPages::new();
//! while let Some(token) = pages.next_page() {
//!     let page = call(token).await?;
//!     push(page.items).await?;
//!     pages.advance(page.next_token);
//! }
//! ```

use std::collections::HashSet;

use crate::error::ConnectorError;

/// More pages than this in one listing is a server that never ends.
pub const MAX_PAGES: usize = 100_000;

/// Opaque page tokens (`nextToken`, `pageToken`, `position`).
#[derive(Debug, Default)]
pub struct TokenPages {
    next: Option<Option<String>>,
    seen: HashSet<String>,
    pages: usize,
}

impl TokenPages {
    pub fn new() -> TokenPages {
        TokenPages {
            next: Some(None),
            ..TokenPages::default()
        }
    }

    /// The token to ask with (`Some(None)` for the first page); `None` when done.
    pub fn next_page(&mut self) -> Option<Option<String>> {
        self.next.take()
    }

    /// What the page said; a missing, empty or already seen token ends the walk.
    pub fn advance(&mut self, token: Option<String>) {
        self.pages += 1;
        self.next = match token {
            Some(t) if !t.is_empty() && self.pages < MAX_PAGES && self.seen.insert(t.clone()) => {
                Some(Some(t))
            }
            _ => None,
        };
    }
}

/// Next links: Kong's `next`, ARM's `nextLink`, `Link: rel=next`.
#[derive(Debug)]
pub struct LinkPages {
    next: Option<url::Url>,
    seen: HashSet<String>,
    pages: usize,
}

impl LinkPages {
    pub fn new(first: url::Url) -> LinkPages {
        LinkPages {
            next: Some(first),
            seen: HashSet::new(),
            pages: 0,
        }
    }

    pub fn next_page(&mut self) -> Option<url::Url> {
        let url = self.next.take()?;
        self.seen.insert(url.as_str().to_owned());
        Some(url)
    }

    /// `link` is absolute or relative to `current` (the page just read); `None` or
    /// `""` ends the walk. `rewrite` may fix up the link (e.g. re-add a page size
    /// the server dropped) before it is followed.
    pub fn advance(
        &mut self,
        current: &url::Url,
        link: Option<&str>,
        rewrite: impl FnOnce(&mut url::Url),
    ) -> Result<(), ConnectorError> {
        self.pages += 1;
        let Some(link) = link.map(str::trim).filter(|l| !l.is_empty()) else {
            return Ok(());
        };
        let mut url = current.join(link).map_err(|e| {
            ConnectorError::protocol(format!("the next-page link `{link}` is not a URL ({e})"))
        })?;
        rewrite(&mut url);
        if self.pages < MAX_PAGES && !self.seen.contains(url.as_str()) {
            self.next = Some(url);
        }
        Ok(())
    }
}

/// `offset` / `limit` listings: a page shorter than the limit is the last.
#[derive(Debug)]
pub struct OffsetPages {
    next: Option<u64>,
    size: u64,
    pages: usize,
}

impl OffsetPages {
    pub fn new(size: u64) -> OffsetPages {
        OffsetPages {
            next: Some(0),
            size: size.max(1),
            pages: 0,
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The offset to ask for; `None` when done.
    pub fn next_page(&mut self) -> Option<u64> {
        self.next.take()
    }

    pub fn advance(&mut self, offset: u64, returned: usize) {
        self.pages += 1;
        if returned as u64 >= self.size && self.pages < MAX_PAGES {
            self.next = Some(offset + returned as u64);
        }
    }
}

/// `page[number]` / `page[size]` listings (1-based); the total, when the server
/// gives it, ends the walk exactly.
#[derive(Debug)]
pub struct NumberPages {
    next: Option<u64>,
    size: u64,
}

impl NumberPages {
    pub fn new(size: u64) -> NumberPages {
        NumberPages {
            next: Some(1),
            size: size.max(1),
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn next_page(&mut self) -> Option<u64> {
        self.next.take()
    }

    /// `total` is the number of items in all pages, when known.
    pub fn advance(&mut self, number: u64, returned: usize, total: Option<u64>) {
        let more = match total {
            Some(t) => number * self.size < t,
            None => returned as u64 >= self.size,
        };
        if more && returned > 0 && (number as usize) < MAX_PAGES {
            self.next = Some(number + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_stop_at_the_end_and_on_a_loop() {
        let mut p = TokenPages::new();
        assert_eq!(p.next_page(), Some(None));
        p.advance(Some("a".into()));
        assert_eq!(p.next_page(), Some(Some("a".into())));
        p.advance(Some("a".into()));
        assert_eq!(p.next_page(), None, "a repeated token ends the walk");
        let mut p = TokenPages::new();
        p.next_page();
        p.advance(Some(String::new()));
        assert_eq!(p.next_page(), None);
    }

    #[test]
    fn links_resolve_relative_and_absolute() {
        let first = url::Url::parse("http://kong:8001/prefix/services?size=1000").expect("url");
        let mut p = LinkPages::new(first.clone());
        let cur = p.next_page().expect("first");
        p.advance(&cur, Some("/prefix/services?offset=b2Zm"), |u| {
            u.query_pairs_mut().append_pair("size", "1000");
        })
        .expect("relative");
        let second = p.next_page().expect("second");
        assert_eq!(
            second.as_str(),
            "http://kong:8001/prefix/services?offset=b2Zm&size=1000"
        );
        p.advance(&second, Some("https://other.example/x?page=3"), |_| {})
            .expect("absolute");
        assert_eq!(
            p.next_page().expect("third").host_str(),
            Some("other.example")
        );
        let mut p = LinkPages::new(first);
        let cur = p.next_page().expect("first");
        p.advance(&cur, Some(cur.as_str()), |_| {}).expect("loop");
        assert!(
            p.next_page().is_none(),
            "a link back to a page already read ends the walk"
        );
        assert!(p.advance(&cur, Some("http://[bad"), |_| {}).is_err());
    }

    #[test]
    fn offsets_and_numbers() {
        let mut o = OffsetPages::new(2);
        assert_eq!(o.next_page(), Some(0));
        o.advance(0, 2);
        assert_eq!(o.next_page(), Some(2));
        o.advance(2, 1);
        assert_eq!(o.next_page(), None);
        let mut n = NumberPages::new(10);
        assert_eq!(n.next_page(), Some(1));
        n.advance(1, 10, Some(25));
        assert_eq!(n.next_page(), Some(2));
        n.advance(2, 10, Some(25));
        assert_eq!(n.next_page(), Some(3));
        n.advance(3, 5, Some(25));
        assert_eq!(n.next_page(), None);
    }
}
