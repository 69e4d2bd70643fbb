//! What was in the model's window right before a step: the nodes that lead to it, cut at the last
//! compaction, with the latest system prompt and tool definitions always in.
//!
//! Linear session files (Claude Code, Codex) hold one conversation: everything before the step's
//! first node led to it (subagent sidechains aside). Tree-shaped files (Pi) hold every branch ever
//! taken: only the step's ancestors, by entry id, led to it.

use super::node::{Node, Role};
use crate::model::Step;
use std::collections::{HashMap, HashSet};

/// The first node of `step`, or None when no node describes it (a step only the hooks saw).
/// Identity keys are tried before text keys, which can repeat.
pub fn first_node(nodes: &[Node], step: &Step) -> Option<usize> {
    let by = |text: bool| {
        nodes.iter().position(|n| {
            n.keys
                .iter()
                .any(|k| k.starts_with("text:") == text && step.keys.contains(k))
        })
    };
    by(false).or_else(|| by(true))
}

/// Where the window of `steps[index]` ends: its first node, else that of the next step that has
/// one, else the end (every node was seen before it).
pub fn cut(nodes: &[Node], steps: &[Step], index: usize) -> usize {
    steps[index..]
        .iter()
        .find_map(|s| first_node(nodes, s))
        .unwrap_or(nodes.len())
}

/// The nodes in the window before node `cut` (exclusive), in order, as indexes into `nodes`.
pub fn window(nodes: &[Node], cut: usize) -> Vec<usize> {
    let before = &nodes[..cut.min(nodes.len())];
    let lineage = lineage(nodes, cut);
    let on_path: Vec<usize> = (0..before.len())
        .filter(|&i| !before[i].sidechain && before[i].role != Role::Unknown)
        .filter(|&i| match (&lineage, &before[i].entry) {
            (Some(path), Some(entry)) => path.contains(entry.as_str()),
            _ => true,
        })
        .collect();
    let latest = |role: Role| {
        on_path
            .iter()
            .rev()
            .copied()
            .find(|&i| before[i].role == role)
    };
    let mut start = 0;
    if let Some(pos) = on_path
        .iter()
        .rposition(|&i| before[i].role == Role::Compaction)
    {
        let compaction = &before[on_path[pos]];
        // A compaction that keeps recent entries keeps them from that entry on.
        start = compaction
            .first_kept
            .as_deref()
            .and_then(|kept| {
                on_path
                    .iter()
                    .position(|&i| before[i].entry.as_deref() == Some(kept))
            })
            .map_or(pos, |kept| kept.min(pos));
    }
    let mut out: Vec<usize> = [latest(Role::System), latest(Role::Tools)]
        .into_iter()
        .flatten()
        .filter(|&i| {
            on_path
                .iter()
                .position(|&j| j == i)
                .is_some_and(|p| p < start)
        })
        .collect();
    out.extend(on_path[start..].iter().copied().filter(|&i| {
        // Only the latest system prompt and tool definitions count; earlier copies were replaced.
        match before[i].role {
            Role::System | Role::Tools => Some(i) == latest(before[i].role),
            _ => true,
        }
    }));
    out.sort_unstable();
    out
}

/// For tree-shaped files: the entry ids on the path from the root to the node at `cut` (the
/// entries before it in the same entry included), or None when the nodes carry no entry ids.
fn lineage(nodes: &[Node], cut: usize) -> Option<HashSet<&str>> {
    let target = nodes.get(cut.min(nodes.len().saturating_sub(1)))?;
    let mut parents: HashMap<&str, Option<&str>> = HashMap::new();
    for n in nodes {
        if let Some(entry) = n.entry.as_deref() {
            parents.entry(entry).or_insert(n.parent.as_deref());
        }
    }
    if parents.is_empty() {
        return None;
    }
    let mut path = HashSet::new();
    // The step's own entry is on the path: earlier blocks of its message were seen. At the end of
    // the file, the latest entry's lineage is the window.
    let mut at = if cut >= nodes.len() {
        nodes.iter().rev().find_map(|n| n.entry.as_deref())
    } else {
        target.entry.as_deref()
    };
    while let Some(entry) = at {
        if !path.insert(entry) {
            break;
        }
        at = parents.get(entry).copied().flatten();
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::super::node::CTX_SCHEMA;
    use super::*;

    fn node(n: u64, role: Role, entry: Option<(&str, Option<&str>)>) -> Node {
        Node {
            schema: CTX_SCHEMA.into(),
            n,
            role,
            at: String::new(),
            keys: vec![format!("k:{n}")],
            tool: None,
            input: None,
            content: None,
            tokens: 1,
            entry: entry.map(|(e, _)| e.to_string()),
            parent: entry.and_then(|(_, p)| p.map(str::to_string)),
            first_kept: None,
            sidechain: false,
            offset: None,
            raw: None,
        }
    }

    #[test]
    fn linear_windows_hold_everything_before_and_restart_at_a_compaction() {
        let nodes = vec![
            node(0, Role::System, None),
            node(1, Role::User, None),
            node(2, Role::Assistant, None),
            node(3, Role::Compaction, None),
            node(4, Role::Summary, None),
            node(5, Role::User, None),
        ];
        assert_eq!(window(&nodes, 3), [0, 1, 2]);
        assert_eq!(window(&nodes, 5), [0, 3, 4]);
        assert_eq!(window(&nodes, 6), [0, 3, 4, 5]);
    }

    #[test]
    fn tree_windows_follow_the_branch_of_the_step() {
        // a -> b -> c (first path), then a fork from b: b -> d.
        let nodes = vec![
            node(0, Role::User, Some(("a", None))),
            node(1, Role::Assistant, Some(("b", Some("a")))),
            node(2, Role::User, Some(("c", Some("b")))),
            node(3, Role::User, Some(("d", Some("b")))),
            node(4, Role::Assistant, Some(("e", Some("d")))),
        ];
        assert_eq!(window(&nodes, 3), [0, 1]);
        assert_eq!(window(&nodes, 4), [0, 1, 3]);
        assert_eq!(window(&nodes, 5), [0, 1, 3, 4]);
    }
}
