#!/usr/bin/env python3
"""`git trail track` over many sessions: a full run (no cache) and an incremental one (after one
more commit touching one file). Run by hand on a quiet machine, from the project root:

    cargo build --release && python3 bench/track.py [--sessions 1000]

The repository (one session per agent file, a commit every 10 sessions) is generated once under
$BENCH_DIR (default ~/.cache/git-traces-bench) through the real hook, and reused.
"""
import argparse, json, os, shutil, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release")
ENV = dict(os.environ, PATH=BIN + os.pathsep + os.environ["PATH"], GIT_CONFIG_NOSYSTEM="1")


def run(cmd, cwd, stdin=None):
    return subprocess.run(cmd, cwd=cwd, env=ENV, input=stdin, shell=isinstance(cmd, str), check=True, capture_output=True)


def hook(repo, sid, event, **extra):
    payload = {"session_id": sid, "transcript_path": os.path.join(repo, ".git", "none.jsonl"), "cwd": repo, "hook_event_name": event}
    payload.update(extra)
    run(["git-trace", "hook", "claude", event], repo, json.dumps(payload).encode())


def make(repo, sessions):
    marker = os.path.join(repo, ".git", f"track-bench-{sessions}.done")
    if os.path.exists(marker):
        return
    shutil.rmtree(repo, ignore_errors=True)
    os.makedirs(repo)
    run("git init -q -b main && git config user.name b && git config user.email b@example.com && git commit -q --allow-empty -m init && git trace init >/dev/null", repo)
    for i in range(sessions):
        sid = f"bench-{i:05}"
        path = os.path.join(repo, f"m{i:05}.py")
        body = "".join(f"def f{i}_{n}():\n    return {i * 100 + n}\n" for n in range(3))
        hook(repo, sid, "SessionStart", source="startup")
        hook(repo, sid, "PreToolUse", tool_name="Write", tool_use_id="w", tool_input={"file_path": path, "content": body})
        with open(path, "w") as fh:
            fh.write(body)
        hook(repo, sid, "PostToolUse", tool_name="Write", tool_use_id="w", tool_input={"file_path": path, "content": body}, tool_response={"type": "create"})
        hook(repo, sid, "SessionEnd", reason="other")
        if i % 10 == 9:
            run(f"git add -A && git commit -qm 'batch {i // 10}'", repo)
    open(marker, "w").close()


def timed(cmd, cwd):
    t = time.perf_counter()
    run(cmd, cwd)
    return (time.perf_counter() - t) * 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    if not os.path.exists(os.path.join(BIN, "git-trail")):
        sys.exit("build first: cargo build --release")
    base = os.environ.get("BENCH_DIR", os.path.expanduser("~/.cache/git-traces-bench"))
    repo = os.path.join(base, f"track-{args.sessions}")
    t = time.perf_counter()
    make(repo, args.sessions)
    print(f"repository: {args.sessions} sessions ({time.perf_counter() - t:.0f} s to make or reuse)")
    cache = os.path.join(repo, ".git", "traces", "cache", "track.json")
    full, incremental = [], []
    for n in range(args.runs):
        if os.path.exists(cache):
            os.remove(cache)
        full.append(timed("git trail track --json >/dev/null", repo))
        run(f"echo '# touched {n}' >> m00000.py && git commit -qam 'touch {n}'", repo)
        incremental.append(timed("git trail track --json >/dev/null", repo))
    f, i = statistics.median(full), statistics.median(incremental)
    print(f"git trail track: full {f:.0f} ms, incremental after one commit {i:.0f} ms ({f / i:.1f}x faster)")


if __name__ == "__main__":
    main()
