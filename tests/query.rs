//! `git trace query` over real sessions: the recorded Claude Code sample, imported with its prompt,
//! files and dates varied. Asserts the order of results, not only their presence, and the index's
//! life: built on first use, updated when sessions change, rebuilt (with one line) when damaged.

mod common;

use common::TestRepo;
use git_traces::query::{self, Filters, Query, Results};

const LAB_ID: &str = "ecbef1cc-3097-4936-9b94-b6eb9d656352";
const PROMPT: &str = "The add() function in calc.py returns wrong results.";
/// "Now" for every query: a week after the sample was recorded.
const NOW: &str = "2026-12-02T00:00:00Z";

/// Imports the Claude sample as session `id`, started on `day` (YYYY-MM-DD), with its first
/// prompt sentence replaced by `prompt` and `calc.py` renamed to `file`.
fn session(repo: &TestRepo, id: &str, day: &str, prompt: &str, file: &str) {
    let text = common::relocate(
        &common::fixture("claude", "claude-session.jsonl"),
        "claude",
        repo,
    )
    .replace(LAB_ID, id)
    .replace(PROMPT, prompt)
    .replace("calc.py", file)
    .replace("2026-11-25T", &format!("{day}T"));
    let path = repo.home.join(format!("{id}.jsonl"));
    std::fs::write(&path, text).unwrap();
    repo.trace(&["import", "claude", path.to_str().unwrap()]);
}

fn id(n: u32) -> String {
    format!("{n}ab{n}cdef-0000-4000-8000-000000000000")
}

fn search(repo: &TestRepo, text: &str, filters: Filters) -> Results {
    search_limit(repo, text, filters, 20)
}

fn search_limit(repo: &TestRepo, text: &str, filters: Filters, limit: usize) -> Results {
    let git = git2::Repository::open(&repo.root).unwrap();
    query::search(
        &git,
        &Query {
            text: text.into(),
            filters,
            limit,
            now_ms: query::parse_time_ms(NOW).unwrap(),
        },
    )
    .unwrap()
}

fn ids(results: &Results) -> Vec<String> {
    results.hits.iter().map(|h| h.id.clone()).collect()
}

/// Four sessions: two about checkout (one saying it three times), one older and one newer
/// identical session about the invoice module, and none of them about anything else.
fn corpus() -> TestRepo {
    let repo = common::scenario_repo();
    let p = "The checkout flow is broken.";
    session(&repo, &id(1), "2026-11-25", p, "cart.py");
    let p3 = "The checkout flow is broken: checkout fails, checkout total is wrong.";
    session(&repo, &id(2), "2026-11-25", p3, "cart.py");
    let pi = "The invoice rounding is off by a cent.";
    session(&repo, &id(3), "2026-09-01", pi, "billing/invoice.py");
    session(&repo, &id(4), "2026-11-30", pi, "billing/invoice.py");
    repo
}

#[test]
fn more_mentions_and_more_recent_rank_first() {
    let repo = corpus();
    let checkout = search(&repo, "checkout", Filters::default());
    assert_eq!(ids(&checkout), [id(2), id(1)]);
    assert!(checkout.hits[0].score > checkout.hits[1].score);
    let invoice = search(&repo, "invoice rounding", Filters::default());
    assert_eq!(ids(&invoice), [id(4), id(3)], "newer first among equals");
    // A path is one term: it finds the sessions that named it, not every `.py`.
    assert_eq!(
        ids(&search(&repo, "billing/invoice.py", Filters::default())),
        [id(4), id(3)]
    );
}

#[test]
fn hits_carry_step_addresses_and_the_first_prompt() {
    let repo = corpus();
    let results = search(&repo, "checkout cart.py", Filters::default());
    let hit = &results.hits[0];
    assert!(hit.prompt.starts_with("The checkout flow is broken"));
    assert_eq!(hit.harness, "claude");
    let addresses: Vec<&str> = hit.steps.iter().map(|s| s.address.as_str()).collect();
    // The prompt, the answer naming cart.py, its read, its edit and the final answer match.
    assert_eq!(addresses[..3], ["2ab2cde:0", "2ab2cde:2", "2ab2cde:3"]);
    let read = hit.steps.iter().find(|s| s.index == 3).unwrap();
    assert_eq!(
        (read.kind.as_str(), read.summary.as_str()),
        ("read", "cart.py")
    );
    assert!(hit.steps.len() <= query::STEPS_SHOWN);
    // The test command of step 8 is searchable.
    let exec = search(&repo, "run_tests.py", Filters::default());
    assert!(exec.hits[0]
        .steps
        .iter()
        .any(|s| s.index == 8 && s.kind.as_str() == "exec"));
}

