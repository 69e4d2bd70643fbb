//! Hook entries in the JSON hook files of Claude Code (`settings.json`, formats/claude.md §1) and
//! Codex (`hooks.json`, formats/codex.md §1), which share one shape:
//! `{"hooks": {"<Event>": [{"matcher"?, "hooks": [{"type": "command", "command", "timeout"}]}]}}`.
//!
//! The file belongs to the user and often holds permissions, env and hooks of other tools. It is
//! parsed into an order-keeping map, only entries whose command is ours are added or removed, and
//! it is rewritten only when that changes something, so a second `init` leaves every byte as it was.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{json, Map, Value};

use super::{Change, Error, Scope, Wiring};

/// One harness's hook file: where it lives and what git-traces wires in it.
pub(super) struct Spec {
    /// The harness name in `git trace hook <harness> <Event>`.
    pub(super) harness: &'static str,
    /// The product name used in reports.
    pub(super) product: &'static str,
    /// Every event capture records, in the order they are added to a file.
    pub(super) events: &'static [&'static str],
    /// Events whose groups filter by tool name: they get `"matcher": "*"` (every tool).
    pub(super) tool_events: &'static [&'static str],
    /// The file relative to the worktree, and relative to the user-level directory.
    pub(super) repo_file: &'static str,
    pub(super) user_file: &'static str,
    /// The environment variable that moves the user-level directory, else `~/<user_dir>`.
    pub(super) user_dir_env: Option<&'static str>,
    pub(super) user_dir: &'static str,
    /// Per-event timeout in seconds.
    pub(super) timeout: fn(&str) -> u64,
}

pub(super) const CLAUDE: Spec = Spec {
    harness: "claude",
    product: "Claude Code",
    events: &[
        "SessionStart",
        "UserPromptSubmit",
        "PreToolUse",
        "PostToolUse",
        "Stop",
        "SessionEnd",
        "PreCompact",
        "SubagentStop",
    ],
    tool_events: &["PreToolUse", "PostToolUse"],
    repo_file: ".claude/settings.json",
    user_file: "settings.json",
    user_dir_env: None,
    user_dir: ".claude",
    timeout: |_| 30,
};

/// Codex 0.169 runs every hook for every tool without a matcher, and caps SessionEnd at 3 s.
pub(super) const CODEX: Spec = Spec {
    harness: "codex",
    product: "Codex",
    events: &[
        "SessionStart",
        "UserPromptSubmit",
        "PreToolUse",
        "PermissionRequest",
        "PostToolUse",
        "Stop",
        "SessionEnd",
    ],
    tool_events: &[],
    repo_file: ".codex/hooks.json",
    user_file: "hooks.json",
    user_dir_env: Some("CODEX_HOME"),
    user_dir: ".codex",
    timeout: |event| if event == "SessionEnd" { 3 } else { 30 },
};

/// The user-level directory of a harness (`$CODEX_HOME`, else `~/.codex`).
pub(super) fn user_dir(spec: &Spec, home: Option<&Path>) -> Result<PathBuf, Error> {
    if let Some(dir) = spec
        .user_dir_env
        .and_then(std::env::var_os)
        .filter(|d| !d.is_empty())
    {
        return Ok(PathBuf::from(dir));
    }
    Ok(home
        .ok_or_else(|| Error::NoHome {
            needed_for: format!("~/{}", spec.user_dir),
        })?
        .join(spec.user_dir))
}

fn settings_path(
    spec: &Spec,
    repo: Option<&git2::Repository>,
    scope: Scope,
    home: Option<&Path>,
) -> Result<PathBuf, Error> {
    match scope {
        Scope::Repo => Ok(repo
            .and_then(git2::Repository::workdir)
            .ok_or(Error::Bare {
                product: spec.product,
                file: spec.repo_file,
            })?
            .join(spec.repo_file)),
        Scope::Global => Ok(user_dir(spec, home)?.join(spec.user_file)),
    }
}

