//! `git trail blame pr render`: a branch whose commits were made from agent steps, told as JSON,
//! markdown and one HTML page, with real hooks and real `git commit`; the page is rendered by
//! headless Chromium when the machine has it.

mod common;

use common::{edit, start, write, TestRepo};
use serde_json::Value;

const S1: &str = "b1b1b1b1-0000-4000-8000-000000000001";
const S2: &str = "b2b2b2b2-0000-4000-8000-000000000002";
const GREET: &str = "Add a greeting helper";
const ESCAPE: &str = "Escape <script> tags & \"quotes\" in the page";

fn prompt(repo: &TestRepo, session: &str, text: &str, id: &str) {
    repo.hook(
        "UserPromptSubmit",
        &common::payload(
            session,
            &repo.root,
            "UserPromptSubmit",
            serde_json::json!({"prompt": text, "prompt_id": id}),
        ),
    );
}

/// `main` with a README; `feature` with two commits:
/// 1. "greeting" (session 1, one prompt): greet.py 1-2 and farewell.py 1-2 by agent steps, and
///    greet.py 3 by hand;
/// 2. "page" (session 2, a prompt with `<script>`): page.py 1-3, and farewell.py rewritten, so the
///    farewell hunk of commit 1 is lost today.
fn branch() -> TestRepo {
    let repo = TestRepo::with_files(&[("README.md", "one\n")]);
    std::fs::write(repo.path(".git/info/exclude"), ".claude/\n").unwrap();
    repo.trace(&["init"]);
    repo.git(&["checkout", "-q", "-b", "feature"]);

    start(&repo, S1, &repo.root);
    prompt(&repo, S1, GREET, "p1");
    write(
        &repo,
        S1,
        &repo.root,
        "w1",
        "greet.py",
        "def greet(name):\n    return f'hello {name}'\n",
    );
    write(
        &repo,
        S1,
        &repo.root,
        "w2",
        "farewell.py",
        "def bye(name):\n    return f'bye {name}'\n",
    );
    let text = repo.read("greet.py") + "print(greet('you'))  # by hand\n";
    repo.write("greet.py", &text);
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "greeting", "-m", "Say hello & goodbye."]);

    start(&repo, S2, &repo.root);
    prompt(&repo, S2, ESCAPE, "p2");
    write(
        &repo,
        S2,
        &repo.root,
        "w3",
        "page.py",
        "def page(body):\n    safe = body.replace('<', '&lt;')\n    return f\"<p class='x'>{safe}</p>\"\n",
    );
    edit(
        &repo,
        S2,
        &repo.root,
        "e1",
        "farewell.py",
        "def bye(name):\n    return f'bye {name}'\n",
        "def farewell(name):\n    return f'goodbye {name}'\n",
    );
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "page"]);
    repo
}

/// Seconds since the epoch of `2026-11-25T00:34:56.263Z`.
fn unix(t: &str) -> i64 {
    let n = |a: usize, b: usize| -> i64 { t[a..b].parse().unwrap() };
    let (y, m, d) = (n(0, 4), n(5, 7), n(8, 10));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let days = era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468;
    days * 86_400 + n(11, 13) * 3600 + n(14, 16) * 60 + n(17, 19)
}

/// (wall seconds, steps) of a session, from `git trace show --json`.
fn session_cost(repo: &TestRepo, session: &str) -> (i64, u64) {
    let t = repo.show_json(session);
    let wall = unix(t["ended_at"].as_str().unwrap()) - unix(t["started_at"].as_str().unwrap());
    (wall, t["steps"].as_array().unwrap().len() as u64)
}

fn duration(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} m", s / 60),
        s => format!("{} h {} m", s / 3600, s % 3600 / 60),
    }
}

fn render(repo: &TestRepo, args: &[&str]) -> (String, String) {
    let mut all = vec!["trail", "blame", "pr", "render"];
    all.extend_from_slice(args);
    let out = repo.git_output(&all);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(out.status.success(), "{args:?}: {stderr}");
    (String::from_utf8(out.stdout).unwrap(), stderr)
}

