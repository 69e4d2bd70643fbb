#!/usr/bin/env python3
"""`git trail blame` against `git blame --porcelain` on the same file.

Run by hand (not in CI), on a quiet machine, from the project root:

    cargo build --release && python3 bench/blame.py [--commits 2000] [--lines 5000] [--runs 11]

(With CARGO_TARGET_DIR set, the binaries are taken from $CARGO_TARGET_DIR/release.)

The repository is generated once under $BENCH_DIR (default ~/.cache/git-traces-bench) and reused:
one file grown to --lines lines over --commits commits, each changing two lines and inserting
one (so later commits push earlier lines down and blame must look anchors up by the line number
in the older commit), and every other commit carrying an anchor note on refs/notes/traces in the
post-commit format for a session that does not exist (blame shows session:step, no prompt). The
history and the notes are written with `git fast-import`, which is what `git notes add` would
store, only faster.

Prints the median wall time of `git blame --porcelain FILE`, `git trail blame --porcelain FILE`,
`git trail blame FILE` and `git trail blame --json FILE`, and each ratio to git's; the DESIGN.md
budget is at most 1.2 x `git blame --porcelain FILE`.
"""
import argparse, json, os, random, shutil, statistics, subprocess, sys, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release")
ENV = dict(os.environ, PATH=BIN + os.pathsep + os.environ["PATH"], GIT_CONFIG_NOSYSTEM="1", GIT_PAGER="cat")
FILE = "big.txt"
SESSION = "bench0000-0000-4000-8000-000000000000"


def make_repo(path, commits, lines):
    done = os.path.join(path, ".git", "bench.done")
    if os.path.exists(done):
        return
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, env=ENV, check=True)
    rng = random.Random(42)
    text = [f"line {i} of the original file, with some words on it" for i in range(lines - commits)]
    stream = []
    notes = []

    def data(body):
        b = body.encode()
        stream.append(b"data %d\n" % len(b) + b + b"\n")

    when = 1_700_000_000
    for c in range(commits + 1):
        changed = set()
        if c > 0:
            for _ in range(2):
                n = rng.randrange(len(text))
                text[n] = f"line changed by commit {c} at {n}: {rng.random():.6f}"
                changed.add(n)
            n = rng.randrange(len(text) + 1)
            text.insert(n, f"line inserted by commit {c}: {rng.random():.6f}")
            changed = {m + 1 if m >= n else m for m in changed} | {n}
        stream.append(f"commit refs/heads/main\nmark :{c + 1}\n".encode())
        stream.append(f"author Bench <b@example.com> {when + c} +0000\ncommitter Bench <b@example.com> {when + c} +0000\n".encode())
        data(f"commit {c}\n")
        if c > 0:
            stream.append(f"from :{c}\n".encode())
        stream.append(f"M 100644 inline {FILE}\n".encode())
        data("\n".join(text) + "\n")
        if c > 0 and c % 2 == 0:
            anchors = [
                {"file": FILE, "firmness": "soft", "key": f"tool:bench{c}", "lines": [[n + 1, n + 1] for n in sorted(changed)],
                 "session": SESSION, "step": c, "tier": "exact_line", "v": 1}
            ]
            notes.append((c + 1, "\n".join(json.dumps(a, separators=(",", ":")) for a in anchors) + "\n"))
    stream.append(b"commit refs/notes/traces\ncommitter Bench <b@example.com> 1700000000 +0000\n")
    data("notes\n")
    for mark, body in notes:
        stream.append(f"N inline :{mark}\n".encode())
        data(body)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=path, env=ENV, input=b"".join(stream), check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=path, env=ENV, check=True)
    subprocess.run(["git", "gc", "-q"], cwd=path, env=ENV, check=True)
    open(done, "w").close()


def median(runs, cmd, cwd):
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--commits", type=int, default=2000, help="commits touching the file (default 2000)")
    ap.add_argument("--lines", type=int, default=5000, help="lines of the file at the tip (default 5000)")
    ap.add_argument("--runs", type=int, default=11, help="samples per median (default 11)")
    args = ap.parse_args()
    if not os.path.exists(os.path.join(BIN, "git-trail")):
        sys.exit(f"build first: cargo build --release (looked in {BIN})")
    base = os.environ.get("BENCH_DIR", os.path.expanduser("~/.cache/git-traces-bench"))
    repo = os.path.join(base, f"blame-{args.commits}x{args.lines}")
    make_repo(repo, args.commits, args.lines)
    # Sanity: the anchors resolve (session:step shown for the anchored commits' lines).
    out = subprocess.run(["git", "trail", "blame", "--porcelain", FILE], cwd=repo, env=ENV, capture_output=True, check=True).stdout
    anchored = out.count(b"\ntrace-session ")
    total = out.count(b"\n\t") + out.startswith(b"\t")
    print(f"{repo}: {args.commits} commits, {total} lines blamed, {anchored} anchored")
    git = median(args.runs, ["git", "blame", "--porcelain", FILE], repo)
    print(f"{'git blame --porcelain':<32} {git:8.1f} ms")
    for label, cmd in (
        ("git trail blame --porcelain", ["git", "trail", "blame", "--porcelain", FILE]),
        ("git trail blame", ["git", "trail", "blame", FILE]),
        ("git trail blame --json", ["git", "trail", "blame", "--json", FILE]),
    ):
        ms = median(args.runs, cmd, repo)
        print(f"{label:<32} {ms:8.1f} ms  {ms / git:5.2f} x  (budget 1.20 x)")


if __name__ == "__main__":
    main()
