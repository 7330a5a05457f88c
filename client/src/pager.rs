//! Paging of the list operations, as a pure state machine.
//!
//! `DescribeContainerGroups` and `DescribeContainerGroupStatus` take at most
//! 20 ids per call (`ContainerGroupIds`, a JSON array as one string) and page
//! by `NextToken` (empty or absent on the last page;
//! docs/eci-api.md#describecontainergroups). The [`Pager`] turns a filter into the parameters of each call
//! in turn: every page of the first 20 ids, then of the next 20, and so on.

use std::collections::BTreeSet;

use eci_bridge_core::eci::WireParams;

/// Ids per call, the API's maximum.
pub const MAX_IDS_PER_CALL: usize = 20;
/// `Limit` of `DescribeContainerGroups` (its maximum).
pub const DESCRIBE_PAGE_LIMIT: u32 = 20;
/// Pages followed before giving up (a server that never ends its list).
pub const MAX_PAGES: usize = 10_000;

/// Which instances `DescribeContainerGroups` lists.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DescribeFilter {
    /// Instance ids (any number; sent 20 at a time).
    pub ids: Vec<String>,
    /// `Tag.N.Key` / `Tag.N.Value`: instances carrying every one.
    pub tags: Vec<(String, String)>,
    /// `Status`, e.g. `Running`.
    pub status: Option<String>,
    /// `ContainerGroupName`.
    pub name: Option<String>,
    /// `RegionId`; the client's region when `None`.
    pub region: Option<String>,
    /// `WithEvent=true`: include each instance's `Events`.
    pub with_event: bool,
}

impl DescribeFilter {
    /// The parameters every call of the listing shares.
    pub fn base_params(&self, default_region: &str) -> WireParams {
        let mut p = WireParams::default();
        p.insert("RegionId", self.region.as_deref().unwrap_or(default_region));
        p.insert("Limit", DESCRIBE_PAGE_LIMIT.to_string());
        insert_tags(&mut p, &self.tags);
        if let Some(status) = &self.status {
            p.insert("Status", status.clone());
        }
        if let Some(name) = &self.name {
            p.insert("ContainerGroupName", name.clone());
        }
        if self.with_event {
            p.insert("WithEvent", "true");
        }
        p
    }
}

/// Which instances `DescribeContainerGroupStatus` reports.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusFilter {
    /// Instance ids (sent 20 at a time).
    pub ids: Vec<String>,
    /// Tags every instance carries.
    pub tags: Vec<(String, String)>,
    /// `SinceSecond`: only instances whose status changed this recently.
    pub since_second: Option<u32>,
    /// `RegionId`; the client's region when `None`.
    pub region: Option<String>,
}

impl StatusFilter {
    /// The parameters every call shares (the API's default `Limit`, 200).
    pub fn base_params(&self, default_region: &str) -> WireParams {
        let mut p = WireParams::default();
        p.insert("RegionId", self.region.as_deref().unwrap_or(default_region));
        insert_tags(&mut p, &self.tags);
        if let Some(s) = self.since_second {
            p.insert("SinceSecond", s.to_string());
        }
        p
    }
}

fn insert_tags(p: &mut WireParams, tags: &[(String, String)]) {
    for (i, (key, value)) in tags.iter().enumerate() {
        p.insert(format!("Tag.{}.Key", i + 1), key.clone());
        p.insert(format!("Tag.{}.Value", i + 1), value.clone());
    }
}

/// Why paging stopped early.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PagerError {
    /// The server handed back a token it had already given: it would loop.
    #[error("the server repeated NextToken `{0}`; stopping instead of looping")]
    RepeatedToken(String),
    /// More than [`MAX_PAGES`] pages.
    #[error("more than {MAX_PAGES} pages; stopping")]
    TooManyPages,
}

/// The calls of one listing.
#[derive(Debug, Clone)]
pub struct Pager {
    base: WireParams,
    /// Groups of at most 20 ids; one empty group when the filter has none.
    chunks: Vec<Vec<String>>,
    chunk: usize,
    token: Option<String>,
    seen: BTreeSet<String>,
    pages: usize,
}

impl Pager {
    /// A listing of `ids` (duplicates dropped, order kept) with `base` parameters.
    pub fn new(base: WireParams, ids: &[String]) -> Self {
        let mut unique = BTreeSet::new();
        let ids: Vec<String> = ids.iter().filter(|id| unique.insert(id.as_str())).cloned().collect();
        let chunks = if ids.is_empty() {
            vec![Vec::new()]
        } else {
            ids.chunks(MAX_IDS_PER_CALL).map(<[String]>::to_vec).collect()
        };
        Pager { base, chunks, chunk: 0, token: None, seen: BTreeSet::new(), pages: 0 }
    }

