//! `dataset publish`: approved rows, and only those, pushed as a Hugging Face-shaped dataset
//! repository to any git remote.
//!
//! The remote's `main` is fetched first; its `git-traces.json` says which workflow and row schema
//! its shards were built with, and a remote of another workflow, of a newer version, or of
//! another schema is refused (shards of two schemas do not load as one dataset). Every approved
//! row passes the gate again (schema, egress scanner, the workflow's deny rules) and a row that
//! fails is blocked, not published. The new rows become one new shard, `data/train-NNNNN.jsonl`,
//! beside the ones already there (re-publishing adds only new shards), with its provenance in
//! `provenance/`, and the card, schema and infos are rewritten; every file is scanned once more,
//! then the commit is pushed as a fast-forward of the remote's `main`.

use super::{gate, Dataset, Error, PublishRecord, Result, Row, State};
use crate::security::{self, Tier};
use crate::store::{self, Files};
use git2::{Oid, Repository};
use serde::Serialize;
use serde_json::{json, Value};
use std::path::Path;

const BRANCH: &str = "refs/heads/main";
const INFO: &str = "git-traces.json";
const SHARD_PREFIX: &str = "data/train-";

#[derive(Debug, Serialize)]
pub struct Published {
    pub dataset: String,
    pub remote: String,
    pub commit: String,
    pub shard: String,
    pub rows: usize,
    /// Approved rows the gate blocked at publish.
    pub blocked: usize,
    /// Rows on the remote after the push.
    pub total: usize,
}

pub fn publish(repo: &Repository, name: &str, remote: &str) -> Result<Published> {
    let mut dataset = Dataset::load(repo, name)?;
    let shown = without_credentials(remote);
    let refuse = |why: String| Error::Publish {
        remote: shown.clone(),
        why,
    };
    let sources = dataset
        .rows
        .iter()
        .filter_map(|r| r.source.as_ref().map(|s| s.session.clone()));
    let gate = gate::Gate::new(&dataset.workflow, sources)?;
    let mut blocked = 0;
    for row in dataset
        .rows
        .iter_mut()
        .filter(|r| r.state == State::Approved)
    {
        gate.recheck(row);
        blocked += usize::from(row.state == State::Blocked);
    }
    let git_dir = repo.path().to_path_buf();
    let remote_tip = fetch_main(&git_dir, remote, name).map_err(&refuse)?;
    let mut files = match remote_tip {
        Some(tip) => store::read_files(repo, repo.find_commit(tip)?.tree_id())?,
        None => Files::new(),
    };
    check_remote(&files, &dataset).map_err(&refuse)?;
    // Rows the remote has already (a publish whose local record was lost) are not sent twice.
    let there = published_ids(&files);
    let mut recorded = 0;
    for row in dataset
        .rows
        .iter_mut()
        .filter(|r| r.state == State::Approved)
    {
        if let Some(shard) = there.get(&row.id) {
            row.state = State::Published;
            row.shard = Some(shard.clone());
            recorded += 1;
        }
    }
    let mut approved: Vec<&Row> = dataset
        .rows
        .iter()
        .filter(|r| r.state == State::Approved)
        .collect();
    approved.sort_by(|a, b| a.id.cmp(&b.id));
    if approved.is_empty() {
        if blocked + recorded > 0 {
            dataset.save(
                repo,
                &format!("publish: {blocked} approved rows blocked by the gate, {recorded} found on the remote already"),
            )?;
        }
        return Err(refuse(format!(
            "no approved rows to publish{}{}\nhint: 'git trace dataset review {name}' shows the inbox; approve rows first",
            if blocked > 0 {
                format!(" ({blocked} approved rows were blocked by the gate just now)")
            } else {
                String::new()
            },
            if recorded > 0 {
                format!(" ({recorded} approved rows were on the remote already, now recorded as published)")
            } else {
                String::new()
            }
        )));
    }
    let index = files.keys().filter(|p| p.starts_with(SHARD_PREFIX)).count();
    let shard = format!("{SHARD_PREFIX}{index:05}.jsonl");
    let provenance = format!("provenance/train-{index:05}.jsonl");
    let mut data = Vec::new();
    let mut origin = Vec::new();
    for row in &approved {
        serde_json::to_writer(&mut data, &row.data).expect("json");
        data.push(b'\n');
        serde_json::to_writer(
            &mut origin,
            &json!({"id": row.id, "source": row.source, "workflow": row.workflow, "scanner": row.scanner}),
        )
        .expect("json");
        origin.push(b'\n');
    }
    files.insert(shard.clone(), (false, data));
    files.insert(provenance, (false, origin));
    let info = info_json(&files, &dataset);
    let total = info["rows"].as_u64().unwrap_or(0) as usize;
    files.insert(INFO.into(), (false, crate::render::json_bytes(&info)));
    files.insert(
        "schemas/row.schema.json".into(),
        dataset.workflow.files[super::workflow::SCHEMA].clone(),
    );
    files.insert(
        "dataset_infos.json".into(),
        (
            false,
            crate::render::json_bytes(&dataset_infos(&dataset, &info)),
        ),
    );
    files.insert(
        "README.md".into(),
        (false, card(&dataset, &info).into_bytes()),
    );
    for (path, (_, bytes)) in &files {
        let text = String::from_utf8_lossy(bytes);
        if let Some(f) = security::scan_tier(&text, Tier::Egress).first() {
            return Err(refuse(format!(
                "{path} would carry a {} (byte {}); nothing was pushed",
                f.kind, f.start
            )));
        }
    }
    let tree = repo.find_tree(store::write_files(repo, &files)?)?;
    let sig = git2::Signature::now("git-traces", "git-traces@localhost")?;
    let parent = remote_tip.map(|t| repo.find_commit(t)).transpose()?;
    let commit = repo.commit(
        None,
        &sig,
        &sig,
        &format!(
            "Add {} rows of {name} ({shard})\n\nWorkflow {}, reviewed in git-traces, scanner {}.\n",
            approved.len(),
            dataset.workflow.label(),
            security::EGRESS_VERSION
        ),
        &tree,
        &parent.iter().collect::<Vec<_>>(),
    )?;
    push(&git_dir, remote, commit).map_err(&refuse)?;
    let ids: Vec<String> = approved.iter().map(|r| r.id.clone()).collect();
    for row in dataset.rows.iter_mut().filter(|r| ids.contains(&r.id)) {
        row.state = State::Published;
        row.shard = Some(shard.clone());
    }
    dataset.published = files;
    dataset.meta.publishes.push(PublishRecord {
        at: store::now_rfc3339(),
        remote: shown.clone(),
        commit: commit.to_string(),
        shard: Some(shard.clone()),
        rows: ids.len(),
    });
    dataset.save(
        repo,
        &format!("publish {} rows to {shown} as {shard}", ids.len()),
    )?;
    Ok(Published {
        dataset: name.to_string(),
        remote: shown,
        commit: commit.to_string(),
        shard,
        rows: ids.len(),
        blocked,
        total,
    })
}