#[test]
fn filters_narrow_and_list_without_terms() {
    let repo = corpus();
    let f = |f: Filters| ids(&search(&repo, "", f));
    let day = |d: &str| query::parse_time_ms(d);
    assert_eq!(
        f(Filters {
            since_ms: day("2026-11-01"),
            ..Filters::default()
        }),
        [id(4), id(1), id(2)],
        "newest first without terms"
    );
    assert_eq!(
        f(Filters {
            until_ms: day("2026-11-01"),
            ..Filters::default()
        }),
        [id(3)]
    );
    let file = |p: &str| Filters {
        file: Some(p.into()),
        ..Filters::default()
    };
    assert_eq!(f(file("billing")), [id(4), id(3)], "a directory");
    assert_eq!(f(file("cart.py")).len(), 2);
    assert!(f(file("cart")).is_empty(), "a path, not a word");
    assert_eq!(
        f(Filters {
            model: Some("OPUS".into()),
            harness: Some("claude".into()),
            ..Filters::default()
        })
        .len(),
        4
    );
    assert!(f(Filters {
        harness: Some("codex".into()),
        ..Filters::default()
    })
    .is_empty());
    // Terms and filters together.
    assert_eq!(
        ids(&search(&repo, "checkout", file("cart.py"))),
        [id(2), id(1)]
    );
}

#[test]
fn commit_messages_and_commit_filter_come_from_anchor_notes() {
    let repo = corpus();
    repo.write("cart.py", "def total(): pass\n");
    repo.git(&["add", "cart.py"]);
    repo.git(&["commit", "-q", "-m", "Fix zebra crossing totals"]);
    let anchor = format!(
        r#"{{"file":"cart.py","firmness":"firm","key":"tool:x","lines":[[1,1]],"session":"{}","step":5,"tier":"exact_hunk","v":1}}"#,
        id(1)
    );
    repo.git(&["notes", "--ref", "traces", "add", "-m", &anchor, "HEAD"]);
    let zebra = search(&repo, "zebra", Filters::default());
    assert_eq!(ids(&zebra), [id(1)]);
    assert_eq!(zebra.hits[0].steps[0].address, "1ab1cde:5");
    let on_head = Filters {
        commit: Some("HEAD".into()),
        ..Filters::default()
    };
    assert_eq!(ids(&search(&repo, "", on_head)), [id(1)]);
    let git = git2::Repository::open(&repo.root).unwrap();
    let bad = Query {
        text: String::new(),
        filters: Filters {
            commit: Some("no-such-rev".into()),
            ..Filters::default()
        },
        limit: 20,
        now_ms: 0,
    };
    assert!(matches!(
        query::search(&git, &bad),
        Err(query::Error::BadCommit(_))
    ));
}

#[test]
fn state_filter_uses_survival() {
    let repo = common::wired("feed0000-0000-4000-8000-000000000000");
    let root = repo.root.clone();
    common::write(
        &repo,
        "feed0000-0000-4000-8000-000000000000",
        &root,
        "tool:w1",
        "notes.txt",
        "a line the agent wrote\n",
    );
    repo.trace(&["list"]);
    let state = |s: &str| Filters {
        state: Some(s.into()),
        ..Filters::default()
    };
    assert_eq!(
        ids(&search(&repo, "", state("never_committed"))),
        ["feed0000-0000-4000-8000-000000000000"]
    );
    assert!(ids(&search(&repo, "", state("alive_on_path"))).is_empty());
}

#[test]
fn an_empty_query_is_an_error_with_a_hint() {
    let repo = corpus();
    let git = git2::Repository::open(&repo.root).unwrap();
    let empty = Query {
        text: " ?! ".into(),
        filters: Filters::default(),
        limit: 20,
        now_ms: 0,
    };
    let err = query::search(&git, &empty).unwrap_err();
    assert!(matches!(err, query::Error::Empty));
    assert!(err.to_string().contains("hint:"));
}

#[test]
fn a_query_matching_everything_is_bounded() {
    let repo = corpus();
    let results = search_limit(&repo, "regression", Filters::default(), 3);
    assert_eq!((results.hits.len(), results.total), (3, 4));
    assert_eq!(results.hits[0].id, id(4), "the newest of equals first");
}

#[test]
fn the_index_follows_sessions_and_survives_damage() {
    let repo = corpus();
    let index = repo.traces_dir().join("cache/query.idx");
    assert!(search(&repo, "checkout", Filters::default())
        .notice
        .is_none());
    assert!(index.exists(), "built on first use");
    // A new session and a removed one are seen without rebuilding by hand.
    session(
        &repo,
        &id(5),
        "2026-12-01",
        "The checkout button is grey.",
        "ui.py",
    );
    repo.git(&[
        "update-ref",
        "-d",
        &format!("refs/traces/sessions/{}", id(1)),
    ]);
    assert_eq!(
        ids(&search(&repo, "checkout", Filters::default())),
        [id(2), id(5)]
    );
    // Damage: rebuilt, with one line saying so, then quiet again.
    std::fs::write(&index, b"GTQIDX\0\x01garbage").unwrap();
    let rebuilt = search(&repo, "checkout", Filters::default());
    let notice = rebuilt.notice.clone().expect("a notice");
    assert!(
        notice.contains("rebuilding") && !notice.contains('\n'),
        "{notice}"
    );
    assert_eq!(ids(&rebuilt), [id(2), id(5)]);
    assert!(search(&repo, "checkout", Filters::default())
        .notice
        .is_none());
    // Deleting it loses nothing.
    std::fs::remove_file(&index).unwrap();
    assert_eq!(ids(&search(&repo, "checkout", Filters::default())).len(), 2);
}

