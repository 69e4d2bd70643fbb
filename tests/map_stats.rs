//! `git trace map --bursts` and `git trace stats` over real sessions: the Claude lab sample,
//! Claude transcripts written here with chosen timestamps (idle gaps can only be set that way),
//! and sessions captured through the real hooks and committed with the real `git commit`.
//! Tested through the library; `cli_map_and_stats` is enabled once `git trace` routes them.

mod common;

use common::{browser, start, write, TestRepo};
use git_traces::map::{self, SessionMap};
use git_traces::stats::{self, Range};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const LAB_ID: &str = "ecbef1cc-3097-4936-9b94-b6eb9d656352";
const LAB_PROMPT: &str = "The add() function in calc.py returns wrong results.";
const HOOKED: &str = "c0c0c0c0-0000-4000-8000-00000000000c";
const GEN: &str = "d1d1d1d1-0000-4000-8000-00000000000d";
const BIG: &str = "e2e2e2e2-0000-4000-8000-00000000000e";

fn open(repo: &TestRepo) -> git2::Repository {
    git2::Repository::open(&repo.root).unwrap()
}

fn map_of(repo: &TestRepo, session: &str, gap: i64) -> SessionMap {
    let git = open(repo);
    let trace = git_traces::read::load_trace(&git, session).unwrap();
    map::build(&git, &trace, gap).unwrap()
}

/// Imports the lab's Claude session into `repo` (which must hold the scenario files).
fn import_lab(repo: &TestRepo) {
    let text = common::relocate(
        &common::fixture("claude", "claude-session.jsonl"),
        "claude",
        repo,
    );
    let file = repo.home.join("lab.jsonl");
    std::fs::write(&file, text).unwrap();
    repo.trace(&["import", "claude", file.to_str().unwrap()]);
}

/// `2026-11-25T08:00:00.000Z` plus `secs` (under a day).
fn at(secs: u64) -> String {
    let t = 8 * 3600 + secs;
    format!(
        "2026-11-25T{:02}:{:02}:{:02}.000Z",
        t / 3600,
        t / 60 % 60,
        t % 60
    )
}

/// A Claude Code transcript written line by line, as the harness writes its session file.
struct Transcript {
    session: String,
    cwd: PathBuf,
    lines: Vec<Value>,
    last: Option<String>,
}

impl Transcript {
    fn new(session: &str, cwd: &Path) -> Transcript {
        Transcript {
            session: session.into(),
            cwd: cwd.into(),
            lines: Vec::new(),
            last: None,
        }
    }

    fn push(&mut self, mut line: Value, secs: u64) {
        let uuid = format!("00000000-0000-4000-8000-{:012}", self.lines.len());
        line["uuid"] = json!(uuid);
        line["parentUuid"] = json!(self.last);
        line["timestamp"] = json!(at(secs));
        line["sessionId"] = json!(self.session);
        line["cwd"] = json!(self.cwd);
        line["isSidechain"] = json!(false);
        line["version"] = json!("2.1.197");
        self.last = Some(uuid);
        self.lines.push(line);
    }

    fn prompt(&mut self, text: &str, secs: u64) {
        let id = format!("prompt-{}", self.lines.len());
        self.push(
            json!({"type": "user", "promptId": id, "message": {"role": "user", "content": text}}),
            secs,
        );
    }

    fn assistant(&mut self, content: Value, secs: u64) {
        let id = format!("msg_{}", self.lines.len());
        self.push(
            json!({"type": "assistant", "message": {"id": id, "type": "message", "role": "assistant",
                "model": "claude-opus-4-8", "content": [content],
                "usage": {"input_tokens": 100, "output_tokens": 10, "cache_read_input_tokens": 5, "cache_creation_input_tokens": 1}}}),
            secs,
        );
    }

    fn answer(&mut self, text: &str, secs: u64) {
        self.assistant(json!({"type": "text", "text": text}), secs);
    }

    /// A tool call at `secs` and its result one second later.
    fn tool(&mut self, name: &str, input: Value, result: &str, secs: u64) {
        let id = format!("toolu_{}", self.lines.len());
        self.assistant(
            json!({"type": "tool_use", "id": id, "name": name, "input": input}),
            secs,
        );
        self.push(
            json!({"type": "user", "message": {"role": "user", "content": [
                {"tool_use_id": id, "type": "tool_result", "content": result}]}}),
            secs + 1,
        );
    }

