//! `git trace redact`, `share`, `push`, `fetch`, `forget`, `rescan`: the security gates and the
//! way evidence leaves (and is removed from) a clone.

use crate::security::{self, Report, Tier};
use crate::share::{self, forget, rescan, transport, Edits};
use crate::{read, render};
use anyhow::Context;
use clap::Args;
use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Redact secrets from standard input (the scanner as a filter)
///
/// Reads text on stdin and writes it to stdout with every secret replaced by
/// `[REDACTED:<kind>:<hash6>]` (the same secret always gets the same marker). The capture tier is
/// what the hooks apply before anything is written; the egress tier, applied by `share`, adds
/// entropy heuristics and personal data (e-mail addresses, user names in home paths, hostnames,
/// IP addresses). Invalid UTF-8 is read as text with replacement characters.
///
/// Examples:
///   git trace redact < transcript.txt
///   git trace redact --tier egress --json < notes.md
#[derive(Args, Debug)]
pub struct RedactArgs {
    /// Which rule set: capture or egress.
    #[arg(long, default_value = "egress", value_parser = parse_tier)]
    pub tier: Tier,
    /// Print the findings (kind, start, end, marker; byte offsets) as JSON instead of the text.
    #[arg(long)]
    pub json: bool,
}

fn parse_tier(s: &str) -> Result<Tier, String> {
    Tier::parse(s).ok_or_else(|| format!("'{s}' is not a tier: use capture or egress"))
}

