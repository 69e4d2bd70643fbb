//! Merging what the hooks saw live with what the transcript recorded into one ordered step list.
//!
//! Hooks see every tool call and prompt as it happens but no thinking or assistant text; the
//! transcript has all of it but lags. Records that describe the same step share a key (`tool:<id>`,
//! `prompt:<id>`, `text:<sha>`), which is how a session captured by hooks and imported from its
//! transcript (twice, even) still has each step exactly once.
//!
//! Order: the transcript's order wins where it exists (it is the model's own order, also for
//! parallel calls that hooks report out of order); a step only the hooks saw (session start and end,
//! external changes, the tail the transcript has not caught up with) goes right before the next
//! step both saw, or at the end.

use crate::model::{Content, Record, Source, Step, StepKind};
use crate::store::ChainLink;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// Records of one step from one source.
#[derive(Default)]
struct Proto {
    records: Vec<usize>,
    keys: Vec<String>,
    kind: Option<StepKind>,
}

fn group(records: &[Record], idx: &[usize]) -> Vec<Proto> {
    let mut protos: Vec<Proto> = Vec::new();
    let mut by_key: HashMap<&str, usize> = HashMap::new();
    for &i in idx {
        let r = &records[i];
        let target = r
            .keys
            .iter()
            .filter(|k| !k.starts_with("text:"))
            .find_map(|k| by_key.get(k.as_str()).copied());
        let p = match target {
            Some(p) => p,
            None if r.kind.is_some() => {
                protos.push(Proto::default());
                protos.len() - 1
            }
            None => continue,
        };
        for k in &r.keys {
            by_key.entry(k.as_str()).or_insert(p);
            if !protos[p].keys.contains(k) {
                protos[p].keys.push(k.clone());
            }
        }
        if protos[p].kind.is_none() {
            protos[p].kind = r.kind;
        }
        protos[p].records.push(i);
    }
    protos
}

/// Where a merged step goes, and the hook and transcript protos it combines.
struct Placed {
    at: (usize, u8, usize),
    hook: Option<usize>,
    transcript: Option<usize>,
}

/// Two protos describe the same step: a shared identity key, or the same text for the same kind.
fn same_step(h: &Proto, t: &Proto) -> bool {
    h.keys
        .iter()
        .any(|k| t.keys.contains(k) && (!k.starts_with("text:") || h.kind == t.kind))
}

