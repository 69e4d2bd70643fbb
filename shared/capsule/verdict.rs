//! Replay verdicts: does a recorded failure still happen?
//!
//! The caller runs the capsule's verifier; this module only reads what the run printed. Exit codes
//! alone mislead: a suite can fail for a new reason after the recorded bug is fixed, and a build
//! error, a missing tool or an empty test selection fail without saying anything about the bug. So
//! a run is first reduced to an [`Outcome`] (the failing tests it names, how many ran, and whether
//! it is usable evidence at all), and [`judge`] compares the outcome recorded at seal time with a
//! new one by test name, falling back to exit codes only when the recorded run named no test.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// The test runner behind a verifier command; it decides how the output names failing tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Framework {
    Pytest,
    /// `cargo test`, and `cargo nextest run`, whose different output is read too.
    Cargo,
    Go,
    /// `node --test`; `npm test` and `npx` usually end in it, and output that is not node's
    /// simply names no test, which makes the judgement fall back to exit codes.
    Node,
    /// Anything else: only the exit code and the expected text tell a failure.
    Plain,
}

/// Guesses the framework from the words of a shell command, wherever the test runner appears in
/// it, because verifiers are often written as `cd sub && FOO=1 pytest -x`.
pub fn detect(command: &str) -> Framework {
    command
        .split(['\n', ';', '|', '&', '(', ')'])
        .find_map(|segment| {
            let words: Vec<&str> = segment
                .split_whitespace()
                .map(|word| word.trim_matches(['"', '\'', '`']))
                .map(|word| word.rsplit('/').next().unwrap_or(word))
                .collect();
            // A directory named like a runner must not count.
            if matches!(words.first(), Some(&("cd" | "pushd"))) {
                return None;
            }
            detect_words(&words)
        })
        .unwrap_or(Framework::Plain)
}

fn detect_words(words: &[&str]) -> Option<Framework> {
    words.iter().enumerate().find_map(|(i, word)| {
        let rest = &words[i + 1..];
        match *word {
            "pytest" | "py.test" => Some(Framework::Pytest),
            "-m" if rest.first() == Some(&"pytest") => Some(Framework::Pytest),
            // `cargo +nightly test` puts the toolchain before the subcommand.
            "cargo" => match rest.iter().find(|w| !w.starts_with(['+', '-'])) {
                Some(&("test" | "nextest")) => Some(Framework::Cargo),
                _ => None,
            },
            "go" if rest.first() == Some(&"test") => Some(Framework::Go),
            "node" if rest.contains(&"--test") => Some(Framework::Node),
            "npm" if matches!(rest, ["test" | "t", ..] | ["run", "test", ..]) => {
                Some(Framework::Node)
            }
            "npx" => Some(Framework::Node),
            _ => None,
        }
    })
}

/// What one run showed, kept in `verifier.json` so a later replay is judged against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub framework: Framework,
    /// None when the process was killed, by the timeout or a signal.
    pub exit: Option<i32>,
    pub timed_out: bool,
    /// None when the framework printed no count: "unknown" must not read as "none ran".
    pub ran: Option<u64>,
    /// Sorted and deduplicated, as the framework spells them, so outcomes compare by name.
    pub failed: Vec<String>,
    /// Set when the run says nothing about the tests (a timeout, a missing command, a failed
    /// build, no test selected), so such a run never passes for a reproduction or a fix.
    pub broken: Option<String>,
    /// Whether the expected text was in the output; it is the only failure signal a plain
    /// command has beyond its exit code.
    pub signal_seen: bool,
}

/// Reads a finished run. `expect` is the expected failure text; it matters most for
/// [`Framework::Plain`] but is recorded for every framework.
pub fn parse(
    framework: Framework,
    exit: Option<i32>,
    timed_out: bool,
    output: &str,
    expect: Option<&str>,
) -> Outcome {
    let text = clean(output);
    let signal_seen = expect.map(clean).is_some_and(|expect| {
        let expect = expect.trim();
        !expect.is_empty() && text.contains(expect)
    });
    let report = match framework {
        Framework::Pytest => pytest(&text, exit),
        Framework::Cargo => cargo(&text, exit),
        Framework::Go => go(&text),
        Framework::Node => node(&text),
        Framework::Plain => Report::default(),
    };
    let broken = if timed_out {
        Some("timed out".to_owned())
    } else {
        match exit {
            Some(127) => Some("the command was not found (exit 127)".to_owned()),
            Some(126) => Some("the command could not run (exit 126)".to_owned()),
            _ => report
                .broken
                .or_else(|| (report.ran == Some(0)).then(|| "no tests ran".to_owned())),
        }
    };
    Outcome {
        framework,
        exit,
        timed_out,
        ran: report.ran,
        failed: report.failed.into_iter().collect(),
        broken,
        signal_seen,
    }
}

/// What a framework parser found; [`parse`] adds what holds for every framework.
#[derive(Default)]
struct Report {
    failed: BTreeSet<String>,
    ran: Option<u64>,
    broken: Option<String>,
}

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("built-in pattern compiles")
}

