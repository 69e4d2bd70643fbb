#!/usr/bin/env python3
"""`git trace query` latency at 100 / 1,000 / 10,000 sessions.

Run by hand (not in CI), on a quiet machine, from the project root:

    cargo build --release && python3 bench/query.py [--sizes 100,1000,10000] [--runs 11]

(With CARGO_TARGET_DIR set, the binaries are taken from $CARGO_TARGET_DIR/release.)

Each corpus is a repository under $BENCH_DIR (default ~/.cache/git-traces-bench/query-<n>),
generated once and reused. Its sessions are real: Claude Code transcripts made from the recorded
sample (tests/fixtures/claude/claude-session.jsonl) with the prompt, the file names, the function,
the test command and the dates varied (words drawn from a vocabulary with a Zipf-like skew, start
times spread over the last 180 days), imported with `git trace import claude FILE...` (in batches,
so the import time is reported too). Anchors are not generated: commit messages are not part of
this corpus.

Prints, per size: the import time, the index size, a cold query (no index: the build), then the
median of --runs warm queries for a rare word, a common word, a two-word query, a query matching
every session (bounded by --limit), a filter-only query (--file), and the update after one more
session is imported. The DESIGN.md budget is under 100 ms warm at 10,000 sessions. Loose refs are
what capture writes; the table is printed again after `git pack-refs --all`.
"""
import argparse, json, os, random, shutil, statistics, subprocess, sys, time, uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release")
ENV = dict(os.environ, PATH=BIN + os.pathsep + os.environ["PATH"], GIT_CONFIG_NOSYSTEM="1", GIT_PAGER="cat")
SAMPLE = os.path.join(ROOT, "tests", "fixtures", "claude", "claude-session.jsonl")
LAB_CWD = "/tmp/harness-lab-claude/repo"
LAB_ID = "ecbef1cc-3097-4936-9b94-b6eb9d656352"
BATCH = 200

WORDS = """checkout flow cart payment invoice refund login session token cache retry timeout parser
lexer config migration schema index query render template widget button modal layout theme
router handler middleware logger metrics tracing span queue worker scheduler cron backoff
upload download stream buffer encoder decoder codec compress archive snapshot backup restore
user account profile avatar email notification webhook signature verify encrypt decrypt hash
search filter sort paginate export import csv json yaml toml xml report chart dashboard
billing subscription plan coupon discount tax shipping address geocode map tile marker
permissions role admin audit trail history diff merge rebase branch commit release deploy""".split()
MODULES = [f"{a}_{b}" for a in ("cart", "auth", "api", "db", "ui", "core", "util", "io", "net", "job")
           for b in ("model", "view", "store", "client", "server", "service", "helpers", "types", "errors", "tests")]
FUNCS = ["add", "total", "parse", "load", "save", "apply", "merge", "render", "fetch", "retry"]


def zipf_word(rng):
    return WORDS[min(int(rng.paretovariate(1.1)) - 1, len(WORDS) - 1)] if rng.random() < 0.5 else rng.choice(WORDS)


def transcript(sample, rng, repo, now):
    """One session file: the sample with its words, files, command and time varied."""
    sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    module = rng.choice(MODULES)
    func = rng.choice(FUNCS)
    topic = " ".join(zipf_word(rng) for _ in range(rng.randint(2, 5)))
    when = time.gmtime(now - rng.uniform(0, 180 * 86400))
    day, hour = time.strftime("%Y-%m-%d", when), time.strftime("%H", when)
    text = (sample.replace(LAB_CWD, repo).replace(LAB_ID, sid)
            .replace("calc.py", f"src/{module}.py").replace("add()", f"{func}()")
            .replace("run_tests.py", f"run_{rng.choice(MODULES)}.py")
            .replace("negative numbers and zero", topic)
            .replace("2026-11-25T00:", f"{day}T{hour}:"))
    return sid, text


