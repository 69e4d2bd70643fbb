//! `git trail blame pr render`: a branch's [`PrStory`] as markdown for a pull request description
//! or as one self-contained HTML page (inline CSS, no scripts, nothing fetched from the network).
//!
//! Every string that comes from a prompt, a commit or a file is escaped: prompts and code carry
//! `<`, `&` and quotes, and the page must show them, not run them.

use crate::explain::{PrCommit, PrHunk, PrStory, PrTotals};
use std::io::{self, Write};

/// Lines of a hunk shown in the page; the rest is counted.
const HTML_HUNK_LINES: usize = 200;
/// Lines of a prompt quoted in markdown; a pull request description is not a transcript.
const MD_PROMPT_LINES: usize = 12;

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `41 s`, `41 m`, `2 h 5 m`.
pub fn duration(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} m", s / 60),
        s => format!("{} h {} m", s / 3600, s % 3600 / 60),
    }
}

/// The totals line: `2 / 2 commits traced to intent · 13 hunks, 12 alive · 41 m · 92 steps · 2
/// traces`.
pub fn pr_header(t: &PrTotals) -> String {
    format!(
        "{} / {} traced to intent · {}, {} alive · {} · {} · {}",
        t.traced,
        plural(t.commits, "commit", "commits"),
        plural(t.hunks, "hunk", "hunks"),
        t.alive,
        duration(t.wall_seconds),
        plural(t.steps, "step", "steps"),
        plural(t.traces, "trace", "traces"),
    )
}

fn short(oid: &str) -> &str {
    &oid[..oid.len().min(7)]
}

fn short_session(s: &str) -> &str {
    &s[..s.len().min(8)]
}

fn who(h: &PrHunk) -> Option<String> {
    match (&h.hunk.session, h.hunk.step) {
        (Some(session), Some(step)) => Some(format!("{}:{step}", short_session(session))),
        _ => None,
    }
}

fn lines_label(h: &PrHunk) -> String {
    let [a, b] = h.hunk.lines;
    if a == b {
        a.to_string()
    } else {
        format!("{a}-{b}")
    }
}

/// The message after its subject line, trimmed.
fn body(c: &PrCommit) -> &str {
    c.message
        .split_once('\n')
        .map_or("", |(_, rest)| rest)
        .trim()
}

fn alignment_text(c: &PrCommit) -> String {
    let a = &c.alignment;
    let mut s = if a.agent_hunks == 0 {
        "no agent hunks".to_string()
    } else {
        format!(
            "{} / {} agent {} trace to the intent",
            a.aligned,
            a.agent_hunks,
            if a.agent_hunks == 1 { "hunk" } else { "hunks" }
        )
    };
    if a.human_hunks > 0 {
        s.push_str(&format!(" · {} by hand", a.human_hunks));
    }
    s
}

fn scope_text(c: &PrCommit) -> String {
    format!(
        "{}, {} alive · {} by agents, {} by hand",
        plural(c.scope.hunks, "hunk", "hunks"),
        c.scope.alive,
        plural(c.scope.agent_lines, "line", "lines"),
        c.scope.human_lines
    )
}

fn session_text(s: &crate::explain::PrSession) -> String {
    let mut agent = s.harness.clone();
    if !s.models.is_empty() {
        agent.push_str(&format!(" ({})", s.models.join(", ")));
    }
    format!(
        "{agent} · {} · {}",
        plural(s.steps, "step", "steps"),
        duration(s.wall_seconds)
    )
}

// ---------------------------------------------------------------------------------------------
// Markdown

/// Escapes what GitHub would otherwise read as HTML or an entity; the rest of a prompt's markdown
/// is left to render.
fn md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '\\' | '<' | '&' => {
                out.push('\\');
                out.push(ch);
            }
            _ => out.push(ch),
        }
    }
    out
}

/// A table cell: one line, pipes escaped (GitHub wants `\|` even inside code spans).
fn md_cell(s: &str) -> String {
    md(s).replace('|', "\\|").replace('\n', " ")
}

