//! Codex's side of `init --agent codex` beyond its `hooks.json`: hooks sit behind a feature flag
//! in `$CODEX_HOME/config.toml`, and a project's `.codex/` layer loads only in trusted projects.
//!
//! `config.toml` is the user's file: it is edited as TOML (comments, order and formatting kept),
//! only `[features] hooks = true` is ever written, and nothing is written when it is already set.
//! Trust is the user's decision, so it is reported, never granted.

use std::fs;
use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Table, Value};

use super::hooks_json::{user_dir, CODEX};
use super::{Change, Error, Scope, Wiring};

fn config_path(home: Option<&Path>) -> Result<PathBuf, Error> {
    Ok(user_dir(&CODEX, home)?.join("config.toml"))
}

fn read_config(path: &Path) -> Result<Option<(DocumentMut, fs::Permissions)>, Error> {
    let text = match fs::read_to_string(path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(Error::io("read", path)(err)),
    };
    let permissions = fs::metadata(path)
        .map_err(Error::io("read", path))?
        .permissions();
    let doc = text.parse::<DocumentMut>().map_err(|err| {
        let (line, column) = err
            .span()
            .map(|span| line_column(&text, span.start))
            .unwrap_or((0, 0));
        Error::Parse {
            path: path.to_path_buf(),
            line,
            column,
            message: err.message().to_string(),
        }
    })?;
    Ok(Some((doc, permissions)))
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

/// Turns on `[features] hooks`; returns whether the document changed.
fn enable_hooks(doc: &mut DocumentMut, path: &Path) -> Result<bool, Error> {
    let shape = |field: &str, expected| Error::Shape {
        product: CODEX.product,
        path: path.to_path_buf(),
        field: field.to_string(),
        expected,
    };
    let features = doc
        .entry("features")
        .or_insert_with(|| Item::Table(Table::new()));
    let features = features
        .as_table_like_mut()
        .ok_or_else(|| shape("features", "a table"))?;
    match features.get_mut("hooks") {
        None => {
            features.insert("hooks", Item::Value(Value::from(true)));
            Ok(true)
        }
        Some(item) => match item.as_value_mut() {
            Some(Value::Boolean(flag)) if *flag.value() => Ok(false),
            Some(value @ Value::Boolean(_)) => {
                // The user's comment on that line stays with it.
                let decor = value.decor().clone();
                *value = Value::from(true);
                *value.decor_mut() = decor;
                Ok(true)
            }
            _ => Err(shape("features.hooks", "a boolean")),
        },
    }
}

fn is_trusted(doc: &DocumentMut, project: &Path) -> bool {
    doc.get("projects")
        .and_then(|p| p.get(&*project.to_string_lossy()))
        .and_then(|p| p.get("trust_level"))
        .and_then(Item::as_str)
        == Some("trusted")
}

/// Sets the feature flag and says what trust steps are left to the user.
pub(super) fn install(
    repo: Option<&git2::Repository>,
    scope: Scope,
    home: Option<&Path>,
) -> Result<Vec<Wiring>, Error> {
    let path = config_path(home)?;
    let (mut doc, permissions) = match read_config(&path)? {
        Some((doc, permissions)) => (doc, Some(permissions)),
        None => (DocumentMut::new(), super::new_file_permissions(0o600)),
    };
    let change = if enable_hooks(&mut doc, &path)? {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(Error::io("create", dir))?;
        }
        super::write_atomic(&path, doc.to_string().as_bytes(), permissions)?;
        Change::Installed
    } else {
        Change::AlreadyInstalled
    };
    let mut what = "Codex hooks feature ([features] hooks = true)".to_string();
    let project = match (scope, repo.and_then(git2::Repository::workdir)) {
        (Scope::Repo, Some(workdir)) => Some(fs::canonicalize(workdir).unwrap_or(workdir.into())),
        _ => None,
    };
    if let Some(project) = project.filter(|p| !is_trusted(&doc, p)) {
        let project = project.to_string_lossy();
        let project = project.trim_end_matches('/');
        what.push_str(&format!(
            "; Codex loads .codex/hooks.json only in trusted projects: trust {project} when Codex \
             asks, or add [projects.\"{project}\"] trust_level = \"trusted\" to this file"
        ));
    }
    what.push_str(
        "; Codex asks you to review new hooks: approve them with /hooks (codex exec: \
         --dangerously-bypass-hook-trust)",
    );
    Ok(vec![Wiring { path, what, change }])
}