/// Removes colour codes and carriage returns, which runners emit on terminals and on Windows
/// and which would otherwise break every line-anchored pattern.
fn clean(text: &str) -> String {
    static ANSI: LazyLock<Regex> = LazyLock::new(|| regex(r"\x1b\[[0-?]*[ -/]*[@-~]"));
    ANSI.replace_all(text, "")
        .replace("\r\n", "\n")
        .replace('\r', "\n")
}

fn captured<'a>(pattern: &'a Regex, text: &'a str) -> impl Iterator<Item = String> + 'a {
    pattern
        .captures_iter(text)
        .map(|c| c[1].trim().to_owned())
        .filter(|name| !name.is_empty())
}

fn number(digits: &str) -> u64 {
    digits.parse().unwrap_or(u64::MAX)
}

fn pytest(text: &str, exit: Option<i32>) -> Report {
    // The short test summary; `\S` right after one space keeps out captured log lines such as
    // `ERROR    root:app.py:3 boom`.
    static FAILED: LazyLock<Regex> =
        LazyLock::new(|| regex(r"(?m)^(?:FAILED|ERROR) (\S[^\n]*?)(?: - [^\n]*)?$"));
    static SUMMARY: LazyLock<Regex> = LazyLock::new(|| {
        regex(r"(?m)^=*[ \t]*((?:\d+ [a-z]+(?:, )?)+|no tests ran) in [\d.]+s\b[^\n]*$")
    });
    static COUNT: LazyLock<Regex> = LazyLock::new(|| regex(r"(\d+) ([a-z]+)"));

    let failed: BTreeSet<String> = captured(&FAILED, text).collect();
    let ran = SUMMARY.captures_iter(text).last().map(|summary| {
        COUNT
            .captures_iter(&summary[1])
            .filter(|c| {
                matches!(
                    &c[2],
                    "passed" | "failed" | "error" | "errors" | "xfailed" | "xpassed"
                )
            })
            .map(|c| number(&c[1]))
            .sum()
    });
    // Exit codes 2 to 4 with named failures are collection errors, which are failures too.
    let broken = match exit {
        Some(5) => Some("no tests ran".to_owned()),
        Some(2) if failed.is_empty() => {
            Some("pytest could not collect the tests or was interrupted (exit 2)".to_owned())
        }
        Some(3) if failed.is_empty() => Some("pytest hit an internal error (exit 3)".to_owned()),
        Some(4) if failed.is_empty() => {
            Some("pytest was given a bad command line (exit 4)".to_owned())
        }
        Some(1) if failed.is_empty() && text.contains("No module named pytest") => {
            Some("pytest is not installed (No module named pytest)".to_owned())
        }
        _ => None,
    };
    Report {
        failed,
        ran,
        broken,
    }
}

fn cargo(text: &str, exit: Option<i32>) -> Report {
    static FAILED: LazyLock<Regex> =
        LazyLock::new(|| regex(r"(?m)^test ([^\n]+?) \.\.\. FAILED[ \t]*$"));
    // The list at the end of each binary's run, which survives `--nocapture` interleaving the
    // per-test lines with the tests' own output.
    static LISTED: LazyLock<Regex> =
        LazyLock::new(|| regex(r"(?m)^failures:\n((?: {4}\S[^\n]*(?:\n|$))+)"));
    static RESULT: LazyLock<Regex> =
        LazyLock::new(|| regex(r"(?m)^test result: (?:ok|FAILED)\. (\d+) passed; (\d+) failed;"));
    // nextest: `        FAIL [   0.005s] my-crate tests::name`, possibly after a retry
    // counter; a test failing on any try counts, since flakiness is what a capsule may record.
    static NEXTEST_FAILED: LazyLock<Regex> = LazyLock::new(|| {
        regex(
            r"(?m)^[ \t]*(?:TRY \d+ )?(?:FAIL|TIMEOUT|ABORT|SIG[A-Z]+|LEAK-FAIL)\b[^\[\n]*\[[ \t]*[\d.]+s\] (?:\([ \t]*\d+/\d+\) )?(?:\S+ )?(\S+)[ \t]*$",
        )
    });
    static NEXTEST_SUMMARY: LazyLock<Regex> =
        LazyLock::new(|| regex(r"(?m)^[ \t]*Summary \[[ \t]*[\d.]+s\] (\d+)(?:/\d+)? tests? run:"));
    static NEXTEST_NONE: LazyLock<Regex> = LazyLock::new(|| regex(r"(?m)^error: no tests to run"));
    static BUILD: LazyLock<Regex> =
        LazyLock::new(|| regex(r"(?m)^error(?:\[E\d+\])?: could not compile|^error\[E\d+\]:"));
    static NO_SUCH_COMMAND: LazyLock<Regex> =
        LazyLock::new(|| regex(r"(?m)^error: no such command:"));

    let mut failed: BTreeSet<String> = captured(&FAILED, text)
        .map(|name| match name.strip_suffix(" - should panic") {
            Some(name) => name.to_owned(),
            None => name,
        })
        .collect();
    for list in LISTED.captures_iter(text) {
        failed.extend(list[1].lines().map(str::trim).map(str::to_owned));
    }
    failed.extend(captured(&NEXTEST_FAILED, text));

    let ran = if NEXTEST_NONE.is_match(text) {
        Some(0)
    } else {
        NEXTEST_SUMMARY
            .captures_iter(text)
            .last()
            .map(|c| number(&c[1]))
            .or_else(|| {
                RESULT
                    .captures_iter(text)
                    .map(|c| number(&c[1]).saturating_add(number(&c[2])))
                    .reduce(u64::saturating_add)
            })
    };
    let broken = if NO_SUCH_COMMAND.is_match(text) {
        Some("cargo does not know this subcommand (is it installed?)".to_owned())
    } else if exit != Some(0) && BUILD.is_match(text) {
        Some("the build failed".to_owned())
    } else {
        None
    };
    Report {
        failed,
        ran,
        broken,
    }
}