/// A command is ours when it starts with `git trace hook <harness>` (or `git-trace hook …`),
/// whatever event or arguments follow: users who spell the binary `git-trace` keep their entry
/// instead of getting a duplicate.
fn is_ours(spec: &Spec, command: &str) -> bool {
    let command = command.trim_start();
    let ours = [
        format!("git trace hook {}", spec.harness),
        format!("git-trace hook {}", spec.harness),
    ];
    ours.iter().any(|ours| {
        command
            .strip_prefix(ours)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(char::is_whitespace))
    })
}

fn is_our_hook(spec: &Spec, hook: &Value) -> bool {
    hook.get("command")
        .and_then(Value::as_str)
        .is_some_and(|c| is_ours(spec, c))
}

fn group_has_ours(spec: &Spec, group: &Value) -> bool {
    group
        .get("hooks")
        .and_then(Value::as_array)
        .is_some_and(|hooks| hooks.iter().any(|h| is_our_hook(spec, h)))
}

fn entry(spec: &Spec, event: &str) -> Value {
    let hooks = json!([{
        "type": "command",
        "command": format!("git trace hook {} {event}", spec.harness),
        "timeout": (spec.timeout)(event),
    }]);
    if spec.tool_events.contains(&event) {
        json!({ "matcher": "*", "hooks": hooks })
    } else {
        json!({ "hooks": hooks })
    }
}

/// The parsed file, `None` when it does not exist. A blank file reads as `{}`, which is how a
/// user's `touch` or truncation should be taken.
fn read_settings(path: &Path) -> Result<Option<(Value, fs::Permissions)>, Error> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(Error::io("read", path)(err)),
    };
    let permissions = fs::metadata(path)
        .map_err(Error::io("read", path))?
        .permissions();
    if bytes.trim_ascii().is_empty() {
        return Ok(Some((Value::Object(Map::new()), permissions)));
    }
    let value = serde_json::from_slice(&bytes).map_err(|err| {
        let full = err.to_string();
        let location = format!(" at line {} column {}", err.line(), err.column());
        Error::Parse {
            path: path.to_path_buf(),
            line: err.line(),
            column: err.column(),
            message: full.strip_suffix(&location).unwrap_or(&full).to_string(),
        }
    })?;
    Ok(Some((value, permissions)))
}

fn write_settings(
    path: &Path,
    value: &Value,
    permissions: Option<fs::Permissions>,
) -> Result<(), Error> {
    let mut text = serde_json::to_string_pretty(value).map_err(|err| Error::Io {
        action: "serialise",
        path: path.to_path_buf(),
        source: err.into(),
    })?;
    text.push('\n');
    super::write_atomic(path, text.as_bytes(), permissions)
}

/// Adds our entry to every event that lacks one; returns the events it added to.
fn add_ours(spec: &Spec, root: &mut Value, path: &Path) -> Result<Vec<&'static str>, Error> {
    let shape = |field: String, expected| Error::Shape {
        product: spec.product,
        path: path.to_path_buf(),
        field,
        expected,
    };
    let root = root
        .as_object_mut()
        .ok_or_else(|| shape("the top level".to_string(), "an object"))?;
    let hooks = root
        .entry("hooks")
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or_else(|| shape("\"hooks\"".to_string(), "an object"))?;
    let mut added = Vec::new();
    for &event in spec.events {
        let groups = hooks
            .entry(event)
            .or_insert_with(|| Value::Array(Vec::new()))
            .as_array_mut()
            .ok_or_else(|| shape(format!("\"hooks\".\"{event}\""), "an array"))?;
        if !groups.iter().any(|g| group_has_ours(spec, g)) {
            groups.push(entry(spec, event));
            added.push(event);
        }
    }
    Ok(added)
}