    fn read(&mut self, file: &str, secs: u64) {
        let path = self.cwd.join(file);
        self.tool("Read", json!({"file_path": path}), "1\tx", secs);
    }

    fn bash(&mut self, command: &str, secs: u64) {
        self.tool("Bash", json!({"command": command}), "ok", secs);
    }

    /// Writes the file and imports it into `repo`.
    fn import(&self, repo: &TestRepo) {
        let text: String = self.lines.iter().map(|l| format!("{l}\n")).collect();
        let file = repo.home.join(format!("{}.jsonl", self.session));
        std::fs::write(&file, text).unwrap();
        repo.trace(&["import", "claude", file.to_str().unwrap()]);
    }
}

/// Prompt A at 0 s (read, run), a 20-minute pause, more work on A, then prompt B 3 minutes later
/// (read), an answer: bursts [A], [A after the pause], [B].
fn gapped(repo: &TestRepo) {
    let mut t = Transcript::new(GEN, &repo.root);
    t.prompt("Fix the parser", 0);
    t.read("calc.py", 5);
    t.bash("python3 run_tests.py", 10);
    t.answer("Looking again after the pause.", 10 + 20 * 60);
    t.bash("python3 run_tests.py -v", 10 + 20 * 60 + 5);
    t.prompt("Now document it", 10 + 23 * 60);
    t.read("README.md", 10 + 23 * 60 + 5);
    t.answer("Documented.", 10 + 23 * 60 + 30);
    t.import(repo);
}

fn kinds(pairs: &[(&str, usize)]) -> Value {
    pairs
        .iter()
        .map(|(k, n)| (k.to_string(), json!(n)))
        .collect()
}

#[test]
fn the_lab_session_is_one_burst_driven_by_its_prompt() {
    let repo = common::scenario_repo();
    import_lab(&repo);
    let m = map_of(&repo, LAB_ID, map::DEFAULT_GAP_SECONDS);
    assert_eq!(m.schema, "git-traces/map@1");
    assert_eq!((m.steps, m.bursts.len()), (10, 1));
    let b = &m.bursts[0];
    assert!(
        b.prompt.as_deref().unwrap().starts_with(LAB_PROMPT),
        "{b:?}"
    );
    assert_eq!((b.opened_by, b.start_step, b.end_step), ("prompt", 0, 9));
    assert_eq!(
        serde_json::to_value(&b.kinds).unwrap(),
        kinds(&[
            ("answer", 4),
            ("exec", 1),
            ("read", 1),
            ("think", 1),
            ("user", 1),
            ("write", 2)
        ])
    );
    assert_eq!(b.files, ["calc.py", "test_regression.py"]);
    // Imported sessions have no snapshots: nothing to track, nothing committed.
    assert!(b.patches.is_empty() && b.commits.is_empty());
    assert_eq!(b.wall_seconds, 0, "the lab session ran in under a second");
}

#[test]
fn prompts_and_idle_gaps_open_bursts() {
    let repo = common::scenario_repo();
    gapped(&repo);
    let m = map_of(&repo, GEN, map::DEFAULT_GAP_SECONDS);
    let shape: Vec<(u64, u64, &str, Option<&str>)> = m
        .bursts
        .iter()
        .map(|b| (b.start_step, b.end_step, b.opened_by, b.prompt.as_deref()))
        .collect();
    assert_eq!(
        shape,
        [
            (0, 2, "prompt", Some("Fix the parser")),
            (3, 4, "idle", Some("Fix the parser")),
            (5, 7, "prompt", Some("Now document it")),
        ]
    );
    let b = &m.bursts;
    assert_eq!(b[0].files, ["calc.py"]);
    assert_eq!(b[2].files, ["README.md"]);
    assert_eq!(
        serde_json::to_value(&b[1].kinds).unwrap(),
        kinds(&[("answer", 1), ("exec", 1)])
    );
    // Burst 0: prompt at 0 s to the end of the run at 11 s; burst 1: 20 min later, 6 s long.
    assert_eq!((b[0].wall_seconds, b[1].wall_seconds), (11, 6));
    assert_eq!(b[1].started_at, at(10 + 20 * 60));

    // A longer gap keeps the pause inside the first burst; a short one splits every pause.
    let wide = map_of(&repo, GEN, 30 * 60);
    let starts: Vec<u64> = wide.bursts.iter().map(|b| b.start_step).collect();
    assert_eq!(starts, [0, 5]);
    let narrow = map_of(&repo, GEN, 4);
    let starts: Vec<u64> = narrow.bursts.iter().map(|b| b.start_step).collect();
    // 4 s between the read's end and the run is not more than 4 s; 5 s after the answer is.
    assert_eq!(starts, [0, 1, 3, 4, 5, 6, 7]);
}

