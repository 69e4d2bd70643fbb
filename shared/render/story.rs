//! `git trail blame commit`: a commit's story as text or markdown.

use crate::explain::CommitStory;
use std::io::{self, Write};

fn wall(started: &str, ended: &str) -> String {
    let secs = |t: &str| -> Option<i64> {
        // 2026-11-25T00:34:56.263Z: minutes and seconds within the day are enough for a span
        // under a day; longer spans are shown by their dates.
        let h: i64 = t.get(11..13)?.parse().ok()?;
        let m: i64 = t.get(14..16)?.parse().ok()?;
        let s: i64 = t.get(17..19)?.parse().ok()?;
        Some(h * 3600 + m * 60 + s)
    };
    match (secs(started), secs(ended)) {
        (Some(a), Some(b)) if started.get(..10) == ended.get(..10) && b >= a => {
            let d = b - a;
            if d >= 60 {
                format!("{} m", d / 60)
            } else {
                format!("{d} s")
            }
        }
        _ => format!(
            "{} .. {}",
            started.get(..10).unwrap_or(""),
            ended.get(..10).unwrap_or("")
        ),
    }
}

fn short(s: &str) -> &str {
    &s[..s.len().min(8)]
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
            "\nsession {} ({}{}) · {} steps · {}",
            short(&p.session),
            p.harness,
            if p.models.is_empty() {
                String::new()
            } else {
                format!(", {}", p.models.join(", "))
            },
            p.steps,
            wall(&p.started_at, &p.ended_at)
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
        let who = match (&h.session, h.step) {
            (Some(session), Some(step)) => format!("{}:{step}", short(session)),
            _ => "by hand".into(),
        };
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
            "**Session `{}`** ({}{}, {} steps, {})\n",
            short(&p.session),
            p.harness,
            if p.models.is_empty() {
                String::new()
            } else {
                format!(", {}", p.models.join(", "))
            },
            p.steps,
            wall(&p.started_at, &p.ended_at)
        )?;
        for prompt in &p.prompts {
            writeln!(out, "> {}", prompt.lines().next().unwrap_or_default())?;
        }
        writeln!(out)?;
    }
    writeln!(out, "| lines | written by | state |")?;
    writeln!(out, "| --- | --- | --- |")?;
    for h in &s.hunks {
        let who = match (&h.session, h.step) {
            (Some(session), Some(step)) => format!("`{}:{step}`", short(session)),
            _ => "by hand".into(),
        };
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
