//! Output of `git trail blame`: git's porcelain with `trace-*` headers, JSON, and a human view in
//! the shape of `git blame`'s.

use super::short;
use crate::trail::{BlameLine, Raw};
use std::io::{self, Write};

/// JSON schema of one `git trail blame --json` element.
pub const BLAME_SCHEMA: &str = "git-traces/blame@1";

/// One line of `--porcelain`: git's bytes for it, with `trace-session`, `trace-step` and
/// `trace-state` after git's headers and before the TAB-prefixed content when the line is
/// anchored. git prints a commit's details only on its first line group; ours go on every
/// anchored line, since they belong to the line, not the commit.
pub fn blame_porcelain(out: &mut dyn Write, line: &BlameLine, raw: Raw<'_>) -> io::Result<()> {
    out.write_all(raw.headers)?;
    if let Some(a) = &line.anchor {
        write!(
            out,
            "trace-session {}\ntrace-step {}\ntrace-state {}\n",
            a.source.session,
            a.source.step,
            a.state.as_str()
        )?;
    }
    out.write_all(raw.content)
}

#[derive(serde::Serialize)]
struct JsonLine<'a> {
    schema: &'static str,
    line: u32,
    commit: &'a str,
    orig_line: u32,
    file: &'a str,
    author: &'a str,
    author_time: String,
    content: std::borrow::Cow<'a, str>,
    session: Option<&'a str>,
    step: Option<u64>,
    key: Option<&'a str>,
    harness: Option<&'a str>,
    prompt: Option<&'a str>,
    state: Option<&'static str>,
    tier: Option<&'a str>,
    firmness: Option<&'a str>,
}

/// `--json`: an array with one object per line, each on its own text line. Anchor fields are
/// null on lines no agent step produced; `harness` and `prompt` are null when the session is gone.
pub fn blame_json(out: &mut dyn Write, lines: &[BlameLine]) -> io::Result<()> {
    writeln!(out, "[")?;
    for (i, l) in lines.iter().enumerate() {
        let a = l.anchor.as_ref();
        let row = JsonLine {
            schema: BLAME_SCHEMA,
            line: l.line,
            commit: &l.commit.id,
            orig_line: l.orig_line,
            file: &l.file,
            author: &l.commit.author,
            author_time: crate::store::format_unix_ms(l.commit.author_time * 1000),
            content: String::from_utf8_lossy(&l.content),
            session: a.map(|a| a.source.session.as_str()),
            step: a.map(|a| a.source.step),
            key: a.map(|a| a.anchor.key.as_str()),
            harness: a.and_then(|a| a.source.harness.as_deref()),
            prompt: a.and_then(|a| a.source.prompt.as_deref()),
            state: a.map(|a| a.state.as_str()),
            tier: a.map(|a| a.anchor.tier.as_str()),
            firmness: a.map(|a| a.anchor.firmness.as_str()),
        };
        serde_json::to_writer(&mut *out, &row)?;
        writeln!(out, "{}", if i + 1 < lines.len() { "," } else { "" })?;
    }
    writeln!(out, "]")
}

/// The human view, `git blame`'s columns plus the step:
///
/// ```text
/// 1f0c9a2e a0a0a0a0:2 (Test Author 2026-01-01 00:00:00 +0000 1) def alpha():
/// ```
///
/// `-` marks a line no agent step produced; a file column appears when some lines come from
/// another path (a rename), as git does. Then one line per step: harness, states, prompt.
pub fn blame_human(out: &mut dyn Write, lines: &[BlameLine], blamed_path: &str) -> io::Result<()> {
    let addr = |l: &BlameLine| match &l.anchor {
        Some(a) => format!(
            "{}:{}",
            &a.source.session[..a.source.session.len().min(8)],
            a.source.step
        ),
        None => "-".to_string(),
    };
    let addrs: Vec<String> = lines.iter().map(addr).collect();
    let aw = addrs.iter().map(|a| a.chars().count()).max().unwrap_or(1);
    let show_file = lines.iter().any(|l| &*l.file != blamed_path);
    let fw = lines
        .iter()
        .map(|l| l.file.chars().count())
        .max()
        .unwrap_or(0);
    let uw = lines
        .iter()
        .map(|l| l.commit.author.chars().count())
        .max()
        .unwrap_or(0);
    let lw = lines
        .iter()
        .map(|l| l.line)
        .max()
        .unwrap_or(0)
        .to_string()
        .len();
    for (l, a) in lines.iter().zip(&addrs) {
        let sha = if l.commit.boundary {
            format!("^{}", short(&l.commit.id))
        } else {
            l.commit.id[..l.commit.id.len().min(8)].to_string()
        };
        write!(out, "{sha} {a:<aw$} ")?;
        if show_file {
            write!(out, "{:<fw$} ", l.file)?;
        }
        write!(
            out,
            "({:<uw$} {} {:>lw$}) ",
            l.commit.author,
            date(l.commit.author_time, &l.commit.author_tz),
            l.line
        )?;
        out.write_all(&l.content)?;
        writeln!(out)?;
    }
    // One line per step, in order of first appearance.
    let mut steps: Vec<(&str, &crate::trail::LineAnchor, Vec<&'static str>)> = Vec::new();
    for (l, a) in lines.iter().zip(&addrs) {
        let Some(anchor) = &l.anchor else { continue };
        match steps.iter_mut().find(|(s, _, _)| *s == a.as_str()) {
            Some((_, _, states)) if !states.contains(&anchor.state.as_str()) => {
                states.push(anchor.state.as_str())
            }
            Some(_) => {}
            None => steps.push((a, anchor, vec![anchor.state.as_str()])),
        }
    }
    if steps.is_empty() {
        return Ok(());
    }
    let hw = steps
        .iter()
        .map(|(_, a, _)| a.source.harness.as_deref().unwrap_or("-").len())
        .max()
        .unwrap_or(1);
    let states: Vec<String> = steps.iter().map(|(_, _, s)| s.join(",")).collect();
    let sw = states.iter().map(String::len).max().unwrap_or(0);
    writeln!(out)?;
    for ((a, anchor, _), states) in steps.iter().zip(&states) {
        let prompt = match (&anchor.source.harness, &anchor.source.prompt) {
            (_, Some(p)) => p.as_str(),
            (None, None) => "(session not found)",
            (Some(_), None) => "(no prompt)",
        };
        writeln!(
            out,
            "{a:<aw$}  {:<hw$}  {states:<sw$}  {prompt}",
            anchor.source.harness.as_deref().unwrap_or("-")
        )?;
    }
    Ok(())
}

/// `2026-01-01 00:00:00 +0000`, git blame's default date, in the author's zone.
fn date(time: i64, tz: &str) -> String {
    let offset = tz
        .get(1..5)
        .and_then(|d| {
            let h: i64 = d.get(..2)?.parse().ok()?;
            let m: i64 = d.get(2..)?.parse().ok()?;
            Some(h * 3600 + m * 60)
        })
        .map_or(0, |o| if tz.starts_with('-') { -o } else { o });
    let local = crate::store::format_unix_ms((time + offset) * 1000);
    format!("{} {tz}", local[..19].replace('T', " "))
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates_in_the_authors_zone() {
        assert_eq!(super::date(0, "+0000"), "1970-01-01 00:00:00 +0000");
        assert_eq!(super::date(0, "-0130"), "1969-12-31 22:30:00 -0130");
        assert_eq!(super::date(0, "+0530"), "1970-01-01 05:30:00 +0530");
    }
}
