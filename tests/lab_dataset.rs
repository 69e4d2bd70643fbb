//! `git trace dataset` over a session of the real Claude Code (see `common::lab`): the lab's
//! agent fixes calc.py and adds a regression test, the user commits the fix, and the
//! survival-labeled-patches and pr-intent templates make rows of it with the labels git gives.

mod common;

use common::lab::{lab_bins, scenario, LabRun};
use serde_json::Value;

const PROMPT: &str = "The add() function in calc.py returns wrong results.";

#[test]
fn a_real_claude_session_becomes_labelled_rows() {
    let Some(bins) = lab_bins("claude") else {
        return;
    };
    let lab = LabRun::run("claude", &scenario("fix-add-bug"), &bins);
    lab.git(&["add", "calc.py", "test_regression.py"]);
    lab.git(&["commit", "-qm", "fix add"]);
    let id = lab.json(&["trace", "list", "--json"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    lab.git(&[
        "trace",
        "dataset",
        "new",
        "fixes",
        "--template",
        "survival-labeled-patches",
    ]);
    lab.git(&["trace", "dataset", "run", "fixes"]);
    let rows = lab.json(&["trace", "dataset", "review", "fixes", "--all", "--json"]);
    let rows = rows.as_array().unwrap();
    let by_file = |file: &str| -> &Value {
        rows.iter()
            .find(|r| r["data"]["file"] == file)
            .unwrap_or_else(|| panic!("no row for {file}: {rows:#?}"))
    };
    for file in ["calc.py", "test_regression.py"] {
        let row = by_file(file);
        assert_eq!(row["state"], "inbox", "{row:#}");
        assert_eq!(row["data"]["label"], "alive_on_path", "{row:#}");
        assert_eq!(row["data"]["harness"], "claude");
        assert_eq!(row["source"]["session"], id.as_str());
        assert!(row["data"]["prompt"].as_str().unwrap().contains(PROMPT));
    }
    assert!(by_file("calc.py")["data"]["patch"]
        .as_str()
        .unwrap()
        .contains("+    return a + b"));
    // The agent read calc.py before it edited it.
    assert!(by_file("calc.py")["data"]["context"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p.as_str().unwrap().ends_with("calc.py")));

    lab.git(&[
        "trace",
        "dataset",
        "new",
        "intent",
        "--template",
        "pr-intent",
    ]);
    lab.git(&["trace", "dataset", "run", "intent"]);
    let rows = lab.json(&["trace", "dataset", "review", "intent", "--json"]);
    assert_eq!(rows.as_array().unwrap().len(), 1, "{rows:#}");
    assert_eq!(rows[0]["data"]["subject"], "fix add");
    assert!(rows[0]["data"]["intent"][0]
        .as_str()
        .unwrap()
        .contains(PROMPT));
    assert_eq!(rows[0]["data"]["human_lines"], 0);
}
