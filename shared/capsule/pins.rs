//! `--with dep=ver` and `--matrix dep=v1,v2`: a dependency's pin changed in the checkout a
//! replay runs in.
//!
//! The pin is rewritten where the project declares it — `requirements*.txt`, `pyproject.toml`
//! (`[project] dependencies`), `package.json`, `Cargo.toml`, `go.mod` — as text or as TOML edited
//! in place, so the rest of each file stays as it was. Lockfiles are left alone: the verifier's
//! own install step resolves the new pin (`pip install -r requirements.txt && pytest`, `npm
//! install && node --test`, `cargo test`); one that insists on the old lock (`npm ci`,
//! `cargo test --locked`) fails, and the replay says inconclusive.

use regex::Regex;
use serde::Serialize;
use std::path::Path;

/// One `name=version` asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pin {
    pub name: String,
    pub version: String,
}

impl std::fmt::Display for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.name, self.version)
    }
}

/// `libfoo=1.3.0`.
pub fn parse(spec: &str) -> Result<Pin, String> {
    match spec.split_once('=') {
        Some((name, version)) if !name.trim().is_empty() && !version.trim().is_empty() => Ok(Pin {
            name: name.trim().to_string(),
            version: version.trim().to_string(),
        }),
        _ => Err(format!(
            "'{spec}' is not a pin: write it as NAME=VERSION, e.g. libfoo=1.3.0"
        )),
    }
}

/// The versions of one dependency a matrix replays with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matrix(pub Vec<Pin>);

/// `libfoo=1.3.0,1.4.0` → one pin per version.
pub fn parse_matrix(spec: &str) -> Result<Matrix, String> {
    let pin = parse(spec)?;
    let pins: Vec<Pin> = pin
        .version
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|version| Pin {
            name: pin.name.clone(),
            version: version.to_string(),
        })
        .collect();
    if pins.len() < 2 {
        return Err(format!(
            "'{spec}' names one version: a matrix is NAME=V1,V2[,...] (use --with for one)"
        ));
    }
    Ok(Matrix(pins))
}

/// Where a pin was written.
#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    pub pin: String,
    pub file: String,
}

/// Rewrites every pin in the project under `dir`; an error names a pin declared nowhere.
pub fn apply(dir: &Path, pins: &[Pin]) -> Result<Vec<Applied>, String> {
    let mut applied = Vec::new();
    for pin in pins {
        let mut found = false;
        for file in candidates(dir) {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let edited = match name {
                "pyproject.toml" => pyproject(&text, pin),
                "package.json" => package_json(&text, pin),
                "Cargo.toml" => cargo_toml(&text, pin),
                "go.mod" => go_mod(&text, pin),
                _ => requirements(&text, pin),
            };
            if let Some(edited) = edited {
                std::fs::write(&file, edited)
                    .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
                applied.push(Applied {
                    pin: pin.to_string(),
                    file: file
                        .strip_prefix(dir)
                        .unwrap_or(&file)
                        .display()
                        .to_string(),
                });
                found = true;
            }
        }
        if !found {
            return Err(format!(
                "{} is declared nowhere in the capsule's tree (looked in requirements*.txt, pyproject.toml, package.json, Cargo.toml and go.mod, at the top and one directory down)",
                pin.name
            ));
        }
    }
    Ok(applied)
}

/// Manifests at the top of `dir` and one directory down, in a stable order.
fn candidates(dir: &Path) -> Vec<std::path::PathBuf> {
    let is_manifest = |name: &str| {
        matches!(
            name,
            "pyproject.toml" | "package.json" | "Cargo.toml" | "go.mod"
        ) || (name.starts_with("requirements") && name.ends_with(".txt"))
    };
    let mut out = Vec::new();
    let mut dirs = vec![(dir.to_path_buf(), 0)];
    while let Some((d, depth)) = dirs.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&d)
            .into_iter()
            .flatten()
            .flatten()
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            if path.is_dir() {
                if depth == 0
                    && !name.starts_with('.')
                    && name != "node_modules"
                    && name != "target"
                {
                    dirs.push((path, 1));
                }
            } else if is_manifest(&name) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// PEP 503: names compare case-insensitively, with runs of `-`, `_` and `.` alike.
fn python_name(name: &str) -> String {
    Regex::new(r"[-_.]+")
        .expect("static regex")
        .replace_all(&name.to_lowercase(), "-")
        .into_owned()
}

/// The name a requirement line or string starts with.
fn requirement_name(line: &str) -> Option<&str> {
    let line = line.trim_start();
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || "-_.".contains(c)))
        .unwrap_or(line.len());
    (end > 0).then(|| &line[..end])
}

fn requirements(text: &str, pin: &Pin) -> Option<String> {
    let wanted = python_name(&pin.name);
    let mut changed = false;
    let lines: Vec<String> = text
        .lines()
        .map(|line| match requirement_name(line) {
            Some(name) if python_name(name) == wanted && !line.trim_start().starts_with('#') => {
                changed = true;
                format!("{name}=={}", pin.version)
            }
            _ => line.to_string(),
        })
        .collect();
    changed.then(|| lines.join("\n") + if text.ends_with('\n') { "\n" } else { "" })
}

