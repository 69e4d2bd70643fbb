//! `git capsule seal`: building a capsule from a slice of a session.
//!
//! Everything that goes in passes the egress gate first: the context pack, the steps and their
//! patches, and the files of `repo/` that differ from the session's base commit (the base is the
//! project's own history, already wherever the capsule is going). User prompts and the system
//! prompt stay out unless asked for. Nothing is written to a ref until the user agrees.

use super::verdict::{self, Framework, Outcome};
use super::{
    capsule_ref, content_id, git, render, replay, tree_digest, Error, Manifest, MemberDigest,
    Privacy, Prompt, RepoState, Result, Runtime, Source, CAPSULE_SCHEMA,
};
use crate::ctx;
use crate::model::{Step, StepKind};
use crate::security::{self, Report, Tier};
use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// `verifier.json`: how to tell whether the failure is still there.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Verifier {
    pub command: String,
    pub framework: Framework,
    /// Text whose presence in the output marks the failure (any framework; required for a
    /// plain command to tell its failure from another).
    pub expect: Option<String>,
    pub timeout_secs: u64,
    /// The run made when the capsule was sealed, in `repo/`: the failure replays compare with.
    pub recorded: Outcome,
}

/// What `seal` was asked for.
pub struct Request {
    /// `<session>:<from>-<to>` or `<session>:<step>`.
    pub slice: String,
    pub test: String,
    pub expect: Option<String>,
    pub include_prompts: bool,
    pub timeout: Duration,
}

/// A capsule built in the object database, not yet on a ref or in a file.
pub struct Prepared {
    pub manifest: Manifest,
    pub verifier: Verifier,
    pub commit: Oid,
    /// Steps and patches in the slice.
    pub steps: usize,
    pub patches: usize,
}

/// `3f9a:40-52` → (session, 40, 52); `3f9a:52` → (session, 52, 52).
fn parse_slice(repo: &Repository, spec: &str) -> Result<(String, u64, u64)> {
    let bad = || {
        Error::Read(crate::read::Error::BadAddress {
            spec: spec.to_string(),
        })
    };
    let (id, range) = spec.rsplit_once(':').ok_or_else(bad)?;
    let (from, to) = match range.split_once('-') {
        Some((a, b)) => (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?),
        None => {
            let n = range.parse().map_err(|_| bad())?;
            (n, n)
        }
    };
    if from > to {
        return Err(bad());
    }
    let session = crate::read::resolve(repo, id)?.session;
    Ok((session, from, to))
}

