//! The gate every row passes, when it is built and again when it is published: it must be a JSON
//! object, name a session of the run as its source, validate against the workflow's row schema,
//! and carry nothing the egress scanner or the workflow's own deny rules flag.
//!
//! A row the builder printed badly is `rejected` with its reason (it was never a row); a row that
//! is a row but may not leave is `blocked` with its reason and findings (kind and JSON pointer,
//! never the text). Nothing here writes: the caller decides what to keep.

use super::{Row, RowFinding, Source, State};
use crate::security::{self, Tier};
use regex::Regex;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// The key a builder puts its provenance under; stripped from the row's data.
pub const SOURCE_KEY: &str = "_source";

pub struct Gate {
    validator: jsonschema::Validator,
    deny: Vec<Regex>,
    sessions: BTreeSet<String>,
    workflow: String,
}

impl Gate {
    /// `sessions`: the sessions of the run's packet, the only sources a row may name.
    pub fn new(
        workflow: &super::Workflow,
        sessions: impl IntoIterator<Item = String>,
    ) -> super::Result<Gate> {
        let bad = |why: String| super::Error::Workflow {
            dir: workflow.label(),
            why,
        };
        Ok(Gate {
            validator: jsonschema::validator_for(&workflow.schema)
                .map_err(|e| bad(format!("row.schema.json: {e}")))?,
            deny: workflow
                .manifest
                .security
                .deny
                .iter()
                .map(|r| Regex::new(r).map_err(|e| bad(format!("security.deny {r:?}: {e}"))))
                .collect::<super::Result<_>>()?,
            sessions: sessions.into_iter().collect(),
            workflow: workflow.digest.clone(),
        })
    }

    /// Checks line `n` (1-based) of the builder's output, from run `run`: a row in the inbox, or
    /// one rejected or blocked with its reason.
    pub fn line(&self, n: usize, line: &str, run: u32) -> Row {
        let mut data = match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(map)) => Value::Object(map),
            Ok(other) => {
                return self.rejected(
                    n,
                    run,
                    format!("not a row: line {n} is a JSON {}", kind(&other)),
                    line,
                )
            }
            Err(e) => {
                return self.rejected(n, run, format!("not a row: line {n}: {e}"), line);
            }
        };
        let source = data
            .as_object_mut()
            .and_then(|m| m.remove(SOURCE_KEY))
            .and_then(|s| serde_json::from_value::<Source>(s).ok());
        let data = canonical(&data);
        let mut row = Row {
            id: id_of(&data),
            state: State::Inbox,
            reason: None,
            data,
            source,
            workflow: self.workflow.clone(),
            scanner: security::EGRESS_VERSION.into(),
            findings: Vec::new(),
            run,
            shard: None,
        };
        match &row.source {
            None => {
                row.state = State::Rejected;
                row.reason = Some(format!(
                    "no provenance: line {n} has no {SOURCE_KEY} {{\"session\", \"steps\"}}"
                ));
            }
            Some(s) if !self.sessions.contains(&s.session) => {
                row.state = State::Rejected;
                row.reason = Some(format!(
                    "provenance: session {} is not in this run's selection",
                    s.session
                ));
            }
            Some(_) => self.recheck(&mut row),
        }
        row
    }

    /// Schema and egress scan of a row already built: moves it to `blocked` with the first reason,
    /// or leaves its state alone. Updates its scanner version.
    pub fn recheck(&self, row: &mut Row) {
        row.scanner = security::EGRESS_VERSION.into();
        row.findings = self.findings(&row.data);
        if let Some(error) = self.validator.iter_errors(&row.data).next() {
            let at = error.instance_path().to_string();
            row.state = State::Blocked;
            row.reason = Some(format!(
                "schema: {error}{}",
                if at.is_empty() {
                    String::new()
                } else {
                    format!(" at {at}")
                }
            ));
        } else if let Some(f) = row.findings.first() {
            row.state = State::Blocked;
            row.reason = Some(format!(
                "security: {} at {}{}",
                f.kind,
                if f.at.is_empty() { "/" } else { &f.at },
                match row.findings.len() {
                    1 => String::new(),
                    n => format!(" and {} more", n - 1),
                }
            ));
        }
    }

    fn findings(&self, data: &Value) -> Vec<RowFinding> {
        let mut out = Vec::new();
        visit_strings(data, &mut String::new(), &mut |at, text| {
            for f in security::scan_tier(text, Tier::Egress) {
                out.push(RowFinding {
                    kind: f.kind.to_string(),
                    at: at.to_string(),
                });
            }
            for (i, rule) in self.deny.iter().enumerate() {
                if rule.is_match(text) {
                    out.push(RowFinding {
                        kind: format!("workflow_deny_{i}"),
                        at: at.to_string(),
                    });
                }
            }
        });
        out
    }

    /// A line that is not a row: kept (redacted) with its reason, so review shows what the builder
    /// printed.
    fn rejected(&self, n: usize, run: u32, reason: String, line: &str) -> Row {
        let mut report = security::Report::default();
        let text = security::redact_tier(line, Tier::Egress, &mut report).into_owned();
        let data = Value::String(text);
        Row {
            id: crate::capture::sha256_hex(format!("line {n}\n{line}").as_bytes()),
            state: State::Rejected,
            reason: Some(reason),
            data,
            source: None,
            workflow: self.workflow.clone(),
            scanner: security::EGRESS_VERSION.into(),
            findings: Vec::new(),
            run,
            shard: None,
        }
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A row's id: the sha256 of its data in [`canonical`] form (which `data` must already be).
pub fn id_of(data: &Value) -> String {
    crate::capture::sha256_hex(data.to_string().as_bytes())
}

/// Keys sorted at every level: the form a row's id is the hash of, so the same row printed with
/// its keys in another order is the same row.
pub fn canonical(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), canonical(&map[k])))
                    .collect::<Map<String, Value>>(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// Calls `f` with the JSON pointer and text of every string in `value`, keys included.
fn visit_strings(value: &Value, at: &mut String, f: &mut dyn FnMut(&str, &str)) {
    match value {
        Value::String(s) => f(at, s),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = at.len();
                at.push_str(&format!("/{i}"));
                visit_strings(item, at, f);
                at.truncate(len);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                let len = at.len();
                at.push('/');
                at.push_str(&k.replace('~', "~0").replace('/', "~1"));
                f(at, k);
                visit_strings(v, at, f);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_sorts_keys_at_every_level() {
        let a = canonical(&json!({"b": 1, "a": {"d": [{"z": 1, "y": 2}], "c": 3}}));
        assert_eq!(a.to_string(), r#"{"a":{"c":3,"d":[{"y":2,"z":1}]},"b":1}"#);
    }

    #[test]
    fn strings_are_visited_with_their_pointer() {
        let mut seen = Vec::new();
        visit_strings(
            &json!({"a/b": ["x", {"c": "y"}]}),
            &mut String::new(),
            &mut |at, t| seen.push(format!("{at}={t}")),
        );
        assert_eq!(
            seen,
            ["/a~1b=a/b", "/a~1b/0=x", "/a~1b/1/c=c", "/a~1b/1/c=y"]
        );
    }
}
