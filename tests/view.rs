//! `git trace view` against a repository with real captured sessions: every page over real HTTP
//! (content asserted: step counts, a known prompt, a survival label), in headless Chromium (no
//! console errors, a screenshot per page kept under target/test-artifacts), and the security
//! rules: no token, no page; loopback only; no path out of the repository.

mod common;

use common::{bash, browser, edit, payload, write, TestRepo};
use serde_json::json;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};

const S: &str = "5eed0000-0000-4000-8000-0000000000a1";
const LAB_ID: &str = "ecbef1cc-3097-4936-9b94-b6eb9d656352";

/// The server, stopped when the test ends.
struct View {
    child: Child,
    addr: String,
    token: String,
}

impl Drop for View {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl View {
    fn start(repo: &TestRepo, args: &[&str]) -> View {
        // The binary itself, not `git trace`: killing git would leave its child serving.
        let mut child = repo
            .cmd(common::bin_dir().join("git-trace").to_str().unwrap())
            .arg("view")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("git trace view: ")
            .unwrap_or_else(|| panic!("{line}"));
        let rest = url.strip_prefix("http://").unwrap();
        let (addr, path) = rest.split_once('/').unwrap();
        let token = path.rsplit_once("?t=").unwrap().1.to_string();
        assert!(addr.starts_with("127.0.0.1:"), "{url}");
        View {
            child,
            addr: addr.to_string(),
            token,
        }
    }

    /// `GET <target>` as raw bytes on the wire (no client normalises the path): status, body.
    fn raw(&self, target: &str) -> (u16, String) {
        self.send("GET", target)
    }

