//! The harness lab (../shared/harness-lab): the real Claude Code, Codex and Pi CLIs, offline
//! against a scripted model, in scratch repositories wired by our own `git trace init`.
//!
//! The CLIs come from `../shared/harness-lab/install.sh` (npm). Without them the tests print a skip
//! notice and pass, unless `CI` is set: then they fail.
//!
//! Each run has its own `LAB_ROOT` (HOME, repo, tmp), its own OUTDIR, and the lab's model server
//! binds an ephemeral port, so tests may run in parallel.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn lab_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/harness-lab")
}

pub fn scenario(name: &str) -> PathBuf {
    lab_dir().join("scenarios").join(format!("{name}.json"))
}

/// Where run_lab.sh looks for the CLIs: `$LAB_BIN_DIR`, else `$LAB_INSTALL_DIR/node_modules/.bin`
/// (default install dir `${XDG_CACHE_HOME:-$HOME/.cache}/harness-lab`).
fn lab_bin_dir() -> PathBuf {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(dir) = var("LAB_BIN_DIR") {
        return dir;
    }
    let install = var("LAB_INSTALL_DIR").unwrap_or_else(|| {
        let cache =
            var("XDG_CACHE_HOME").unwrap_or_else(|| var("HOME").unwrap_or_default().join(".cache"));
        cache.join("harness-lab")
    });
    install.join("node_modules/.bin")
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// The CLI bin dir when the lab can run `harness`. Otherwise: a failure under CI, a skip notice
/// elsewhere.
pub fn lab_bins(harness: &str) -> Option<PathBuf> {
    let bins = lab_bin_dir();
    let problem = if !lab_dir().join("run_lab.sh").is_file() {
        format!(
            "the harness lab is missing ({} not found)",
            lab_dir().join("run_lab.sh").display()
        )
    } else if !is_executable(&bins.join(harness)) {
        format!(
            "the harness-lab CLIs are not installed ({} not found)",
            bins.join(harness).display()
        )
    } else {
        return Some(bins);
    };
    if std::env::var_os("CI").is_some() {
        panic!("{problem}: run `bash ../shared/harness-lab/install.sh` first (CI is set, so this test does not skip)");
    }
    // Straight to the process's stderr: the test harness captures eprintln! of passing tests.
    let notice = format!("SKIPPED harness lab: {problem}; run `bash ../shared/harness-lab/install.sh` to enable it\n");
    let _ = std::io::Write::write_all(&mut std::io::stderr(), notice.as_bytes());
    None
}

/// A scripted model server for one run: the harness it talks to, the script, and the repository
/// its tool calls name files in.
pub struct Model<'a> {
    pub harness: &'a str,
    pub scenario: &'a Path,
    pub repo: &'a Path,
}

pub struct LabRun {
    dir: Option<tempfile::TempDir>,
    pub harness: String,
    pub scenario: PathBuf,
    pub root: PathBuf,
    pub repo: PathBuf,
    pub home: PathBuf,
    pub out: PathBuf,
    bins: PathBuf,
}

impl Drop for LabRun {
    /// A failed test keeps the lab's files for inspection.
    fn drop(&mut self) {
        if std::thread::panicking() {
            if let Some(dir) = self.dir.take() {
                eprintln!("harness lab files kept in {}", dir.keep().display());
            }
        }
    }
}

impl LabRun {
    /// `LAB_WIRING=none LAB_SETUP_CMD='git trace init --agent <harness>' run_lab.sh <harness> <scenario>`.
    pub fn run(harness: &str, scenario: &Path, bins: &Path) -> LabRun {
        let dir = tempfile::Builder::new()
            .prefix("git-traces-lab-")
            .tempdir()
            .unwrap();
        let root = dir.path().join("root");
        let out = dir.path().join("out");
        let mut cmd = Command::new("bash");
        cmd.arg(lab_dir().join("run_lab.sh"))
            .arg(harness)
            .arg(scenario)
            .arg(&out)
            .current_dir(lab_dir());
        clean_env(&mut cmd);
        cmd.env("LAB_WIRING", "none")
            .env("LAB_SETUP_CMD", format!("git trace init --agent {harness}"))
            .env("LAB_EXTRA_PATH", super::bin_dir())
            .env("LAB_BIN_DIR", bins)
            .env("LAB_ROOT", &root);
        let output = cmd.output().expect("run bash run_lab.sh");
        let run = LabRun {
            harness: harness.to_string(),
            scenario: scenario.to_path_buf(),
            repo: root.join("repo"),
            home: root.join("home"),
            root,
            out,
            bins: bins.to_path_buf(),
            dir: Some(dir),
        };
        assert!(
            output.status.success(),
            "run_lab.sh failed ({}):\n{}{}\nsetup.out:\n{}\nharness.stderr:\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
            run.artifact("setup.out"),
            run.artifact("harness.stderr"),
        );
        run
    }

    pub fn artifact(&self, name: &str) -> String {
        std::fs::read_to_string(self.out.join(name)).unwrap_or_default()
    }

    /// The model requests of the lab run (`requests.jsonl`), main ones only.
    pub fn requests(&self) -> Vec<Value> {
        main_requests(&self.out.join("requests.jsonl"))
    }

    pub fn cmd(&self, program: &str, args: &[&str]) -> Output {
        let mut cmd = Command::new(program);
        super::pin_env(&mut cmd, &self.home);
        cmd.args(args).current_dir(&self.repo).output().unwrap()
    }

