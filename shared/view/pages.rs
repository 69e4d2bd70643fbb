//! The pages of `git trace view`, each a whole HTML document built from one request's reads.

use super::Request;
use crate::render::html_escape as e;
use crate::{ctx, map, query, read};
use git2::Repository;
use std::fmt::Write;

/// Sessions per page of the list.
const PAGE: usize = 50;

const CSS: &str = "nav{margin-bottom:16px}nav a{margin-right:16px}pre{background:#f6f8fa;padding:8px;overflow-x:auto;border-radius:6px}
.agent{background:#e8f5e9}.human{background:#fff}.blame td{font:12px ui-monospace,monospace;padding:1px 6px;border:0;white-space:pre}
.add{color:#1b5e20}.del{color:#b71c1c}.hint{color:#666}form input{padding:4px;width:24em}";

fn link(token: &str, path: &str) -> String {
    format!("{path}?t={token}")
}

/// The frame every page shares: title, navigation, body.
fn layout(token: &str, title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{} · git trace view</title>\n<style>{}{CSS}</style>\n</head>\n<body>\n<nav><a href=\"{}\">sessions</a><a href=\"{}\">pull request</a></nav>\n{body}\n</body>\n</html>\n",
        e(title),
        map::MAP_CSS,
        link(token, "/"),
        link(token, "/pr"),
    )
}

pub fn error_page(status: u16, what: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{status}</title></head><body><h1>{status}</h1><p>{}</p></body></html>\n",
        e(what)
    )
}

/// The list's filters, as `git trace query` takes them.
const FILTERS: [(&str, &str); 5] = [
    ("harness", "harness"),
    ("model", "model"),
    ("file", "path"),
    ("state", "survival state"),
    ("since", "since (7d, 2026-11-01)"),
];

/// Sessions, newest first, a page at a time; with words or filters, the query's ranked hits.
pub fn list(repo: &Repository, token: &str, request: &Request) -> anyhow::Result<String> {
    let mut body = String::new();
    let q = request.param("q").unwrap_or_default();
    let fields: String = FILTERS
        .iter()
        .map(|(name, hint)| {
            format!(
                " <input name=\"{name}\" value=\"{}\" placeholder=\"{hint}\" style=\"width:9em\">",
                e(request.param(name).unwrap_or_default())
            )
        })
        .collect();
    let _ = writeln!(
        body,
        "<h1>sessions</h1>\n<form method=\"get\" action=\"/\"><input type=\"hidden\" name=\"t\" value=\"{}\"><input name=\"q\" value=\"{}\" placeholder=\"search prompts, commands, paths, answers\">{fields} <input type=\"submit\" value=\"search\" style=\"width:auto\"></form>",
        e(token),
        e(q)
    );
    let filtered = FILTERS
        .iter()
        .any(|(name, _)| request.param(name).is_some());
    if !q.trim().is_empty() || filtered {
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        let since_ms = match request.param("since") {
            Some(text) => Some(
                crate::stats::bound(text, now_ms)
                    .ok()
                    .and_then(|t| query::parse_time_ms(&t))
                    .ok_or_else(|| {
                        anyhow::anyhow!("'{text}' is not a time: use 7d, 12h or 2026-11-01")
                    })?,
            ),
            None => None,
        };
        let owned = |name: &str| request.param(name).map(str::to_string);
        let results = query::search(
            repo,
            &query::Query {
                text: q.to_string(),
                filters: query::Filters {
                    since_ms,
                    harness: owned("harness"),
                    model: owned("model"),
                    file: owned("file"),
                    state: owned("state"),
                    ..query::Filters::default()
                },
                limit: PAGE,
                now_ms,
            },
        )?;
        let _ = writeln!(
            body,
            "<p class=\"meta\" id=\"found\">{} matching session(s)</p>\n<table>",
            results.total
        );
        for hit in &results.hits {
            let steps: String = hit
                .steps
                .iter()
                .map(|s| {
                    format!(
                        "<a href=\"{}\">{}</a> {} {}<br>",
                        link(token, &format!("/s/{}/{}", hit.id, s.index)),
                        s.index,
                        s.kind.as_str(),
                        e(&s.summary)
                    )
                })
                .collect();
            let _ = writeln!(
                body,
                "<tr class=\"session\"><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td><td>{}<br>{steps}</td></tr>",
                link(token, &format!("/s/{}", hit.id)),
                e(crate::render::short(&hit.id)),
                e(&hit.harness),
                e(&hit.started_at),
                e(&hit.prompt)
            );
        }
        body.push_str("</table>\n");
        return Ok(layout(token, "search", &body));
    }
    let sessions = read::list(repo)?;
    let page: usize = request
        .param("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let _ = writeln!(
        body,
        "<p class=\"meta\" id=\"found\">{} session(s)</p>\n<table>",
        sessions.len()
    );
    for s in sessions.iter().skip(page * PAGE).take(PAGE) {
        let _ = writeln!(
            body,
            "<tr class=\"session\"><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td><td>{} steps</td><td>{}</td></tr>",
            link(token, &format!("/s/{}", s.id)),
            e(crate::render::short(&s.id)),
            e(&s.harness),
            e(&s.started_at),
            s.steps,
            e(s.prompt.as_deref().unwrap_or(""))
        );
    }
    body.push_str("</table>\n");
    if (page + 1) * PAGE < sessions.len() {
        let _ = writeln!(
            body,
            "<p><a href=\"{}&page={}\">older sessions</a></p>",
            link(token, "/"),
            page + 1
        );
    }
    Ok(layout(token, "sessions", &body))
}