/// Through the binary: text output, `--json` fields, the "not shown" line, the empty-query error
/// and the corrupt-index notice on stderr.
#[test]
fn git_trace_query_prints_bounded_ranked_hits() {
    let repo = corpus();
    let text = repo.trace(&["query", "checkout", "flow"]);
    let first = text.lines().next().unwrap();
    assert!(first.starts_with("2ab2cde  claude  2026-11-25"), "{text}");
    assert!(text.contains("    2ab2cde:0    user"), "{text}");
    let json: serde_json::Value =
        serde_json::from_str(&repo.trace(&["query", "regression", "--json", "-n", "2"])).unwrap();
    let rows = json.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for key in ["id", "harness", "started_at", "score", "prompt", "steps"] {
        assert!(rows[0].get(key).is_some(), "{key}");
    }
    for key in ["address", "index", "kind", "summary"] {
        assert!(rows[0]["steps"][0].get(key).is_some(), "{key}");
    }
    let bounded = repo.trace(&["query", "regression", "-n", "1"]);
    assert!(bounded.ends_with("3 more matching session(s) not shown; use --limit to see more\n"));
    let empty = repo.git_output(&["trace", "query"]);
    assert_eq!(empty.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&empty.stderr).contains("hint:"));
    std::fs::write(repo.traces_dir().join("cache/query.idx"), b"junk").unwrap();
    let out = repo.git_output(&["trace", "query", "checkout"]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("rebuilding"), "{stderr}");
}

/// `git trace list` keeps rows in `.git/traces/cache/list.json` by bucket commit: a changed,
/// removed or damaged entry never shows stale data.
#[test]
fn the_list_cache_follows_sessions_and_survives_damage() {
    let repo = corpus();
    let cache = repo.traces_dir().join("cache/list.json");
    let prompts = |repo: &TestRepo| -> Vec<String> {
        let json: serde_json::Value =
            serde_json::from_str(&repo.trace(&["list", "--json"])).unwrap();
        json.as_array()
            .unwrap()
            .iter()
            .map(|r| format!("{} {}", &r["id"].as_str().unwrap()[..7], r["prompt"]))
            .collect()
    };
    let first = prompts(&repo);
    assert_eq!(first.len(), 4);
    assert!(cache.exists(), "written on first use");
    // Rows are trusted only under the bucket commit they were read from.
    let forged = std::fs::read_to_string(&cache)
        .unwrap()
        .replace("invoice rounding", "forged rounding");
    std::fs::write(&cache, &forged).unwrap();
    let trusted = prompts(&repo);
    assert!(
        trusted.iter().filter(|r| r.contains("forged")).count() == 2,
        "same commits: the cache is used, {trusted:?}"
    );
    let seal = repo.git(&["rev-parse", &format!("refs/traces/sessions/{}", id(4))]);
    let parent = repo.git(&["rev-parse", &format!("{}^{{tree}}", seal.trim())]);
    let moved = repo.git(&["commit-tree", parent.trim(), "-m", "reseal"]);
    repo.git(&[
        "update-ref",
        &format!("refs/traces/sessions/{}", id(4)),
        moved.trim(),
    ]);
    let reread = prompts(&repo);
    assert!(
        reread
            .iter()
            .any(|r| r.starts_with("4ab4cde") && r.contains("invoice rounding")),
        "{reread:?}"
    );
    // A removed session leaves the list; a damaged cache is rebuilt silently.
    repo.git(&[
        "update-ref",
        "-d",
        &format!("refs/traces/sessions/{}", id(1)),
    ]);
    assert_eq!(prompts(&repo).len(), 3);
    std::fs::write(&cache, b"{not json").unwrap();
    assert_eq!(prompts(&repo).len(), 3);
    std::fs::remove_file(&cache).unwrap();
    assert_eq!(prompts(&repo).len(), 3);
}

/// Past 256 loose refs under `refs/traces/`, the next seal packs them (as `git gc` would), so
/// reading 10,000 sessions opens one file, not 10,000; nothing is lost on the way.
#[test]
fn a_seal_packs_many_loose_refs() {
    let repo = corpus();
    let git = git2::Repository::open(&repo.root).unwrap();
    let seal = git
        .refname_to_id(&format!("refs/traces/sessions/{}", id(1)))
        .unwrap();
    for n in 0..300 {
        let name = format!("refs/traces/shared/bulk-{n:03}");
        git.reference(&name, seal, false, "test").unwrap();
    }
    let loose = |repo: &TestRepo| {
        walk(&repo.root.join(".git/refs/traces"))
            .iter()
            .filter(|p| p.is_file())
            .count()
    };
    assert!(loose(&repo) > 300);
    session(&repo, &id(5), "2026-12-01", "One more.", "more.py");
    assert_eq!(loose(&repo), 0, "packed by the seal");
    let refs = repo.git(&["for-each-ref", "--format=%(refname)", "refs/traces/"]);
    assert_eq!(refs.lines().count(), 305, "{refs}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