    pub fn git(&self, args: &[&str]) -> String {
        let out = self.cmd("git", args);
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn json(&self, args: &[&str]) -> Value {
        serde_json::from_str(&self.git(args)).unwrap()
    }

    /// The session files the harness wrote under `dir` (relative to HOME).
    pub fn session_files(&self, dir: &str) -> Vec<PathBuf> {
        let mut found = Vec::new();
        let mut stack = vec![self.home.join(dir)];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "jsonl") {
                    found.push(path);
                }
            }
        }
        found.sort();
        found
    }

    /// Runs `harness` (the lab run's own, or another one resuming its session) in `cwd` with
    /// `args`, against a fresh scripted model server on the lab run's port (the harness configs
    /// name it), with the lab's environment. Returns the main model requests of that run.
    /// Points Pi at this run's model server (what run_lab.sh writes for a Pi run), so a session
    /// of another harness can be resumed in Pi.
    pub fn configure_pi(&self) {
        let port = std::fs::read_to_string(self.root.join("server.port")).unwrap();
        let agent = self.home.join(".pi/agent");
        std::fs::create_dir_all(&agent).unwrap();
        let models = serde_json::json!({"providers": {"lab": {
            "baseUrl": format!("http://127.0.0.1:{}/v1", port.trim()), "api": "openai-completions",
            "apiKey": "LAB_API_KEY",
            "models": [{"id": "lab-model", "name": "Lab scripted model", "reasoning": false,
                        "input": ["text"], "contextWindow": 200000, "maxTokens": 8192}]}}});
        std::fs::write(agent.join("models.json"), models.to_string()).unwrap();
        let settings = serde_json::json!({"defaultProvider": "lab", "defaultModel": "lab-model",
            "quietStartup": true, "enableInstallTelemetry": false, "retry": {"enabled": false}});
        std::fs::write(agent.join("settings.json"), settings.to_string()).unwrap();
    }

    pub fn run_harness(&self, harness: &str, cwd: &Path, args: &[&str]) -> Vec<Value> {
        let model = Model {
            harness,
            scenario: &self.scenario,
            repo: &self.repo,
        };
        let (output, requests) = self.run_with_model(&model, &self.bins.join(harness), cwd, args);
        assert!(
            output.status.success(),
            "{harness} {args:?} failed ({}):\n{}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        requests
    }

    /// Runs `program` (a harness, or a command that starts one) in `cwd` with the environment
    /// the model's harness needs to reach a fresh scripted model server; its output and the main
    /// model requests the server saw.
    pub fn run_with_model(
        &self,
        model: &Model,
        program: &Path,
        cwd: &Path,
        args: &[&str],
    ) -> (Output, Vec<Value>) {
        let harness = model.harness;
        let port = std::fs::read_to_string(self.root.join("server.port")).unwrap();
        let log = self.out.join("requests.again.jsonl");
        let port_file = self.root.join("server.again.port");
        let mut server = Command::new("python3");
        server
            .arg(lab_dir().join("model_server.py"))
            .arg("--scenario")
            .arg(model.scenario)
            .args(["--harness", harness, "--repo"])
            .arg(model.repo)
            .args(["--port", port.trim(), "--port-file"])
            .arg(&port_file)
            .arg("--log")
            .arg(&log)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut server = server.spawn().unwrap();
        for _ in 0..100 {
            if port_file.exists() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let mut cmd = Command::new(program);
        cmd.env_clear()
            .envs([
                ("HOME", self.home.to_str().unwrap()),
                ("TERM", "dumb"),
                ("TZ", "UTC"),
                ("LANG", "C.UTF-8"),
                ("LAB_API_KEY", "lab-dummy-key"),
            ])
            .env(
                "PATH",
                format!(
                    "{}:{}:/usr/local/bin:/usr/bin:/bin",
                    super::bin_dir().display(),
                    self.bins.display()
                ),
            )
            .env("TMPDIR", self.root.join("tmp"))
            .args(args)
            .current_dir(cwd)
            .stdin(Stdio::null());
        match harness {
            "claude" => {
                cmd.envs([
                    (
                        "ANTHROPIC_BASE_URL",
                        format!("http://127.0.0.1:{}", port.trim()),
                    ),
                    ("ANTHROPIC_API_KEY", "sk-ant-lab-dummy".into()),
                    ("IS_SANDBOX", "1".into()),
                    ("DISABLE_TELEMETRY", "1".into()),
                    ("DISABLE_AUTOUPDATER", "1".into()),
                    ("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1".into()),
                ]);
            }
            "codex" => {
                cmd.env("CODEX_HOME", self.home.join(".codex"));
            }
            _ => {
                cmd.envs([
                    ("PI_OFFLINE", "1"),
                    ("PI_SKIP_VERSION_CHECK", "1"),
                    ("PI_TELEMETRY", "0"),
                ]);
            }
        }
        let output = cmd.output().unwrap();
        let _ = server.kill();
        let _ = server.wait();
        (output, main_requests(&log))
    }
}

/// Nothing of the caller's git or lab setup may leak into the lab (e.g. GIT_DIR under a git hook).
fn clean_env(cmd: &mut Command) {
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy();
        if name.starts_with("GIT_") || name.starts_with("LAB_") {
            cmd.env_remove(name.as_ref());
        }
    }
}

fn main_requests(log: &Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["kind"] == "main")
        .collect()
}
