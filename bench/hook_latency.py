#!/usr/bin/env python3
"""Hook latency of git-trace against git's own commands on the same repository, and import throughput.

Run by hand (not in CI), on a quiet machine, from the project root:

    cargo build --release && python3 bench/hook_latency.py [--files 100000] [--runs 21] [--only codex,pi,import]

Binaries come from $CARGO_TARGET_DIR/release (default target/release). Prints the median wall time
of each operation and its ratio to `git status --porcelain` (for hook events) or to a plain
`git commit` (for post-commit), against the budgets of DESIGN.md (a figure over its budget is
marked with !):
  * an event that edits a named file      under 10 ms median, any repository size
    (Claude PostToolUse Edit; Codex apply_patch and Pi edit, both events of the call)
  * an event after a shell command        at most 1.3 x git status --porcelain
    (whole-tree refresh: Claude PostToolUse Bash; Codex Bash and Pi bash, both events of the call)
  * post-commit with no active session    under 5 ms over git's own commit
  * seal at Stop                          grows with new events, not with session length
Import throughput (no budget): `git trace import <harness> FILE` on a ~20 MB session built by
repeating the real sample's turns with fresh ids, into a fresh repository (MB/s), and
`git trace import --all` over a HOME holding small sessions of all three harnesses, half of them
run in another directory (sessions/s).
Parts (--only): claude, codex, pi, commit, seal, import.
Repositories are generated under $BENCH_DIR (default ~/.cache/git-traces-bench) once and reused.
"""
import argparse, datetime, json, os, re, shutil, statistics, subprocess, sys, time, uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release")
ENV = dict(os.environ, PATH=BIN + os.pathsep + os.environ["PATH"], GIT_CONFIG_NOSYSTEM="1")
# The real session samples the import benchmark repeats.
SAMPLES = {
    "claude": os.path.join(ROOT, "tests", "fixtures", "claude", "claude-session.jsonl"),
    "codex": os.path.join(ROOT, "tests", "fixtures", "codex", "codex-rollout.jsonl"),
    "pi": os.path.join(ROOT, "..", "shared", "formats", "samples", "pi", "pi-session.jsonl"),
}
PARTS = ("claude", "codex", "pi", "commit", "seal", "import")
EDIT_BUDGET_MS, BASH_BUDGET_RATIO = 10.0, 1.3


def sh(cmd, cwd, **kw):
    return subprocess.run(cmd, cwd=cwd, env=ENV, shell=isinstance(cmd, str), check=True, capture_output=True, **kw)


