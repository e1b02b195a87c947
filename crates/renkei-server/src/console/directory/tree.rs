//! The group tree as the groups page lists it: each group followed by its sub-groups, with
//! where its posts go per tool, and the tree as a list of parents to choose from.

use std::collections::HashMap;

use renkei_core::model::Provider;
use renkei_store::group_tree::GroupOverview;

use super::rooms::effective_text;
use super::{href, q};
use crate::console::page::Page;

/// One group in the tree. The template opens a nested list after a group with children and
/// closes `closes` levels after a leaf.
pub struct TreeNode {
    pub name: String,
    pub ext: String,
    pub href: String,
    pub members: i64,
    pub members_href: String,
    /// Per tool: (tool, where posts go, `own` / `inherited` / ... for the style).
    pub effective: Vec<(String, String, &'static str)>,
    pub opens: bool,
    pub closes: Vec<()>,
}

/// The groups in tree order: each group followed by its sub-groups (by name), with depths.
pub(super) fn tree_order(groups: &[GroupOverview]) -> Vec<(usize, &GroupOverview)> {
    let known: HashMap<&str, &GroupOverview> =
        groups.iter().map(|g| (g.external_id.as_str(), g)).collect();
    let mut children: HashMap<Option<&str>, Vec<&GroupOverview>> = HashMap::new();
    for g in groups {
        // A parent that is not in the list would hide the group: show it at the top instead.
        let parent = g.parent.as_deref().filter(|p| known.contains_key(p));
        children.entry(parent).or_default().push(g);
    }
    for list in children.values_mut() {
        list.sort_by(|a, b| (&a.name, &a.external_id).cmp(&(&b.name, &b.external_id)));
    }
    let mut out = Vec::with_capacity(groups.len());
    let mut stack: Vec<(usize, &GroupOverview)> = children
        .get(&None)
        .map(|roots| roots.iter().rev().map(|g| (0, *g)).collect())
        .unwrap_or_default();
    while let Some((depth, g)) = stack.pop() {
        out.push((depth, g));
        if let Some(kids) = children.get(&Some(g.external_id.as_str())) {
            stack.extend(kids.iter().rev().map(|k| (depth + 1, *k)));
        }
    }
    out
}

/// The tools whose effective room the tree shows: those with rooms to choose (webhooks always
/// post into their own channel, LINE only to people).
fn tree_tools(groups: &[GroupOverview]) -> Vec<Provider> {
    super::ROOM_TOOLS
        .into_iter()
        .filter(|p| groups.iter().any(|g| g.effective_rooms.contains_key(p)))
        .collect()
}

pub(super) fn nodes(page: &Page, groups: &[GroupOverview]) -> Vec<TreeNode> {
    let tools = tree_tools(groups);
    let order = tree_order(groups);
    order
        .iter()
        .enumerate()
        .map(|(i, (depth, g))| {
            let next_depth = order.get(i + 1).map_or(0, |(d, _)| *d);
            let opens = next_depth > *depth;
            TreeNode {
                name: g.name.clone(),
                ext: g.external_id.clone(),
                href: href("groups", &g.external_id),
                members: g.member_count,
                members_href: format!("/console/members?group={}", q(&g.external_id)),
                effective: tools
                    .iter()
                    .filter_map(|p| {
                        let e = g.effective_rooms.get(p)?;
                        Some((
                            p.display_name().to_string(),
                            effective_text(page.tr, *p, e),
                            e.source,
                        ))
                    })
                    .collect(),
                opens,
                closes: if opens {
                    vec![]
                } else {
                    vec![(); depth - next_depth]
                },
            }
        })
        .collect()
}

/// A group to pick as a parent.
pub struct ParentOption {
    pub ext: String,
    pub label: String,
    pub selected: bool,
}

pub(super) fn parent_options(
    groups: &[GroupOverview],
    except: &str,
    chosen: &str,
) -> Vec<ParentOption> {
    tree_order(groups)
        .into_iter()
        .filter(|(_, g)| g.external_id != except)
        .map(|(depth, g)| ParentOption {
            ext: g.external_id.clone(),
            // Indented by depth, so the select reads like the tree.
            label: format!("{}{} ({})", "　".repeat(depth), g.name, g.external_id),
            selected: g.external_id == chosen,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::page::Section;
    use std::collections::BTreeMap;

    fn g(ext: &str, name: &str, parent: Option<&str>) -> GroupOverview {
        GroupOverview {
            external_id: ext.into(),
            name: name.into(),
            parent: parent.map(str::to_string),
            rooms: Default::default(),
            children: vec![],
            member_count: 0,
            effective_rooms: BTreeMap::new(),
        }
    }

    #[test]
    fn the_tree_nests_children_under_their_parent() {
        let groups = vec![
            g("dev", "開発部", None),
            g("dev1", "開発一課", Some("dev")),
            g("dev1a", "A チーム", Some("dev1")),
            g("sales", "営業部", None),
            g("ga", "総務", None),
            g("lost", "迷子", Some("gone")),
        ];
        let order: Vec<(usize, &str)> = tree_order(&groups)
            .into_iter()
            .map(|(d, g)| (d, g.external_id.as_str()))
            .collect();
        assert_eq!(
            order,
            vec![
                (0, "sales"),
                (0, "ga"),
                (0, "lost"),
                (0, "dev"),
                (1, "dev1"),
                (2, "dev1a"),
            ]
        );
        let tr = crate::console::i18n::Tr::new(crate::pages::Lang::Ja);
        let page = Page {
            tr,
            section: Section::Groups,
            title: String::new(),
            tenant_name: String::new(),
            csrf: String::new(),
            here: String::new(),
            flash: None,
            errors: vec![],
            tz: chrono_tz::Asia::Tokyo,
            chrome: true,
        };
        let shape: Vec<(bool, usize)> = nodes(&page, &groups)
            .iter()
            .map(|n| (n.opens, n.closes.len()))
            .collect();
        // 開発部 and 開発一課 open a level; A チーム, the last, closes both.
        assert_eq!(
            shape,
            vec![
                (false, 0),
                (false, 0),
                (false, 0),
                (true, 0),
                (true, 0),
                (false, 2)
            ]
        );
        let parents = parent_options(&groups, "dev1", "dev");
        assert!(parents.iter().all(|p| p.ext != "dev1"));
        assert!(parents.iter().any(|p| p.ext == "dev" && p.selected));
        assert!(parents.iter().any(|p| p.label == "　　A チーム (dev1a)"));
    }
}
