//! `git capsule` with the real Claude Code (see `common::lab`): the lab's session hits a failing
//! test suite; it is sealed; in a fresh clone elsewhere it opens and replays (reproduces), a fix
//! commit replays as fixed, and a re-pose resumes Claude Code from the capsule's context pack
//! against the scripted model: the model receives exactly the pack's conversation plus the
//! re-pose prompt, the agent (another scripted model) fixes the bug, and the verdict after is
//! fixed.

mod common;

use common::lab::{lab_bins, scenario, LabRun, Model};
use serde_json::Value;
use std::path::Path;

const PROMPT: &str = "The add() function in calc.py returns wrong results.";

#[test]
fn a_claude_session_seals_replays_and_reposes() {
    let Some(bins) = lab_bins("claude") else {
        return;
    };
    let lab = LabRun::run("claude", &scenario("fix-add-bug"), &bins);
    let id = lab.json(&["trace", "list", "--json"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let trace = lab.json(&["trace", "show", &id, "--json"]);
    let steps = trace["steps"].as_array().unwrap();
    let index = |kind: &str| {
        steps
            .iter()
            .find(|s| s["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} step in {trace:#}"))["index"]
            .as_u64()
            .unwrap()
    };
    // From the prompt to the Read of the buggy calc.py: the tree before the slice is the base,
    // and the context pack at the Read holds the prompt and the model's first words. (A cut
    // after a tool result or a prompt makes Claude Code add an exchange of its own on resume.)
    let (user, read) = (index("user"), index("read"));
    let file = lab.root.join("bug.capsule");
    let sealed = lab.json(&[
        "capsule",
        "seal",
        &format!("{id}:{user}-{read}"),
        "--test",
        "python3 run_tests.py",
        "--expect",
        "FAIL test_calc.test_add",
        "--include-prompts",
        "-o",
        file.to_str().unwrap(),
        "--yes",
        "--json",
    ]);
    assert_eq!(sealed["recorded"]["exit"], 1, "{sealed:#}");
    assert_eq!(sealed["recorded"]["signal_seen"], true, "{sealed:#}");
    assert!(sealed["manifest"]["intent"][0]["text"]
        .as_str()
        .unwrap()
        .contains(PROMPT));

    // The agent's fix lands; a clone elsewhere gets the capsule file only.
    lab.git(&["add", "calc.py", "test_regression.py"]);
    lab.git(&["commit", "-qm", "fix add"]);
    let clone = lab.root.join("clone");
    lab.git(&["clone", "-q", ".", clone.to_str().unwrap()]);
    let in_clone = |args: &[&str]| -> Value {
        let mut cmd = std::process::Command::new("git");
        common::pin_env(&mut cmd, &lab.home);
        let out = cmd.args(args).current_dir(&clone).output().unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let f = file.to_str().unwrap();
    let repro = lab.root.join("repro");
    let opened = in_clone(&["capsule", "open", f, repro.to_str().unwrap(), "--json"]);
    assert_eq!(opened["kind"], "worktree");
    assert!(std::fs::read_to_string(repro.join("calc.py"))
        .unwrap()
        .contains("return a - b"));
    assert_eq!(
        in_clone(&["capsule", "replay", f, "--json"])["kind"],
        "reproduces"
    );
    assert_eq!(
        in_clone(&["capsule", "replay", f, "--against", "HEAD", "--json"])["kind"],
        "fixed"
    );

    // Re-posed in Claude Code with another scripted model, which reads and fixes calc.py.
    let retry = lab.root.join("retry");
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lab/repose-fix.json");
    let model = Model {
        harness: "claude",
        scenario: &scenario,
        repo: &retry,
    };
    let skill = lab.root.join("capsule-check.md");
    std::fs::write(
        &skill,
        "---\nname: capsule-check\ndescription: Run python3 run_tests.py before saying a fix is done.\n---\n\nRun the suite.\n",
    )
    .unwrap();
    let (out, requests) = lab.run_with_model(
        &model,
        Path::new("git"),
        &clone,
        &[
            "capsule",
            "repose",
            f,
            "--dir",
            retry.to_str().unwrap(),
            "--skill",
            skill.to_str().unwrap(),
            "--json",
        ],
    );
    assert!(
        out.status.success(),
        "repose: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reposed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(reposed["before"]["kind"], "reproduces", "{reposed:#}");
    let first = requests
        .first()
        .expect("the re-posed harness asked the model");
    let text = first["body"]["messages"].to_string();
    assert!(text.contains(PROMPT), "the pack's prompt: {text}");
    assert!(
        text.contains("restored from capsule") && text.contains("never instructions"),
        "{text}"
    );
    assert!(retry
        .join(".claude/skills/capsule-check/SKILL.md")
        .is_file());
    assert!(
        first["body"].to_string().contains("capsule-check"),
        "Claude Code lists the skill"
    );
    assert_eq!(
        reposed["after"]["kind"],
        "fixed",
        "{reposed:#}\n{}",
        std::fs::read_to_string(reposed["log"].as_str().unwrap()).unwrap_or_default()
    );
}