fn pyproject(text: &str, pin: &Pin) -> Option<String> {
    let mut doc: toml_edit::DocumentMut = text.parse().ok()?;
    let deps = doc
        .get_mut("project")?
        .get_mut("dependencies")?
        .as_array_mut()?;
    let wanted = python_name(&pin.name);
    let mut changed = false;
    for value in deps.iter_mut() {
        let Some(entry) = value.as_str() else {
            continue;
        };
        if let Some(name) = requirement_name(entry).filter(|n| python_name(n) == wanted) {
            let decor = value.decor().clone();
            *value = toml_edit::Value::from(format!("{name}=={}", pin.version));
            *value.decor_mut() = decor;
            changed = true;
        }
    }
    changed.then(|| doc.to_string())
}

fn package_json(text: &str, pin: &Pin) -> Option<String> {
    let json: serde_json::Value = serde_json::from_str(text).ok()?;
    let sections = [
        "dependencies",
        "devDependencies",
        "optionalDependencies",
        "peerDependencies",
    ];
    if !sections.iter().any(|s| json[s].get(&pin.name).is_some()) {
        return None;
    }
    // As text, so key order and layout stay: the package's entry in every section naming it.
    let entry = Regex::new(&format!(
        r#"("{}"\s*:\s*")[^"]*(")"#,
        regex::escape(&pin.name)
    ))
    .ok()?;
    Some(
        entry
            .replace_all(text, format!("${{1}}{}${{2}}", pin.version))
            .into_owned(),
    )
}

fn cargo_toml(text: &str, pin: &Pin) -> Option<String> {
    let mut doc: toml_edit::DocumentMut = text.parse().ok()?;
    let exact = format!("={}", pin.version);
    let mut changed = false;
    for section in ["dependencies", "dev-dependencies", "build-dependencies"] {
        let Some(item) = doc.get_mut(section).and_then(|t| t.get_mut(&pin.name)) else {
            continue;
        };
        if item.is_str() {
            *item = toml_edit::value(exact.clone());
            changed = true;
        } else if let Some(table) = item.as_table_like_mut() {
            table.insert("version", toml_edit::value(exact.clone()));
            changed = true;
        }
    }
    changed.then(|| doc.to_string())
}

fn go_mod(text: &str, pin: &Pin) -> Option<String> {
    let line = Regex::new(&format!(
        r"(?m)^(\s*(?:require\s+)?{}\s+)v?\S+",
        regex::escape(&pin.name)
    ))
    .ok()?;
    if !line.is_match(text) {
        return None;
    }
    let version = if pin.version.starts_with('v') {
        pin.version.clone()
    } else {
        format!("v{}", pin.version)
    };
    Some(
        line.replace_all(text, format!("${{1}}{version}"))
            .into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pin(name: &str, version: &str) -> Pin {
        Pin {
            name: name.into(),
            version: version.into(),
        }
    }

    #[test]
    fn requirements_lines_are_pinned_exactly_and_names_compare_as_pip_does() {
        let text = "# deps\nlibfoo>=1.2  # lower bound\nLib_Bar==2.0\nother\n";
        assert_eq!(
            requirements(text, &pin("libfoo", "1.3.0")).unwrap(),
            "# deps\nlibfoo==1.3.0\nLib_Bar==2.0\nother\n"
        );
        assert_eq!(
            requirements(text, &pin("lib-bar", "2.1")).unwrap(),
            "# deps\nlibfoo>=1.2  # lower bound\nLib_Bar==2.1\nother\n"
        );
        assert!(requirements(text, &pin("missing", "1")).is_none());
    }

    #[test]
    fn manifests_keep_their_layout() {
        let pkg = "{\n  \"name\": \"app\",\n  \"dependencies\": {\n    \"left-pad\": \"^1.0.0\"\n  }\n}\n";
        assert_eq!(
            package_json(pkg, &pin("left-pad", "1.3.0")).unwrap(),
            pkg.replace("^1.0.0", "1.3.0")
        );
        let cargo = "[package]\nname = \"x\"\n\n[dependencies]\nserde = \"1\" # the usual\nregex = { version = \"1.5\", default-features = false }\n";
        let edited = cargo_toml(cargo, &pin("regex", "1.10.2")).unwrap();
        assert!(
            edited.contains("regex = { version = \"=1.10.2\", default-features = false }"),
            "{edited}"
        );
        assert!(edited.contains("serde = \"1\" # the usual"), "{edited}");
        let py = "[project]\nname = \"x\"\ndependencies = [\n  \"requests>=2\",\n  \"libfoo~=1.2\",\n]\n";
        let edited = pyproject(py, &pin("libfoo", "1.4.0")).unwrap();
        assert!(edited.contains("\"libfoo==1.4.0\""), "{edited}");
        assert!(edited.contains("\"requests>=2\""), "{edited}");
        let gomod = "module x\n\nrequire (\n\tgithub.com/pkg/errors v0.9.1\n)\n";
        assert_eq!(
            go_mod(gomod, &pin("github.com/pkg/errors", "0.8.0")).unwrap(),
            gomod.replace("v0.9.1", "v0.8.0")
        );
    }

    #[test]
    fn bad_specs_say_how_to_write_them() {
        assert!(parse("libfoo").unwrap_err().contains("NAME=VERSION"));
        assert_eq!(
            parse_matrix("a=1,2").unwrap().0,
            [pin("a", "1"), pin("a", "2")]
        );
        assert!(parse_matrix("a=1").unwrap_err().contains("--with"));
    }
}