fn html_of(repo: &TestRepo) -> String {
    render(repo, &["main..feature", "--format", "html"]).0
}

#[test]
fn json_tells_each_commit_its_intent_alignment_scope_and_cost() {
    let repo = branch();
    let (json, stderr) = render(&repo, &["main..feature", "--format", "json"]);
    assert!(
        stderr.contains("pr: feature against main (given: "),
        "{stderr}"
    );
    let pr: Value = serde_json::from_str(&json).unwrap();
    let (w1, n1) = session_cost(&repo, S1);
    let (w2, n2) = session_cost(&repo, S2);
    assert_eq!(pr["schema"], "git-traces/pr-story@1");
    assert_eq!(pr["base"], repo.git(&["rev-parse", "main"]).trim());
    assert_eq!(pr["head"], repo.git(&["rev-parse", "feature"]).trim());
    assert_eq!(
        (pr["base_name"].as_str(), pr["head_name"].as_str()),
        (Some("main"), Some("feature"))
    );
    assert_eq!(
        pr["totals"],
        serde_json::json!({
            "commits": 2, "traced": 2, "hunks": 5, "alive": 3,
            "agent_hunks": 4, "aligned_hunks": 4, "human_hunks": 1,
            "agent_lines": 9, "human_lines": 1,
            "wall_seconds": w1 + w2, "steps": n1 + n2, "traces": 2,
        })
    );
    let commits = pr["commits"].as_array().unwrap();
    assert_eq!(commits.len(), 2);
    let (c1, c2) = (&commits[0], &commits[1]);
    assert_eq!(c1["commit"], repo.git(&["rev-parse", "feature~1"]).trim());
    assert_eq!(c1["subject"], "greeting");
    assert_eq!(c1["message"], "greeting\n\nSay hello & goodbye.\n");
    assert_eq!(c1["traced"], true);
    assert_eq!(c1["intents"], serde_json::json!([GREET]));
    assert_eq!(
        c1["alignment"],
        serde_json::json!({"agent_hunks": 2, "aligned": 2, "human_hunks": 1})
    );
    assert_eq!(
        c1["scope"],
        serde_json::json!({"hunks": 3, "alive": 1, "agent_lines": 4, "human_lines": 1})
    );
    assert_eq!(c1["agents"], serde_json::json!(["claude"]));
    assert_eq!(
        (c1["wall_seconds"].as_i64(), c1["steps"].as_u64()),
        (Some(w1), Some(n1))
    );
    assert_eq!(c1["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(c1["sessions"][0]["session"], S1);
    let hunks: Vec<(String, Value, Option<&str>, bool, Value)> = c1["hunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["file"].as_str().unwrap().to_string(),
                h["lines"].clone(),
                h["state"].as_str(),
                h["alive"].as_bool().unwrap(),
                h["added"].clone(),
            )
        })
        .collect();
    assert_eq!(
        hunks,
        [
            (
                "farewell.py".to_string(),
                serde_json::json!([1, 2]),
                Some("lost"),
                false,
                serde_json::json!(["def bye(name):", "    return f'bye {name}'"])
            ),
            (
                "greet.py".to_string(),
                serde_json::json!([1, 2]),
                Some("alive_on_path"),
                true,
                serde_json::json!(["def greet(name):", "    return f'hello {name}'"])
            ),
            (
                "greet.py".to_string(),
                serde_json::json!([3, 3]),
                None,
                false,
                serde_json::json!(["print(greet('you'))  # by hand"])
            ),
        ]
    );
    assert_eq!(c1["hunks"][1]["session"], S1);
    assert_eq!(c1["hunks"][1]["prompt"], GREET);
    assert_eq!(c1["hunks"][1]["aligned"], true);
    assert!(c1["hunks"][2]["session"].is_null());
    assert_eq!(c1["hunks"][2]["aligned"], false);

    assert_eq!(c2["subject"], "page");
    assert_eq!(c2["intents"], serde_json::json!([ESCAPE]));
    assert_eq!(
        c2["alignment"],
        serde_json::json!({"agent_hunks": 2, "aligned": 2, "human_hunks": 0})
    );
    assert_eq!(
        c2["scope"],
        serde_json::json!({"hunks": 2, "alive": 2, "agent_lines": 5, "human_lines": 0})
    );
    assert_eq!(
        (c2["wall_seconds"].as_i64(), c2["steps"].as_u64()),
        (Some(w2), Some(n2))
    );
    let files: Vec<(&str, &str)> = c2["hunks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["file"].as_str().unwrap(), h["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        files,
        [
            ("farewell.py", "alive_on_path"),
            ("page.py", "alive_on_path")
        ]
    );
}

