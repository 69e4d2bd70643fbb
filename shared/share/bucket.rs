//! A sealed bucket in memory, for the commands that rewrite one (`share`, `rescan`): its members
//! by path, and one way to visit every piece of text in them with the place it came from.

use crate::store;
use flate2::{read::MultiGzDecoder, write::GzEncoder, Compression};
use git2::{Oid, Repository};
use serde_json::Value;
use std::collections::BTreeMap;
use std::io::{Read, Write};

/// Where a piece of a bucket sits, for review output.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Place {
    /// `trace.json`, `context.jsonl.gz`, `trail.jsonl.gz`, `blobs/<sha256>`, `manifest.json`.
    pub member: String,
    /// The step the piece belongs to, when it belongs to one.
    pub step: Option<u64>,
}

pub(crate) struct Bucket {
    pub members: BTreeMap<String, Vec<u8>>,
}

impl Bucket {
    pub fn load(repo: &Repository, seal: Oid) -> store::Result<Bucket> {
        let tree = repo.find_commit(seal)?.tree()?;
        let mut members = BTreeMap::new();
        tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() == Some(git2::ObjectType::Blob) {
                if let Ok(blob) = repo.find_blob(entry.id()) {
                    let name = format!("{dir}{}", entry.name().unwrap_or_default());
                    members.insert(name, blob.content().to_vec());
                }
            }
            git2::TreeWalkResult::Ok
        })?;
        Ok(Bucket { members })
    }

    pub fn json(&self, name: &str) -> Value {
        self.members
            .get(name)
            .and_then(|b| serde_json::from_slice(b).ok())
            .unwrap_or(Value::Null)
    }

    pub fn set_json(&mut self, name: &str, value: &Value, pretty: bool) {
        let bytes = if pretty {
            serde_json::to_vec_pretty(value)
        } else {
            serde_json::to_vec(value)
        };
        self.members
            .insert(name.to_string(), bytes.expect("json serialises"));
    }

    /// The JSON lines of a gzip member (lines that do not parse are kept as strings).
    pub fn lines(&self, name: &str) -> Vec<Value> {
        let Some(gz) = self.members.get(name) else {
            return Vec::new();
        };
        let mut text = String::new();
        if MultiGzDecoder::new(&gz[..])
            .read_to_string(&mut text)
            .is_err()
        {
            return Vec::new();
        }
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap_or_else(|_| Value::String(l.to_string())))
            .collect()
    }

    pub fn set_lines(&mut self, name: &str, lines: &[Value]) {
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(text.as_bytes()).expect("in-memory write");
        self.members
            .insert(name.to_string(), gz.finish().expect("in-memory gzip"));
    }

    /// Visits every JSON value that carries text: each step of `trace.json` (and its header),
    /// each line of the context and trail files, and the manifest's first prompt. `visit` may
    /// change the value; returning false drops a context or trail line.
    pub fn rewrite_json(&mut self, visit: &mut dyn FnMut(&Place, &mut Value) -> bool) {
        let mut trace = self.json("trace.json");
        // Context nodes name their step by its keys (identity keys before text keys).
        let mut step_of_key: BTreeMap<String, u64> = BTreeMap::new();
        for text_keys in [false, true] {
            for step in trace["steps"].as_array().into_iter().flatten() {
                for key in step["keys"].as_array().into_iter().flatten() {
                    let (Some(key), Some(index)) = (key.as_str(), step["index"].as_u64()) else {
                        continue;
                    };
                    if key.starts_with("text:") == text_keys {
                        step_of_key.entry(key.to_string()).or_insert(index);
                    }
                }
            }
        }
        let line_step = |line: &Value| {
            line["step"].as_u64().or_else(|| {
                line["keys"]
                    .as_array()?
                    .iter()
                    .find_map(|k| step_of_key.get(k.as_str()?).copied())
            })
        };
        if let Some(steps) = trace.get_mut("steps").and_then(Value::as_array_mut) {
            for step in steps.iter_mut() {
                let place = Place {
                    member: "trace.json".into(),
                    step: step["index"].as_u64(),
                };
                visit(&place, step);
            }
        }
        if let Some(header) = trace.as_object_mut() {
            let steps = header.remove("steps");
            let mut rest = Value::Object(header.clone());
            visit(&place("trace.json"), &mut rest);
            let mut rest = match rest {
                Value::Object(map) => map,
                _ => serde_json::Map::new(),
            };
            if let Some(steps) = steps {
                rest.insert("steps".into(), steps);
            }
            *header = rest;
        }
        self.set_json("trace.json", &trace, false);
        for name in ["context.jsonl.gz", "trail.jsonl.gz"] {
            let lines: Vec<Value> = self
                .lines(name)
                .into_iter()
                .filter_map(|mut line| {
                    let place = Place {
                        member: name.into(),
                        step: line_step(&line),
                    };
                    visit(&place, &mut line).then_some(line)
                })
                .collect();
            self.set_lines(name, &lines);
        }
        let mut manifest = self.json("manifest.json");
        if let Some(prompt) = manifest.get_mut("prompt") {
            visit(&place("manifest.json"), prompt);
        }
        self.set_json("manifest.json", &manifest, true);
    }

    /// The `blobs/<sha256>` members.
    pub fn blob_names(&self) -> Vec<String> {
        self.members
            .keys()
            .filter(|k| k.starts_with("blobs/"))
            .cloned()
            .collect()
    }

    /// The manifest's member listing, recomputed from the members as they now are.
    pub fn relist(&mut self) {
        let mut manifest = self.json("manifest.json");
        let listing: BTreeMap<String, Value> = self
            .members
            .iter()
            .filter(|(name, _)| name.as_str() != "manifest.json")
            .map(|(name, bytes)| {
                (
                    name.clone(),
                    serde_json::json!({"sha256": crate::capture::sha256_hex(bytes), "size": bytes.len()}),
                )
            })
            .collect();
        manifest["members"] = serde_json::to_value(listing).expect("json");
        self.set_json("manifest.json", &manifest, true);
    }

    /// Writes the members as a bucket tree; returns the tree id.
    pub fn write_tree(&self, repo: &Repository) -> store::Result<Oid> {
        let mut root = repo.treebuilder(None)?;
        let mut blobs = repo.treebuilder(None)?;
        for (name, bytes) in &self.members {
            let oid = repo.blob(bytes)?;
            match name.strip_prefix("blobs/") {
                Some(file) => blobs.insert(file, oid, git2::FileMode::Blob.into())?,
                None => root.insert(name, oid, git2::FileMode::Blob.into())?,
            };
        }
        if !blobs.is_empty() {
            root.insert("blobs", blobs.write()?, git2::FileMode::Tree.into())?;
        }
        Ok(root.write()?)
    }
}

fn place(member: &str) -> Place {
    Place {
        member: member.into(),
        step: None,
    }
}