fn go(text: &str) -> Report {
    static FAILED: LazyLock<Regex> = LazyLock::new(|| regex(r"(?m)^[ \t]*--- FAIL: (\S+) \("));
    static RUN: LazyLock<Regex> = LazyLock::new(|| regex(r"(?m)^[ \t]*=== RUN[ \t]+(\S+)"));
    // One line per package: `ok  \tpkg\t0.01s`, `FAIL\tpkg [build failed]`,
    // `?   \tpkg\t[no test files]`; group 1 is what follows the package path.
    static PACKAGE: LazyLock<Regex> =
        LazyLock::new(|| regex(r"(?m)^(?:ok|FAIL|\?)[ \t]+\S+[ \t]*([^\n]*)$"));

    let failed: BTreeSet<String> = captured(&FAILED, text).collect();
    let started: BTreeSet<String> = captured(&RUN, text).collect();
    let tails: Vec<&str> = PACKAGE
        .captures_iter(text)
        .map(|c| c.get(1).map_or("", |m| m.as_str()))
        .collect();
    let broken = tails
        .iter()
        .any(|tail| tail.contains("[build failed]") || tail.contains("[setup failed]"))
        .then(|| "the build failed".to_owned());
    let nothing_ran = !tails.is_empty()
        && failed.is_empty()
        && started.is_empty()
        && tails
            .iter()
            .all(|tail| tail.contains("[no test files]") || tail.contains("[no tests to run]"));
    let ran = if nothing_ran {
        Some(0)
    } else {
        (!started.is_empty()).then_some(started.len() as u64)
    };
    Report {
        failed,
        ran,
        broken,
    }
}

fn node(text: &str) -> Report {
    static TAP_FAILED: LazyLock<Regex> =
        LazyLock::new(|| regex(r"(?m)^[ \t]*not ok \d+ - ([^\n]*)$"));
    static SPEC_FAILED: LazyLock<Regex> =
        LazyLock::new(|| regex(r"(?m)^[ \t]*✖ ([^\n]*?)(?: \(\d+(?:\.\d+)?m?s\))?[ \t]*$"));
    // `# tests 3` in TAP, `ℹ tests 3` from the spec reporter.
    static COUNT: LazyLock<Regex> =
        LazyLock::new(|| regex(r"(?m)^[#ℹ] (tests|pass|fail) (\d+)[ \t]*$"));

    let failed = captured(&TAP_FAILED, text)
        .chain(captured(&SPEC_FAILED, text))
        .filter(|name| name != "failing tests:" && !is_todo_or_skip(name))
        .collect();
    let (mut tests, mut pass, mut fail) = (None, None, None);
    for c in COUNT.captures_iter(text) {
        let value = Some(number(&c[2]));
        match &c[1] {
            "tests" => tests = value,
            "pass" => pass = value,
            _ => fail = value,
        }
    }
    let ran = tests.or(match (pass, fail) {
        (None, None) => None,
        (pass, fail) => Some(pass.unwrap_or(0).saturating_add(fail.unwrap_or(0))),
    });
    Report {
        failed,
        ran,
        broken: None,
    }
}

/// A test marked as a to-do or skipped is not a failure even when reported `not ok` (TAP escapes
/// a `#` that belongs to a name, so ` # ` starts a directive).
fn is_todo_or_skip(name: &str) -> bool {
    name.split_once(" # ").is_some_and(|(_, directive)| {
        let directive = directive.trim_start().to_ascii_uppercase();
        directive.starts_with("TODO") || directive.starts_with("SKIP")
    })
}

/// What a replay concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Reproduces,
    Fixed,
    Inconclusive,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Reproduces => "reproduces",
            Kind::Fixed => "fixed",
            Kind::Inconclusive => "inconclusive",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub kind: Kind,
    /// One sentence naming the tests it rests on, so the verdict can be checked by hand.
    pub reason: String,
}