/// Removes our entries, then whatever that left empty; returns whether anything was removed.
/// Groups, events and `hooks` that were empty before are the user's and stay.
fn remove_ours(spec: &Spec, root: &mut Value) -> bool {
    let Some(root) = root.as_object_mut() else {
        return false;
    };
    let Some(hooks) = root.get_mut("hooks").and_then(Value::as_object_mut) else {
        return false;
    };
    let mut removed = false;
    hooks.retain(|_, groups| {
        let Some(groups) = groups.as_array_mut() else {
            return true;
        };
        let mut event_removed = false;
        groups.retain_mut(|group| {
            let Some(hooks) = group.get_mut("hooks").and_then(Value::as_array_mut) else {
                return true;
            };
            let before = hooks.len();
            hooks.retain(|hook| !is_our_hook(spec, hook));
            if hooks.len() == before {
                return true;
            }
            event_removed = true;
            !hooks.is_empty()
        });
        removed |= event_removed;
        !(event_removed && groups.is_empty())
    });
    if removed && hooks.is_empty() {
        root.shift_remove("hooks");
    }
    removed
}

fn wired_events(spec: &Spec, root: &Value) -> Vec<&'static str> {
    spec.events
        .iter()
        .copied()
        .filter(|event| {
            root.get("hooks")
                .and_then(|hooks| hooks.get(event))
                .and_then(Value::as_array)
                .is_some_and(|groups| groups.iter().any(|g| group_has_ours(spec, g)))
        })
        .collect()
}

/// A reminder for a repository settings file git does not know about yet: until it is committed
/// (or excluded), other clones are not wired and `git status` lists it.
pub(super) fn untracked_note(repo: &git2::Repository, file: &str) -> Option<String> {
    let rel = Path::new(file);
    let tracked = repo.index().ok()?.get_path(rel, 0).is_some();
    let ignored = repo.status_should_ignore(rel).ok()?;
    (!tracked && !ignored).then(|| {
        format!(
            "; {file} is untracked: commit it to share the wiring, or add it to .git/info/exclude"
        )
    })
}

pub(super) fn install(
    spec: &Spec,
    repo: Option<&git2::Repository>,
    scope: Scope,
    home: Option<&Path>,
) -> Result<Vec<Wiring>, Error> {
    let path = settings_path(spec, repo, scope, home)?;
    let existing = read_settings(&path)?;
    let (mut root, permissions) = match existing {
        Some((root, permissions)) => (root, Some(permissions)),
        None => (
            Value::Object(Map::new()),
            super::new_file_permissions(0o644),
        ),
    };
    let added = add_ours(spec, &mut root, &path)?;
    let product = spec.product;
    let (change, mut what) = match added.len() {
        0 => (
            Change::AlreadyInstalled,
            format!("{product} hooks ({} events)", spec.events.len()),
        ),
        n if n == spec.events.len() => (Change::Installed, format!("{product} hooks ({n} events)")),
        _ => (
            Change::Updated,
            format!("{product} hooks (added {})", added.join(", ")),
        ),
    };
    if !added.is_empty() {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(Error::io("create", dir))?;
        }
        write_settings(&path, &root, permissions)?;
    }
    if let (Scope::Repo, Some(repo)) = (scope, repo) {
        what.push_str(&untracked_note(repo, spec.repo_file).unwrap_or_default());
    }
    Ok(vec![Wiring { path, what, change }])
}

pub(super) fn uninstall(
    spec: &Spec,
    repo: Option<&git2::Repository>,
    scope: Scope,
    home: Option<&Path>,
) -> Result<Vec<Wiring>, Error> {
    let path = match settings_path(spec, repo, scope, home) {
        Ok(path) => path,
        // A bare repository has no worktree settings, so there is nothing to remove.
        Err(Error::Bare { .. }) => return Ok(Vec::new()),
        Err(err) => return Err(err),
    };
    let mut change = Change::NotInstalled;
    if let Some((mut root, permissions)) = read_settings(&path)? {
        if remove_ours(spec, &mut root) {
            write_settings(&path, &root, Some(permissions))?;
            change = Change::Removed;
        }
    }
    Ok(vec![Wiring {
        path,
        what: format!("{} hooks", spec.product),
        change,
    }])
}

/// One harness's part of [`super::WiringStatus`].
pub(super) struct HookFileStatus {
    pub(super) repo: Option<PathBuf>,
    pub(super) global: Option<PathBuf>,
    pub(super) missing: Vec<&'static str>,
    pub(super) notes: Vec<String>,
}