/// Row id → the shard it was published in, from the remote's `provenance/` files.
fn published_ids(files: &Files) -> std::collections::HashMap<String, String> {
    let mut out = std::collections::HashMap::new();
    for (path, (_, bytes)) in files {
        let Some(index) = path
            .strip_prefix("provenance/train-")
            .and_then(|p| p.strip_suffix(".jsonl"))
        else {
            continue;
        };
        for line in bytes.split(|&b| b == b'\n') {
            if let Some(id) = serde_json::from_slice::<Value>(line)
                .ok()
                .and_then(|v| v["id"].as_str().map(str::to_string))
            {
                out.insert(id, format!("{SHARD_PREFIX}{index}.jsonl"));
            }
        }
    }
    out
}

/// Shard paths and the sha256 `git-traces.json` recorded for each.
pub(super) fn shard_digests(published: &Files) -> Vec<(String, String)> {
    let Some((_, bytes)) = published.get(INFO) else {
        return Vec::new();
    };
    let info: Value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
    info["shards"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| {
            Some((
                s["path"].as_str()?.to_string(),
                s["sha256"].as_str()?.to_string(),
            ))
        })
        .collect()
}

/// A remote that holds another dataset, a newer workflow, or rows of another schema is refused.
fn check_remote(files: &Files, dataset: &Dataset) -> std::result::Result<(), String> {
    if files.is_empty() {
        return Ok(());
    }
    let Some((_, bytes)) = files.get(INFO) else {
        return Err(format!(
            "its main branch has files but no {INFO}: it is not a dataset git-traces published; refusing to add shards to it"
        ));
    };
    let info: Value = serde_json::from_slice(bytes).map_err(|e| format!("{INFO}: {e}"))?;
    let theirs = &info["workflow"];
    let ours = &dataset.meta.workflow;
    if theirs["name"] != ours.name.as_str() {
        return Err(format!(
            "it holds rows of workflow '{}', not '{}'; publish to another remote",
            theirs["name"].as_str().unwrap_or("?"),
            ours.name
        ));
    }
    let version = theirs["version"].as_u64().unwrap_or(0);
    if version > u64::from(ours.version) {
        return Err(format!(
            "it holds rows of {}@{version}, newer than this dataset's @{}; refusing to publish an older schema over it\nhint: run the newer workflow ('git trace dataset run {} --workflow <dir>') first",
            ours.name, ours.version, dataset.name()
        ));
    }
    if theirs["schema_digest"] != ours.schema_digest.as_str() {
        return Err(format!(
            "its rows were built with another row schema ({}@{version}, schema {}), and shards of two schemas do not load as one dataset; publish to a new remote",
            ours.name,
            theirs["schema_digest"].as_str().map_or("?", |s| &s[..s.len().min(12)])
        ));
    }
    Ok(())
}