def make_repo(path, n, sample):
    done = os.path.join(path, ".git", "bench.done")
    if os.path.exists(done):
        return None
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=path, env=ENV, check=True)
    subprocess.run(["git", "-c", "user.name=B", "-c", "user.email=b@x", "commit", "-q", "--allow-empty", "-m", "init"],
                   cwd=path, env=ENV, check=True)
    rng = random.Random(n)
    files_dir = os.path.join(path, ".git", "bench-sessions")
    os.makedirs(files_dir)
    now = time.time()
    files = []
    for _ in range(n):
        sid, text = transcript(sample, rng, path, now)
        f = os.path.join(files_dir, sid + ".jsonl")
        with open(f, "w") as out:
            out.write(text)
        files.append(f)
    start = time.perf_counter()
    for i in range(0, n, BATCH):
        subprocess.run(["git", "trace", "import", "claude", *files[i:i + BATCH]], cwd=path, env=ENV,
                       check=True, stdout=subprocess.DEVNULL)
        print(f"\r  imported {min(i + BATCH, n)}/{n}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    took = time.perf_counter() - start
    open(done, "w").write(f"{took:.1f}\n")
    return took


def timed(path, args):
    start = time.perf_counter()
    out = subprocess.run(["git", "trace", "query", *args], cwd=path, env=ENV, capture_output=True)
    took = (time.perf_counter() - start) * 1000
    if out.returncode not in (0, 1):
        sys.exit(f"git trace query {args} failed: {out.stderr.decode()}")
    return took


def median(path, args, runs):
    timed(path, args)
    return statistics.median(timed(path, args) for _ in range(runs))


def measure(path, runs, sample):
    index = os.path.join(path, ".git", "traces", "cache", "query.idx")
    if os.path.exists(index):
        os.remove(index)
    row = {"cold (build)": timed(path, ["checkout"])}
    row["index MB"] = os.path.getsize(index) / 1e6
    for name, args in [("rare word", ["coupon"]), ("common word", ["checkout"]),
                       ("two words", ["checkout", "flow"]), ("match all", ["regression"]),
                       ("--file only", ["--file", "src/cart_model.py"])]:
        row[name] = median(path, args, runs)
    rng = random.Random(time.time())
    sid, text = transcript(sample, rng, path, time.time())
    extra = os.path.join(path, ".git", "bench-extra.jsonl")
    open(extra, "w").write(text)
    subprocess.run(["git", "trace", "import", "claude", extra], cwd=path, env=ENV, check=True, stdout=subprocess.DEVNULL)
    row["update +1"] = timed(path, ["checkout"])
    return row


def table(rows):
    cols = list(next(iter(rows.values())).keys())
    print("sessions  " + "  ".join(f"{c:>13}" for c in cols))
    for n, row in rows.items():
        cells = [f"{row[c]:>13.2f}" if c == "index MB" else f"{row[c]:>10.1f} ms" for c in cols]
        print(f"{n:>8}  " + "  ".join(cells))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--runs", type=int, default=11)
    args = ap.parse_args()
    sample = open(SAMPLE).read()
    base = os.environ.get("BENCH_DIR", os.path.expanduser("~/.cache/git-traces-bench"))
    loose, packed = {}, {}
    for n in [int(s) for s in args.sizes.split(",")]:
        path = os.path.join(base, f"query-{n}")
        took = make_repo(path, n, sample)
        if took is None:
            took = float(open(os.path.join(path, ".git", "bench.done")).read())
        print(f"{n} sessions: import took {took:.1f} s ({took / n * 1000:.1f} ms a session)", file=sys.stderr)
        loose[n] = measure(path, args.runs, sample)
        subprocess.run(["git", "pack-refs", "--all"], cwd=path, env=ENV, check=True)
        packed[n] = measure(path, args.runs, sample)
    print("loose refs (as captured):")
    table(loose)
    print("after git pack-refs --all:")
    table(packed)


if __name__ == "__main__":
    main()