pub(super) fn status(spec: &Spec, repo: &git2::Repository, home: Option<&Path>) -> HookFileStatus {
    let mut notes = Vec::new();
    let mut wired = Vec::new();
    let mut check = |scope| {
        let path = settings_path(spec, Some(repo), scope, home).ok()?;
        match read_settings(&path) {
            Ok(Some((root, _))) => {
                let events = wired_events(spec, &root);
                wired.extend(events.iter().copied());
                (!events.is_empty()).then_some(path)
            }
            Ok(None) => None,
            Err(err) => {
                notes.push(err.to_string());
                None
            }
        }
    };
    let repo_settings = check(Scope::Repo);
    let global_settings = check(Scope::Global);
    HookFileStatus {
        repo: repo_settings,
        global: global_settings,
        missing: spec
            .events
            .iter()
            .copied()
            .filter(|event| !wired.contains(event))
            .collect(),
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::Fixture;
    use super::*;

    const USER_SETTINGS: &str = r#"{
  "permissions": {
    "allow": [
      "Bash(cargo test:*)"
    ]
  },
  "hooks": {
    "PreToolUse": [
      {
        "matcher": "Bash",
        "hooks": [
          {
            "type": "command",
            "command": "my-linter --check"
          }
        ]
      }
    ],
    "Notification": [
      {
        "hooks": [
          {
            "type": "command",
            "command": "notify-send claude"
          }
        ]
      }
    ]
  },
  "model": "opus"
}
"#;

    fn settings(fx: &Fixture) -> PathBuf {
        fx.root().join(".claude/settings.json")
    }

    fn write(path: &Path, text: &str) {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn parse(path: &Path) -> Value {
        serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
    }

    fn keys(value: &Value) -> Vec<&str> {
        value
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect()
    }

    #[test]
    fn new_repo_settings_get_every_event() {
        let fx = Fixture::new();
        let report = install(&CLAUDE, Some(&fx.repo), Scope::Repo, fx.home()).unwrap();
        assert_eq!(report.len(), 1);
        assert_eq!(report[0].path, settings(&fx));
        assert_eq!(report[0].change, Change::Installed);
        assert!(
            report[0].what.starts_with(
                "Claude Code hooks (8 events); .claude/settings.json is untracked: commit it"
            ),
            "{}",
            report[0].what
        );
        let text = fs::read_to_string(settings(&fx)).unwrap();
        assert!(text.starts_with(
            "{\n  \"hooks\": {\n    \"SessionStart\": [\n      {\n        \"hooks\": [\n          {\n            \"type\": \"command\",\n            \"command\": \"git trace hook claude SessionStart\",\n            \"timeout\": 30\n"
        ), "{text}");
        assert!(text.ends_with("}\n") && !text.ends_with("\n\n"));
        let root = parse(&settings(&fx));
        assert_eq!(keys(&root["hooks"]), CLAUDE.events);
        assert_eq!(
            root["hooks"]["PostToolUse"],
            json!([{"matcher": "*", "hooks": [{"type": "command", "command": "git trace hook claude PostToolUse", "timeout": 30}]}])
        );
        assert_eq!(root["hooks"]["Stop"][0].get("matcher"), None);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(settings(&fx)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o644);
        }
    }

    #[test]
    fn merge_keeps_user_settings_hooks_and_order_and_is_idempotent() {
        let fx = Fixture::new();
        write(&settings(&fx), USER_SETTINGS);
        let report = install(&CLAUDE, Some(&fx.repo), Scope::Repo, fx.home()).unwrap();
        assert_eq!(report[0].change, Change::Installed);

        let root = parse(&settings(&fx));
        let before: Value = serde_json::from_str(USER_SETTINGS).unwrap();
        assert_eq!(keys(&root), ["permissions", "hooks", "model"]);
        assert_eq!(root["permissions"], before["permissions"]);
        assert_eq!(root["model"], "opus");
        assert_eq!(
            keys(&root["hooks"]),
            [
                "PreToolUse",
                "Notification",
                "SessionStart",
                "UserPromptSubmit",
                "PostToolUse",
                "Stop",
                "SessionEnd",
                "PreCompact",
                "SubagentStop"
            ]
        );
        assert_eq!(
            root["hooks"]["PreToolUse"][0],
            before["hooks"]["PreToolUse"][0]
        );
        assert_eq!(root["hooks"]["PreToolUse"][1], entry(&CLAUDE, "PreToolUse"));
        assert_eq!(
            root["hooks"]["Notification"],
            before["hooks"]["Notification"]
        );
        assert_eq!(root["hooks"]["Stop"], json!([entry(&CLAUDE, "Stop")]));

        let first = fs::read(settings(&fx)).unwrap();
        let again = install(&CLAUDE, Some(&fx.repo), Scope::Repo, fx.home()).unwrap();
        assert_eq!(again[0].change, Change::AlreadyInstalled);
        assert_eq!(fs::read(settings(&fx)).unwrap(), first);
    }

    #[test]
    fn an_existing_entry_of_ours_is_left_alone_not_duplicated() {
        let fx = Fixture::new();
        let mine = r#"{"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "  git-trace hook claude Stop --verbose"}]}]}}"#;
        write(&settings(&fx), mine);
        let report = install(&CLAUDE, Some(&fx.repo), Scope::Repo, fx.home()).unwrap();
        assert_eq!(report[0].change, Change::Updated);
        assert!(report[0].what.starts_with("Claude Code hooks (added SessionStart, UserPromptSubmit, PreToolUse, PostToolUse, SessionEnd, PreCompact, SubagentStop)"));
        let root = parse(&settings(&fx));
        let before: Value = serde_json::from_str(mine).unwrap();
        assert_eq!(root["hooks"]["Stop"], before["hooks"]["Stop"]);
    }

    #[test]
    fn uninstall_removes_only_ours_and_restores_the_user_file() {
        let fx = Fixture::new();
        write(&settings(&fx), USER_SETTINGS);
        install(&CLAUDE, Some(&fx.repo), Scope::Repo, fx.home()).unwrap();
        let report = uninstall(&CLAUDE, Some(&fx.repo), Scope::Repo, fx.home()).unwrap();
        assert_eq!(report[0].change, Change::Removed);
        assert_eq!(fs::read_to_string(settings(&fx)).unwrap(), USER_SETTINGS);
        let again = uninstall(&CLAUDE, Some(&fx.repo), Scope::Repo, fx.home()).unwrap();
        assert_eq!(again[0].change, Change::NotInstalled);
        assert_eq!(fs::read_to_string(settings(&fx)).unwrap(), USER_SETTINGS);
    }

    #[test]
    fn uninstall_prunes_only_what_it_emptied() {
        let mut root = json!({
            "hooks": {
                "PreToolUse": [{"matcher": "*", "hooks": [
                    {"type": "command", "command": "audit"},
                    {"type": "command", "command": "git trace hook claude PreToolUse"}
                ]}],
                "Stop": [{"hooks": [{"type": "command", "command": "git trace hook claude Stop"}]}],
                "Notification": [{"hooks": []}],
                "SessionEnd": []
            }
        });
        assert!(remove_ours(&CLAUDE, &mut root));
        assert_eq!(
            root,
            json!({
                "hooks": {
                    "PreToolUse": [{"matcher": "*", "hooks": [{"type": "command", "command": "audit"}]}],
                    "Notification": [{"hooks": []}],
                    "SessionEnd": []
                }
            })
        );
        assert!(!remove_ours(&CLAUDE, &mut root));

        let fx = Fixture::new();
        install(&CLAUDE, Some(&fx.repo), Scope::Repo, fx.home()).unwrap();
        uninstall(&CLAUDE, Some(&fx.repo), Scope::Repo, fx.home()).unwrap();
        assert_eq!(fs::read_to_string(settings(&fx)).unwrap(), "{}\n");
    }

    #[test]
    fn our_commands_are_recognised_by_prefix_only() {
        assert!(is_ours(&CLAUDE, "git trace hook claude Stop"));
        assert!(is_ours(&CLAUDE, "git-trace hook claude"));
        assert!(!is_ours(&CLAUDE, "git trace hook claudette Stop"));
        assert!(!is_ours(&CLAUDE, "echo git trace hook claude Stop"));
        assert!(!is_ours(&CLAUDE, "git trace hook codex Stop"));
    }

    #[test]
    fn malformed_json_names_file_line_and_column_and_writes_nothing() {
        let fx = Fixture::new();
        let broken = "{\n  \"hooks\": {\n    \"Stop\": [\n  }\n}\n";
        write(&settings(&fx), broken);
        for result in [
            install(&CLAUDE, Some(&fx.repo), Scope::Repo, fx.home()),
            uninstall(&CLAUDE, Some(&fx.repo), Scope::Repo, fx.home()),
        ] {
            let err = result.unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::Parse {
                        line: 4,
                        column: 3,
                        ..
                    }
                ),
                "{err:?}"
            );
            let text = err.to_string();
            assert!(
                text.starts_with(&format!(
                    "cannot parse {} at line 4, column 3: ",
                    settings(&fx).display()
                )),
                "{text}"
            );
            assert!(!text.contains(" at line 4 column 3"), "{text}");
            assert!(text.contains("\nhint: "), "{text}");
        }
        assert_eq!(fs::read_to_string(settings(&fx)).unwrap(), broken);
    }

    #[test]
    fn unexpected_shape_is_refused() {
        let fx = Fixture::new();
        write(&settings(&fx), r#"{"hooks": {"Stop": {"command": "x"}}}"#);
        let text = install(&CLAUDE, Some(&fx.repo), Scope::Repo, fx.home())
            .unwrap_err()
            .to_string();
        assert!(
            text.starts_with(&format!(
                "cannot merge into {}: \"hooks\".\"Stop\" is not an array",
                settings(&fx).display()
            )),
            "{text}"
        );
    }

    #[test]
    fn global_scope_uses_the_given_home() {
        let fx = Fixture::new();
        let report = install(&CLAUDE, Some(&fx.repo), Scope::Global, fx.home()).unwrap();
        let path = fx.home.path().join(".claude/settings.json");
        assert_eq!(report[0].path, path);
        assert_eq!(report[0].what, "Claude Code hooks (8 events)");
        assert_eq!(wired_events(&CLAUDE, &parse(&path)), CLAUDE.events);
        assert!(!settings(&fx).exists());
        let err = install(&CLAUDE, Some(&fx.repo), Scope::Global, None).unwrap_err();
        assert!(err.to_string().contains("HOME is not set"), "{err}");
    }

    #[test]
    fn no_untracked_note_when_the_file_is_ignored_or_tracked() {
        let fx = Fixture::new();
        write(&fx.repo.path().join("info/exclude"), ".claude/\n");
        let report = install(&CLAUDE, Some(&fx.repo), Scope::Repo, fx.home()).unwrap();
        assert_eq!(report[0].what, "Claude Code hooks (8 events)");

        let fx = Fixture::new();
        install(&CLAUDE, Some(&fx.repo), Scope::Repo, fx.home()).unwrap();
        let mut index = fx.repo.index().unwrap();
        index.add_path(Path::new(CLAUDE.repo_file)).unwrap();
        index.write().unwrap();
        let report = install(&CLAUDE, Some(&fx.repo), Scope::Repo, fx.home()).unwrap();
        assert_eq!(report[0].what, "Claude Code hooks (8 events)");
    }

    #[test]
    fn bare_repository_has_no_repo_settings() {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init_bare(dir.path()).unwrap();
        let err = install(&CLAUDE, Some(&repo), Scope::Repo, None).unwrap_err();
        assert!(matches!(err, Error::Bare { .. }));
        assert!(err
            .to_string()
            .contains("hint: use 'git trace init --global'"));
        assert_eq!(
            uninstall(&CLAUDE, Some(&repo), Scope::Repo, None).unwrap(),
            []
        );
    }
}