/// Builds the capsule of `request` in `repo`'s object database. Runs the verifier once in the
/// slice's starting tree to record the failure.
pub fn prepare(repo: &Repository, request: &Request) -> Result<Prepared> {
    let (session_id, from, to) = parse_slice(repo, &request.slice)?;
    let session = ctx::load(repo, &session_id).map_err(|e| Error::Invalid {
        what: format!("session {session_id}"),
        reason: e.to_string(),
    })?;
    let trace = &session.trace;
    for step in [from, to] {
        crate::read::step(trace, step)?;
    }
    let (snapshot, snapshot_step) = starting_snapshot(trace, from)?;
    let mut report = Report::default();
    let base_tree = trace
        .base
        .as_deref()
        .and_then(|b| Oid::from_str(b).ok())
        .and_then(|b| repo.find_commit(b).ok())
        .and_then(|c| c.tree().ok());
    let snapshot_tree = repo.find_commit(Oid::from_str(&snapshot)?)?.tree()?;
    let repo_tree = redacted_tree(repo, base_tree.as_ref(), &snapshot_tree, &mut report)?;
    let files = count_files(repo, repo_tree)?;

    let slice: Vec<&Step> = trace.steps[from as usize..=to as usize].iter().collect();
    let mut members: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let mut pack = serde_json::to_value(session.pack(repo, to).map_err(|e| Error::Invalid {
        what: format!("session {session_id}"),
        reason: e.to_string(),
    })?)
    .expect("pack serialises");
    if !request.include_prompts {
        withhold_prompts(&mut pack);
    }
    security::redact_json_tier(&mut pack, Tier::Egress, &mut report);
    members.insert("context/pack.json".into(), crate::render::json_bytes(&pack));

    let mut steps = Value::Array(
        slice
            .iter()
            .map(|s| step_json(s, request.include_prompts))
            .collect(),
    );
    security::redact_json_tier(&mut steps, Tier::Egress, &mut report);
    members.insert(
        "trajectory/steps.json".into(),
        crate::render::json_bytes(&steps),
    );
    let mut patches = Value::Array(
        crate::capture::trail_patches(repo, &session_id)?
            .into_iter()
            .filter(|(step, _, _)| (from..=to).contains(step))
            .flat_map(|(step, key, files)| {
                files.into_iter().map(move |f| {
                    json!({"step": step, "key": key, "file": f.path, "binary": f.binary, "patch": f.patch})
                })
            })
            .collect(),
    );
    security::redact_json_tier(&mut patches, Tier::Egress, &mut report);
    let patch_count = patches.as_array().map_or(0, Vec::len);
    members.insert(
        "trajectory/patches.json".into(),
        crate::render::json_bytes(&patches),
    );

    let mut env = env_json(repo, repo_tree, trace)?;
    security::redact_json_tier(&mut env, Tier::Egress, &mut report);
    members.insert("env.json".into(), crate::render::json_bytes(&env));

    let framework = verdict::detect(&request.test);
    let recorded = replay::run_in_tree(
        repo,
        repo_tree,
        &replay::Check {
            command: &request.test,
            framework,
            expect: request.expect.as_deref(),
        },
        &[],
        request.timeout,
    )?
    .outcome;
    let verifier = Verifier {
        command: request.test.clone(),
        framework,
        expect: request.expect.clone(),
        timeout_secs: request.timeout.as_secs(),
        recorded,
    };
    members.insert("verifier.json".into(), crate::render::json_bytes(&verifier));

    let mut digests: BTreeMap<String, MemberDigest> = members
        .iter()
        .map(|(path, bytes)| {
            (
                path.clone(),
                MemberDigest {
                    sha256: crate::capture::sha256_hex(bytes),
                    size: bytes.len() as u64,
                },
            )
        })
        .collect();
    digests.insert(
        "repo".into(),
        MemberDigest {
            sha256: tree_digest(repo_tree),
            size: 0,
        },
    );
    let intent = slice
        .iter()
        .copied()
        .chain(
            // The prompt that drove the slice's first step, when the slice does not open with one.
            trace.steps[..from as usize]
                .iter()
                .rev()
                .find(|s| s.kind == StepKind::User),
        )
        .filter(|s| s.kind == StepKind::User)
        .map(|s| {
            let text = request.include_prompts.then(|| {
                let text = s.text.as_ref().map(|c| c.text.as_str()).unwrap_or_default();
                security::redact_tier(text, Tier::Egress, &mut report).into_owned()
            });
            (
                s.index,
                Prompt {
                    step: s.index,
                    text,
                },
            )
        })
        .collect::<BTreeMap<u64, Prompt>>();
    let mut manifest = Manifest {
        schema: CAPSULE_SCHEMA.into(),
        id: String::new(),
        source: Source {
            session: session_id.clone(),
            from,
            to,
            failing_step: to,
            started_at: slice[0].started_at.clone(),
            ended_at: slice
                .last()
                .and_then(|s| s.ended_at.clone())
                .unwrap_or_else(|| slice.last().expect("a slice").started_at.clone()),
        },
        runtime: Runtime {
            harness: trace.harness.clone(),
            harness_version: trace.harness_version.clone(),
            models: trace.models.clone(),
        },
        intent: intent.into_values().collect(),
        repo: RepoState {
            base: trace.base.clone(),
            snapshot,
            snapshot_step,
            remote_url: remote_url(repo, &mut report),
            files,
        },
        privacy: Privacy {
            scanner: security::EGRESS_VERSION.into(),
            redactions: report.redactions.clone(),
            prompts_included: request.include_prompts,
            excluded: if request.include_prompts {
                Vec::new()
            } else {
                vec![
                    "the system prompt and user prompts (seal with --include-prompts to keep them)"
                        .into(),
                ]
            },
        },
        members: digests,
    };
    manifest.id = content_id(&manifest);
    members.insert("capsule.json".into(), crate::render::json_bytes(&manifest));
    members.insert(
        "capsule.md".into(),
        render::capsule_md(&manifest, &verifier).into_bytes(),
    );
    let commit = write_commit(repo, &manifest, &members, repo_tree)?;
    Ok(Prepared {
        manifest,
        verifier,
        commit,
        steps: slice.len(),
        patches: patch_count,
    })
}