/// Builds the session's steps; `chain` supplies each step's snapshot commit (by `Trace-Key`).
pub(crate) fn merge(records: &[Record], chain: &[ChainLink]) -> Vec<Step> {
    let hook_idx: Vec<usize> = (0..records.len())
        .filter(|&i| records[i].source == Source::Hook)
        .collect();
    let tr_idx: Vec<usize> = (0..records.len())
        .filter(|&i| records[i].source == Source::Transcript)
        .collect();
    let (tr_idx, paths) = tree_order(records, &tr_idx);
    let hooks = group(records, &hook_idx);
    let trans = group(records, &tr_idx);

    let mut hook_match: Vec<Option<usize>> = vec![None; hooks.len()];
    let mut trans_match: Vec<Option<usize>> = vec![None; trans.len()];
    let mut candidates: HashMap<&str, Vec<usize>> = HashMap::new();
    for (h, p) in hooks.iter().enumerate() {
        for k in &p.keys {
            candidates.entry(k.as_str()).or_default().push(h);
        }
    }
    // Identity keys (call ids, prompt ids) first, in order. Then equal texts, latest first: a
    // Stop hook's answer is the last thing the model said, so when the same sentence occurs twice
    // it is the later one.
    let passes: [(bool, Vec<usize>); 2] = [
        (false, (0..trans.len()).collect()),
        (true, (0..trans.len()).rev().collect()),
    ];
    for (by_text, order) in passes {
        for t in order {
            if trans_match[t].is_some() {
                continue;
            }
            let tp = &trans[t];
            let found = tp
                .keys
                .iter()
                .filter(|k| k.starts_with("text:") == by_text)
                .find_map(|k| {
                    let mut hs = candidates.get(k.as_str())?.iter().copied();
                    let free = |h: &usize| hook_match[*h].is_none() && same_step(&hooks[*h], tp);
                    if by_text {
                        hs.rev().find(free)
                    } else {
                        hs.find(free)
                    }
                });
            if let Some(h) = found {
                hook_match[h] = Some(t);
                trans_match[t] = Some(h);
            }
        }
    }

    // Each step's place: (position in transcript order, before (0) or at (1) it, tie-break).
    let mut order: Vec<Placed> = Vec::new();
    for (t, m) in trans_match.iter().enumerate() {
        order.push(Placed {
            at: (t, 1, 0),
            hook: *m,
            transcript: Some(t),
        });
    }
    let mut successor = usize::MAX;
    let mut before = vec![(0usize, 0u8, 0usize); hooks.len()];
    for h in (0..hooks.len()).rev() {
        match hook_match[h] {
            Some(t) => successor = t,
            None => before[h] = (successor, 0, h),
        }
    }
    for (h, at) in before.into_iter().enumerate() {
        if hook_match[h].is_none() {
            order.push(Placed {
                at,
                hook: Some(h),
                transcript: None,
            });
        }
    }
    order.sort_by_key(|p| p.at);

    let snapshots: HashMap<&str, &ChainLink> = chain
        .iter()
        .filter_map(|l| Some((l.key.as_deref()?, l)))
        .collect();
    let mut steps: Vec<Step> = Vec::with_capacity(order.len());
    let mut step_paths: Vec<Option<&PathPos>> = Vec::with_capacity(order.len());
    let mut used_links: Vec<&str> = Vec::new();
    for Placed {
        hook: h,
        transcript: t,
        ..
    } in order
    {
        let mut recs: Vec<&Record> = Vec::new();
        let mut keys: Vec<String> = Vec::new();
        for proto in [h.map(|h| &hooks[h]), t.map(|t| &trans[t])]
            .into_iter()
            .flatten()
        {
            recs.extend(proto.records.iter().map(|&i| &records[i]));
            for k in &proto.keys {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
        }
        step_paths.push(t.and_then(|t| trans[t].records.iter().find_map(|i| paths.get(i))));
        let mut step = combine(steps.len() as u64, &recs, keys);
        if let Some(link) = step.keys.iter().find_map(|k| snapshots.get(k.as_str())) {
            step.snapshot = Some(link.commit.to_string());
            step.external = link.external;
            used_links.push(link.key.as_deref().unwrap_or_default());
        }
        steps.push(step);
    }
    // A snapshot whose step record was lost (a hook killed between commit and journal write) still
    // gets a step: evidence is never dropped.
    for link in chain {
        let key = link.key.as_deref().unwrap_or_default();
        if used_links.contains(&key) {
            continue;
        }
        let headline = link.message.lines().next().unwrap_or_default();
        let summary = headline
            .split_once(": ")
            .map_or(headline, |(_, s)| s)
            .to_string();
        steps.push(Step {
            index: steps.len() as u64,
            kind: StepKind::System,
            tool: Some(
                if link.external {
                    "external"
                } else {
                    "snapshot"
                }
                .into(),
            ),
            paths: Vec::new(),
            started_at: String::new(),
            ended_at: None,
            summary,
            snapshot: Some(link.commit.to_string()),
            external: link.external,
            input: None,
            text: None,
            output: None,
            sources: vec![Source::Hook],
            keys: link.key.iter().cloned().collect(),
            meta: serde_json::Map::new(),
            extra: serde_json::Map::new(),
        });
    }
    if !paths.is_empty() {
        mark_paths(&mut steps, &step_paths);
    }
    steps
}

/// Where an entry sits in a session with several paths: the path's number in order of
/// appearance, and the entry a later path leaves its parent path at.
#[derive(Debug, Clone, PartialEq)]
struct PathPos {
    branch: u64,
    fork_of: Option<String>,
}

/// Orders transcript records depth-first over their entries' tree (`extra.entry` and
/// `extra.parent`, Pi's `id`/`parentId`), children in file order. A harness appends entries as they
/// happen, so after a fork, or after returning to an older path, the file interleaves paths; this
/// order reads the first path start to end, then each later path from its fork point on. Records
/// without an entry stay after the record they followed. A session with a single path (or without
/// entries) keeps its order, and no record gets a position.
fn tree_order(records: &[Record], tr_idx: &[usize]) -> (Vec<usize>, HashMap<usize, PathPos>) {
    let entry_of = |i: usize| {
        records[i]
            .extra
            .get("entry")
            .and_then(Value::as_str)
            .filter(|e| !e.is_empty())
    };
    let mut ids: Vec<&str> = Vec::new();
    let mut recs: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut order: Vec<usize> = Vec::with_capacity(tr_idx.len());
    let mut last: Option<&str> = None;
    for &i in tr_idx {
        match entry_of(i).or(last) {
            Some(id) => {
                if !recs.contains_key(id) {
                    ids.push(id);
                }
                recs.entry(id).or_default().push(i);
                last = Some(id);
            }
            None => order.push(i),
        }
    }
    let parent_of = |id: &str| {
        let first = recs[id][0];
        records[first]
            .extra
            .get("parent")
            .and_then(Value::as_str)
            .filter(|p| *p != id && recs.contains_key(p))
    };
    let mut children: HashMap<&str, Vec<&str>> = HashMap::new();
    for &id in &ids {
        if let Some(p) = parent_of(id) {
            children.entry(p).or_default().push(id);
        }
    }
    let leaves = ids.iter().filter(|id| !children.contains_key(*id)).count();
    if leaves <= 1 {
        return (tr_idx.to_vec(), HashMap::new());
    }
    let mut positions = HashMap::new();
    let mut visited: HashSet<&str> = HashSet::new();
    let mut next_branch = 0u64;
    // Roots first; then whatever a cycle of parent ids left unreached, so nothing is dropped.
    let roots = ids.iter().filter(|id| parent_of(id).is_none());
    for &start in roots.chain(ids.iter()) {
        // (entry, its path when it continues its parent's, the fork point of its path)
        let mut stack: Vec<(&str, Option<u64>, Option<&str>)> = vec![(start, None, None)];
        while let Some((id, inherited, fork_of)) = stack.pop() {
            if !visited.insert(id) {
                continue;
            }
            let branch = inherited.unwrap_or_else(|| {
                next_branch += 1;
                next_branch - 1
            });
            for &i in &recs[id] {
                order.push(i);
                let fork_of = fork_of.map(str::to_string);
                positions.insert(i, PathPos { branch, fork_of });
            }
            for (n, &kid) in children
                .get(id)
                .map_or(&[][..], Vec::as_slice)
                .iter()
                .enumerate()
                .rev()
            {
                let item = if n == 0 {
                    (kid, Some(branch), fork_of)
                } else {
                    (kid, None, Some(id))
                };
                stack.push(item);
            }
        }
    }
    (order, positions)
}

/// Marks every step with its path (`meta.branch`) and every step of a later path with its fork
/// point (`extra.fork_of`). A step no entry placed (seen only by hooks) sits before the next step
/// both saw, so it is on that step's path; after the last placed step, on the last one's.
fn mark_paths(steps: &mut [Step], step_paths: &[Option<&PathPos>]) {
    let last = step_paths.iter().rev().find_map(|p| *p);
    let mut next = last;
    for i in (0..steps.len()).rev() {
        next = step_paths.get(i).copied().flatten().or(next);
        let Some(pos) = next else { continue };
        let step = &mut steps[i];
        step.meta.insert("branch".into(), Value::from(pos.branch));
        if let Some(fork) = &pos.fork_of {
            step.extra
                .insert("fork_of".into(), Value::from(fork.as_str()));
        }
    }
}

/// Record metadata left out of steps: bookkeeping that `context.jsonl.gz` keeps with the records
/// (and `blobs`, which the bucket holds), so `trace.json` stays small and readable.
const TRANSCRIPT_ONLY_META: &[&str] = &[
    "blobs",
    "uuid",
    "parentUuid",
    "requestId",
    "version",
    "stop_reason",
    "effort",
    "permission_mode",
];

/// One step from all the records (hook first, then transcript) that describe it.
fn combine(index: u64, recs: &[&Record], keys: Vec<String>) -> Step {
    let first_kind = recs.iter().find_map(|r| r.kind).unwrap_or(StepKind::System);
    let pick = |f: &dyn Fn(&Record) -> bool| recs.iter().find(|r| f(r)).copied();
    let hook = |r: &Record| r.source == Source::Hook;
    let mut paths: Vec<String> = Vec::new();
    for r in recs {
        for p in &r.paths {
            if !paths.contains(p) {
                paths.push(p.clone());
            }
        }
    }
    let mut sources: Vec<Source> = Vec::new();
    for r in recs {
        if !sources.contains(&r.source) {
            sources.push(r.source);
        }
    }
    // Hook receive times and transcript timestamps are both RFC 3339 UTC, so they order as text.
    let times = || recs.iter().map(|r| r.at.as_str()).filter(|a| !a.is_empty());
    let started_at = times().min().unwrap_or_default().to_string();
    let ended_at = times()
        .max()
        .filter(|end| *end != started_at)
        .map(str::to_string);
    let longest = |get: &dyn Fn(&Record) -> Option<&Content>| -> Option<Content> {
        let from_hook = recs
            .iter()
            .filter(|r| hook(r))
            .filter_map(|r| get(r))
            .max_by_key(|c| c.bytes);
        from_hook
            .or_else(|| recs.iter().filter_map(|r| get(r)).max_by_key(|c| c.bytes))
            .cloned()
    };
    let mut meta = serde_json::Map::new();
    let mut extra = serde_json::Map::new();
    for r in recs.iter().rev() {
        for (k, v) in &r.meta {
            if !TRANSCRIPT_ONLY_META.contains(&k.as_str()) {
                meta.insert(k.clone(), v.clone());
            }
        }
        extra.extend(r.extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    Step {
        index,
        kind: first_kind,
        tool: recs.iter().find_map(|r| r.tool.clone()),
        paths,
        started_at,
        ended_at,
        summary: pick(&|r| !r.summary.is_empty() && hook(r))
            .or_else(|| pick(&|r| !r.summary.is_empty()))
            .map(|r| r.summary.clone())
            .unwrap_or_default(),
        snapshot: None,
        external: false,
        input: pick(&|r| r.input.is_some() && hook(r))
            .or_else(|| pick(&|r| r.input.is_some()))
            .and_then(|r| r.input.clone()),
        text: longest(&|r| r.text.as_ref()),
        output: longest(&|r| r.output.as_ref()),
        sources,
        keys,
        meta,
        extra,
    }
}

/// Every blob a set of records refers to (its sha256 name and git blob id).
pub(crate) fn blob_refs(records: &[Record]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut push = |c: &Content| {
        if let (Some(sha), Some(oid)) = (&c.blob, &c.blob_oid) {
            out.push((sha.clone(), oid.clone()));
        }
    };
    for r in records {
        r.text.iter().chain(r.output.iter()).for_each(&mut push);
        if let Some(Value::Array(blobs)) = r.meta.get("blobs") {
            for b in blobs {
                if let Ok(c) = serde_json::from_value::<Content>(b.clone()) {
                    push(&c);
                }
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Record, Source, StepKind};

    fn rec(
        source: Source,
        at: &str,
        kind: Option<StepKind>,
        keys: &[&str],
        summary: &str,
    ) -> Record {
        let mut r = Record::new(at.into(), source, "e");
        r.kind = kind;
        r.keys = keys.iter().map(|k| k.to_string()).collect();
        r.summary = summary.into();
        r
    }

    fn order(steps: &[Step]) -> Vec<String> {
        steps
            .iter()
            .map(|s| format!("{}:{}", s.kind.as_str(), s.summary))
            .collect()
    }

    use Source::{Hook as H, Transcript as T};
    use StepKind::*;

    #[test]
    fn transcript_order_wins_and_hook_only_steps_sit_before_their_successor() {
        let records = vec![
            rec(H, "1", Some(System), &[], "start"),
            rec(H, "2", Some(User), &["prompt:p"], "fix it"),
            // Codex-style: the hooks saw the parallel calls B then A.
            rec(H, "3", Some(Read), &["tool:b"], "b"),
            rec(H, "4", Some(Read), &["tool:a"], "a"),
            rec(H, "5", Some(System), &["external:1"], "outside"),
            rec(H, "6", Some(Exec), &["tool:c"], "c"),
            rec(H, "7", Some(Answer), &["text:done"], "Done."),
            rec(T, "2", Some(User), &["prompt:p"], "fix it"),
            rec(T, "3", Some(Think), &["uuid:1:0"], "hmm"),
            rec(T, "3", Some(Read), &["tool:a"], "a"),
            rec(T, "3", Some(Read), &["tool:b"], "b"),
            rec(T, "4", Some(Answer), &["uuid:2:0", "text:run"], "running"),
            rec(T, "6", Some(Exec), &["tool:c"], "c"),
            rec(T, "7", Some(Answer), &["uuid:3:0", "text:done"], "Done."),
        ];
        let steps = merge(&records, &[]);
        assert_eq!(
            order(&steps),
            [
                "system:start",
                "user:fix it",
                "think:hmm",
                "read:a",
                "read:b",
                "answer:running",
                "system:outside",
                "exec:c",
                "answer:Done.",
            ]
        );
        assert_eq!(steps[3].sources, vec![H, T]);
        assert!(steps.iter().enumerate().all(|(i, s)| s.index == i as u64));
    }

    #[test]
    fn a_repeated_answer_matches_the_stop_hook_at_its_last_occurrence() {
        let records = vec![
            rec(H, "1", Some(User), &["prompt:p"], "go"),
            rec(H, "9", Some(Answer), &["text:ok"], "OK."),
            rec(T, "1", Some(User), &["prompt:p"], "go"),
            rec(T, "2", Some(Answer), &["uuid:1:0", "text:ok"], "OK."),
            rec(T, "3", Some(Exec), &["tool:x"], "x"),
            rec(T, "4", Some(Answer), &["uuid:2:0", "text:ok"], "OK."),
        ];
        let steps = merge(&records, &[]);
        assert_eq!(
            order(&steps),
            ["user:go", "answer:OK.", "exec:x", "answer:OK."]
        );
        assert_eq!(steps[3].sources, vec![H, T]);
        assert_eq!(steps[1].sources, vec![T]);
    }

    /// A transcript record of entry `id` (child of `parent`), as Pi's adapter makes them.
    fn entry(id: &str, parent: Option<&str>, kind: StepKind, summary: &str) -> Record {
        let mut r = rec(T, id, Some(kind), &[&format!("entry:{id}:0")], summary);
        r.extra.insert("entry".into(), id.into());
        r.extra.insert("parent".into(), parent.into());
        r
    }

    fn branches(steps: &[Step]) -> Vec<(String, u64, Option<&str>)> {
        steps
            .iter()
            .map(|s| {
                (
                    s.summary.clone(),
                    s.meta["branch"].as_u64().unwrap(),
                    s.extra.get("fork_of").and_then(Value::as_str),
                )
            })
            .collect()
    }

    #[test]
    fn a_forked_session_comes_out_path_by_path() {
        // a-b-c-d, then a fork from b (e, f), then d continued (g), then a fork from a (h).
        let records = vec![
            rec(H, "0", Some(System), &[], "start"),
            rec(H, "1", Some(User), &["entry:a:0"], "a"),
            rec(H, "2", Some(System), &[], "outside"),
            rec(H, "3", Some(User), &["entry:e:0"], "e"),
            rec(H, "4", Some(System), &[], "end"),
            entry("a", None, User, "a"),
            entry("b", Some("a"), Answer, "b"),
            entry("c", Some("b"), User, "c"),
            entry("d", Some("c"), Answer, "d"),
            entry("e", Some("b"), User, "e"),
            entry("f", Some("e"), Answer, "f"),
            entry("g", Some("d"), User, "g"),
            entry("h", Some("a"), User, "h"),
        ];
        let steps = merge(&records, &[]);
        assert_eq!(
            branches(&steps),
            [
                ("start".to_string(), 0, None),
                ("a".into(), 0, None),
                ("b".into(), 0, None),
                ("c".into(), 0, None),
                ("d".into(), 0, None),
                ("g".into(), 0, None),
                ("outside".into(), 1, Some("b")),
                ("e".into(), 1, Some("b")),
                ("f".into(), 1, Some("b")),
                ("h".into(), 2, Some("a")),
                ("end".into(), 2, Some("a")),
            ]
        );
        assert!(steps.iter().enumerate().all(|(i, s)| s.index == i as u64));
    }

    #[test]
    fn a_single_path_keeps_its_order_and_gets_no_branches() {
        let linear = vec![
            rec(H, "0", Some(System), &[], "start"),
            rec(H, "1", Some(User), &["entry:a:0"], "a"),
            rec(T, "0", Some(System), &["session:s"], "header"),
            entry("a", None, User, "a"),
            entry("b", Some("a"), Answer, "b"),
            rec(T, "1", None, &[], "torn line"),
            entry("c", Some("b"), User, "c"),
        ];
        let plain: Vec<Record> = linear
            .iter()
            .cloned()
            .map(|mut r| {
                r.extra.clear();
                r
            })
            .collect();
        let steps = merge(&linear, &[]);
        assert_eq!(order(&steps), order(&merge(&plain, &[])));
        assert_eq!(
            order(&steps),
            [
                "system:header",
                "system:start",
                "user:a",
                "answer:b",
                "user:c"
            ]
        );
        assert!(steps.iter().all(|s| !s.meta.contains_key("branch")));
    }

    #[test]
    fn a_prompt_and_an_answer_with_the_same_text_stay_apart() {
        let records = vec![
            rec(H, "1", Some(User), &["text:same"], "same"),
            rec(T, "2", Some(Answer), &["uuid:1:0", "text:same"], "same"),
        ];
        let mut kinds = order(&merge(&records, &[]));
        kinds.sort();
        assert_eq!(kinds, ["answer:same", "user:same"]);
    }
}
