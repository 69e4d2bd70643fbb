//! Skills: instructions an agent loads for a job (a `SKILL.md`, a slash command's file), and the
//! runs that used them.
//!
//! A use is found from what the session did, in any harness: Claude Code's `Skill` tool, a slash
//! command in a prompt (`/name`, Claude's `<command-name>`, Pi's `/skill:name`), or a step that
//! read a skill file (a read tool, or a shell command naming it, as Codex does). Each use is
//! versioned by the git blob id of the skill file as the session's trail had it at that step, not
//! by today's file: the latest snapshot at or before the step, else the session's base commit.

pub mod ratings;
pub mod report;
pub mod runs;
pub mod score;

use crate::model::{Step, StepKind, Trace};
use git2::{Oid, Repository};
use serde::Serialize;
use serde_json::Value;

/// One use of a skill in a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Use {
    pub skill: String,
    pub step: u64,
    /// `tool` (a Skill tool call), `command` (a slash command) or `read` (the file was read).
    pub how: &'static str,
    /// The skill file, relative to the repository root, when it is in the repository.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Blob id of that file at the step; absent when the file is not in the session's trees
    /// (a user-level skill outside the repository, or one deleted before the session).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// Where harnesses keep skills and commands, relative to a repository root: `{}` is the name.
const LAYOUTS: [&str; 6] = [
    ".claude/skills/{}/SKILL.md",
    ".claude/commands/{}.md",
    ".agents/skills/{}/SKILL.md",
    ".codex/skills/{}/SKILL.md",
    ".pi/skills/{}/SKILL.md",
    "skills/{}/SKILL.md",
];

/// Every skill use in `trace`, one per (skill, step), in step order.
pub fn uses(repo: &Repository, trace: &Trace) -> Vec<Use> {
    let root = trace.cwd.as_deref().unwrap_or("");
    let mut out: Vec<Use> = Vec::new();
    for step in &trace.steps {
        for (skill, how, file) in found_in(step, root) {
            if out.iter().any(|u| u.skill == skill && u.step == step.index) {
                continue;
            }
            let tree = tree_at(repo, trace, step.index);
            let (file, version) = locate(repo, tree, &skill, file);
            out.push(Use {
                skill,
                step: step.index,
                how,
                file,
                version,
            });
        }
    }
    out
}

/// (skill, how, file relative to the root when the step named one).
fn found_in(step: &Step, root: &str) -> Vec<(String, &'static str, Option<String>)> {
    let mut found = Vec::new();
    let input = step.input.as_ref().unwrap_or(&Value::Null);
    if step.tool.as_deref() == Some("Skill") {
        if let Some(name) = input["skill"].as_str().or(input["command"].as_str()) {
            found.push((name.trim_start_matches('/').to_string(), "tool", None));
        }
    }
    if step.kind == StepKind::User {
        let text = step
            .text
            .as_ref()
            .map_or(step.summary.as_str(), |t| &t.text);
        if let Some(name) = slash_command(text) {
            found.push((name, "command", None));
        }
    }
    if matches!(step.kind, StepKind::Read | StepKind::Exec) {
        let mut texts: Vec<&str> = step.paths.iter().map(String::as_str).collect();
        if step.kind == StepKind::Exec {
            texts.extend(input["command"].as_str());
            texts.extend(input["cmd"].as_str());
        }
        for text in texts {
            for word in text.split(|c: char| c.is_whitespace() || "'\";|&<>()".contains(c)) {
                if let Some((name, file)) = skill_file(word, root) {
                    found.push((name, "read", file));
                }
            }
        }
    }
    found
}

/// `/name args`, `<command-name>/name</command-name>` or Pi's `/skill:name`.
fn slash_command(text: &str) -> Option<String> {
    let text = text.trim_start();
    let word = if let Some(rest) = text.split("<command-name>").nth(1) {
        rest.split("</command-name>").next()?
    } else {
        text.split_whitespace().next()?
    };
    let name = word.strip_prefix('/')?;
    let name = name.strip_prefix("skill:").unwrap_or(name);
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
        && !name.contains('/');
    plain.then(|| name.to_string())
}

/// A word naming a skill file: `…/<name>/SKILL.md` or `…/.claude/commands/<name>.md`, with the
/// path made relative to the session's root when it lies inside it.
fn skill_file(word: &str, root: &str) -> Option<(String, Option<String>)> {
    let path = word.trim_start_matches("./");
    let name = if let Some(dir) = path.strip_suffix("/SKILL.md") {
        dir.rsplit('/').next()?.to_string()
    } else if path.contains(".claude/commands/") && path.ends_with(".md") {
        path.rsplit('/').next()?.strip_suffix(".md")?.to_string()
    } else {
        return None;
    };
    let relative = match path.strip_prefix(root.trim_end_matches('/')) {
        Some(rest) if !root.is_empty() => Some(rest.trim_start_matches('/').to_string()),
        _ if !path.starts_with('/') && !path.starts_with('~') => Some(path.to_string()),
        _ => None,
    };
    (!name.is_empty()).then_some((name, relative))
}