/// The trail snapshot holding the working tree right before step `from`, and the step that made
/// it; the session's base when no step before it changed anything.
fn starting_snapshot(trace: &crate::model::Trace, from: u64) -> Result<(String, Option<u64>)> {
    let no_trail = trace.steps.iter().all(|s| s.snapshot.is_none());
    if let Some(step) = trace.steps[..from as usize]
        .iter()
        .rev()
        .find(|s| s.snapshot.is_some())
    {
        return Ok((step.snapshot.clone().expect("found"), Some(step.index)));
    }
    match (&trace.base, no_trail) {
        (Some(base), false) => Ok((base.clone(), None)),
        _ => Err(Error::Invalid {
            what: format!("session {}", trace.id),
            reason: format!(
                "it has no trail snapshot, so the working tree at step {from} is unknown\nhint: capsules need a session captured live by the hooks ('git trace init'); an imported session file does not record the tree"
            ),
        }),
    }
}

/// The snapshot's tree with every text file that differs from the base passed through the
/// egress gate (all files when there is no base).
fn redacted_tree(
    repo: &Repository,
    base: Option<&git2::Tree<'_>>,
    snapshot: &git2::Tree<'_>,
    report: &mut Report,
) -> Result<Oid> {
    let diff = repo.diff_tree_to_tree(base, Some(snapshot), None)?;
    let mut replace: Vec<(String, Oid, i32)> = Vec::new();
    for delta in diff.deltas() {
        let file = delta.new_file();
        let (Some(path), true) = (file.path(), file.id() != Oid::zero()) else {
            continue;
        };
        let blob = repo.find_blob(file.id())?;
        if blob.is_binary() {
            continue;
        }
        let text = String::from_utf8_lossy(blob.content());
        let mut found = Report::default();
        let redacted = security::redact_tier(&text, Tier::Egress, &mut found);
        if found.total() > 0 {
            report.add(&found);
            let oid = repo.blob(redacted.as_bytes())?;
            replace.push((path.to_string_lossy().into_owned(), oid, file.mode().into()));
        }
    }
    if replace.is_empty() {
        return Ok(snapshot.id());
    }
    let mut index = git2::Index::new()?;
    index.read_tree(snapshot)?;
    for (path, oid, mode) in replace {
        index.add(&git2::IndexEntry {
            ctime: git2::IndexTime::new(0, 0),
            mtime: git2::IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode: mode as u32,
            uid: 0,
            gid: 0,
            file_size: 0,
            id: oid,
            flags: (path.len().min(0xfff)) as u16,
            flags_extended: 0,
            path: path.into_bytes(),
        })?;
    }
    Ok(index.write_tree_to(repo)?)
}

fn count_files(repo: &Repository, tree: Oid) -> Result<usize> {
    let mut n = 0;
    repo.find_tree(tree)?
        .walk(git2::TreeWalkMode::PreOrder, |_, e| {
            if e.kind() == Some(git2::ObjectType::Blob) {
                n += 1;
            }
            git2::TreeWalkResult::Ok
        })?;
    Ok(n)
}

/// Drops the system prompt and the user's messages from a context pack.
fn withhold_prompts(pack: &mut Value) {
    pack["system"] = Value::Null;
    for message in pack["messages"].as_array_mut().into_iter().flatten() {
        if message["role"] == "user" && message.get("text").is_some() {
            message["text"] = json!("[withheld: user prompt]");
        }
    }
}

/// One step as the trajectory keeps it: the step's JSON, its prompt text withheld unless asked.
fn step_json(step: &Step, include_prompts: bool) -> Value {
    let mut value = serde_json::to_value(step).expect("step serialises");
    if step.kind == StepKind::User && !include_prompts {
        value["text"] = json!({"text": "[withheld: user prompt]", "bytes": 0});
        value["summary"] = json!("[withheld: user prompt]");
    }
    value
}

/// Lockfiles in `repo/` whose names package managers pin versions in.
const LOCKFILES: &[&str] = &[
    "Cargo.lock",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "bun.lockb",
    "poetry.lock",
    "uv.lock",
    "Pipfile.lock",
    "requirements.txt",
    "go.sum",
    "Gemfile.lock",
    "composer.lock",
    "flake.lock",
];

/// Programs the session ran whose versions matter to a replay.
const TOOLCHAINS: &[&str] = &[
    "python", "python3", "pytest", "pip", "uv", "node", "npm", "npx", "deno", "bun", "cargo",
    "rustc", "go", "ruby", "bundle", "java", "mvn", "gradle", "dotnet", "php",
];