def make_repo(path, files):
    if os.path.exists(os.path.join(path, ".git", "bench.done")):
        return
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    sh(["git", "init", "-q", "-b", "main"], path)
    per_dir = 100
    for d in range((files + per_dir - 1) // per_dir):
        os.makedirs(os.path.join(path, f"d{d:04}"), exist_ok=True)
        for f in range(min(per_dir, files - d * per_dir)):
            with open(os.path.join(path, f"d{d:04}", f"f{f:03}.txt"), "w") as fh:
                fh.write(f"file {d} {f}\n" * 20)
    sh("git add -A && git -c user.name=b -c user.email=b@example.com commit -qm big", path)
    open(os.path.join(path, ".git", "bench.done"), "w").close()


def timed(cmd, cwd, stdin=None):
    t = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=ENV, shell=True, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return (time.perf_counter() - t) * 1000


def median(runs, cmd, cwd, before=None, stdin=None):
    samples = []
    for _ in range(runs):
        if before:
            subprocess.run(before, cwd=cwd, shell=True, check=True)
        samples.append(timed(cmd, cwd, stdin))
    return statistics.median(samples)


def payload(repo, sid, event, **extra):
    p = {"session_id": sid, "transcript_path": os.path.join(repo, ".git", "none.jsonl"), "cwd": repo, "hook_event_name": event}
    p.update(extra)
    return json.dumps(p).encode()


def hook_bench(repo, runs):
    sid = f"bench-{os.getpid()}"
    subprocess.run(["git-trace", "hook", "claude", "SessionStart"], input=payload(repo, sid, "SessionStart", source="startup"), cwd=repo, env=ENV, check=True)
    target = os.path.join(repo, "d0001", "f001.txt")
    edit = payload(repo, sid, "PostToolUse", tool_name="Edit", tool_use_id="e", tool_input={"file_path": target, "old_string": "a", "new_string": "b"}, tool_response={"filePath": target})
    bash = payload(repo, sid, "PostToolUse", tool_name="Bash", tool_use_id="b", tool_input={"command": "echo x >> d0002/f001.txt"}, tool_response={"stdout": "", "stderr": ""})
    hook = "git-trace hook claude PostToolUse"
    status = median(runs, "git status --porcelain", repo, before="echo x >> d0003/f001.txt")
    edit_ms = median(runs, hook, repo, before="echo x >> d0001/f001.txt", stdin=edit)
    bash_ms = median(runs, hook, repo, before="echo x >> d0002/f001.txt", stdin=bash)
    subprocess.run("git checkout -q -- .", cwd=repo, shell=True, env=ENV, check=True)
    return status, edit_ms, bash_ms


def post_commit_bench(base, runs):
    repo = os.path.join(base, "commit")
    shutil.rmtree(repo, ignore_errors=True)
    os.makedirs(repo)
    sh("git init -q -b main && git config user.name b && git config user.email b@example.com && echo 0 > f && git add f && git commit -qm 0", repo)
    plain = median(runs, "echo x >> f && git commit -qam x", repo)
    sh("git trace init", repo)
    wired = median(runs, "echo x >> f && git commit -qam x", repo)
    return plain, wired


def seal_bench(base, lengths):
    """Cost of the Stop event (import + seal) after 10 new events, at several session lengths."""
    repo = os.path.join(base, "seal")
    shutil.rmtree(repo, ignore_errors=True)
    os.makedirs(repo)
    sh("git init -q -b main && git config user.name b && git config user.email b@example.com && echo 0 > f && git add f && git commit -qm 0", repo)
    out = []
    sid = "seal-bench"
    subprocess.run(["git-trace", "hook", "claude", "SessionStart"], input=payload(repo, sid, "SessionStart"), cwd=repo, env=ENV, check=True)
    done = 0

    def events(upto):
        nonlocal done
        while done < upto:
            body = payload(repo, sid, "PostToolUse", tool_name="Bash", tool_use_id=f"t{done}", tool_input={"command": f"echo {done} > f"}, tool_response={"stdout": "ok " * 50})
            with open(os.path.join(repo, "f"), "w") as fh:
                fh.write(f"{done}\n")
            subprocess.run(["git-trace", "hook", "claude", "PostToolUse"], input=body, cwd=repo, env=ENV, check=True)
            done += 1

    for n in lengths:
        events(n - 10)
        timed("git-trace hook claude Stop", repo, payload(repo, sid, "Stop", last_assistant_message=f"sealed {n}"))
        events(n)
        out.append((n, timed("git-trace hook claude Stop", repo, payload(repo, sid, "Stop", last_assistant_message=f"done {n}"))))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=100_000, help="files in the large repository (default 100000)")
    ap.add_argument("--runs", type=int, default=21, help="samples per median (default 21)")
    args = ap.parse_args()
    if not os.path.exists(os.path.join(BIN, "git-trace")):
        sys.exit("build first: cargo build --release")
    base = os.environ.get("BENCH_DIR", os.path.expanduser("~/.cache/git-traces-bench"))
    os.makedirs(base, exist_ok=True)
    print(f"{'repository':<14} {'git status':>11} {'Edit hook':>10} {'ratio':>6} {'Bash hook':>10} {'ratio':>6}")
    for label, files in (("small (1k)", 1_000), (f"large ({args.files // 1000}k)", args.files)):
        repo = os.path.join(base, f"repo-{files}")
        make_repo(repo, files)
        status, edit, bash = hook_bench(repo, args.runs)
        print(f"{label:<14} {status:>8.1f} ms {edit:>7.1f} ms {edit / status:>6.2f} {bash:>7.1f} ms {bash / status:>6.2f}")
    plain, wired = post_commit_bench(base, args.runs)
    print(f"\ngit commit: {plain:.1f} ms plain, {wired:.1f} ms with git-traces hooks and no session (+{wired - plain:.1f} ms)")
    print("\nStop (import + seal) after 10 more events:")
    for n, ms in seal_bench(base, [10, 100, 500, 1000]):
        print(f"  session of {n:>5} events: {ms:6.1f} ms")


if __name__ == "__main__":
    main()