/// Review a session and share a redacted copy of it
///
/// Runs the egress scanner over every text of the session's sealed bucket (steps, context, patch
/// texts, blobs), adds your own redactions, and shows each finding in context. On a terminal you
/// then choose: share as shown, redact more (a literal, or /a pattern/), withhold a step, or quit.
/// Sharing writes the copy to refs/traces/shared/<id>, a commit that reaches nothing private:
/// `git trace push` sends it. Binary blobs and blobs over traces.shareMaxBlobSize (default 50m)
/// are left out, listed by digest and size.
///
/// Without a terminal, --yes shares as shown (with the --redact/--drop edits); without --yes the
/// review is printed and nothing is written.
///
/// Examples:
///   git trace share 3f9a
///   git trace share 3f9a --yes --redact acme-internal --drop 12
#[derive(Args, Debug)]
pub struct ShareArgs {
    /// The session (any unique prefix of its id).
    pub session: String,
    /// Share without asking.
    #[arg(long, short)]
    pub yes: bool,
    /// Also redact this exact text (repeatable).
    #[arg(long, value_name = "TEXT")]
    pub redact: Vec<String>,
    /// Also redact what this regular expression matches (repeatable).
    #[arg(long, value_name = "REGEX")]
    pub redact_pattern: Vec<String>,
    /// Withhold this step entirely: its place and kind stay, nothing it carried (repeatable).
    #[arg(long, value_name = "STEP")]
    pub drop: Vec<u64>,
    /// Print the review as JSON (findings, counts, withheld) instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Send shared sessions and notes to a remote
///
/// Pushes refs/traces/shared/* and refs/notes/traces, with explicit refspecs: the private refs
/// (refs/traces/sessions/*, trails/*) and the journal never leave; capsules only when named
/// with --capsule (each checked first, as `git capsule verify` does). When another clone pushed
/// notes first, theirs are fetched and merged (the union of both clones' anchors), and the push
/// is tried again. An interrupted push completes when run again.
///
/// Example: git trace push origin --capsule 4816415b
#[derive(Args, Debug)]
pub struct PushArgs {
    /// The remote (default: origin).
    #[arg(default_value = "origin")]
    pub remote: String,
    /// A capsule to send too (a .capsule file or an id under refs/capsules/; repeatable).
    #[arg(long, value_name = "CAPSULE")]
    pub capsule: Vec<String>,
    #[arg(long)]
    pub json: bool,
}

/// Bring shared sessions and notes from a remote
///
/// Fetches refs/traces/shared/* and the remote's refs/notes/traces, then merges those notes into
/// this clone's: anchors of both clones are kept, none overwritten.
///
/// Example: git trace fetch origin
#[derive(Args, Debug)]
pub struct FetchArgs {
    /// The remote (default: origin).
    #[arg(default_value = "origin")]
    pub remote: String,
    #[arg(long)]
    pub json: bool,
}

/// Remove a session from this clone (and a remote)
///
/// Deletes the session's refs (refs/traces/sessions/<id>, trails/<id>, shared/<id>) and its
/// journal, state and private index. Its git objects stay in the object database until nothing
/// reaches them and git prunes them; the command that does it now is printed. Anchors in
/// refs/notes/traces (ids and line ranges) stay with the commits they describe.
///
/// Example: git trace forget 3f9a --remote origin
#[derive(Args, Debug)]
pub struct ForgetArgs {
    /// The session (its full id, or a unique prefix of a sealed one).
    pub session: String,
    /// Also delete its shared copy on this remote.
    #[arg(long, value_name = "REMOTE")]
    pub remote: Option<String>,
    #[arg(long)]
    pub json: bool,
}

/// Re-run today's capture rules over stored sessions
///
/// Scans the journal and sealed bucket of each session (all, or the ones named) with the current
/// capture rules. A session still holding something they find is rewritten: journal, blobs and a
/// new seal that no longer reaches the earlier ones, with the rewrite recorded under `rescans` in
/// its manifest. Run the printed gc command to drop the old objects.
///
/// Example: git trace rescan
#[derive(Args, Debug)]
pub struct RescanArgs {
    /// Sessions to rescan (default: every sealed session).
    pub sessions: Vec<String>,
    #[arg(long)]
    pub json: bool,
}

pub fn redact(args: RedactArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .context("cannot read standard input")?;
    let text = String::from_utf8_lossy(&bytes);
    if args.json {
        render::json_pretty(out, &security::scan_tier(&text, args.tier))?;
    } else {
        let mut report = Report::default();
        out.write_all(security::redact_tier(&text, args.tier, &mut report).as_bytes())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn workdir(repo: &git2::Repository) -> PathBuf {
    repo.workdir()
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.path().to_path_buf())
}

pub fn share_cmd(args: ShareArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let repo = super::open_repo()?;
    super::trace::seal_pending(&repo);
    let session = read::resolve(&repo, &args.session)?.session;
    let mut edits = Edits {
        literals: args.redact.clone(),
        patterns: args
            .redact_pattern
            .iter()
            .map(|p| regex::Regex::new(p).with_context(|| format!("--redact-pattern '{p}'")))
            .collect::<anyhow::Result<_>>()?,
        drop: args.drop.clone(),
    };
    let interactive = !args.yes && !args.json && std::io::stdin().is_terminal();
    loop {
        let prepared = share::prepare(&repo, &session, &edits)?;
        if args.json {
            let written = if args.yes {
                share::write(&repo, &prepared)?
            } else {
                None
            };
            render::json_pretty(
                out,
                &serde_json::json!({
                    "schema": "git-traces/share-review@1",
                    "session": session,
                    "findings": prepared.findings,
                    "redactions": prepared.report,
                    "withheld_steps": prepared.dropped,
                    "withheld_members": prepared.withheld,
                    "shared": args.yes.then(|| share::shared_ref(&session)),
                    "commit": written.map(|c| c.to_string()),
                }),
            )?;
            return Ok(if args.yes {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            });
        }
        review(out, &prepared)?;
        if !args.yes && !interactive {
            writeln!(out, "\nnothing shared: run again with --yes to share this copy (add --redact TEXT, --redact-pattern REGEX or --drop STEP to change it)")?;
            return Ok(ExitCode::from(1));
        }
        if interactive {
            out.flush()?;
            match ask(out, &mut edits)? {
                Answer::Share => {}
                Answer::Again => continue,
                Answer::Quit => {
                    writeln!(out, "nothing shared")?;
                    return Ok(ExitCode::from(1));
                }
            }
        }
        match share::write(&repo, &prepared)? {
            Some(commit) => writeln!(
                out,
                "shared {} as {} ({})\nsend it with: git trace push <remote>",
                render::short(&session),
                share::shared_ref(&session),
                render::short(&commit.to_string())
            )?,
            None => writeln!(
                out,
                "{} is already shared as it is now",
                share::shared_ref(&session)
            )?,
        }
        return Ok(ExitCode::SUCCESS);
    }
}

fn review(out: &mut dyn Write, p: &share::Prepared) -> std::io::Result<()> {
    writeln!(
        out,
        "share {}: {} finding(s), {} redaction(s){}",
        render::short(&p.session),
        p.findings.len(),
        p.report.total(),
        if p.report.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                p.report
                    .redactions
                    .iter()
                    .map(|(k, n)| format!("{k} {n}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    )?;
    for f in &p.findings {
        let step = f
            .place
            .step
            .map_or_else(|| "-".to_string(), |s| s.to_string());
        writeln!(
            out,
            "  {:<18} step {:>4}  {:<24} {}",
            f.place.member, step, f.kind, f.context
        )?;
    }
    for step in &p.dropped {
        writeln!(out, "  withheld: step {step}")?;
    }
    for w in &p.withheld {
        writeln!(
            out,
            "  withheld: {} ({}, {} bytes, sha256 {})",
            w.member, w.reason, w.size, w.sha256
        )?;
    }
    Ok(())
}

enum Answer {
    Share,
    Again,
    Quit,
}

fn ask(out: &mut dyn Write, edits: &mut Edits) -> anyhow::Result<Answer> {
    let stdin = std::io::stdin();
    let mut line = String::new();
    loop {
        write!(
            out,
            "\nshare this copy? [y]es, [r]edact more, [d]rop a step, [q]uit: "
        )?;
        out.flush()?;
        line.clear();
        if stdin.lock().read_line(&mut line)? == 0 {
            return Ok(Answer::Quit);
        }
        match line.trim() {
            "y" | "yes" => return Ok(Answer::Share),
            "q" | "quit" | "n" | "no" => return Ok(Answer::Quit),
            "r" => {
                write!(out, "text to redact (or /regex/): ")?;
                out.flush()?;
                line.clear();
                stdin.lock().read_line(&mut line)?;
                let text = line.trim_end_matches(['\n', '\r']);
                match text.strip_prefix('/').and_then(|t| t.strip_suffix('/')) {
                    Some(pattern) => match regex::Regex::new(pattern) {
                        Ok(re) => edits.patterns.push(re),
                        Err(e) => {
                            writeln!(out, "not a regular expression: {e}")?;
                            continue;
                        }
                    },
                    None if !text.is_empty() => edits.literals.push(text.to_string()),
                    None => continue,
                }
                return Ok(Answer::Again);
            }
            "d" => {
                write!(out, "step to withhold: ")?;
                out.flush()?;
                line.clear();
                stdin.lock().read_line(&mut line)?;
                match line.trim().parse() {
                    Ok(step) => {
                        edits.drop.push(step);
                        return Ok(Answer::Again);
                    }
                    Err(_) => writeln!(out, "not a step number")?,
                }
            }
            _ => {}
        }
    }
}

pub fn push_cmd(args: PushArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let repo = super::open_repo()?;
    let mut capsules = Vec::new();
    for spec in &args.capsule {
        let capsule = crate::capsule::Capsule::load(Some(&repo), spec)?;
        capsule.keep_in(&repo)?;
        capsules.push(crate::capsule::capsule_ref(&capsule.manifest.id));
    }
    let moved = transport::push(&repo, &workdir(&repo), &args.remote, &capsules)?;
    moved_report(out, &moved, args.json, "pushed to")
}

pub fn fetch_cmd(args: FetchArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let repo = super::open_repo()?;
    let moved = transport::fetch(&repo, &workdir(&repo), &args.remote)?;
    moved_report(out, &moved, args.json, "fetched from")
}

fn moved_report(
    out: &mut dyn Write,
    moved: &transport::Moved,
    json: bool,
    verb: &str,
) -> anyhow::Result<ExitCode> {
    if json {
        render::json_pretty(out, moved)?;
        return Ok(ExitCode::SUCCESS);
    }
    for name in &moved.updated {
        writeln!(out, "{verb} {}: {name}", moved.remote)?;
    }
    if moved.notes_merged {
        writeln!(
            out,
            "merged the notes of {} into refs/notes/traces",
            moved.remote
        )?;
    }
    if moved.updated.is_empty() && !moved.notes_merged {
        writeln!(out, "{}: everything up to date", moved.remote)?;
    }
    Ok(ExitCode::SUCCESS)
}

pub fn forget_cmd(args: ForgetArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let repo = super::open_repo()?;
    // A sealed session may be named by prefix; anything else (a journal only) by its full id.
    let session = read::resolve(&repo, &args.session)
        .map(|a| a.session)
        .unwrap_or_else(|_| args.session.clone());
    let gone = forget::forget(&repo, &workdir(&repo), &session, args.remote.as_deref())?;
    if args.json {
        render::json_pretty(out, &gone)?;
        return Ok(ExitCode::SUCCESS);
    }
    for r in &gone.refs {
        writeln!(out, "deleted {r}")?;
    }
    for f in &gone.files {
        writeln!(out, "removed {}", f.display())?;
    }
    for r in &gone.remote_refs {
        writeln!(out, "deleted {r}")?;
    }
    writeln!(
        out,
        "its objects stay in .git/objects until unreachable and pruned; to drop them now:\n  {}",
        gone.prune_command
    )?;
    Ok(ExitCode::SUCCESS)
}

pub fn rescan_cmd(args: RescanArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let repo = super::open_repo()?;
    super::trace::seal_pending(&repo);
    let sessions = if args.sessions.is_empty() {
        read::session_ids(&repo)?
    } else {
        args.sessions
            .iter()
            .map(|s| read::resolve(&repo, s).map(|a| a.session))
            .collect::<Result<_, _>>()?
    };
    let mut results = Vec::new();
    for session in &sessions {
        results
            .push(rescan::rescan(&repo, session).with_context(|| format!("rescanning {session}"))?);
    }
    if args.json {
        render::json_pretty(out, &results)?;
        return Ok(ExitCode::SUCCESS);
    }
    let rewritten: Vec<&rescan::Rescanned> =
        results.iter().filter(|r| r.replaced.is_some()).collect();
    for r in &rewritten {
        writeln!(
            out,
            "rewrote {}: {} redaction(s) the earlier rules missed",
            render::short(&r.session),
            r.report.total()
        )?;
    }
    writeln!(
        out,
        "{} session(s) scanned with {}, {} rewritten",
        results.len(),
        security::SCANNER_VERSION,
        rewritten.len()
    )?;
    if !rewritten.is_empty() {
        writeln!(
            out,
            "the replaced seals stay in .git/objects until pruned:\n  {}",
            forget::PRUNE
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