fn prompt(repo: &TestRepo, session: &str, text: &str, id: &str) {
    repo.hook(
        "UserPromptSubmit",
        &common::payload(
            session,
            &repo.root,
            "UserPromptSubmit",
            json!({"prompt": text, "prompt_id": id}),
        ),
    );
}

/// A hooked session on the scenario repository: prompt 1 writes greet.py, committed; prompt 2
/// writes farewell.py, left uncommitted.
fn hooked(repo: &TestRepo) -> String {
    std::fs::write(repo.path(".git/info/exclude"), ".claude/\n").unwrap();
    repo.trace(&["init"]);
    start(repo, HOOKED, &repo.root);
    prompt(repo, HOOKED, "Add a greeting helper", "p1");
    write(
        repo,
        HOOKED,
        &repo.root,
        "w1",
        "greet.py",
        "def greet(name):\n    return f'hello {name}'\n",
    );
    repo.git(&["add", "greet.py"]);
    repo.git(&["commit", "-qm", "greeting"]);
    let commit = repo.git(&["rev-parse", "HEAD"]).trim().to_string();
    prompt(repo, HOOKED, "Add a farewell helper", "p2");
    write(
        repo,
        HOOKED,
        &repo.root,
        "w2",
        "farewell.py",
        "def bye(name):\n    return f'bye {name}'\n",
    );
    // Reading seals what the hooks journaled since the commit sealed the first part.
    repo.trace(&["list"]);
    commit
}

#[test]
fn patches_carry_their_survival_and_accepting_commit() {
    let repo = common::scenario_repo();
    let commit = hooked(&repo);
    let m = map_of(&repo, HOOKED, map::DEFAULT_GAP_SECONDS);
    assert_eq!(m.bursts.len(), 2, "{m:#?}");
    let (b0, b1) = (&m.bursts[0], &m.bursts[1]);
    // The session-start step comes before the first prompt and joins its burst.
    assert_eq!((b0.start_step, b0.opened_by), (0, "prompt"));
    assert_eq!(b0.kinds.get("system"), Some(&1));
    assert_eq!(b0.prompt.as_deref(), Some("Add a greeting helper"));
    assert_eq!(b1.prompt.as_deref(), Some("Add a farewell helper"));
    assert_eq!(b0.files, ["greet.py"]);

    assert_eq!(b0.patches.len(), 1);
    let p = &b0.patches[0];
    assert_eq!(p.files, ["greet.py"]);
    assert_eq!(p.state, "alive_on_path");
    assert_eq!(p.commit.as_deref(), Some(commit.as_str()));
    assert_eq!((p.by_file[0].lines, p.by_file[0].alive), (2, 2));
    assert_eq!(b0.commits, [commit.as_str()]);

    let p = &b1.patches[0];
    assert_eq!(
        (p.state.as_str(), p.commit.as_deref()),
        ("never_committed", None)
    );
    assert!(b1.commits.is_empty());
    assert_eq!(m.states_at.as_deref(), Some(commit.as_str()));

    let json = serde_json::to_value(&m).unwrap();
    for field in [
        "index",
        "prompt",
        "start_step",
        "end_step",
        "started_at",
        "ended_at",
        "wall_seconds",
        "kinds",
        "files",
        "patches",
        "commits",
    ] {
        assert!(json["bursts"][0].get(field).is_some(), "{field}");
    }
    for field in ["step", "snapshot", "files", "state", "commit"] {
        assert!(
            json["bursts"][0]["patches"][0].get(field).is_some(),
            "{field}"
        );
    }

    let mut text = Vec::new();
    map::render_text(&mut text, &m).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("2 bursts (idle gap > 10 m)"), "{text}");
    assert!(
        text.contains(&format!("→ alive_on_path · {}", &commit[..7])),
        "{text}"
    );
    assert!(
        text.contains("→ never_committed · not committed  farewell.py"),
        "{text}"
    );
}