/// Markdown for a pull request description: the totals line in bold, then per commit (oldest
/// first) a `###` section with the intent quoted, the alignment, scope and sessions, and a table
/// of the hunks. No HTML.
pub fn pr_story_md(out: &mut dyn Write, s: &PrStory) -> io::Result<()> {
    writeln!(out, "**{}**", pr_header(&s.totals))?;
    if s.commits.is_empty() {
        writeln!(out, "\nNo commits.")?;
    }
    for (i, c) in s.commits.iter().enumerate() {
        writeln!(
            out,
            "\n### {}. {} `{}`\n",
            i + 1,
            md(&c.subject),
            short(&c.commit)
        )?;
        if c.intents.is_empty() {
            writeln!(out, "_No prompt behind this commit._\n")?;
        }
        for intent in &c.intents {
            let lines: Vec<&str> = intent.trim().lines().collect();
            for line in lines.iter().take(MD_PROMPT_LINES) {
                writeln!(out, "> {}", md(line).trim_end())?;
            }
            if lines.len() > MD_PROMPT_LINES {
                writeln!(out, "> …")?;
            }
            writeln!(out)?;
        }
        if !body(c).is_empty() {
            writeln!(out, "{}\n", md(body(c)))?;
        }
        writeln!(out, "- **Alignment:** {}", alignment_text(c))?;
        writeln!(out, "- **Scope:** {}", scope_text(c))?;
        for p in &c.sessions {
            writeln!(
                out,
                "- **Session** `{}`: {}",
                short_session(&p.session),
                md(&session_text(p))
            )?;
        }
        if c.hunks.is_empty() {
            continue;
        }
        writeln!(out, "\n| file | lines | written by | state |")?;
        writeln!(out, "| --- | --- | --- | --- |")?;
        for h in &c.hunks {
            writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                md_cell(&h.hunk.file).replace('`', "'"),
                lines_label(h),
                who(h).map_or("by hand".into(), |w| format!("agent `{w}`")),
                h.hunk.state.unwrap_or("")
            )?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// HTML

/// Escapes text for HTML content and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

const CSS: &str = r#"
:root { --fg:#1f2328; --muted:#59636e; --line:#d1d9e0; --bg:#f6f8fa; --card:#fff;
  --add:#e6ffec; --add-edge:#4ac26b; --hand:#fff8c5; --hand-edge:#d4a72c;
  --ok:#1a7f37; --warn:#9a6700; --bad:#cf222e; --accent:#0969da;
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace;
  --sans: system-ui, -apple-system, "Segoe UI", "Noto Sans", "DejaVu Sans", Helvetica, Arial, sans-serif; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.5 var(--sans); }
header.top { background: var(--card); border-bottom: 1px solid var(--line); padding: 20px 32px; }
header.top h1 { margin: 0 0 6px; font-size: 20px; font-weight: 600; }
header.top h1 code { font: 600 18px var(--mono); background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 1px 6px; }
.totals { margin: 0; font-size: 16px; font-weight: 600; }
.note { margin: 4px 0 0; color: var(--muted); font-size: 12px; }
main { padding: 20px 32px 40px; display: flex; flex-direction: column; gap: 20px; }
.lane { display: grid; grid-template-columns: minmax(280px, 2fr) 3fr; background: var(--card);
  border: 1px solid var(--line); border-radius: 10px; overflow: hidden; }
.intent { padding: 16px 20px; border-right: 1px solid var(--line); min-width: 0; }
.hunks { padding: 16px 20px; display: flex; flex-direction: column; gap: 12px; min-width: 0; background: #fbfcfd; }
.commit-head { display: flex; align-items: baseline; gap: 8px; flex-wrap: wrap; margin-bottom: 10px; }
.num { color: var(--muted); font-weight: 600; }
.sha { font: 12px var(--mono); color: var(--accent); background: #ddf4ff; border-radius: 6px; padding: 1px 6px; }
.commit-head h2 { margin: 0; font-size: 16px; font-weight: 600; }
.untraced { font-size: 11px; color: var(--muted); border: 1px solid var(--line); border-radius: 999px; padding: 0 8px; }
.label { display: block; margin: 10px 0 4px; font-size: 11px; font-weight: 600; letter-spacing: .06em; text-transform: uppercase; color: var(--muted); }
blockquote.prompt { margin: 0 0 8px; padding: 8px 12px; border-left: 4px solid var(--accent);
  background: #f3f8ff; border-radius: 0 6px 6px 0; white-space: pre-wrap; overflow-wrap: anywhere; max-height: 22em; overflow: auto; }
.message { margin: 0 0 8px; white-space: pre-wrap; color: var(--muted); overflow-wrap: anywhere; }
.none { color: var(--muted); font-style: italic; margin: 0 0 8px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 12px 0 0; font-size: 13px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.session code { font: 12px var(--mono); }
figure.hunk { margin: 0; border: 1px solid var(--line); border-radius: 8px; overflow: hidden; background: var(--card); }
figure.hunk figcaption { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; padding: 6px 10px;
  background: var(--bg); border-bottom: 1px solid var(--line); font-size: 12px; }
.file { font: 600 12px var(--mono); overflow-wrap: anywhere; }
.range { font: 12px var(--mono); color: var(--muted); }
.tag { font-size: 11px; font-weight: 600; border-radius: 999px; padding: 1px 8px; border: 1px solid; white-space: nowrap; }
.tag.agent { color: var(--accent); border-color: #54aeff; background: #ddf4ff; }
.tag.hand { color: var(--warn); border-color: var(--hand-edge); background: var(--hand); }
.tag.alive { color: var(--ok); border-color: #4ac26b; background: #dafbe1; }
.tag.partial { color: var(--warn); border-color: var(--hand-edge); background: var(--hand); }
.tag.gone { color: var(--bad); border-color: #ff8182; background: #ffebe9; }
.tag.unknown { color: var(--muted); border-color: var(--line); background: var(--card); }
.prompt-of { flex-basis: 100%; color: var(--muted); font-size: 12px; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
pre.diff { margin: 0; padding: 6px 0; font: 12.5px/1.45 var(--mono); overflow-x: auto; }
pre.diff span.l { display: block; padding: 0 12px 0 0; white-space: pre; }
figure.agent pre.diff span.l { background: var(--add); box-shadow: inset 3px 0 var(--add-edge); }
figure.human pre.diff span.l { background: var(--hand); box-shadow: inset 3px 0 var(--hand-edge); }
pre.diff .n { display: inline-block; width: 4.5em; padding-right: .8em; text-align: right; color: var(--muted); user-select: none; }
pre.diff .more { display: block; padding: 2px 12px; color: var(--muted); font-style: italic; }
.empty { color: var(--muted); font-style: italic; }
@media (max-width: 900px) { .lane { grid-template-columns: 1fr; } .intent { border-right: 0; border-bottom: 1px solid var(--line); } }
"#;

fn state_class(state: Option<&str>) -> &'static str {
    match state {
        Some("partially_preserved") => "partial",
        Some(s) if s.starts_with("alive_") => "alive",
        Some("never_committed") | None => "unknown",
        Some(_) => "gone",
    }
}

/// One self-contained HTML page: the totals at the top, then one lane per commit with its intent
/// on the left and the lines each hunk added on the right, marked agent step or by hand and
/// labelled with their state today.
pub fn pr_story_html(out: &mut dyn Write, s: &PrStory) -> io::Result<()> {
    let e = html_escape;
    let base = s.base_name.as_deref().unwrap_or(short(&s.base));
    let head = s.head_name.as_deref().unwrap_or(short(&s.head));
    writeln!(out, "<!doctype html>")?;
    writeln!(out, "<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">")?;
    writeln!(
        out,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(
        out,
        "<title>{} into {} · git trail</title>",
        e(head),
        e(base)
    )?;
    writeln!(out, "<style>{CSS}</style>\n</head>\n<body>")?;
    writeln!(out, "<header class=\"top\">")?;
    writeln!(
        out,
        "<h1><code>{}</code> into <code>{}</code></h1>",
        e(head),
        e(base)
    )?;
    writeln!(out, "<p class=\"totals\">{}</p>", e(&pr_header(&s.totals)))?;
    writeln!(
        out,
        "<p class=\"note\">{} by agents, {} by hand · {} / {} agent hunks trace to their commit&#39;s intent · states against {}</p>",
        plural(s.totals.agent_lines, "line", "lines"),
        s.totals.human_lines,
        s.totals.aligned_hunks,
        s.totals.agent_hunks,
        e(short(&s.states_at))
    )?;
    writeln!(out, "</header>\n<main>")?;
    if s.commits.is_empty() {
        writeln!(out, "<p class=\"empty\">No commits.</p>")?;
    }
    for (i, c) in s.commits.iter().enumerate() {
        lane(out, i + 1, c)?;
    }
    writeln!(out, "</main>\n</body>\n</html>")
}

fn lane(out: &mut dyn Write, n: usize, c: &PrCommit) -> io::Result<()> {
    let e = html_escape;
    writeln!(out, "<section class=\"lane\">\n<div class=\"intent\">")?;
    writeln!(
        out,
        "<div class=\"commit-head\"><span class=\"num\">{n}.</span><code class=\"sha\">{}</code><h2>{}</h2>{}</div>",
        e(short(&c.commit)),
        e(&c.subject),
        if c.traced {
            ""
        } else {
            "<span class=\"untraced\">no agent steps</span>"
        }
    )?;
    writeln!(out, "<span class=\"label\">Intent</span>")?;
    if c.intents.is_empty() {
        writeln!(out, "<p class=\"none\">No prompt behind this commit.</p>")?;
    }
    for intent in &c.intents {
        writeln!(
            out,
            "<blockquote class=\"prompt\">{}</blockquote>",
            e(intent.trim())
        )?;
    }
    if !body(c).is_empty() {
        writeln!(out, "<span class=\"label\">Message</span>")?;
        writeln!(out, "<p class=\"message\">{}</p>", e(body(c)))?;
    }
    writeln!(out, "<dl class=\"facts\">")?;
    writeln!(out, "<dt>alignment</dt><dd>{}</dd>", e(&alignment_text(c)))?;
    writeln!(out, "<dt>scope</dt><dd>{}</dd>", e(&scope_text(c)))?;
    for p in &c.sessions {
        writeln!(
            out,
            "<dt>session</dt><dd class=\"session\"><code>{}</code> {}</dd>",
            e(short_session(&p.session)),
            e(&session_text(p))
        )?;
    }
    writeln!(out, "</dl>\n</div>\n<div class=\"hunks\">")?;
    if c.hunks.is_empty() {
        writeln!(out, "<p class=\"empty\">No added lines.</p>")?;
    }
    for h in &c.hunks {
        hunk(out, h)?;
    }
    writeln!(out, "</div>\n</section>")
}

fn hunk(out: &mut dyn Write, h: &PrHunk) -> io::Result<()> {
    let e = html_escape;
    let agent = who(h);
    writeln!(
        out,
        "<figure class=\"hunk {}\">",
        if agent.is_some() { "agent" } else { "human" }
    )?;
    write!(
        out,
        "<figcaption><span class=\"file\">{}</span><span class=\"range\">{}</span>",
        e(&h.hunk.file),
        e(&lines_label(h))
    )?;
    match &agent {
        Some(w) => write!(out, "<span class=\"tag agent\">agent step {}</span>", e(w))?,
        None => write!(out, "<span class=\"tag hand\">by hand</span>")?,
    }
    if agent.is_some() {
        write!(
            out,
            "<span class=\"tag {}\">{}</span>",
            state_class(h.hunk.state),
            e(h.hunk.state.unwrap_or("state unknown"))
        )?;
    }
    if let Some(p) = &h.hunk.prompt {
        if !h.aligned {
            write!(
                out,
                "<span class=\"prompt-of\">prompt: {}</span>",
                e(p.lines().next().unwrap_or_default())
            )?;
        }
    }
    writeln!(out, "</figcaption>")?;
    write!(out, "<pre class=\"diff\"><code>")?;
    for (i, line) in h.added.iter().take(HTML_HUNK_LINES).enumerate() {
        write!(
            out,
            "<span class=\"l\"><span class=\"n\">{}</span>{}</span>",
            h.hunk.lines[0] as usize + i,
            e(line)
        )?;
    }
    if h.added.len() > HTML_HUNK_LINES {
        write!(
            out,
            "<span class=\"more\">… {} more lines</span>",
            h.added.len() - HTML_HUNK_LINES
        )?;
    }
    if h.added.is_empty() {
        write!(out, "<span class=\"more\">(binary or unreadable)</span>")?;
    }
    writeln!(out, "</code></pre>\n</figure>")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration(0), "0 s");
        assert_eq!(duration(59), "59 s");
        assert_eq!(duration(41 * 60 + 5), "41 m");
        assert_eq!(duration(2 * 3600 + 5 * 60), "2 h 5 m");
    }

    #[test]
    fn escaping() {
        assert_eq!(
            html_escape(r#"<script>a && "b" 'c'</script>"#),
            "&lt;script&gt;a &amp;&amp; &quot;b&quot; &#39;c&#39;&lt;/script&gt;"
        );
        assert_eq!(md(r"<b> & \x"), r"\<b> \& \\x");
        assert_eq!(md_cell("a|b"), r"a\|b");
    }

    #[test]
    fn header_shape() {
        let t = PrTotals {
            commits: 2,
            traced: 2,
            hunks: 13,
            alive: 12,
            wall_seconds: 41 * 60 + 30,
            steps: 92,
            traces: 2,
            ..PrTotals::default()
        };
        assert_eq!(
            pr_header(&t),
            "2 / 2 commits traced to intent · 13 hunks, 12 alive · 41 m · 92 steps · 2 traces"
        );
    }
}