/// Compares the outcome recorded when the capsule was sealed (a failing run) with a new run.
pub fn judge(expected: &Outcome, now: &Outcome) -> Verdict {
    if let Some(why) = unusable(expected) {
        return verdict(
            Kind::Inconclusive,
            format!("the recorded run has no failure to compare with: {why}"),
        );
    }
    if let Some(why) = unusable(now) {
        return verdict(
            Kind::Inconclusive,
            format!("the new run says nothing about the failure: {why}"),
        );
    }
    if expected.failed.is_empty() {
        return judge_by_exit(expected, now);
    }
    let recorded = expected.failed.len();
    let again: Vec<&String> = expected
        .failed
        .iter()
        .filter(|name| now.failed.contains(name))
        .collect();
    if !again.is_empty() {
        let reason = match (again.len(), recorded) {
            (1, 1) => format!("{} fails again", again[0]),
            (n, m) if n == m => format!(
                "all {m} recorded failing tests fail again: {}",
                list(&again)
            ),
            (n, m) => format!(
                "{n} of the {m} recorded failing tests fail again: {}",
                list(&again)
            ),
        };
        return verdict(Kind::Reproduces, reason);
    }
    if !now.failed.is_empty() {
        let others: Vec<&String> = now.failed.iter().collect();
        return verdict(
            Kind::Inconclusive,
            format!(
                "the recorded failures no longer fail, but others do: {}",
                list(&others)
            ),
        );
    }
    if now.exit != Some(0) {
        return verdict(
            Kind::Inconclusive,
            format!(
                "the recorded failures are not reported failing, but the run still fails ({}) without naming a test",
                exit_text(now.exit)
            ),
        );
    }
    let fixed: Vec<&String> = expected.failed.iter().collect();
    let ran = now
        .ran
        .map_or_else(String::new, |n| format!(" ({} ran)", plural(n, "test")));
    let verb = if recorded == 1 { "passes" } else { "pass" };
    verdict(
        Kind::Fixed,
        format!("{} {verb} now and no other test fails{ran}", list(&fixed)),
    )
}

/// Judges by exit code and expected text, for plain commands and for recorded runs that failed
/// without naming a test.
fn judge_by_exit(expected: &Outcome, now: &Outcome) -> Verdict {
    let differently = || {
        verdict(
            Kind::Inconclusive,
            format!(
                "it fails differently ({}): the expected text is not in the output",
                exit_text(now.exit)
            ),
        )
    };
    match (expected.exit != Some(0), expected.signal_seen) {
        (false, false) => verdict(
            Kind::Inconclusive,
            "the recorded run neither failed nor showed the expected text, so there is nothing to reproduce"
                .to_owned(),
        ),
        (true, _) if now.exit == Some(0) => {
            verdict(Kind::Fixed, "it succeeds now (exit 0)".to_owned())
        }
        (true, needs_text) if !needs_text || now.signal_seen => {
            let text = if needs_text {
                " with the expected text"
            } else {
                ""
            };
            let named = if now.failed.is_empty() {
                String::new()
            } else {
                let names: Vec<&String> = now.failed.iter().collect();
                format!("; failing: {}", list(&names))
            };
            verdict(
                Kind::Reproduces,
                format!("it fails again ({}){text}{named}", exit_text(now.exit)),
            )
        }
        (true, _) => differently(),
        // The recorded run exited 0 but printed the expected text: wrong output is the failure.
        (false, true) if now.signal_seen => verdict(
            Kind::Reproduces,
            format!(
                "the expected text appears again ({})",
                exit_text(now.exit)
            ),
        ),
        (false, true) if now.exit == Some(0) => verdict(
            Kind::Fixed,
            "the expected text is gone and it exits 0".to_owned(),
        ),
        (false, true) => differently(),
    }
}

/// Why an outcome cannot count as evidence, also for outcomes read back from JSON that lack
/// `broken` but show a timeout or an empty run.
fn unusable(outcome: &Outcome) -> Option<&str> {
    outcome.broken.as_deref().or_else(|| {
        if outcome.timed_out {
            Some("timed out")
        } else if outcome.ran == Some(0) {
            Some("no tests ran")
        } else {
            None
        }
    })
}

fn verdict(kind: Kind, reason: String) -> Verdict {
    Verdict { kind, reason }
}

/// Names at most three tests, so a reason stays one readable sentence.
fn list(names: &[&String]) -> String {
    const SHOWN: usize = 3;
    let shown: Vec<&str> = names.iter().take(SHOWN).map(|name| name.as_str()).collect();
    let mut text = shown.join(", ");
    if names.len() > SHOWN {
        text.push_str(&format!(" +{} more", names.len() - SHOWN));
    }
    text
}