/// The sum over unique assistant messages of one usage field in the lab sample.
fn lab_tokens(field: &str) -> u64 {
    let mut seen = std::collections::HashSet::new();
    common::fixture("claude", "claude-session.jsonl")
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["type"] == "assistant" && seen.insert(r["message"]["id"].to_string()))
        .map(|r| r["message"]["usage"][field].as_u64().unwrap_or(0))
        .sum()
}

#[test]
fn stats_sum_sessions_steps_tokens_models_and_lines() {
    let repo = common::scenario_repo();
    hooked(&repo);
    import_lab(&repo);
    gapped(&repo);
    let all = stats::compute(&open(&repo), Range::default()).unwrap();
    assert_eq!(all.schema, "git-traces/stats@1");
    assert_eq!(all.total.sessions, 3);
    let steps: u64 = [HOOKED, LAB_ID, GEN]
        .iter()
        .map(|s| repo.show_json(s)["steps"].as_array().unwrap().len() as u64)
        .sum();
    assert_eq!(all.total.steps, steps);
    assert_eq!(all.total.by_kind.values().sum::<u64>(), steps);
    assert_eq!(all.total.by_kind["user"], 2 + 1 + 2);
    // The generated transcript has 6 assistant messages of 100 in / 10 out each.
    assert_eq!(
        all.total.tokens["input_tokens"],
        lab_tokens("input_tokens") + 600
    );
    assert_eq!(
        all.total.tokens["output_tokens"],
        lab_tokens("output_tokens") + 60
    );
    assert_eq!(all.total.models["claude-opus-4-8"], 2);
    assert_eq!(all.by_harness["claude"].sessions, 3);
    // greet.py (2 lines, committed, alive) and farewell.py (2 lines, never committed).
    assert_eq!((all.total.lines_written, all.total.lines_alive), (4, 2));

    // Only the lab session started in its first second; the generated one at 08:00.
    let lab = stats::compute(
        &open(&repo),
        Range {
            since: Some("2026-11-25T00:34:56.000Z".into()),
            until: Some("2026-11-25T00:34:57.000Z".into()),
        },
    )
    .unwrap();
    assert_eq!((lab.total.sessions, lab.total.steps), (1, 10));
    assert_eq!(lab.total.lines_written, 0);
    let gen = stats::compute(
        &open(&repo),
        Range {
            since: Some(at(0)),
            until: Some(at(3600)),
        },
    )
    .unwrap();
    assert_eq!(gen.total.sessions, 1);
    assert_eq!(gen.total.wall_seconds, 10 + 23 * 60 + 30);

    let mut text = Vec::new();
    stats::render_text(&mut text, &all).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("sessions   3"), "{text}");
    assert!(
        text.contains("lines      4 written · 2 alive (50%)"),
        "{text}"
    );
}

#[test]
fn bounds_are_spans_dates_or_utc_times() {
    let now = 1_764_072_000_000; // 2025-11-25T12:00:00Z
    assert_eq!(stats::bound("1d", now).unwrap(), "2025-11-24T12:00:00.000Z");
    assert_eq!(
        stats::bound("90m", now).unwrap(),
        "2025-11-25T10:30:00.000Z"
    );
    assert_eq!(
        stats::bound("2026-11-01", now).unwrap(),
        "2026-11-01T00:00:00.000Z"
    );
    assert_eq!(
        stats::bound("2026-11-01T09:30:00Z", now).unwrap(),
        "2026-11-01T09:30:00.000Z"
    );
    for bad in ["yesterday", "30x", "", "2026-11-01T09:30:00+02:00"] {
        assert!(stats::bound(bad, now).is_err(), "{bad}");
    }
}

/// 4 prompts of 80 tool calls each, with a 15-minute pause in each: 330 steps.
fn big(repo: &TestRepo) {
    let mut t = Transcript::new(BIG, &repo.root);
    let mut secs = 0;
    for p in 0..4 {
        t.prompt(&format!("Task {p}: refactor module {p}"), secs);
        for i in 0..80 {
            secs += if i == 40 { 15 * 60 } else { 7 };
            match i % 3 {
                0 => t.read("calc.py", secs),
                1 => t.bash(&format!("python3 run_tests.py -k t{i}"), secs),
                _ => t.answer(&format!("Step {i} of task {p} done."), secs),
            }
        }
        t.answer(&format!("Task {p} finished."), secs + 3);
        secs += 60;
    }
    t.import(repo);
}