/// The tree the session had at `step`: its latest snapshot at or before it, else its base.
fn tree_at(repo: &Repository, trace: &Trace, step: u64) -> Option<Oid> {
    let commit = trace
        .steps
        .iter()
        .filter(|s| s.index <= step)
        .rev()
        .find_map(|s| s.snapshot.clone())
        .or_else(|| trace.base.clone())?;
    let commit = repo.find_commit(Oid::from_str(&commit).ok()?).ok()?;
    Some(commit.tree_id())
}

/// The skill's file in `tree` (the one the step named, else the first layout that has it) and its
/// blob id there.
fn locate(
    repo: &Repository,
    tree: Option<Oid>,
    skill: &str,
    named: Option<String>,
) -> (Option<String>, Option<String>) {
    let tree = tree.and_then(|t| repo.find_tree(t).ok());
    let blob = |path: &str| {
        let entry = tree.as_ref()?.get_path(std::path::Path::new(path)).ok()?;
        (entry.kind() == Some(git2::ObjectType::Blob)).then(|| entry.id().to_string())
    };
    let candidates: Vec<String> = named
        .iter()
        .cloned()
        .chain(LAYOUTS.iter().map(|l| l.replace("{}", skill)))
        .collect();
    for path in &candidates {
        if let Some(version) = blob(path) {
            return (Some(path.clone()), Some(version));
        }
    }
    (named, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slash_commands_in_each_harness_form() {
        assert_eq!(
            slash_command("/newsletter draft it").as_deref(),
            Some("newsletter")
        );
        assert_eq!(
            slash_command(
                "<command-message>x</command-message>\n<command-name>/review</command-name>"
            )
            .as_deref(),
            Some("review")
        );
        assert_eq!(
            slash_command("/skill:release-notes now").as_deref(),
            Some("release-notes")
        );
        assert_eq!(slash_command("/usr/bin/env is a path"), None);
        assert_eq!(slash_command("fix the / in the url"), None);
    }

    fn step(value: Value) -> Step {
        let mut base = serde_json::json!({
            "index": 3, "kind": "exec", "tool": null, "paths": [], "started_at": "", "summary": "",
            "snapshot": null, "sources": ["transcript"]
        });
        for (k, v) in value.as_object().unwrap() {
            base[k] = v.clone();
        }
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn uses_are_found_in_each_harness_way_of_loading_a_skill() {
        let root = "/work/repo";
        // Codex reads a skill with a shell command; Pi with its read tool; Claude Code calls Skill.
        let codex = step(
            serde_json::json!({"tool": "exec_command", "input": {"cmd": "sed -n '1,80p' /work/repo/.agents/skills/release/SKILL.md"}}),
        );
        assert_eq!(
            found_in(&codex, root),
            [(
                "release".into(),
                "read",
                Some(".agents/skills/release/SKILL.md".into())
            )]
        );
        let pi = step(
            serde_json::json!({"kind": "read", "tool": "read", "paths": [".pi/skills/review/SKILL.md"]}),
        );
        assert_eq!(
            found_in(&pi, root),
            [(
                "review".into(),
                "read",
                Some(".pi/skills/review/SKILL.md".into())
            )]
        );
        let claude = step(
            serde_json::json!({"kind": "tool", "tool": "Skill", "input": {"skill": "newsletter"}}),
        );
        assert_eq!(
            found_in(&claude, root),
            [("newsletter".into(), "tool", None)]
        );
        let plain = step(serde_json::json!({"input": {"command": "cat README.md"}}));
        assert!(found_in(&plain, root).is_empty());
    }

    #[test]
    fn skill_files_are_named_by_their_directory_or_command_file() {
        assert_eq!(
            skill_file(
                "/work/repo/.claude/skills/newsletter/SKILL.md",
                "/work/repo"
            ),
            Some((
                "newsletter".into(),
                Some(".claude/skills/newsletter/SKILL.md".into())
            ))
        );
        assert_eq!(
            skill_file(".claude/commands/ship.md", "/work/repo"),
            Some(("ship".into(), Some(".claude/commands/ship.md".into())))
        );
        assert_eq!(
            skill_file("/home/me/.codex/skills/imagegen/SKILL.md", "/work/repo"),
            Some(("imagegen".into(), None))
        );
        assert_eq!(skill_file("/work/repo/README.md", "/work/repo"), None);
    }
}