fn env_json(repo: &Repository, tree: Oid, trace: &crate::model::Trace) -> Result<Value> {
    let mut lockfiles = Vec::new();
    repo.find_tree(tree)?
        .walk(git2::TreeWalkMode::PreOrder, |dir, e| {
            let name = e.name().unwrap_or_default();
            if LOCKFILES.contains(&name) && dir.matches('/').count() < 3 {
                if let Ok(blob) = repo.find_blob(e.id()) {
                    lockfiles.push(json!({
                        "path": format!("{dir}{name}"),
                        "sha256": crate::capture::sha256_hex(blob.content()),
                        "size": blob.size(),
                    }));
                }
            }
            git2::TreeWalkResult::Ok
        })?;
    let mut seen: BTreeMap<&str, Vec<u64>> = BTreeMap::new();
    for step in trace.steps.iter().filter(|s| s.kind == StepKind::Exec) {
        let command = step
            .input
            .as_ref()
            .and_then(|i| i["command"].as_str().or(i["cmd"].as_str()))
            .unwrap_or(&step.summary);
        for word in command.split(|c: char| c.is_whitespace() || "&|;()".contains(c)) {
            let program = word.rsplit('/').next().unwrap_or(word);
            if let Some(tool) = TOOLCHAINS.iter().find(|t| **t == program) {
                let steps = seen.entry(tool).or_default();
                if steps.last() != Some(&step.index) {
                    steps.push(step.index);
                }
            }
        }
    }
    let toolchains: Vec<Value> = seen
        .into_iter()
        .map(|(tool, steps)| {
            json!({"name": tool, "steps": steps, "version_when_sealed": version_of(tool)})
        })
        .collect();
    Ok(json!({
        "lockfiles": lockfiles,
        "runtime": {
            "harness": trace.harness,
            "harness_version": trace.harness_version,
            "models": trace.models,
        },
        "toolchains": toolchains,
    }))
}

/// `<tool> --version`'s first line on this machine, if it answers within two seconds.
fn version_of(tool: &str) -> Option<String> {
    let outcome = replay::run_command(
        Path::new("."),
        &format!("{tool} --version"),
        Duration::from_secs(2),
        replay::Env::Minimal,
    )
    .ok()?;
    (outcome.exit == Some(0))
        .then(|| {
            outcome
                .output
                .lines()
                .next()
                .unwrap_or_default()
                .trim()
                .to_string()
        })
        .filter(|l| !l.is_empty())
}

fn remote_url(repo: &Repository, report: &mut Report) -> Option<String> {
    let remote = repo.find_remote("origin").ok()?;
    let url = remote.url()?;
    Some(security::redact_tier(url, Tier::Egress, report).into_owned())
}

/// The capsule commit: no parent, its time the slice's end, so sealing again gives the same id.
fn write_commit(
    repo: &Repository,
    manifest: &Manifest,
    members: &BTreeMap<String, Vec<u8>>,
    repo_tree: Oid,
) -> Result<Oid> {
    let mut dirs: BTreeMap<String, git2::TreeBuilder<'_>> = BTreeMap::new();
    let mut root = repo.treebuilder(None)?;
    for (path, bytes) in members {
        let oid = repo.blob(bytes)?;
        match path.split_once('/') {
            Some((dir, name)) => {
                let builder = match dirs.entry(dir.to_string()) {
                    std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::btree_map::Entry::Vacant(e) => {
                        e.insert(repo.treebuilder(None)?)
                    }
                };
                builder.insert(name, oid, git2::FileMode::Blob.into())?;
            }
            None => {
                root.insert(path, oid, git2::FileMode::Blob.into())?;
            }
        }
    }
    for (dir, builder) in dirs {
        root.insert(&dir, builder.write()?, git2::FileMode::Tree.into())?;
    }
    root.insert("repo", repo_tree, git2::FileMode::Tree.into())?;
    let tree = repo.find_tree(root.write()?)?;
    let seconds = crate::query::parse_time_ms(&manifest.source.ended_at).unwrap_or(0) / 1000;
    let sig = git2::Signature::new(
        "git-traces",
        "git-traces@localhost",
        &git2::Time::new(seconds, 0),
    )?;
    let message = format!(
        "capsule {}\n\nsession {} steps {}-{}\n",
        manifest.id, manifest.source.session, manifest.source.from, manifest.source.to
    );
    Ok(repo.commit(None, &sig, &sig, &message, &tree, &[])?)
}

/// Puts the capsule on `refs/capsules/<id>` and writes its bundle to `output`.
pub fn write(repo: &Repository, prepared: &Prepared, output: &Path) -> Result<u64> {
    let name = capsule_ref(&prepared.manifest.id);
    repo.reference(&name, prepared.commit, true, "git-capsule: seal")?;
    let workdir = repo.path();
    let target = std::path::absolute(output)?;
    git(
        workdir,
        &[
            "-c",
            "pack.threads=1",
            "bundle",
            "create",
            "-q",
            &target.display().to_string(),
            &name,
        ],
    )?;
    Ok(std::fs::metadata(&target)?.len())
}