    /// The parameters of the next call; `None` when the listing is complete.
    pub fn next_params(&self) -> Option<WireParams> {
        let ids = self.chunks.get(self.chunk)?;
        let mut p = self.base.clone();
        if !ids.is_empty() {
            // A list of strings always serializes.
            p.insert("ContainerGroupIds", serde_json::to_string(ids).unwrap_or_default());
        }
        if let Some(token) = &self.token {
            p.insert("NextToken", token.clone());
        }
        Some(p)
    }

    /// Records the `NextToken` of the answer to the last call.
    pub fn advance(&mut self, next_token: Option<&str>) -> Result<(), PagerError> {
        self.pages += 1;
        if self.pages > MAX_PAGES {
            return Err(PagerError::TooManyPages);
        }
        match next_token.filter(|t| !t.is_empty()) {
            Some(token) => {
                if !self.seen.insert(token.to_string()) {
                    return Err(PagerError::RepeatedToken(token.to_string()));
                }
                self.token = Some(token.to_string());
            }
            None => {
                self.token = None;
                self.chunk += 1;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("eci-{i:03}")).collect()
    }

    #[test]
    fn base_parameters() {
        let f = DescribeFilter {
            ids: Vec::new(),
            tags: vec![("k8s".into(), "pod".into()), ("ns".into(), "".into())],
            status: Some("Running".into()),
            name: Some("web".into()),
            region: None,
            with_event: true,
        };
        assert_eq!(
            f.base_params("cn-hangzhou").to_lines(),
            "ContainerGroupName=web\nLimit=20\nRegionId=cn-hangzhou\nStatus=Running\n\
             Tag.1.Key=k8s\nTag.1.Value=pod\nTag.2.Key=ns\nTag.2.Value=\nWithEvent=true\n"
        );
        let s = StatusFilter { since_second: Some(60), region: Some("cn-beijing".into()), ..Default::default() };
        assert_eq!(s.base_params("cn-hangzhou").to_lines(), "RegionId=cn-beijing\nSinceSecond=60\n");
    }

    #[test]
    fn no_ids_pages_by_token() {
        let mut pager = Pager::new(WireParams::from_pairs([("RegionId", "r")]), &[]);
        assert_eq!(pager.next_params().unwrap().to_lines(), "RegionId=r\n");
        pager.advance(Some("t1")).unwrap();
        assert_eq!(pager.next_params().unwrap().get("NextToken"), Some("t1"));
        pager.advance(Some("")).unwrap();
        assert_eq!(pager.next_params(), None);
    }

    #[test]
    fn ids_go_twenty_at_a_time_and_each_group_pages() {
        let mut all = ids(45);
        all.push("eci-000".into());
        let mut pager = Pager::new(WireParams::default(), &all);
        let mut calls = Vec::new();
        let tokens = [Some("a"), None, None, Some("b"), Some("c"), None];
        for token in tokens {
            let p = pager.next_params().unwrap();
            let sent: Vec<String> = serde_json::from_str(p.get("ContainerGroupIds").unwrap()).unwrap();
            calls.push((sent.len(), sent[0].clone(), p.get("NextToken").map(str::to_string)));
            pager.advance(token).unwrap();
        }
        assert_eq!(pager.next_params(), None);
        let expected = [
            (20, "eci-000", None),
            (20, "eci-000", Some("a")),
            (20, "eci-020", None),
            (5, "eci-040", None),
            (5, "eci-040", Some("b")),
            (5, "eci-040", Some("c")),
        ];
        let expected: Vec<(usize, String, Option<String>)> =
            expected.iter().map(|(n, id, t)| (*n, id.to_string(), t.map(str::to_string))).collect();
        assert_eq!(calls, expected);
    }

    #[test]
    fn a_repeated_token_stops_the_loop() {
        let mut pager = Pager::new(WireParams::default(), &[]);
        pager.advance(Some("t")).unwrap();
        assert_eq!(pager.advance(Some("t")), Err(PagerError::RepeatedToken("t".into())));
    }

    #[test]
    fn ids_json_is_one_string() {
        let pager = Pager::new(WireParams::default(), &ids(2));
        assert_eq!(pager.next_params().unwrap().get("ContainerGroupIds"), Some(r#"["eci-000","eci-001"]"#));
    }
}