fn plural(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn exit_text(exit: Option<i32>) -> String {
    match exit {
        Some(code) => format!("exit {code}"),
        None => "killed by a signal".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PYTEST_FAILING: &str = r#"============================= test session starts ==============================
platform linux -- Python 3.12.3, pytest-8.2.1, pluggy-1.5.0
rootdir: /tmp/git-capsule-run-x1
configfile: pyproject.toml
collected 6 items

tests/test_parse.py F...                                                 [ 66%]
tests/test_render.py .F                                                  [100%]

=================================== FAILURES ===================================
__________________________________ test_empty __________________________________

    def test_empty():
>       assert parse("") == []
E       AssertionError: assert None == []
E        +  where None = parse('')

tests/test_parse.py:4: AssertionError
------------------------------ Captured log call -------------------------------
ERROR    parser:parse.py:12 empty input
__________________________ test_unicode[snow man] ______________________________

    def test_unicode(text):
>       render(text)
E       UnicodeEncodeError: 'ascii' codec can't encode character

tests/test_render.py:9: UnicodeEncodeError
=========================== short test summary info ============================
FAILED tests/test_parse.py::test_empty - AssertionError: assert None == []
FAILED tests/test_render.py::test_unicode[snow man] - UnicodeEncodeError: 'ascii' codec can't encode character
========================= 2 failed, 4 passed in 0.12s ==========================
"#;

    const CARGO_FAILING: &str = r#"   Compiling demo v0.1.0 (/tmp/git-capsule-run-x2)
    Finished `test` profile [unoptimized + debuginfo] target(s) in 1.02s
     Running unittests src/lib.rs (target/debug/deps/demo-1a2b3c4d5e6f7a8b)

running 3 tests
test tests::parses_numbers ... ok
test tests::parses_empty ... FAILED
test tests::rejects_garbage - should panic ... FAILED

failures:

---- tests::parses_empty stdout ----

thread 'tests::parses_empty' panicked at src/lib.rs:21:9:
assertion `left == right` failed
  left: Some(0)
 right: None
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace

---- tests::rejects_garbage stdout ----
note: test did not panic as expected

failures:
    tests::parses_empty
    tests::rejects_garbage

test result: FAILED. 1 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s

     Running tests/cli.rs (target/debug/deps/cli-9f8e7d6c5b4a3928)

running 2 tests
test runs_help ... ok
test runs_version ... ok

test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.01s

error: test failed, to rerun pass `--lib`
"#;

    const GO_FAILING: &str = "=== RUN   TestParse\n=== RUN   TestParse/empty\n    parse_test.go:14: got <nil>, want []\n=== RUN   TestParse/numbers\n--- FAIL: TestParse (0.00s)\n    --- FAIL: TestParse/empty (0.00s)\n    --- PASS: TestParse/numbers (0.00s)\n=== RUN   TestRender\n--- PASS: TestRender (0.00s)\nFAIL\nFAIL\texample.com/demo/parse\t0.004s\nok  \texample.com/demo/render\t0.003s\n?   \texample.com/demo/cmd\t[no test files]\nFAIL\n";

    const NODE_TAP: &str = r#"TAP version 13
# Subtest: parser
    # Subtest: parses numbers
    ok 1 - parses numbers
      ---
      duration_ms: 0.41
      ...
    # Subtest: parses empty input
    not ok 2 - parses empty input
      ---
      duration_ms: 1.07
      location: '/tmp/run/test/parse.test.js:8:3'
      failureType: 'testCodeFailure'
      error: |-
        Expected values to be strictly equal:

        null !== 0

      code: 'ERR_ASSERTION'
      ...
    # Subtest: handles unicode
    not ok 3 - handles unicode # TODO
      ---
      duration_ms: 0.2
      ...
    1..3
not ok 1 - parser
  ---
  duration_ms: 2.3
  type: 'suite'
  failureType: 'subtestsFailed'
  error: '1 subtest failed'
  ...
1..1
# tests 3
# suites 1
# pass 1
# fail 1
# cancelled 0
# skipped 0
# todo 1
# duration_ms 48.2
"#;

    const NODE_SPEC: &str = r#"▶ parser
  ✔ parses numbers (0.486ms)
  ✖ parses empty input (1.211ms)
    AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:

    null !== 0

▶ parser (2.791ms)
✔ renders (0.3ms)
ℹ tests 3
ℹ suites 1
ℹ pass 2
ℹ fail 1
ℹ cancelled 0
ℹ skipped 0
ℹ todo 0
ℹ duration_ms 60.12

✖ failing tests:

test at test/parse.test.js:6:3
✖ parses empty input (1.211ms)
  AssertionError [ERR_ASSERTION]: Expected values to be strictly equal:
"#;

    fn outcome(framework: Framework, exit: i32, output: &str) -> Outcome {
        parse(framework, Some(exit), false, output, None)
    }

    #[test]
    fn detects_the_runner_anywhere_in_the_command() {
        let cases = [
            ("pytest -x tests/test_parse.py", Framework::Pytest),
            (
                "cd backend && FOO=1 python3 -m pytest -q",
                Framework::Pytest,
            ),
            (".venv/bin/py.test", Framework::Pytest),
            ("cd pytest && make check", Framework::Plain),
            ("tox -e py312", Framework::Plain),
            ("cargo test -p core parses_empty", Framework::Cargo),
            ("cargo +nightly nextest run", Framework::Cargo),
            ("cargo build", Framework::Plain),
            ("cd svc; go test ./...", Framework::Go),
            ("node --test test/", Framework::Node),
            ("npm run test -- --grep parser", Framework::Node),
            ("npx vitest run", Framework::Node),
            ("bash -c 'pytest -k empty'", Framework::Pytest),
            ("./check.sh", Framework::Plain),
        ];
        for (command, framework) in cases {
            assert_eq!(detect(command), framework, "{command}");
        }
    }

    #[test]
    fn pytest_names_failures_and_counts_from_the_summary() {
        let o = outcome(Framework::Pytest, 1, PYTEST_FAILING);
        assert_eq!(
            o.failed,
            [
                "tests/test_parse.py::test_empty",
                "tests/test_render.py::test_unicode[snow man]"
            ]
        );
        assert_eq!(o.ran, Some(6));
        assert_eq!(o.broken, None);
    }

    #[test]
    fn pytest_collection_errors_count_as_failures() {
        let output = r#"============================= test session starts ==============================
collected 3 items / 1 error

==================================== ERRORS ====================================
____________________ ERROR collecting tests/test_parse.py ______________________
ImportError while importing test module '/tmp/run/tests/test_parse.py'.
E   ModuleNotFoundError: No module named 'parsr'
=========================== short test summary info ============================
ERROR tests/test_parse.py - ModuleNotFoundError: No module named 'parsr'
!!!!!!!!!!!!!!!!!!!! Interrupted: 1 error during collection !!!!!!!!!!!!!!!!!!!!
=============================== 1 error in 0.08s ===============================
"#;
        let o = outcome(Framework::Pytest, 2, output);
        assert_eq!(o.failed, ["tests/test_parse.py"]);
        assert_eq!(o.ran, Some(1));
        assert_eq!(o.broken, None);
    }

    #[test]
    fn pytest_runs_that_test_nothing_are_broken() {
        let none = "collected 4 items / 4 deselected / 0 selected\n\n============================ 4 deselected in 0.01s =============================\n";
        let o = outcome(Framework::Pytest, 5, none);
        assert_eq!(
            (o.ran, o.broken.as_deref()),
            (Some(0), Some("no tests ran"))
        );

        let usage = "ERROR: usage: pytest [options] [file_or_dir] [file_or_dir] [...]\npytest: error: unrecognized arguments: --frobnicate\n";
        let o = outcome(Framework::Pytest, 4, usage);
        assert!(o.failed.is_empty());
        assert_eq!(
            o.broken.as_deref(),
            Some("pytest was given a bad command line (exit 4)")
        );

        let missing = "/usr/bin/python3: No module named pytest\n";
        let o = outcome(Framework::Pytest, 1, missing);
        assert_eq!(
            o.broken.as_deref(),
            Some("pytest is not installed (No module named pytest)")
        );
    }

    #[test]
    fn cargo_names_failures_and_sums_every_binary() {
        let o = outcome(Framework::Cargo, 101, CARGO_FAILING);
        assert_eq!(o.failed, ["tests::parses_empty", "tests::rejects_garbage"]);
        assert_eq!(o.ran, Some(5));
        assert_eq!(o.broken, None);
    }

    #[test]
    fn cargo_failures_list_survives_nocapture_interleaving() {
        let output = "running 1 test\ntest tests::slow ... parsing 3 items\nFAILED\n\nfailures:\n\nfailures:\n    tests::slow\n\ntest result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n";
        let o = outcome(Framework::Cargo, 101, output);
        assert_eq!(o.failed, ["tests::slow"]);
        assert_eq!(o.ran, Some(1));
    }

    #[test]
    fn cargo_without_tests_or_build_is_broken() {
        let empty = "     Running unittests src/lib.rs (target/debug/deps/demo-1a2b)\n\nrunning 0 tests\n\ntest result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 4 filtered out; finished in 0.00s\n\n     Running tests/cli.rs (target/debug/deps/cli-3c4d)\n\nrunning 0 tests\n\ntest result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 2 filtered out; finished in 0.00s\n";
        let o = outcome(Framework::Cargo, 0, empty);
        assert_eq!(
            (o.ran, o.broken.as_deref()),
            (Some(0), Some("no tests ran"))
        );

        let build = r#"   Compiling demo v0.1.0 (/tmp/run)
error[E0425]: cannot find value `lenght` in this scope
  --> src/lib.rs:14:9
   |
14 |         lenght
   |         ^^^^^^ help: a local variable with a similar name exists: `length`

For more information about this error, try `rustc --explain E0425`.
error: could not compile `demo` (lib test) due to 1 previous error
"#;
        let o = outcome(Framework::Cargo, 101, build);
        assert_eq!(o.broken.as_deref(), Some("the build failed"));
    }

    #[test]
    fn nextest_names_failures_and_counts_the_summary() {
        let output = "    Finished `test` profile [unoptimized + debuginfo] target(s) in 0.05s\n    Starting 3 tests across 1 binary\n        PASS [   0.004s] demo tests::parses_numbers\n        FAIL [   0.005s] demo tests::parses_empty\n--- STDOUT:              demo tests::parses_empty ---\n\nrunning 1 test\ntest tests::parses_empty ... FAILED\n------------\n     Summary [   0.006s] 3 tests run: 2 passed, 1 failed, 0 skipped\n        FAIL [   0.005s] demo tests::parses_empty\nerror: test run failed\n";
        let o = outcome(Framework::Cargo, 100, output);
        assert_eq!(o.failed, ["tests::parses_empty"]);
        assert_eq!(o.ran, Some(3));
    }

    #[test]
    fn go_names_tests_and_subtests() {
        let o = outcome(Framework::Go, 1, GO_FAILING);
        assert_eq!(o.failed, ["TestParse", "TestParse/empty"]);
        assert_eq!(o.ran, Some(4));
        assert_eq!(o.broken, None);
    }

    #[test]
    fn go_without_tests_or_build_is_broken() {
        let empty = "?   \texample.com/demo/cmd\t[no test files]\nok  \texample.com/demo/parse\t0.002s [no tests to run]\n";
        let o = outcome(Framework::Go, 0, empty);
        assert_eq!(
            (o.ran, o.broken.as_deref()),
            (Some(0), Some("no tests ran"))
        );

        let build = "# example.com/demo/parse [example.com/demo/parse.test]\nparse/parse_test.go:9:5: undefined: Parsee\nFAIL\texample.com/demo/parse [build failed]\nok  \texample.com/demo/render\t0.003s\nFAIL\n";
        let o = outcome(Framework::Go, 1, build);
        assert_eq!(o.broken.as_deref(), Some("the build failed"));
    }

    #[test]
    fn node_tap_names_failures_but_not_todo() {
        let o = outcome(Framework::Node, 1, NODE_TAP);
        assert_eq!(o.failed, ["parser", "parses empty input"]);
        assert_eq!(o.ran, Some(3));
        assert_eq!(o.broken, None);
    }

    #[test]
    fn node_spec_names_failures_once() {
        let o = outcome(Framework::Node, 1, NODE_SPEC);
        assert_eq!(o.failed, ["parses empty input"]);
        assert_eq!(o.ran, Some(3));
    }

    #[test]
    fn node_with_zero_tests_is_broken() {
        let output = "ℹ tests 0\nℹ suites 0\nℹ pass 0\nℹ fail 0\nℹ duration_ms 4.1\n";
        let o = outcome(Framework::Node, 0, output);
        assert_eq!(o.broken.as_deref(), Some("no tests ran"));
    }

    #[test]
    fn colour_codes_and_crlf_do_not_hide_failures() {
        let output = "\x1b[31mFAILED\x1b[0m tests/test_parse.py::\x1b[1mtest_empty\x1b[0m - assert None == []\r\n\x1b[31m==== \x1b[31m\x1b[1m1 failed\x1b[0m, \x1b[32m3 passed\x1b[0m\x1b[31m in 0.05s\x1b[0m\x1b[31m ====\x1b[0m\r\n";
        let o = parse(
            Framework::Pytest,
            Some(1),
            false,
            output,
            Some("assert None == []\r\n"),
        );
        assert_eq!(o.failed, ["tests/test_parse.py::test_empty"]);
        assert_eq!(o.ran, Some(4));
        assert!(o.signal_seen);

        let output = "test tests::parses_empty ... \x1b[31mFAILED\x1b[0m\r\ntest result: \x1b[31mFAILED\x1b[0m. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\r\n";
        let o = outcome(Framework::Cargo, 101, output);
        assert_eq!(o.failed, ["tests::parses_empty"]);
        assert_eq!(o.ran, Some(1));
    }

    #[test]
    fn missing_commands_and_timeouts_are_broken_for_every_framework() {
        let o = outcome(Framework::Go, 127, "sh: 1: go: not found\n");
        assert_eq!(
            o.broken.as_deref(),
            Some("the command was not found (exit 127)")
        );
        let o = outcome(
            Framework::Plain,
            126,
            "sh: 1: ./check.sh: Permission denied\n",
        );
        assert_eq!(
            o.broken.as_deref(),
            Some("the command could not run (exit 126)")
        );
        let o = parse(Framework::Pytest, None, true, PYTEST_FAILING, None);
        assert_eq!(o.broken.as_deref(), Some("timed out"));
        assert_eq!(o.failed.len(), 2);
    }

    #[test]
    fn plain_records_only_the_expected_text() {
        let o = parse(
            Framework::Plain,
            Some(2),
            false,
            "reading config.toml\npanic: index out of range [3] with length 3\n",
            Some("index out of range"),
        );
        assert!(o.signal_seen);
        assert!(o.failed.is_empty());
        assert_eq!((o.ran, o.broken), (None, None));
    }

    #[test]
    fn judge_reproduces_when_a_recorded_test_fails_again() {
        let expected = outcome(Framework::Cargo, 101, CARGO_FAILING);
        let now = outcome(
            Framework::Cargo,
            101,
            "test tests::parses_empty ... FAILED\ntest result: FAILED. 4 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n",
        );
        let v = judge(&expected, &now);
        assert_eq!(v.kind, Kind::Reproduces);
        assert_eq!(
            v.reason,
            "1 of the 2 recorded failing tests fail again: tests::parses_empty"
        );

        let names: Vec<String> = (1..=5).map(|i| format!("TestCase{i}")).collect();
        let many = Outcome {
            failed: names,
            ..outcome(Framework::Go, 1, "")
        };
        let v = judge(&many, &many);
        assert_eq!(v.kind, Kind::Reproduces);
        assert_eq!(
            v.reason,
            "all 5 recorded failing tests fail again: TestCase1, TestCase2, TestCase3 +2 more"
        );
    }

    #[test]
    fn judge_fixed_when_the_recorded_tests_pass_and_nothing_fails() {
        let expected = outcome(Framework::Go, 1, GO_FAILING);
        let now = outcome(
            Framework::Go,
            0,
            "=== RUN   TestParse\n--- PASS: TestParse (0.00s)\n=== RUN   TestRender\n--- PASS: TestRender (0.00s)\nPASS\nok  \texample.com/demo/parse\t0.004s\n",
        );
        let v = judge(&expected, &now);
        assert_eq!(v.kind, Kind::Fixed);
        assert_eq!(
            v.reason,
            "TestParse, TestParse/empty pass now and no other test fails (2 tests ran)"
        );
    }

    #[test]
    fn judge_is_inconclusive_when_the_new_run_is_broken() {
        let expected = outcome(Framework::Pytest, 1, PYTEST_FAILING);
        let cases = [
            (
                outcome(Framework::Pytest, 5, "no tests ran in 0.01s\n"),
                "no tests ran",
            ),
            (
                outcome(Framework::Pytest, 127, "sh: 1: pytest: not found\n"),
                "the command was not found (exit 127)",
            ),
            (parse(Framework::Pytest, None, true, "", None), "timed out"),
        ];
        for (now, why) in cases {
            let v = judge(&expected, &now);
            assert_eq!(v.kind, Kind::Inconclusive);
            assert_eq!(
                v.reason,
                format!("the new run says nothing about the failure: {why}")
            );
        }

        let expected = outcome(Framework::Cargo, 101, CARGO_FAILING);
        let now = outcome(
            Framework::Cargo,
            101,
            "error: could not compile `demo` (lib test) due to 1 previous error\n",
        );
        let v = judge(&expected, &now);
        assert_eq!(v.kind, Kind::Inconclusive);
        assert!(v.reason.ends_with("the build failed"), "{}", v.reason);
    }

    #[test]
    fn judge_is_inconclusive_when_other_tests_fail_instead() {
        let expected = outcome(Framework::Node, 1, NODE_SPEC);
        let now = outcome(
            Framework::Node,
            1,
            "✔ parses empty input (0.4ms)\n✖ renders (0.3ms)\nℹ tests 3\nℹ pass 2\nℹ fail 1\n",
        );
        let v = judge(&expected, &now);
        assert_eq!(v.kind, Kind::Inconclusive);
        assert_eq!(
            v.reason,
            "the recorded failures no longer fail, but others do: renders"
        );

        let crashed = outcome(
            Framework::Node,
            1,
            "node:internal/modules/cjs/loader:1228\n  throw err;\nError: Cannot find module '/tmp/run/test'\n",
        );
        assert_eq!(judge(&expected, &crashed).kind, Kind::Inconclusive);
    }

    #[test]
    fn judge_plain_uses_exit_code_and_expected_text() {
        let expect = Some("index out of range");
        let run = |exit, output| parse(Framework::Plain, Some(exit), false, output, expect);
        let expected = run(
            2,
            "panic: runtime error: index out of range [3] with length 3\n",
        );

        let again = judge(
            &expected,
            &run(
                2,
                "panic: runtime error: index out of range [5] with length 5\n",
            ),
        );
        assert_eq!(again.kind, Kind::Reproduces);
        assert_eq!(
            again.reason,
            "it fails again (exit 2) with the expected text"
        );

        let fixed = judge(&expected, &run(0, "ok\n"));
        assert_eq!(fixed.kind, Kind::Fixed);

        let other = judge(&expected, &run(1, "error: config.toml: no such file\n"));
        assert_eq!(other.kind, Kind::Inconclusive);
        assert_eq!(
            other.reason,
            "it fails differently (exit 1): the expected text is not in the output"
        );
    }

    #[test]
    fn judge_falls_back_to_exit_codes_when_no_test_was_named() {
        let expected = outcome(Framework::Cargo, 101, "error: test failed, to rerun pass `--lib`\n\nCaused by:\n  process didn't exit successfully: `/tmp/run/target/debug/deps/demo-1a2b` (signal: 11, SIGSEGV: invalid memory reference)\n");
        assert!(expected.failed.is_empty());
        let now = outcome(Framework::Cargo, 101, "test tests::ffi ... FAILED\ntest result: FAILED. 3 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n");
        let v = judge(&expected, &now);
        assert_eq!(v.kind, Kind::Reproduces);
        assert_eq!(v.reason, "it fails again (exit 101); failing: tests::ffi");

        let named = outcome(Framework::Cargo, 101, CARGO_FAILING);
        let v = judge(&named, &expected);
        assert_eq!(v.kind, Kind::Inconclusive);
        assert!(v.reason.contains("without naming a test"), "{}", v.reason);
    }

    #[test]
    fn outcomes_and_verdicts_serialise_in_lowercase() {
        let o = outcome(Framework::Go, 1, GO_FAILING);
        let json = serde_json::to_value(&o).expect("serialises");
        assert_eq!(json["framework"], "go");
        assert_eq!(json["failed"][1], "TestParse/empty");
        let back: Outcome = serde_json::from_value(json).expect("deserialises");
        assert_eq!(back, o);
        let v = judge(&o, &o);
        assert_eq!(
            serde_json::to_value(&v).expect("serialises")["kind"],
            "reproduces"
        );
    }
}
