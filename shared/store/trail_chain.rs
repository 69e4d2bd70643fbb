//! Reading and relabelling a session's snapshot chain on `refs/traces/trails/<session>`.

use super::{paths::trail_ref, update_ref, RefUpdate, Result, Traces};
use git2::{Oid, Repository};

/// One snapshot commit of the chain, oldest first.
#[derive(Debug, Clone)]
pub struct ChainLink {
    pub commit: Oid,
    pub tree: Oid,
    /// The previous snapshot's commit, or the session's base (None on an unborn branch).
    pub parent: Option<Oid>,
    pub parent_tree: Option<Oid>,
    pub message: String,
    /// `Trace-Key:` — which step made this snapshot.
    pub key: Option<String>,
    pub external: bool,
}

/// The chain from the session's base to its tip. Empty when the session made no snapshot.
///
/// `known` is the chain as the previous seal recorded it: only the commits added on top of its
/// last link are read from the object database, so the cost follows the new snapshots, not the
/// session's length. When the trail no longer contains that link (rewritten by hand), the whole
/// chain is read.
pub fn read_chain(
    repo: &Repository,
    session: &str,
    known: Vec<ChainLink>,
) -> Result<Vec<ChainLink>> {
    let tip = match repo.refname_to_id(&trail_ref(session)) {
        Ok(oid) => oid,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let known_tip = known.last().map(|l| l.commit);
    let mut links = Vec::new();
    let mut next = Some(tip);
    while let Some(oid) = next {
        if Some(oid) == known_tip {
            links.reverse();
            let mut chain = known;
            chain.append(&mut links);
            return Ok(chain);
        }
        let commit = repo.find_commit(oid)?;
        let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
        if crate::trail::trailer(&message, "Trace-Session") != Some(session) {
            break;
        }
        let parent = commit.parent(0).ok();
        links.push(ChainLink {
            commit: oid,
            tree: commit.tree_id(),
            parent: parent.as_ref().map(|p| p.id()),
            parent_tree: parent.as_ref().map(|p| p.tree_id()),
            key: crate::trail::trailer(&message, "Trace-Key").map(str::to_string),
            external: crate::trail::trailer(&message, "Trace-Snapshot") == Some("external"),
            message,
        });
        next = parent.map(|p| p.id());
    }
    links.reverse();
    Ok(links)
}

/// Gives the chain's commits new messages (same trees, same order, same signatures), rewriting
/// from the first commit whose message changes, and moves the trail ref from its old tip.
/// Returns the chain as it now stands.
pub fn relabel_chain(
    repo: &Repository,
    traces: &Traces,
    session: &str,
    chain: &[ChainLink],
    messages: &[String],
) -> Result<Vec<ChainLink>> {
    let Some(first) = chain
        .iter()
        .zip(messages)
        .position(|(l, m)| &l.message != m)
    else {
        return Ok(chain.to_vec());
    };
    let mut out = chain[..first].to_vec();
    let mut parent = chain[first].parent;
    for (link, message) in chain[first..].iter().zip(&messages[first..]) {
        let old = repo.find_commit(link.commit)?;
        let tree = repo.find_tree(link.tree)?;
        let parent_commit = parent.map(|p| repo.find_commit(p)).transpose()?;
        let parents: Vec<&git2::Commit<'_>> = parent_commit.iter().collect();
        let oid = repo.commit(
            None,
            &old.author(),
            &old.committer(),
            message,
            &tree,
            &parents,
        )?;
        out.push(ChainLink {
            commit: oid,
            parent,
            message: message.clone(),
            ..link.clone()
        });
        parent = Some(oid);
    }
    let tip = out.last().expect("chain not empty").commit;
    update_ref(
        repo,
        traces,
        RefUpdate {
            name: &trail_ref(session),
            new: tip,
            expected: chain.last().map(|l| l.commit),
            message: &format!("git-trace: renumber {session}"),
        },
    )?;
    Ok(out)
}
