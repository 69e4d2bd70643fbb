//! `git trace doctor`: what is wired, what is stored, what is broken and the command that fixes it.
//!
//! Doctor also recovers: it seals sessions left unsealed (say, by a hook killed mid-seal) before
//! reporting, so a healthy report means every captured event is readable.

use crate::store::{self, Traces, SESSIONS_PREFIX, TRAILS_PREFIX};
use crate::{capture, setup};
use serde::Serialize;
use std::io::{self, Write};

#[derive(Debug, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub version: &'static str,
    pub healthy: bool,
    pub store: String,
    pub wiring: Wiring,
    pub sessions: usize,
    pub trails: usize,
    pub unsealed: Vec<String>,
    pub unknown_records: Vec<UnknownRecords>,
    pub recent_errors: Vec<store::ErrorLine>,
    pub problems: Vec<Problem>,
}

#[derive(Debug, Serialize)]
pub struct Wiring {
    pub hooks_dir: String,
    pub post_commit: bool,
    pub post_rewrite: bool,
    pub claude_settings: Vec<String>,
    pub claude_events_missing: Vec<String>,
    pub agents: Vec<AgentWiring>,
    pub notes: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct AgentWiring {
    pub harness: &'static str,
    pub files: Vec<String>,
    pub events_missing: Vec<&'static str>,
    pub blocked: Option<String>,
}

/// A session holding records git-traces could not interpret (a newer harness version, say):
/// kept raw in the bucket, worth knowing about.
#[derive(Debug, Serialize)]
pub struct UnknownRecords {
    pub session: String,
    pub harness: String,
    pub count: u64,
}

/// Something broken, and the command that fixes it.
#[derive(Debug, Serialize)]
pub struct Problem {
    pub problem: String,
    pub fix: String,
}

pub fn check(repo: &git2::Repository) -> Report {
    let traces = Traces::of(repo);
    let mut problems = Vec::new();
    for (session, e) in capture::seal_pending(repo) {
        problems.push(Problem {
            problem: format!("session {session} cannot be sealed: {e}"),
            fix: "run 'git trace doctor' again; if it persists, see .git/traces/errors.log".into(),
        });
    }
    let status = setup::status(repo);
    if !status.post_commit || !status.post_rewrite {
        problems.push(Problem {
            problem: format!(
                "git hooks in {} are not fully wired",
                status.hooks_dir.display()
            ),
            fix: "git trace init".into(),
        });
    }
    if !status.hooks_executable {
        let dir = status.hooks_dir.display();
        problems.push(Problem {
            problem: format!("a wired hook in {dir} is not executable, so git skips it"),
            fix: format!("chmod +x {dir}/post-commit {dir}/post-rewrite"),
        });
    }
    let agents: Vec<AgentWiring> = status
        .agents
        .iter()
        .map(|a| AgentWiring {
            harness: a.harness.name(),
            files: a.files.iter().map(|p| p.display().to_string()).collect(),
            events_missing: a.events_missing.clone(),
            blocked: a.blocked.clone(),
        })
        .collect();
    if agents.iter().all(|a| a.files.is_empty()) {
        problems.push(Problem {
            problem: "no agent is wired: neither Claude Code, Codex nor Pi calls git trace".into(),
            fix: "git trace init --agent <claude|codex|pi|all>".into(),
        });
    }
    for a in &agents {
        let fix = format!("git trace init --agent {}", a.harness);
        if !a.files.is_empty() && !a.events_missing.is_empty() {
            problems.push(Problem {
                problem: format!(
                    "{} hooks miss events: {}",
                    a.harness,
                    a.events_missing.join(", ")
                ),
                fix: fix.clone(),
            });
        }
        if let Some(why) = &a.blocked {
            problems.push(Problem {
                problem: format!("{} is wired but will not run its hooks: {why}", a.harness),
                fix,
            });
        }
    }
    for remote in crate::share::transport::leaky_remotes(repo) {
        problems.push(Problem {
            problem: format!(
                "a plain `git push` to {remote} would send private refs (refs/traces/sessions, trails)"
            ),
            fix: "remove that mirror setting or refspec (git config --edit), and use 'git trace push' for what you shared".into(),
        });
    }
    let claude = &agents[0];
    let (mut sessions, mut trails) = (0, 0);
    if let Ok(refs) = repo.references_glob("refs/traces/*") {
        for r in refs.flatten() {
            let name = r.name().unwrap_or_default().to_string();
            if r.peel_to_commit().is_err() {
                problems.push(Problem {
                    problem: format!("{name} does not point to a commit"),
                    fix: format!("git update-ref -d {name}"),
                });
                continue;
            }
            if name.starts_with(SESSIONS_PREFIX) {
                sessions += 1;
            } else if name.starts_with(TRAILS_PREFIX) {
                trails += 1;
            }
        }
    }
    let unsealed = store::dirty_sessions(&traces);
    let unknown_records = unknown_records(repo);
    Report {
        schema: "git-traces/doctor@1",
        version: env!("CARGO_PKG_VERSION"),
        healthy: problems.is_empty(),
        store: traces.dir.display().to_string(),
        wiring: Wiring {
            hooks_dir: status.hooks_dir.display().to_string(),
            post_commit: status.post_commit,
            post_rewrite: status.post_rewrite,
            claude_settings: claude.files.clone(),
            claude_events_missing: claude
                .events_missing
                .iter()
                .map(|s| s.to_string())
                .collect(),
            agents,
            notes: status.notes,
        },
        sessions,
        trails,
        unsealed,
        unknown_records,
        recent_errors: store::recent_errors(&traces, 5),
        problems,
    }
}

pub fn render(out: &mut dyn Write, r: &Report) -> io::Result<()> {
    let yes = |b: bool| if b { "wired" } else { "missing" };
    writeln!(out, "git-traces {}", r.version)?;
    writeln!(out, "store        {}", r.store)?;
    writeln!(
        out,
        "post-commit  {} ({})",
        yes(r.wiring.post_commit),
        r.wiring.hooks_dir
    )?;
    writeln!(out, "post-rewrite {}", yes(r.wiring.post_rewrite))?;
    for a in &r.wiring.agents {
        if a.files.is_empty() {
            writeln!(out, "{:<12} not wired", a.harness)?;
        }
        for f in &a.files {
            writeln!(out, "{:<12} wired ({f})", a.harness)?;
        }
    }
    writeln!(
        out,
        "sessions     {} sealed, {} trails, {} unsealed",
        r.sessions,
        r.trails,
        r.unsealed.len()
    )?;
    for note in &r.wiring.notes {
        writeln!(out, "note: {note}")?;
    }
    for u in &r.unknown_records {
        writeln!(
            out,
            "note: session {} ({}) has {} record(s) of types git-traces does not know, kept raw",
            u.session, u.harness, u.count
        )?;
    }
    if !r.recent_errors.is_empty() {
        writeln!(out, "\nrecent hook errors (.git/traces/errors.log):")?;
        for e in &r.recent_errors {
            writeln!(out, "  {}", e.line)?;
        }
    }
    if r.problems.is_empty() {
        writeln!(out, "\nok: nothing to fix")?;
    } else {
        writeln!(out)?;
        for p in &r.problems {
            writeln!(out, "problem: {}\n    fix: {}", p.problem, p.fix)?;
        }
    }
    Ok(())
}

/// Sessions whose manifest counts records kept raw because their type was not understood.
fn unknown_records(repo: &git2::Repository) -> Vec<UnknownRecords> {
    let Ok(sessions) = crate::read::list(repo) else {
        return Vec::new();
    };
    sessions
        .into_iter()
        .filter(|s| s.unknown_records > 0)
        .map(|s| UnknownRecords {
            session: s.id,
            harness: s.harness,
            count: s.unknown_records,
        })
        .collect()
}