fn info_json(files: &Files, dataset: &Dataset) -> Value {
    let shards: Vec<Value> = files
        .iter()
        .filter(|(p, _)| p.starts_with(SHARD_PREFIX))
        .map(|(p, (_, bytes))| {
            json!({
                "path": p,
                "rows": bytes.split(|&b| b == b'\n').filter(|l| !l.is_empty()).count(),
                "bytes": bytes.len(),
                "sha256": crate::capture::sha256_hex(bytes),
            })
        })
        .collect();
    let rows: u64 = shards.iter().filter_map(|s| s["rows"].as_u64()).sum();
    let bytes: u64 = shards.iter().filter_map(|s| s["bytes"].as_u64()).sum();
    json!({
        "schema": "git-traces/published-dataset@1",
        "dataset": dataset.name(),
        "workflow": dataset.meta.workflow,
        "scanner": security::EGRESS_VERSION,
        "rows": rows,
        "bytes": bytes,
        "shards": shards,
    })
}

fn dataset_infos(dataset: &Dataset, info: &Value) -> Value {
    let m = &dataset.workflow.manifest;
    json!({
        "default": {
            "description": m.description,
            "citation": "",
            "homepage": "",
            "license": m.license,
            "config_name": "default",
            "dataset_name": dataset.name(),
            "splits": {
                "train": {
                    "name": "train",
                    "num_bytes": info["bytes"],
                    "num_examples": info["rows"],
                    "dataset_name": dataset.name(),
                }
            },
            "download_size": info["bytes"],
            "dataset_size": info["bytes"],
        }
    })
}

/// The dataset card: YAML front matter the Hub and `load_dataset` read (configs, splits,
/// license, tags), then the schema and where the rows came from.
fn card(dataset: &Dataset, info: &Value) -> String {
    let m = &dataset.workflow.manifest;
    let quote = |s: &str| serde_json::to_string(s).expect("json");
    let mut out = String::from("---\n");
    out += &format!("license: {}\n", quote(&m.license));
    out += &format!("pretty_name: {}\n", quote(dataset.name()));
    out += "tags:\n";
    for tag in &m.tags {
        out += &format!("- {}\n", quote(tag));
    }
    out += "configs:\n- config_name: default\n  data_files:\n  - split: train\n    path: \"data/train-*.jsonl\"\n";
    // Declared, not inferred: a column that is null in the first shard would otherwise be typed
    // null, and the next shard's values would fail to load.
    if let Some(columns) = features(&dataset.workflow.schema) {
        out += "dataset_info:\n  features:\n";
        for (name, feature) in &columns {
            emit(&mut out, name, feature, 2);
        }
    }
    out += "---\n\n";
    out += &format!("# {}\n\n{}\n\n", dataset.name(), m.description);
    out += &format!(
        "Built with git-traces from coding-agent sessions by the workflow `{}` (sha256 `{}`). Every row was reviewed and approved by a person, and scanned for secrets and personal data (scanner `{}`) when it was built and again when it was published.\n\n",
        dataset.workflow.label(),
        dataset.workflow.digest,
        security::EGRESS_VERSION
    );
    out += &format!(
        "## Rows\n\n{} rows in {} shards under `data/`. Each line of a shard is one row; its schema is `schemas/row.schema.json`:\n\n| column | type | required |\n| --- | --- | --- |\n",
        info["rows"],
        info["shards"].as_array().map_or(0, Vec::len)
    );
    let schema = &dataset.workflow.schema;
    let required: Vec<&str> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    for (column, spec) in schema["properties"].as_object().into_iter().flatten() {
        let kind = match &spec["type"] {
            Value::Array(types) => types
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" or "),
            Value::String(t) => t.clone(),
            _ if spec.get("enum").is_some() => "one of a fixed set".into(),
            _ => "any".into(),
        };
        out += &format!(
            "| `{column}` | {kind} | {} |\n",
            if required.contains(&column.as_str()) {
                "yes"
            } else {
                "no"
            }
        );
    }
    out += "\n## Provenance\n\n`provenance/train-NNNNN.jsonl` holds, line for line with its shard, the row's id (sha256 of its canonical JSON), the session and steps it was built from, the workflow digest and the scanner version. `git-traces.json` records every shard's sha256.\n\n## Loading\n\n```python\nfrom datasets import load_dataset\nrows = load_dataset(\"<this repository>\", split=\"train\")\n```\n";
    out
}

