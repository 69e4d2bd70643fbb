//! `git trail blame commit`: a commit's story as text or markdown.

use crate::explain::{wall_seconds, CommitStory, Hunk, SessionPart};
use std::io::{self, Write};

fn short(s: &str) -> &str {
    &s[..s.len().min(8)]
}

/// `claude, claude-opus-4-8, 12 steps, 3 m`: the session's agent and cost, for both formats.
fn session_facts(p: &SessionPart) -> String {
    let mut facts = vec![p.harness.clone()];
    facts.extend(p.models.iter().cloned());
    facts.push(format!("{} steps", p.steps));
    facts.push(super::pr::duration(wall_seconds(
        &p.started_at,
        &p.ended_at,
    )));
    facts.join(", ")
}

/// `3f9a61c2:12`, or None for lines written by hand.
fn who(h: &Hunk) -> Option<String> {
    Some(format!("{}:{}", short(h.session.as_deref()?), h.step?))
}

/// Plain text, for the terminal.
pub fn commit_story(out: &mut dyn Write, s: &CommitStory) -> io::Result<()> {
    writeln!(out, "commit {}", s.commit)?;
    writeln!(out, "    {}", s.subject)?;
    writeln!(
        out,
        "lines  {} by agents, {} by hand",
        s.agent_lines, s.human_lines
    )?;
    for p in &s.sessions {
        writeln!(
            out,
            "\nsession {} ({})",
            short(&p.session),
            session_facts(p)
        )?;
        for prompt in &p.prompts {
            writeln!(
                out,
                "  intent: {}",
                prompt.lines().next().unwrap_or_default()
            )?;
        }
    }
    writeln!(out)?;
    for h in &s.hunks {
        let who = who(h).unwrap_or_else(|| "by hand".into());
        let line = format!(
            "  {}:{}-{}  {:<14} {}",
            h.file,
            h.lines[0],
            h.lines[1],
            who,
            h.state.unwrap_or("")
        );
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// Markdown that pastes cleanly into a pull request.
pub fn commit_story_md(out: &mut dyn Write, s: &CommitStory) -> io::Result<()> {
    writeln!(
        out,
        "### {} `{}`\n",
        s.subject,
        &s.commit[..s.commit.len().min(7)]
    )?;
    writeln!(
        out,
        "{} lines by agents, {} by hand.\n",
        s.agent_lines, s.human_lines
    )?;
    for p in &s.sessions {
        writeln!(
            out,
            "**Session `{}`** ({})\n",
            short(&p.session),
            session_facts(p)
        )?;
        for prompt in &p.prompts {
            writeln!(out, "> {}", prompt.lines().next().unwrap_or_default())?;
        }
        writeln!(out)?;
    }
    writeln!(out, "| lines | written by | state |")?;
    writeln!(out, "| --- | --- | --- |")?;
    for h in &s.hunks {
        let who = who(h).map_or_else(|| "by hand".into(), |w| format!("`{w}`"));
        writeln!(
            out,
            "| `{}` {}-{} | {} | {} |",
            h.file,
            h.lines[0],
            h.lines[1],
            who,
            h.state.unwrap_or("")
        )?;
    }
    Ok(())
}