#[test]
fn markdown_has_the_totals_line_and_a_section_per_commit() {
    let repo = branch();
    let (md, _) = render(&repo, &["main..feature"]);
    let (w1, n1) = session_cost(&repo, S1);
    let (w2, n2) = session_cost(&repo, S2);
    let header = format!(
        "**2 / 2 commits traced to intent · 5 hunks, 3 alive · {} · {} steps · 2 traces**",
        duration(w1 + w2),
        n1 + n2
    );
    assert_eq!(md.lines().next(), Some(header.as_str()), "{md}");
    let short = |rev: &str| {
        repo.git(&["rev-parse", "--short=7", rev])
            .trim()
            .to_string()
    };
    let sections: Vec<&str> = md.lines().filter(|l| l.starts_with("### ")).collect();
    assert_eq!(
        sections,
        [
            format!("### 1. greeting `{}`", short("feature~1")),
            format!("### 2. page `{}`", short("feature")),
        ]
    );
    let first = md.split("\n### ").nth(1).unwrap();
    assert!(first.contains(&format!("\n> {GREET}\n")), "{md}");
    assert!(first.contains("\nSay hello \\& goodbye.\n"), "{md}");
    assert!(
        first.contains("\n- **Alignment:** 2 / 2 agent hunks trace to the intent · 1 by hand\n"),
        "{md}"
    );
    assert!(
        first.contains("\n- **Scope:** 3 hunks, 1 alive · 4 lines by agents, 1 by hand\n"),
        "{md}"
    );
    assert!(first.contains("\n- **Session** `b1b1b1b1`: claude"), "{md}");
    assert!(
        first.contains("\n| file | lines | written by | state |\n| --- | --- | --- | --- |\n"),
        "{md}"
    );
    assert!(first.contains("\n| `greet.py` | 3 | by hand |  |"), "{md}");
    assert!(
        first.contains("| `farewell.py` | 1-2 | agent `b1b1b1b1:"),
        "{md}"
    );
    assert!(first.contains("| lost |"), "{md}");
    let second = md.split("\n### ").nth(2).unwrap();
    // The prompt's `<` and `&` are escaped, so GitHub shows them instead of reading HTML.
    assert!(
        second.contains("\n> Escape \\<script> tags \\& \"quotes\" in the page\n"),
        "{md}"
    );
    // No HTML: every `<` is escaped.
    assert_eq!(md.matches('<').count(), md.matches("\\<").count(), "{md}");
    // Without a range: the merge-base with main, said on stderr; the same story.
    let (default, stderr) = render(&repo, &[]);
    assert!(
        stderr.contains("pr: feature against main (merge-base with main: "),
        "{stderr}"
    );
    assert_eq!(default, md);
}