/// A column's type as the `datasets` library declares it.
enum Feature {
    Dtype(&'static str),
    List(Box<Feature>),
    Struct(Vec<(String, Feature)>),
}

/// The row schema's properties as `datasets` features; `None` when some column has no type
/// that maps (a free-form object, a list of lists): then the library infers them.
fn features(schema: &Value) -> Option<Vec<(String, Feature)>> {
    schema["properties"]
        .as_object()?
        .iter()
        .map(|(name, spec)| Some((name.clone(), feature(spec)?)))
        .collect()
}

fn feature(spec: &Value) -> Option<Feature> {
    let kind = match &spec["type"] {
        Value::String(t) => t.as_str(),
        Value::Array(types) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null")?,
        _ if spec["enum"].as_array()?.iter().all(Value::is_string) => "string",
        _ => return None,
    };
    Some(match kind {
        "string" => Feature::Dtype("string"),
        "integer" => Feature::Dtype("int64"),
        "number" => Feature::Dtype("float64"),
        "boolean" => Feature::Dtype("bool"),
        "array" => match feature(&spec["items"])? {
            Feature::List(_) => return None,
            inner => Feature::List(Box::new(inner)),
        },
        "object" => Feature::Struct(features(spec)?),
        _ => return None,
    })
}

/// One feature in the YAML list form `datasets` writes (`- name: x` then `dtype`, `list` or
/// `struct`), indented by `indent` spaces.
fn emit(out: &mut String, name: &str, feature: &Feature, indent: usize) {
    let pad = " ".repeat(indent);
    *out += &format!(
        "{pad}- name: {}\n",
        serde_json::to_string(name).expect("json")
    );
    emit_type(out, feature, indent + 2);
}

fn emit_type(out: &mut String, feature: &Feature, indent: usize) {
    let pad = " ".repeat(indent);
    match feature {
        Feature::Dtype(d) => *out += &format!("{pad}dtype: {d}\n"),
        Feature::List(inner) => match inner.as_ref() {
            Feature::Dtype(d) => *out += &format!("{pad}list: {d}\n"),
            Feature::Struct(fields) => {
                *out += &format!("{pad}list:\n");
                for (name, f) in fields {
                    emit(out, name, f, indent + 2);
                }
            }
            Feature::List(_) => unreachable!("lists of lists have no feature"),
        },
        Feature::Struct(fields) => {
            *out += &format!("{pad}struct:\n");
            for (name, f) in fields {
                emit(out, name, f, indent + 2);
            }
        }
    }
}

/// A URL's `user:token@` dropped, so a token never lands in the dataset's history or output.
fn without_credentials(remote: &str) -> String {
    match remote.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((userinfo, host)) if !userinfo.contains('/') => format!("{scheme}://{host}"),
            _ => remote.to_string(),
        },
        None => remote.to_string(),
    }
}

/// git run in the repository's git dir (capsule's runner: no terminal prompt, stderr as the
/// error), its failure as text for [`Error::Publish`].
fn git(git_dir: &Path, args: &[&str]) -> std::result::Result<String, String> {
    crate::capsule::git(git_dir, args).map_err(|e| e.to_string())
}

/// The remote's `main`, fetched into the object database; `None` for an empty remote.
fn fetch_main(
    git_dir: &Path,
    remote: &str,
    name: &str,
) -> std::result::Result<Option<Oid>, String> {
    let listed = git(git_dir, &["ls-remote", remote, BRANCH])?;
    if listed.trim().is_empty() {
        return Ok(None);
    }
    let scratch = format!("refs/traces/publish/{name}");
    git(
        git_dir,
        &[
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            remote,
            &format!("+{BRANCH}:{scratch}"),
        ],
    )?;
    let tip = git(git_dir, &["rev-parse", "--verify", &scratch])?;
    let _ = git(git_dir, &["update-ref", "-d", &scratch]);
    Oid::from_str(tip.trim())
        .map(Some)
        .map_err(|e| e.to_string())
}

fn push(git_dir: &Path, remote: &str, commit: Oid) -> std::result::Result<(), String> {
    git(
        git_dir,
        &["push", "--quiet", remote, &format!("{commit}:{BRANCH}")],
    )
    .map(drop)
    .map_err(|e| {
        format!("push was refused: {e}\nhint: the remote moved while publishing; run publish again")
    })
}
