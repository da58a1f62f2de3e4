//! Keyset pagination of list endpoints: `?cursor=…&limit=…` answers
//! `{data, next_cursor}`; pass `next_cursor` back as `cursor` for the next
//! page (absent on the last one).

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::IntoParams;

pub const DEFAULT_PAGE: u64 = 50;
pub const MAX_PAGE: u64 = 200;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(IntoParams), into_params(parameter_in = Query))]
#[serde(default)]
pub struct PageQuery {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    pub limit: Option<u64>,
}

impl PageQuery {
    /// The page size asked for, within 1–`MAX_PAGE`.
    pub fn size(&self) -> u64 {
        self.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE)
    }

    /// How many rows to read: one more than the page, to learn whether
    /// another page follows.
    pub fn rows_to_read(&self) -> u64 {
        self.size() + 1
    }

    /// The page out of what `rows_to_read` read, and the next cursor (made
    /// from the page's last row) when more rows follow.
    pub fn finish<T>(&self, mut rows: Vec<T>, cursor: impl Fn(&T) -> String) -> (Vec<T>, Option<String>) {
        let size = usize::try_from(self.size()).unwrap_or(usize::MAX);
        let more = rows.len() > size;
        rows.truncate(size);
        let next = if more { rows.last().map(cursor) } else { None };
        (rows, next)
    }

    /// The cursor, unless absent or empty.
    pub fn after(&self) -> Option<&str> {
        self.cursor.as_deref().filter(|c| !c.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_stay_within_bounds_and_empty_cursors_are_none() {
        let q = |limit, cursor: &str| PageQuery { cursor: Some(cursor.to_owned()), limit };
        assert_eq!(q(None, "").size(), DEFAULT_PAGE);
        assert_eq!(q(Some(0), "").size(), 1);
        assert_eq!(q(Some(10_000), "").size(), MAX_PAGE);
        assert_eq!(q(Some(7), "").size(), 7);
        assert_eq!(q(None, "").after(), None);
        assert_eq!(q(None, "x").after(), Some("x"));
    }

    #[test]
    fn a_page_has_a_next_cursor_only_when_more_rows_follow() {
        let q = PageQuery { cursor: None, limit: Some(2) };
        assert_eq!(q.rows_to_read(), 3);
        assert_eq!(q.finish(vec![1, 2, 3], |n| n.to_string()), (vec![1, 2], Some("2".to_owned())));
        assert_eq!(q.finish(vec![1, 2], |n| n.to_string()), (vec![1, 2], None));
        assert_eq!(q.finish(Vec::<u8>::new(), |n| n.to_string()), (vec![], None));
    }
}
