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
    /// No state existed: this is the first event seen of the session.
    first_event: bool,
}

impl<'r> Recorder<'r> {
    /// Loads the session's state, or starts it: on the first event `HEAD` becomes the session's
    /// base.
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
        let mut state = existing.unwrap_or_else(|| {
            let head = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
            SessionState {
                harness: harness.to_string(),
                cwd: Some(cwd.to_string_lossy().into_owned()),
                base: head.as_ref().map(|c| c.id().to_string()),
                base_tree: head.map(|c| c.tree_id().to_string()),
                ..SessionState::default()
            }
        });
        if state.transcript_path.is_none() {
            state.transcript_path = transcript;
        }
        Ok(Recorder {
            repo,
            traces,
            session,
            lock,
            state,
            first_event,
        })
    }

    /// Records one event. The event's own record is journaled even when taking its snapshot fails
    /// (that failure is returned afterwards, for the error log): losing a snapshot costs precision,
    /// the next snapshot still sees the change; losing the event would lose evidence.
    pub fn handle(&mut self, action: &Action, mut record: Record) -> store::Result<()> {
        let captured = self.capture_changes(action, &mut record);
        store::append(self.traces, self.session, &[record])?;
        captured?;
        if matches!(action, Action::Stop | Action::End) {
            let settled = matches!(action, Action::End);
            super::seal::seal(
                self.repo,
                self.traces,
                self.session,
                &mut self.state,
                self.lock,
                settled,
            )?;
        }
        if matches!(action, Action::End) {
            // A private index is a copy of the user's (megabytes on a large repository); a
            // resumed session seeds a new one from the user's stat cache.
            store::remove_private_index(self.traces, self.session);
            self.state.index_tree = None;
        }
        Ok(())
    }

    /// Numbers the event's step and takes the snapshots it calls for: first, changes made outside
    /// the agent (at the session's first event, and before prompts and tool calls), then, after a
    /// tool ran, what the tool changed.
    fn capture_changes(&mut self, action: &Action, record: &mut Record) -> store::Result<()> {
        let mut outside = if self.first_event {
            self.external_full()
        } else {
            Ok(())
        };
        match action {
            Action::Prompt if outside.is_ok() && !self.first_event => {
                outside = self.external_full()
            }
            Action::PreTool(call) if outside.is_ok() && !self.first_event => {
                outside = match call.class {
                    ToolClass::Named => self.external_named(&call.paths),
                    ToolClass::Mutating => self.external_full(),
                    ToolClass::ReadOnly => Ok(()),
                }
            }
            _ => {}
        }
        let step = match (action, record.kind) {
            (Action::PostTool(call), _) => call
                .id
                .as_ref()
                .and_then(|id| self.state.pending.remove(id))
                .unwrap_or_else(|| self.next_step()),
            (Action::PreTool(call), _) => {
                let step = self.next_step();
                if let Some(id) = &call.id {
                    self.state.pending.insert(id.clone(), step);
                }
                step
            }
            (_, None) => return outside,
            _ => self.next_step(),
        };
        record.provisional_step = Some(step);
        outside?;
        let Action::PostTool(call) = action else {
            return Ok(());
        };
        if record.keys.is_empty() {
            record.keys.push(format!("call:{}:{step}", record.at));
        }
        let tree = match call.class {
            ToolClass::Named => trail::named_tree(self.repo, self.last()?.1, &call.paths)?.0,
            ToolClass::Mutating => self.full_tree()?,
            ToolClass::ReadOnly => return Ok(()),
        };
        let headline = format!("{} {}", call.name, record.summary);
        let key = record.keys[0].clone();
        record.snapshot = self.snapshot(tree, step, &key, &headline, false)?;
        Ok(())
    }

    /// Saves the state; the journal and refs are already written.
    pub fn finish(self) -> store::Result<()> {
        self.state.save(self.traces, self.session)
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
        let paths: Vec<String> =
            trail::diff_trees(self.repo, Some(last_tree), tree, trail::Renames::Detect)?
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