/// One session: the subway map, its bursts, and every step linked to its page.
pub fn session(repo: &Repository, token: &str, spec: &str) -> anyhow::Result<String> {
    let id = read::resolve(repo, spec)?.session;
    let loaded = ctx::Loaded::read(repo, &id)?;
    let trace = loaded.trace();
    let built = map::build(repo, trace, map::DEFAULT_GAP_SECONDS)?;
    let tokens = loaded.context().and_then(map::window_tokens);
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<h1>session <code>{}</code></h1>\n<p class=\"meta\">{} · <span id=\"steps\">{} steps</span> · {} bursts · {} .. {}</p>\n<div class=\"scroll\">{}</div>",
        e(&id),
        e(&trace.harness),
        trace.steps.len(),
        built.bursts.len(),
        e(&trace.started_at),
        e(&trace.ended_at),
        map::map_svg(&built, trace, tokens.as_deref())
    );
    let mut table = Vec::new();
    map::burst_table(&mut table, &built.bursts)?;
    body.push_str(&String::from_utf8_lossy(&table));
    body.push_str("<h2>steps</h2>\n<table>\n");
    for s in &trace.steps {
        let _ = writeln!(
            body,
            "<tr class=\"step\"><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td></tr>",
            link(token, &format!("/s/{id}/{}", s.index)),
            s.index,
            s.kind.as_str(),
            e(&crate::render::first_line(&s.summary, 160))
        );
    }
    body.push_str("</table>\n");
    Ok(layout(
        token,
        &format!("session {}", crate::render::short(&id)),
        &body,
    ))
}

