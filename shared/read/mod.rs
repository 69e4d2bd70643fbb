//! Finding and loading sealed sessions for the read commands.
//!
//! Session ids may be abbreviated to any unique prefix, as git does with object names; a step is
//! addressed as `<session>:<step>`. Reading first seals whatever the hooks journaled since the last
//! seal, so what is shown is never behind what was captured.

use crate::model::{Step, Trace};
use crate::store::{self, Traces};
use git2::Repository;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// Errors the read commands report to the user.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no session matches '{spec}'{}", candidates_hint(.known))]
    Unknown { spec: String, known: Vec<String> },
    #[error("session id '{spec}' is ambiguous:\n{}\nhint: use more characters of the id", indent_list(.candidates))]
    Ambiguous {
        spec: String,
        candidates: Vec<String>,
    },
    #[error(
        "'{spec}' is not a session address\nhint: use <session>[:<step>], e.g. 3f9a or 3f9a:12"
    )]
    BadAddress { spec: String },
    #[error("session {session} has no step {step} (it has {count} steps, 0 to {last})", last = .count.saturating_sub(1))]
    NoStep {
        session: String,
        step: u64,
        count: usize,
    },
    #[error("session {session}: {what} is unreadable: {reason}\nhint: run 'git trace doctor'")]
    Corrupt {
        session: String,
        what: String,
        reason: String,
    },
    #[error("session {session} was sealed with schema '{schema}', which this git-trace {version} cannot read\nhint: install a newer git-traces to read it; nothing was changed", version = env!("CARGO_PKG_VERSION"))]
    SchemaTooNew { session: String, schema: String },
    #[error(transparent)]
    Store(#[from] store::Error),
    #[error(transparent)]
    Git(#[from] git2::Error),
}

fn indent_list(items: &[String]) -> String {
    items
        .iter()
        .map(|c| format!("  {c}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn candidates_hint(known: &[String]) -> String {
    if known.is_empty() {
        "\nhint: no sessions are captured in this repository yet; run 'git trace init', or 'git trace import'".into()
    } else {
        format!(
            "\nhint: known sessions include:\n{}",
            indent_list(&known[..known.len().min(5)])
        )
    }
}

/// A parsed `<session>[:<step>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub session: String,
    pub step: Option<u64>,
}

/// Every session this clone can read, sorted: its own sealed sessions, and the shared copies it
/// made or fetched (`refs/traces/shared/*`).
pub fn session_ids(repo: &Repository) -> Result<Vec<String>, Error> {
    Ok(bucket_commits(repo)?.into_keys().collect())
}

/// The commit holding a session's bucket: its private seal, else its shared copy.
pub fn bucket_commit(repo: &Repository, session: &str) -> Result<Option<git2::Oid>, Error> {
    if let Some(seal) = store::sealed_commit(repo, session)? {
        return Ok(Some(seal));
    }
    Ok(repo.refname_to_id(&crate::share::shared_ref(session)).ok())
}

/// Resolves a (possibly abbreviated) `<session>[:<step>]` against the sealed sessions.
pub fn resolve(repo: &Repository, spec: &str) -> Result<Address, Error> {
    let (id, step) = match spec.rsplit_once(':') {
        Some((id, step)) => {
            let step = step
                .parse::<u64>()
                .map_err(|_| Error::BadAddress { spec: spec.into() })?;
            (id, Some(step))
        }
        None => (spec, None),
    };
    if id.is_empty() {
        return Err(Error::BadAddress { spec: spec.into() });
    }
    let ids = session_ids(repo)?;
    if ids.iter().any(|s| s == id) {
        return Ok(Address {
            session: id.into(),
            step,
        });
    }
    let matches: Vec<String> = ids.iter().filter(|s| s.starts_with(id)).cloned().collect();
    match matches.len() {
        1 => Ok(Address {
            session: matches[0].clone(),
            step,
        }),
        0 => Err(Error::Unknown {
            spec: spec.into(),
            known: ids,
        }),
        _ => Err(Error::Ambiguous {
            spec: spec.into(),
            candidates: matches,
        }),
    }
}

/// Loads a sealed session's `trace.json`.
pub fn load_trace(repo: &Repository, session: &str) -> Result<Trace, Error> {
    let corrupt = |what: &str, reason: String| Error::Corrupt {
        session: session.into(),
        what: what.into(),
        reason,
    };
    let seal = bucket_commit(repo, session)?.ok_or_else(|| Error::Unknown {
        spec: session.into(),
        known: Vec::new(),
    })?;
    let bytes = store::read_member(repo, seal, "trace.json")?
        .ok_or_else(|| corrupt("trace.json", "missing from the bucket".into()))?;
    // Check the schema before the shape, so a newer layout is reported as such, not as damage.
    let schema = serde_json::from_slice::<serde_json::Value>(&bytes)
        .map_err(|e| corrupt("trace.json", e.to_string()))?["schema"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    if schema != crate::model::TRACE_SCHEMA {
        return Err(Error::SchemaTooNew {
            session: session.into(),
            schema,
        });
    }
    serde_json::from_slice(&bytes).map_err(|e| corrupt("trace.json", e.to_string()))
}

/// One step of a loaded trace, or a [`Error::NoStep`].
pub fn step(trace: &Trace, index: u64) -> Result<&Step, Error> {
    trace.steps.get(index as usize).ok_or(Error::NoStep {
        session: trace.id.clone(),
        step: index,
        count: trace.steps.len(),
    })
}

/// A row of `git trace list` (JSON contract: `id`, `harness`, `started_at`, `ended_at`, `steps`,
/// `files_changed`, `prompt` are always present). Everything the manifest says that commands
/// summing over many sessions need (`stats`), so they never open a bucket twice.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SessionSummary {
    pub id: String,
    pub harness: String,
    pub started_at: String,
    pub ended_at: String,
    pub steps: u64,
    pub files_changed: u64,
    pub prompt: Option<String>,
    pub models: Vec<String>,
    pub snapshots: u64,
    /// Records of types git-traces did not understand, kept raw in the bucket.
    pub unknown_records: u64,
    /// Steps by kind (`user`, `exec`, `write`, …).
    pub by_kind: BTreeMap<String, u64>,
    /// Token usage summed from the transcript, by the names the harness reported.
    pub tokens: BTreeMap<String, u64>,
}

/// Every readable session and the commit holding its bucket: its private seal, else its shared
/// copy. One pass over each ref namespace: looking ids up one by one costs more at 10,000.
fn bucket_commits(repo: &Repository) -> Result<BTreeMap<String, git2::Oid>, Error> {
    let mut out = store::tips(repo, crate::share::SHARED_PREFIX)?;
    // Private seals come second and win.
    out.extend(store::tips(repo, store::SESSIONS_PREFIX)?);
    Ok(out)
}

/// `.git/traces/cache/list.json`: each session's row with the bucket commit it was read from, so
/// listing 10,000 sessions reads only the manifests that changed.
#[derive(Default, serde::Serialize, serde::Deserialize)]
struct ListCache {
    schema: String,
    rows: Vec<CachedRow>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct CachedRow {
    seal: String,
    row: SessionSummary,
}

const LIST_CACHE: &str = "list.json";
/// Bumped whenever [`SessionSummary`] changes, so an older cache is rebuilt, not misread.
const LIST_CACHE_SCHEMA: &str = "git-traces/list-cache@2";

/// Every session, newest first, read from the small `manifest.json` of each bucket (or from the
/// cache, for buckets unchanged since it was written).
pub fn list(repo: &Repository) -> Result<Vec<SessionSummary>, Error> {
    let traces = store::Traces::of(repo);
    let mut cached: HashMap<String, CachedRow> =
        std::fs::read(traces.dir.join("cache").join(LIST_CACHE))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .filter(|c: &ListCache| c.schema == LIST_CACHE_SCHEMA)
            .unwrap_or_default()
            .rows
            .into_iter()
            .map(|c| (c.row.id.clone(), c))
            .collect();
    let mut changed = false;
    let mut rows = Vec::new();
    for (id, seal) in bucket_commits(repo)? {
        let key = seal.to_string();
        match cached.remove(&id) {
            Some(c) if c.seal == key => rows.push(c),
            _ => {
                changed = true;
                rows.push(CachedRow {
                    row: summary(repo, &id, seal)?,
                    seal: key,
                });
            }
        }
    }
    let cache = ListCache {
        schema: LIST_CACHE_SCHEMA.into(),
        rows,
    };
    // Rows left in the old cache are sessions that are gone.
    if changed || !cached.is_empty() {
        store::write_cache(
            &traces,
            LIST_CACHE,
            &serde_json::to_vec(&cache).expect("json"),
        );
    }
    let mut out: Vec<SessionSummary> = cache.rows.into_iter().map(|c| c.row).collect();
    out.sort_by(|a, b| b.started_at.cmp(&a.started_at).then(a.id.cmp(&b.id)));
    Ok(out)
}

fn summary(repo: &Repository, id: &str, seal: git2::Oid) -> Result<SessionSummary, Error> {
    let manifest: Value = store::read_member(repo, seal, "manifest.json")?
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    let s = |k: &str| manifest[k].as_str().unwrap_or_default().to_string();
    let count = |k: &str| manifest["counts"][k].as_u64().unwrap_or(0);
    Ok(SessionSummary {
        id: id.to_string(),
        harness: s("harness"),
        started_at: s("started_at"),
        ended_at: s("ended_at"),
        steps: count("steps"),
        files_changed: count("files_changed"),
        unknown_records: count("unknown_records"),
        prompt: manifest["prompt"].as_str().map(str::to_string),
        models: manifest["models"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|m| m.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        snapshots: count("snapshots"),
        by_kind: numbers(&manifest["counts"]["by_kind"]),
        tokens: numbers(&manifest["tokens"]),
    })
}

fn numbers(object: &Value) -> BTreeMap<String, u64> {
    object
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
        .collect()
}

/// Whether this repository has any evidence store at all.
pub fn has_traces(repo: &Repository) -> bool {
    Traces::of(repo).exists()
}