#[test]
fn the_base_is_the_upstream_first_and_a_clear_error_when_there_is_none() {
    let repo = branch();
    repo.git(&["branch", "-q", "--set-upstream-to=main"]);
    let (md, stderr) = render(&repo, &[]);
    assert!(
        stderr.contains("pr: feature against main (upstream: "),
        "{stderr}"
    );
    assert!(md.starts_with("**2 / 2 commits traced to intent"), "{md}");

    let repo = branch();
    repo.git(&["branch", "-q", "-m", "main", "trunk"]);
    let out = repo.git_output(&["trail", "blame", "pr", "render"]);
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("error: cannot tell what feature is a pull request against"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: name the range, as in 'git trail blame pr render trunk..feature'"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn html_is_one_escaped_self_contained_page_and_o_writes_it_to_a_file() {
    let repo = branch();
    let html = html_of(&repo);
    assert!(
        html.starts_with("<!doctype html>\n<html lang=\"en\">"),
        "{html}"
    );
    assert!(html.trim_end().ends_with("</html>"), "{html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");
    assert!(
        html.contains("Escape &lt;script&gt; tags &amp; &quot;quotes&quot; in the page"),
        "{html}"
    );
    // The code's own markup is shown, not parsed.
    assert!(
        html.contains("return f&quot;&lt;p class=&#39;x&#39;&gt;{safe}&lt;/p&gt;&quot;"),
        "{html}"
    );
    assert!(!html.to_lowercase().contains("<script"), "{html}");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    assert!(!html.contains("<link") && !html.contains("@import") && !html.contains("url("));
    assert_eq!(html.matches("<section class=\"lane\">").count(), 2);
    assert_eq!(html.matches("<figure class=\"hunk agent\">").count(), 4);
    assert_eq!(html.matches("<figure class=\"hunk human\">").count(), 1);
    assert!(
        html.contains("<span class=\"tag gone\">lost</span>"),
        "{html}"
    );
    assert!(
        html.contains("<span class=\"tag hand\">by hand</span>"),
        "{html}"
    );
    for tag in [
        "section",
        "figure",
        "div",
        "pre",
        "blockquote",
        "dl",
        "span",
    ] {
        assert_eq!(
            html.matches(&format!("<{tag}")).count(),
            html.matches(&format!("</{tag}>")).count(),
            "unbalanced <{tag}>"
        );
    }

    let file = repo.path("out/pr.html");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "old").unwrap();
    let (stdout, _) = render(
        &repo,
        &["main..feature", "--format", "html", "-o", "out/pr.html"],
    );
    assert_eq!(stdout, "");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), html);
    let leftovers: Vec<_> = std::fs::read_dir(file.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, [std::ffi::OsString::from("pr.html")]);
}

#[test]
fn chromium_renders_the_page_without_console_errors() {
    if !common::browser::available() {
        return;
    }
    let repo = branch();
    let artifacts = common::browser::artifacts();
    let html = artifacts.join("pr-render.html");
    let png = artifacts.join("pr-render.png");
    repo.trail(&[
        "blame",
        "pr",
        "render",
        "main..feature",
        "--format",
        "html",
        "-o",
        html.to_str().unwrap(),
    ]);

    let scratch = tempfile::tempdir().unwrap();
    let blank = scratch.path().join("blank.html");
    std::fs::write(&blank, "<!doctype html><title>blank</title>").unwrap();
    let blank_size =
        common::browser::screenshot(&blank, &scratch.path().join("blank.png"), 1280, 2000);
    let size = common::browser::screenshot(&html, &png, 1280, 2000);
    assert!(
        size > blank_size * 4,
        "{} is {size} bytes, a blank page {blank_size}",
        png.display()
    );

    let (dom, errors) = common::browser::dom(&html);
    let md = repo.trail(&["blame", "pr", "render", "main..feature"]);
    let header = md.lines().next().unwrap().trim_matches('*');
    assert!(dom.contains(header), "{header:?} not in the DOM:\n{dom}");
    assert!(dom.contains("Escape &lt;script&gt; tags"), "{dom}");
    assert!(errors.is_empty(), "console errors:\n{}", errors.join("\n"));
}
