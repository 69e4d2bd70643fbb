//! The capture gate against the real Claude Code CLI (see `common::lab`): a scripted session whose
//! shell command prints fake credentials. Afterwards no git object and no journal line of the
//! repository holds any of them, and a shared copy pushed to a bare remote holds none either.

mod common;

use common::lab::{lab_bins, LabRun};
use serde_json::json;

/// Fake credentials in the formats the capture gate knows (none of them valid anywhere).
const TOKENS: [&str; 4] = [
    "AKIAZ7Q3K5LM2N8P4R6T",
    "xoxb-2214587123-5531098712345-Zq8Wv3Lr7Tk2Yp9Bn4Hc6Mjd",
    "sk_live_51HqLyjWq8ZkP4vN2bT9xR3mC7dF6gH0jK",
    "glpat-Xq3Zr8Tn2Lw5Vk9Pm4Hs",
];

#[test]
fn fake_tokens_printed_by_a_real_claude_session_reach_no_git_object() {
    let Some(bins) = lab_bins("claude") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("print-tokens.json");
    let command = format!("printf '%s\\n' {}", TOKENS.join(" "));
    let script = json!({
        "name": "print-tokens",
        "description": "a shell command prints fake credentials",
        "side_text": "Print tokens",
        "model_id": "claude-opus-4-8",
        "repo_files": {"README.md": "# demo\n"},
        "prompt": "Show me the deploy credentials.",
        "expect": {},
        "harnesses": {"claude": {"turns": [
            {"text": "Printing them.", "tool_calls": [{"name": "Bash", "input": {"command": command, "description": "print"}}]},
            {"text": "Done."}
        ]}}
    });
    std::fs::write(&scenario, script.to_string()).unwrap();
    let lab = LabRun::run("claude", &scenario, &bins);
    let list = lab.json(&["trace", "list", "--json"]);
    let id = list[0]["id"].as_str().unwrap().to_string();
    let trace = lab.json(&["trace", "show", &id, "--json"]);
    let exec = trace["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "exec")
        .unwrap_or_else(|| panic!("{trace:#}"));
    let output = exec["output"]["text"].as_str().unwrap();
    assert_eq!(
        output.matches("[REDACTED:").count(),
        TOKENS.len(),
        "{output}"
    );

    let remote = lab.root.join("remote.git");
    lab.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    lab.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    lab.git(&["trace", "share", &id, "--yes"]);
    lab.git(&["trace", "push", "origin"]);
    for place in [&lab.repo, &remote] {
        let objects = lab.cmd(
            "git",
            &[
                "-C",
                place.to_str().unwrap(),
                "cat-file",
                "--batch-all-objects",
                "--batch",
            ],
        );
        let mut bytes = objects.stdout;
        for journal in std::fs::read_dir(place.join(".git/traces/journal"))
            .into_iter()
            .flatten()
            .flatten()
        {
            bytes.extend(std::fs::read(journal.path()).unwrap());
        }
        for token in TOKENS {
            assert!(
                !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
                "{token} found in {}",
                place.display()
            );
        }
    }
}