/// Whether Codex's config trusts this worktree, so that it loads the project's `.codex/`.
pub(super) fn project_trusted(repo: &git2::Repository, home: Option<&Path>) -> bool {
    let Some(workdir) = repo.workdir() else {
        return false;
    };
    let project = fs::canonicalize(workdir).unwrap_or_else(|_| workdir.to_path_buf());
    let project = PathBuf::from(project.to_string_lossy().trim_end_matches('/'));
    config_path(home)
        .ok()
        .and_then(|path| read_config(&path).ok().flatten())
        .is_some_and(|(doc, _)| is_trusted(&doc, &project))
}

/// Whether hooks are enabled in Codex's config (`None`: no config file, or unreadable).
pub(super) fn hooks_enabled(home: Option<&Path>) -> Option<bool> {
    let path = config_path(home).ok()?;
    let (doc, _) = read_config(&path).ok()??;
    Some(
        doc.get("features")
            .and_then(|f| f.get("hooks"))
            .and_then(Item::as_bool)
            == Some(true),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const USER_CONFIG: &str = r#"# my codex settings
model = "gpt-5.5"   # the fast one

[features]
# experiments I like
web_search = true

[projects."/src/app"]
trust_level = "trusted"
"#;

    fn home_with(config: Option<&str>) -> tempfile::TempDir {
        let home = tempfile::tempdir().unwrap();
        if let Some(text) = config {
            fs::create_dir_all(home.path().join(".codex")).unwrap();
            fs::write(home.path().join(".codex/config.toml"), text).unwrap();
        }
        home
    }

    #[test]
    fn enables_hooks_keeping_comments_and_order_once() {
        let home = home_with(Some(USER_CONFIG));
        let path = home.path().join(".codex/config.toml");
        let report = install(None, Scope::Global, Some(home.path())).unwrap();
        assert_eq!(report[0].change, Change::Installed);
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(
            text,
            USER_CONFIG.replace("web_search = true\n", "web_search = true\nhooks = true\n")
        );
        let again = install(None, Scope::Global, Some(home.path())).unwrap();
        assert_eq!(again[0].change, Change::AlreadyInstalled);
        assert_eq!(fs::read_to_string(&path).unwrap(), text);
        assert_eq!(hooks_enabled(Some(home.path())), Some(true));
    }

    #[test]
    fn creates_the_config_and_turns_a_false_flag_on() {
        let home = home_with(None);
        install(None, Scope::Global, Some(home.path())).unwrap();
        let path = home.path().join(".codex/config.toml");
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "[features]\nhooks = true\n"
        );
        fs::write(&path, "[features]\nhooks = false # off for now\n").unwrap();
        assert_eq!(hooks_enabled(Some(home.path())), Some(false));
        install(None, Scope::Global, Some(home.path())).unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "[features]\nhooks = true # off for now\n"
        );
    }

    #[test]
    fn refuses_a_broken_config_without_writing() {
        let broken = "[features\nhooks = true\n";
        let home = home_with(Some(broken));
        let err = install(None, Scope::Global, Some(home.path())).unwrap_err();
        assert!(matches!(err, Error::Parse { line: 1, .. }), "{err}");
        let odd = "features = 3\n";
        let home = home_with(Some(odd));
        let err = install(None, Scope::Global, Some(home.path())).unwrap_err();
        assert!(err.to_string().contains("features is not a table"), "{err}");
        assert_eq!(
            fs::read_to_string(home.path().join(".codex/config.toml")).unwrap(),
            odd
        );
    }

    #[test]
    fn names_the_trust_step_for_an_untrusted_project() {
        let home = home_with(Some(USER_CONFIG));
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        let report = install(Some(&repo), Scope::Repo, Some(home.path())).unwrap();
        let project = fs::canonicalize(dir.path()).unwrap();
        assert!(
            report[0].what.contains(&format!(
                "[projects.\"{}\"] trust_level = \"trusted\"",
                project.display()
            )),
            "{}",
            report[0].what
        );
    }
}
