//! `git trace rescan`: the current capture rules over sessions stored under older ones.
//!
//! A secret the rules of the day missed is in the journal, the bucket (trace, context, trail
//! patches, blobs) and every earlier seal. A session where something new is found is rewritten:
//! its journal line by line, its large blobs, and a new seal whose only parent is the trail tip,
//! so the earlier seals (which hold the secret) stop being reachable and `git gc` can drop them.
//! The manifest's `rescans` keeps the history: when, which rules, what was found, which seal was
//! replaced.

use super::bucket::Bucket;
use crate::security::{self, Report};
use crate::store::{self, session_ref, update_ref, RefUpdate, SessionLock, SessionState, Traces};
use git2::Repository;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Debug, Serialize)]
pub struct Rescanned {
    pub session: String,
    /// What the current rules found that the stored session still held.
    pub report: Report,
    /// The seal that was replaced (None: nothing found, nothing rewritten).
    pub replaced: Option<String>,
}

/// Rescans one sealed session; rewrites it when something is found.
pub fn rescan(repo: &Repository, session: &str) -> store::Result<Rescanned> {
    let traces = Traces::of(repo);
    let _lock = SessionLock::acquire(&traces, session, Duration::from_secs(10))?;
    let mut report = Report::default();
    let Some(seal) = store::sealed_commit(repo, session)? else {
        return Ok(Rescanned {
            session: session.to_string(),
            report,
            replaced: None,
        });
    };
    let mut bucket = Bucket::load(repo, seal)?;
    // Large contents first: a changed blob gets a new object id, which the records must follow.
    let mut renamed: BTreeMap<String, String> = BTreeMap::new();
    for name in bucket.blob_names() {
        let bytes = &bucket.members[&name];
        let Ok(text) = std::str::from_utf8(bytes) else {
            continue;
        };
        let redacted = security::redact(text, &mut report);
        if let std::borrow::Cow::Owned(new) = redacted {
            let old = repo.blob(bytes)?.to_string();
            let new_oid = repo.blob(new.as_bytes())?.to_string();
            renamed.insert(old, new_oid);
            bucket.members.insert(name, new.into_bytes());
        }
    }
    let follow = |value: &mut Value| rename_oids(value, &renamed);
    bucket.rewrite_json(&mut |_, value| {
        security::redact_json(value, &mut report);
        follow(value);
        true
    });
    // The journal holds the same records the bucket was built from: what it adds to the report
    // only counts when the bucket had nothing (lines not sealed yet).
    let mut in_journal = Report::default();
    let journal = rewrite_journal(&traces, session, &mut in_journal, &renamed)?;
    if report.is_empty() {
        report = in_journal;
    }
    if report.is_empty() {
        return Ok(Rescanned {
            session: session.to_string(),
            report,
            replaced: None,
        });
    }
    let mut manifest = bucket.json("manifest.json");
    let mut history = manifest["rescans"].as_array().cloned().unwrap_or_default();
    history.push(json!({
        "at": store::now_rfc3339(),
        "scanner": security::SCANNER_VERSION,
        "redactions": report.redactions,
        "replaced_seal": seal.to_string(),
    }));
    manifest["rescans"] = Value::Array(history);
    bucket.set_json("manifest.json", &manifest, true);
    bucket.relist();
    let tree = repo.find_tree(bucket.write_tree(repo)?)?;
    // Only the trail: the earlier seals hold what was just removed.
    let trail_tip = repo
        .refname_to_id(&store::trail_ref(session))
        .ok()
        .and_then(|tip| repo.find_commit(tip).ok());
    let parents: Vec<&git2::Commit<'_>> = trail_tip.iter().collect();
    let sig = git2::Signature::now("git-traces", "git-traces@localhost")?;
    let message = format!(
        "rescan {session}: {} redactions\n\nTrace-Session: {session}\n",
        report.total()
    );
    let commit = repo.commit(None, &sig, &sig, &message, &tree, &parents)?;
    update_ref(
        repo,
        &traces,
        RefUpdate {
            name: &session_ref(session),
            new: commit,
            expected: Some(seal),
            message: &format!("git-trace: rescan {session}"),
        },
    )?;
    if let Some((old_len, new_len)) = journal {
        if let Some(mut state) = SessionState::load(&traces, session)? {
            if state.sealed_len == old_len {
                state.sealed_len = new_len;
                state.save(&traces, session)?;
            }
        }
    }
    Ok(Rescanned {
        session: session.to_string(),
        report,
        replaced: Some(seal.to_string()),
    })
}

/// Redacts the journal line by line (a line that does not parse is redacted as text); returns the
/// old and new lengths when it changed.
fn rewrite_journal(
    traces: &Traces,
    session: &str,
    report: &mut Report,
    renamed: &BTreeMap<String, String>,
) -> store::Result<Option<(u64, u64)>> {
    let path = traces.journal(session);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let (body, newline) = line.strip_suffix('\n').map_or((line, ""), |b| (b, "\n"));
        match serde_json::from_str::<Value>(body) {
            Ok(mut value) => {
                let before = value.clone();
                security::redact_json(&mut value, report);
                rename_oids(&mut value, renamed);
                if value == before {
                    out.push_str(body);
                } else {
                    out.push_str(&value.to_string());
                }
            }
            Err(_) => out.push_str(&security::redact(body, report)),
        }
        out.push_str(newline);
    }
    if out == text {
        return Ok(None);
    }
    let tmp = path.with_extension("jsonl.rescan");
    std::fs::write(&tmp, &out).map_err(store::Error::io(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(store::Error::io(&path))?;
    Ok(Some((text.len() as u64, out.len() as u64)))
}

/// Points `blob_oid` fields at the rewritten blobs.
fn rename_oids(value: &mut Value, renamed: &BTreeMap<String, String>) {
    if renamed.is_empty() {
        return;
    }
    let mut pending = vec![value];
    while let Some(v) = pending.pop() {
        match v {
            Value::Object(fields) => {
                if let Some(Value::String(oid)) = fields.get_mut("blob_oid") {
                    if let Some(new) = renamed.get(oid.as_str()) {
                        *oid = new.clone();
                    }
                }
                pending.extend(fields.values_mut());
            }
            Value::Array(items) => pending.extend(items.iter_mut()),
            _ => {}
        }
    }
}