    fn send(&self, method: &str, target: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        write!(
            stream,
            "{method} {target} HTTP/1.1\r\nHost: {}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.addr
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response[9..12].parse().unwrap();
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default();
        (status, body)
    }

    fn get(&self, path: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        let (status, body) = self.raw(&format!("{path}{sep}t={}", self.token));
        assert_eq!(status, 200, "{path}: {body}");
        body
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}?t={}", self.addr, self.token)
    }
}

/// A hooked session that writes and edits calc.py (committed, with a hand-written line), and the
/// recorded Claude Code session imported (it has the context nodes).
fn evidence() -> TestRepo {
    let repo = common::wired(S);
    let root = repo.root.clone();
    repo.hook(
        "UserPromptSubmit",
        &payload(
            S,
            &root,
            "UserPromptSubmit",
            json!({"prompt": "Add a multiply function to calc.py"}),
        ),
    );
    write(
        &repo,
        S,
        &root,
        "w1",
        "calc.py",
        "def mul(a, b):\n    return a * b\n",
    );
    edit(
        &repo,
        S,
        &root,
        "e1",
        "calc.py",
        "return a * b",
        "return a * b  # product",
    );
    bash(&repo, S, &root, "b1", "true", "ok");
    repo.hook(
        "SessionEnd",
        &payload(S, &root, "SessionEnd", json!({"reason": "other"})),
    );
    let text = repo.read("calc.py") + "# by hand\n";
    repo.write("calc.py", &text);
    repo.git(&["add", "calc.py"]);
    repo.git(&["commit", "-qm", "multiply"]);
    let sample = common::relocate(
        &common::fixture("claude", "claude-session.jsonl"),
        "claude",
        &repo,
    );
    let file = repo.home.join("lab.jsonl");
    std::fs::write(&file, sample).unwrap();
    repo.trace(&["import", "claude", file.to_str().unwrap()]);
    repo
}

#[test]
fn every_page_answers_with_its_content() {
    let repo = evidence();
    let view = View::start(&repo, &[]);
    let list = view.get("/");
    assert_eq!(list.matches("<tr class=\"session\"").count(), 2, "{list}");
    assert!(list.contains("Add a multiply function"), "{list}");
    let found = view.get("/?q=multiply");
    assert!(found.contains("1 matching session"), "{found}");
    for (filters, sessions) in [
        ("harness=codex", 0),
        ("harness=claude&since=2020-01-01", 2),
        ("file=calc.py", 2),
        ("state=alive_on_path", 1),
    ] {
        let page = view.get(&format!("/?{filters}"));
        assert!(
            page.contains(&format!("{sessions} matching session")),
            "{filters}: {page}"
        );
    }

    let session = view.get(&format!("/s/{}", &S[..8]));
    let steps = repo.show_json(S)["steps"].as_array().unwrap().len();
    assert!(
        session.contains(&format!("<span id=\"steps\">{steps} steps</span>")),
        "{session}"
    );
    assert_eq!(session.matches("<tr class=\"step\"").count(), steps);
    assert!(
        session.contains("<svg") && session.contains("alive_on_path"),
        "a survival label"
    );

    let write_step = common::step_of(&repo, S, "tool:w1");
    let step = view.get(&format!("/s/{S}/{write_step}"));
    assert!(
        step.contains("patch · ") && step.contains("+def mul(a, b):"),
        "{step}"
    );
    let lab = view.get(&format!("/s/{}/3", &LAB_ID[..8]));
    assert!(
        lab.contains("what the model saw") && lab.contains("id=\"window\""),
        "{lab}"
    );

    let blame = view.get("/blame/calc.py");
    assert_eq!(blame.matches("<tr class=\"agent\"").count(), 2, "{blame}");
    assert_eq!(blame.matches("<tr class=\"human\"").count(), 1, "{blame}");
    assert!(
        blame.contains(&format!("/s/{S}/")),
        "agent lines link to their steps"
    );
    let pr = view.get("/pr?range=HEAD~1..HEAD");
    assert!(pr.contains("multiply"), "{pr}");
    for page in [&list, &session, &step, &blame, &pr] {
        assert!(
            !page.contains("<script") && !page.contains("src=\"http"),
            "nothing runs, nothing is fetched"
        );
    }

    // Starting at a session prints its URL.
    let started = View::start(&repo, &[&S[..6]]);
    assert!(started.get(&format!("/s/{S}")).contains(S));

    if !browser::available() {
        return;
    }
    let dir = browser::artifacts();
    for (name, path) in [
        ("view-list", "/".to_string()),
        ("view-session", format!("/s/{S}")),
        ("view-step", format!("/s/{S}/{write_step}")),
        ("view-blame", "/blame/calc.py".to_string()),
    ] {
        let (dom, errors) = browser::dom_url(&view.url(&path));
        assert!(errors.is_empty(), "{name}: {errors:?}");
        assert!(dom.contains("<nav>"), "{name}: {dom}");
        let size = browser::screenshot_url(
            &view.url(&path),
            &dir.join(format!("{name}.png")),
            1400,
            900,
        );
        assert!(size > 10_000, "{name}: a {size}-byte screenshot");
    }
}

#[test]
fn no_token_no_page_and_no_way_out() {
    let repo = evidence();
    let view = View::start(&repo, &[]);
    assert_eq!(view.raw("/").0, 403);
    assert_eq!(view.raw(&format!("/s/{S}")).0, 403);
    assert_eq!(view.raw("/?t=0000").0, 403);
    let wrong: String = view.token.chars().rev().collect();
    assert_eq!(view.raw(&format!("/?t={wrong}")).0, 403);
    for target in [
        "/blame/../../../etc/passwd",
        "/blame/%2e%2e/%2e%2e/etc/passwd",
        "/blame/..%2f..%2fetc%2fpasswd",
        "/blame/.git/config",
    ] {
        let (status, body) = view.raw(&format!("{target}?t={}", view.token));
        assert!(status == 400 || status == 404, "{target}: {status}");
        assert!(
            !body.contains("root:") && !body.contains("[core]"),
            "{target}: {body}"
        );
    }
    assert_eq!(
        view.raw(&format!("/s/..%2f..%2fetc?t={}", view.token)).0,
        404
    );
    assert_eq!(view.send("POST", &format!("/?t={}", view.token)).0, 405);
    // Loopback only: the same port on this machine's other addresses does not answer.
    let port = view.addr.rsplit_once(':').unwrap().1;
    let hostname = std::process::Command::new("hostname").arg("-I").output();
    let others = hostname
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    for ip in others
        .split_whitespace()
        .filter(|ip| !ip.starts_with("127.") && !ip.contains(':'))
    {
        assert!(
            TcpStream::connect(format!("{ip}:{port}")).is_err(),
            "answers on {ip}"
        );
    }
}
