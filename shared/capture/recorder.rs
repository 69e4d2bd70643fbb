//! One hook event of one session, with the session lock held: journal records, provisional step
//! numbers, and snapshots on the session's trail.

use super::{Action, ToolClass};
use crate::model::{Record, Snapshot, Source, StepKind};
use crate::store::{self, trail_ref, RefUpdate, SessionLock, SessionState, Traces};
use crate::trail;
use git2::{Oid, Repository};
use std::path::Path;

pub(crate) struct Recorder<'r> {
    repo: &'r Repository,
    traces: &'r Traces,
    session: &'r str,
    lock: &'r SessionLock,
    state: SessionState,
}

impl<'r> Recorder<'r> {
    /// Loads the session's state; on its first event also records where it started (HEAD) and, if
    /// the working tree already differed from HEAD, an `external` snapshot of that.
    pub fn open(
        repo: &'r Repository,
        traces: &'r Traces,
        session: &'r str,
        lock: &'r SessionLock,
        harness: &str,
        cwd: &Path,
        transcript: Option<String>,
    ) -> store::Result<Recorder<'r>> {
        let existing = SessionState::load(traces, session)?;
        let first_event = existing.is_none();
        let mut state = existing.unwrap_or_else(|| SessionState {
            harness: harness.to_string(),
            cwd: Some(cwd.to_string_lossy().into_owned()),
            ..SessionState::default()
        });
        if state.transcript_path.is_none() {
            state.transcript_path = transcript;
        }
        let mut recorder = Recorder {
            repo,
            traces,
            session,
            lock,
            state,
        };
        if first_event {
            let head = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
            let base_tree = match &head {
                Some(c) => c.tree_id(),
                None => repo.treebuilder(None)?.write()?,
            };
            recorder.state.base = head.map(|c| c.id().to_string());
            recorder.state.base_tree = Some(base_tree.to_string());
            recorder.external_full()?;
        }
        Ok(recorder)
    }

    pub fn handle(&mut self, action: &Action, mut record: Record) -> store::Result<()> {
        match action {
            Action::Prompt => {
                self.external_full()?;
                self.append_step(record)
            }
            Action::PreTool(call) => {
                match call.class {
                    ToolClass::Named => self.external_named(&call.paths)?,
                    ToolClass::Mutating => self.external_full()?,
                    ToolClass::ReadOnly => {}
                }
                let step = self.next_step();
                if let Some(id) = &call.id {
                    self.state.pending.insert(id.clone(), step);
                }
                record.provisional_step = Some(step);
                store::append(self.traces, self.session, &[record])
            }
            Action::PostTool(call) => {
                let step = call
                    .id
                    .as_ref()
                    .and_then(|id| self.state.pending.remove(id))
                    .unwrap_or_else(|| self.next_step());
                record.provisional_step = Some(step);
                if record.keys.is_empty() {
                    record.keys.push(format!("call:{}:{step}", record.at));
                }
                let tree = match call.class {
                    ToolClass::Named => {
                        Some(trail::named_tree(self.repo, self.last()?.1, &call.paths)?.0)
                    }
                    ToolClass::Mutating => Some(self.full_tree()?),
                    ToolClass::ReadOnly => None,
                };
                if let Some(tree) = tree {
                    let headline = format!("{} {}", call.name, record.summary);
                    record.snapshot =
                        self.snapshot(tree, step, &record.keys[0].clone(), &headline, false)?;
                }
                store::append(self.traces, self.session, &[record])
            }
            Action::Stop | Action::End => {
                if record.kind.is_some() {
                    self.append_step(record)?;
                } else {
                    store::append(self.traces, self.session, &[record])?;
                }
                super::seal::seal(
                    self.repo,
                    self.traces,
                    self.session,
                    &mut self.state,
                    self.lock,
                    matches!(action, Action::End),
                )
                .map(drop)
            }
            Action::Start | Action::Other => self.append_step(record),
        }
    }

    /// Saves the state; the journal and refs are already written.
    pub fn finish(self) -> store::Result<()> {
        self.state.save(self.traces, self.session)
    }

    fn append_step(&mut self, mut record: Record) -> store::Result<()> {
        record.provisional_step = Some(self.next_step());
        store::append(self.traces, self.session, &[record])
    }

    fn next_step(&mut self) -> u64 {
        let step = self.state.next_step;
        self.state.next_step += 1;
        step
    }

    /// The trail's tip commit (None before the first snapshot) and the tree to compare against.
    fn last(&self) -> store::Result<(Option<Oid>, Oid)> {
        match self.repo.refname_to_id(&trail_ref(self.session)) {
            Ok(tip) => Ok((Some(tip), self.repo.find_commit(tip)?.tree_id())),
            Err(e) if e.code() == git2::ErrorCode::NotFound => {
                let base = self
                    .state
                    .base_tree
                    .as_deref()
                    .map(Oid::from_str)
                    .transpose()?;
                Ok((
                    None,
                    base.map_or_else(|| self.repo.treebuilder(None)?.write(), Ok)?,
                ))
            }
            Err(e) => Err(e.into()),
        }
    }

    fn full_tree(&mut self) -> store::Result<Oid> {
        let known = self
            .state
            .index_tree
            .as_ref()
            .and_then(|(tree, stamp)| Some((Oid::from_str(tree).ok()?, stamp.as_str())));
        let (tree, stamp) = trail::full_tree(self.repo, &self.traces.index(self.session), known)?;
        self.state.index_tree = Some((tree.to_string(), stamp));
        Ok(tree)
    }

    /// Commits `tree` on the trail if it differs from the last snapshot.
    fn snapshot(
        &mut self,
        tree: Oid,
        step: u64,
        key: &str,
        headline: &str,
        external: bool,
    ) -> store::Result<Option<Snapshot>> {
        let (tip, last_tree) = self.last()?;
        if tree == last_tree {
            return Ok(None);
        }
        let parent = tip.or(self.state.base.as_deref().map(Oid::from_str).transpose()?);
        let message = trail::commit_message(self.session, step, headline, key, external);
        let commit = trail::snapshot_commit(self.repo, tree, parent, &message)?;
        store::update_ref(
            self.repo,
            self.traces,
            RefUpdate {
                name: &trail_ref(self.session),
                new: commit,
                expected: tip,
                message: &format!("git-trace: snapshot {}:{step}", self.session),
            },
        )?;
        Ok(Some(Snapshot {
            commit: commit.to_string(),
            tree: tree.to_string(),
            external,
        }))
    }

    fn external_full(&mut self) -> store::Result<()> {
        let tree = self.full_tree()?;
        self.external(tree)
    }

    fn external_named(&mut self, paths: &[String]) -> store::Result<()> {
        let (tree, _) = trail::named_tree(self.repo, self.last()?.1, paths)?;
        self.external(tree)
    }

    /// Records changes made outside the agent since the last snapshot as a step of their own, so
    /// they are never attributed to the agent's next step.
    fn external(&mut self, tree: Oid) -> store::Result<()> {
        let (_, last_tree) = self.last()?;
        if tree == last_tree {
            return Ok(());
        }
        let paths: Vec<String> = trail::diff_trees(self.repo, Some(last_tree), tree)?
            .into_iter()
            .map(|f| f.path)
            .collect();
        let step = self.next_step();
        let at = store::now_rfc3339();
        let key = format!("external:{at}:{step}");
        let summary = external_summary(&paths);
        let snapshot = self.snapshot(tree, step, &key, &summary, true)?;
        let mut record = Record::new(at, Source::Hook, "external");
        record.kind = Some(StepKind::System);
        record.tool = Some("external".into());
        record.keys = vec![key];
        record.summary = summary;
        record.paths = paths;
        record.snapshot = snapshot;
        record.provisional_step = Some(step);
        store::append(self.traces, self.session, &[record])
    }
}

fn external_summary(paths: &[String]) -> String {
    let shown: Vec<&str> = paths.iter().take(3).map(String::as_str).collect();
    let more = paths.len().saturating_sub(shown.len());
    let mut s = format!("changes made outside the agent: {}", shown.join(", "));
    if more > 0 {
        s.push_str(&format!(" (+{more} more)"));
    }
    s
}