fn html(repo: &TestRepo, session: &str) -> String {
    let git = open(repo);
    let ctx = git_traces::ctx::load(&git, session).unwrap();
    let m = map::build(&git, &ctx.trace, map::DEFAULT_GAP_SECONDS).unwrap();
    let trace = &ctx.trace;
    let tokens = map::window_tokens(&ctx);
    let mut out = Vec::new();
    map::map_html(&mut out, &m, trace, tokens.as_deref()).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn the_html_map_is_self_contained_and_renders_in_chromium() {
    let repo = common::scenario_repo();
    hooked(&repo);
    big(&repo);
    let m = map_of(&repo, BIG, map::DEFAULT_GAP_SECONDS);
    assert_eq!((m.steps, m.bursts.len()), (4 * 82, 8));
    // The band samples every second step of 328 (at most 240 samples), and the window only
    // grows (no compaction).
    let band = map::window_tokens(&git_traces::ctx::load(&open(&repo), BIG).unwrap()).unwrap();
    assert_eq!(band.len(), 164);
    assert!(band
        .iter()
        .enumerate()
        .all(|(i, &(step, _))| step == 2 * i as u64));
    assert!(band.windows(2).all(|w| w[0].1 <= w[1].1) && band[163].1 > band[0].1);
    let page = html(&repo, BIG);
    // No script, and no address but the SVG namespace: nothing is fetched.
    assert!(!page.contains("<script"));
    assert_eq!(
        page.matches("http").count(),
        page.matches("xmlns=\"http://www.w3.org/2000/svg\"").count()
    );
    assert!(
        page.contains("class=\"ctx\""),
        "the imported session has ctx nodes: a band"
    );
    assert_eq!(page.matches("<circle class=\"station").count(), 328);
    let hooked_page = html(&repo, HOOKED);
    assert!(hooked_page.contains("alive_on_path") && hooked_page.contains("never_committed"));
    assert!(hooked_page.contains("<circle class=\"commit\""));

    if !browser::available() {
        return;
    }
    let dir = browser::artifacts();
    for (name, page) in [("map-big", &page), ("map-hooked", &hooked_page)] {
        let file = dir.join(format!("{name}.html"));
        std::fs::write(&file, page).unwrap();
        let scratch = tempfile::tempdir().unwrap();
        let blank = scratch.path().join("blank.html");
        std::fs::write(&blank, "<!doctype html><title>blank</title>").unwrap();
        let blank_size = browser::screenshot(&blank, &scratch.path().join("b.png"), 1400, 900);
        let size = browser::screenshot(&file, &dir.join(format!("{name}.png")), 1400, 900);
        assert!(
            size > blank_size * 4,
            "{name}: {size} bytes, blank {blank_size}"
        );
    }
    let (dom, errors) = browser::dom(&dir.join("map-big.html"));
    assert!(dom.contains("<span id=\"steps\">328 steps</span>"), "{dom}");
    assert!(dom.contains("<span id=\"bursts\">8 bursts</span>"));
    assert!(dom.contains("Task 3: refactor module 3"));
    assert_eq!(dom.matches("<circle class=\"station").count(), 328);
    assert!(errors.is_empty(), "console errors:\n{}", errors.join("\n"));
}

/// Through `git trace map` and `git trace stats`: the JSON of the CLI is the library's.
#[test]
fn cli_map_and_stats() {
    let repo = common::scenario_repo();
    hooked(&repo);
    let m: Value =
        serde_json::from_str(&repo.trace(&["map", &HOOKED[..8], "--bursts", "--json"])).unwrap();
    assert_eq!(m["schema"], "git-traces/map@1");
    assert_eq!(m["bursts"].as_array().unwrap().len(), 2);
    let text = repo.trace(&["map", &HOOKED[..8], "--bursts", "--gap", "1h"]);
    assert!(text.contains("idle gap > 1 h 0 m"), "{text}");
    let file = repo.root.join("map.html");
    repo.trace(&[
        "map",
        HOOKED,
        "--format",
        "html",
        "-o",
        file.to_str().unwrap(),
    ]);
    assert!(std::fs::read_to_string(&file).unwrap().contains("<svg"));
    let s: Value =
        serde_json::from_str(&repo.trace(&["stats", "--since", "30d", "--json"])).unwrap();
    assert_eq!(s["schema"], "git-traces/stats@1");
    assert_eq!(s["sessions"], 1);
    assert!(repo.trace(&["stats"]).contains("sessions   1"));
    let bad = repo.git_output(&["trace", "stats", "--since", "yesterday"]);
    assert!(!bad.status.success());
}