/// One step: its input, its output, the patch it made, and what the model saw right before it.
pub fn step(repo: &Repository, token: &str, spec: &str, index: u64) -> anyhow::Result<String> {
    let id = read::resolve(repo, spec)?.session;
    let loaded = ctx::Loaded::read(repo, &id)?;
    let step = read::step(loaded.trace(), index)?;
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<h1><a href=\"{}\">{}</a>:{index} · {}</h1>\n<p class=\"meta\">{} · {}</p>",
        link(token, &format!("/s/{id}")),
        e(crate::render::short(&id)),
        step.kind.as_str(),
        e(&step.started_at),
        e(&step.summary)
    );
    if let Some(text) = &step.text {
        let _ = writeln!(body, "<h2>text</h2>\n<pre>{}</pre>", e(&text.text));
    }
    if let Some(input) = &step.input {
        let _ = writeln!(
            body,
            "<h2>input</h2>\n<pre>{}</pre>",
            e(&serde_json::to_string_pretty(input)?)
        );
    }
    if let Some(output) = &step.output {
        let _ = writeln!(
            body,
            "<h2>output</h2>\n<pre>{}</pre>{}",
            e(&output.text),
            if output.blob.is_some() {
                format!("<p class=\"hint\">an excerpt of {} bytes</p>", output.bytes)
            } else {
                String::new()
            }
        );
    }
    for (_, _, files) in crate::capture::trail_patches(repo, &id)?
        .into_iter()
        .filter(|(s, _, _)| *s == index)
    {
        for f in files {
            let lines: String = f
                .patch
                .lines()
                .map(|l| {
                    let class = match l.chars().next() {
                        Some('+') => "add",
                        Some('-') => "del",
                        _ => "",
                    };
                    format!("<span class=\"{class}\">{}</span>\n", e(l))
                })
                .collect();
            let _ = writeln!(
                body,
                "<h2>patch · <a href=\"{}\">{}</a></h2>\n<pre class=\"patch\">{lines}</pre>",
                link(token, &format!("/blame/{}", f.path)),
                e(&f.path)
            );
        }
    }
    if let Some(session) = loaded.context() {
        let window = session.window(index)?;
        let _ = writeln!(
            body,
            "<h2>what the model saw</h2>\n<p class=\"meta\" id=\"window\">{} items, ~{} tokens</p>\n<table>",
            window.items.len(),
            window.tokens
        );
        for item in &window.items {
            let _ = writeln!(
                body,
                "<tr><td>{}</td><td>{}</td><td>~{}</td><td>{}</td></tr>",
                item.role.as_str(),
                item.step.map(|s| s.to_string()).unwrap_or_default(),
                item.tokens,
                e(&item.summary)
            );
        }
        body.push_str("</table>\n");
    }
    Ok(layout(
        token,
        &format!("{}:{index}", crate::render::short(&id)),
        &body,
    ))
}

/// A file of `HEAD`, each line with its commit and, for agent lines, the step that wrote it.
pub fn blame(repo: &Repository, token: &str, path: &str) -> anyhow::Result<String> {
    let workdir = repo
        .workdir()
        .ok_or_else(|| anyhow::anyhow!("a bare repository has no files to blame"))?;
    let head = repo.head()?.peel_to_tree()?;
    anyhow::ensure!(
        head.get_path(std::path::Path::new(path)).is_ok(),
        "{path} is not a file of HEAD"
    );
    let mut lines = Vec::new();
    crate::trail::blame(
        repo,
        &crate::trail::BlameRequest {
            rev: Some("HEAD".into()),
            path: path.to_string(),
            ranges: Vec::new(),
            cwd: workdir.to_path_buf(),
        },
        &mut |line, _| {
            lines.push(line.clone());
            Ok(())
        },
    )?;
    let mut body = format!("<h1>{}</h1>\n<table class=\"blame\">\n", e(path));
    for l in &lines {
        let (class, who) = match &l.anchor {
            Some(a) => (
                "agent",
                format!(
                    "<a href=\"{}\">{}:{}</a> {}",
                    link(token, &format!("/s/{}/{}", a.source.session, a.source.step)),
                    e(crate::render::short(&a.source.session)),
                    a.source.step,
                    a.state.as_str()
                ),
            ),
            None => ("human", e(&l.commit.author)),
        };
        let _ = writeln!(
            body,
            "<tr class=\"{class}\"><td>{}</td><td>{}</td><td>{who}</td><td>{}</td></tr>",
            l.line,
            e(crate::render::short(&l.commit.id)),
            e(&String::from_utf8_lossy(&l.content))
        );
    }
    body.push_str("</table>\n");
    Ok(layout(token, path, &body))
}

/// The pull request of the current branch (or `range`), as `git trail blame pr render` draws it.
pub fn pr(repo: &Repository, range: Option<&str>) -> anyhow::Result<String> {
    let range = crate::explain::pr_range(repo, range)?;
    let story = crate::explain::pr_story(repo, range.base, range.head)?;
    let mut out = Vec::new();
    crate::render::pr_story_html(&mut out, &story)?;
    Ok(String::from_utf8(out)?)
}
