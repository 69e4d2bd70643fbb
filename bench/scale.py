#!/usr/bin/env python3
"""git-traces at scale: every read command at 10,000 sessions, what that many refs cost git's own
fetch and gc, whether a 1,000,000-commit history slows `list` and `query`, and the pages of
`git trace view`.

Run by hand (not in CI), on a quiet machine, from the project root:

    cargo build --release && python3 bench/scale.py [--sessions 10000] [--commits 1000000] [--runs 5]
                                                    [--only commands,refs,history,view]

Binaries come from $CARGO_TARGET_DIR/release (default target/release). Repositories are made
under $BENCH_DIR (default ~/.cache/git-traces-bench) once and reused:

* commands — the corpus of bench/query.py (real Claude Code sessions with words, files and dates
  varied), plus one large session (~20 MB, the sample's turns repeated as bench/hook_latency.py
  builds them) for `show`, `map` and `export`. Per command: the first run with
  .git/traces/cache removed (cold) and the median of --runs warm runs, with its ratio to
  `git for-each-ref refs/traces/` (git's own walk of the same sessions). Refs as git-traces leaves them (it packs them past 256
  loose ones), then the same list with every session ref loose; then `git commit` with and
  without the post-commit hook, which looks at every session sealed in the last 30 days.
* refs — what 10,000 session refs cost git itself: `git gc`, `git pack-refs`, a clone's plain
  `git fetch` (one new commit) with and without the refs on the remote and in the clone (loose,
  then packed with the commit-graph written, as a seal leaves them past 256 loose refs), and
  `git trace fetch` bringing 10,000 shared sessions, then a no-op `git trace fetch`.
* history — a repository with --commits commits (made with git fast-import, one small file
  changed per commit, commit-graph written as git gc would) holding the same 10,000 sessions:
  `list` and `query` cold and warm against the corpus with its one commit.
* view — `git trace view` on the corpus (plus a session of about 2,000 steps): the median time
  of each page over HTTP, the server kept running, and its size.
"""
import argparse, os, shutil, statistics, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hook_latency  # noqa: E402  (build_session: the large session)
import query  # noqa: E402  (make_repo, transcript: the corpus)

ENV = dict(query.ENV)
BIG_ID = "b16b16b1-0000-4000-8000-000000000000"
# About 2,000 steps: the size the view's budget names.
MID_ID = "2c002c00-0000-4000-8000-000000000000"


def run(args, cwd, check=True):
    return subprocess.run(args, cwd=cwd, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=check)


def ms(args, cwd):
    start = time.perf_counter()
    out = run(args, cwd, check=False)
    took = (time.perf_counter() - start) * 1000
    if out.returncode not in (0, 1):
        sys.exit(f"{' '.join(args)} failed in {cwd}: {out.stderr.decode()}")
    return took


def warm(args, cwd, runs):
    ms(args, cwd)
    return statistics.median(ms(args, cwd) for _ in range(runs))


def cold(args, cwd):
    shutil.rmtree(os.path.join(cwd, ".git", "traces", "cache"), ignore_errors=True)
    return ms(args, cwd)


def corpus(base, n):
    path = os.path.join(base, f"query-{n}")
    if query.make_repo(path, n, open(query.SAMPLE).read()) is not None:
        run(["git", "pack-refs", "--all"], path)
    for sid, size, name in ((BIG_ID, 20_000_000, "big"), (MID_ID, 3_100_000, "mid")):
        file = os.path.join(path, ".git", f"bench-{name}.jsonl")
        if not os.path.exists(file):
            turns = hook_latency.build_session("claude", file, path, size, session=sid)
            run(["git", "trace", "import", "claude", file], path)
            print(f"  {name} session: {os.path.getsize(file) / 1e6:.0f} MB, {turns} turns", file=sys.stderr)
    return path


def table(title, rows, reference):
    print(title)
    print(f"  {'command':<44} {'cold':>10} {'warm':>10} {'warm / for-each-ref':>20}")
    for name, c, w in rows:
        print(f"  {name:<44} {c:>7.1f} ms {w:>7.1f} ms {w / reference:>19.1f}x")
    print(f"  (git for-each-ref refs/traces/, git's own walk of the same sessions: {reference:.1f} ms)")


def commands(base, n, runs):
    repo = corpus(base, n)
    short = BIG_ID[:7]
    html = os.path.join(repo, ".git", "map.html")
    cases = [
        ["list"], ["list", "--json"], ["show", short], [f"{short}:40"],
        ["query", "checkout"], ["query", "--file", "src/cart_model.py"],
        ["query", "checkout", "--state", "lost"],
        ["stats"], ["stats", "--since", "30d"],
        ["map", short, "--bursts"], ["map", short, "--format", "html", "-o", html],
        ["export", short, "--format", "atif"], ["export", short, "--format", "jsonl"],
        ["doctor"],
    ]
    trail = [["git", "trail", "track"], ["git", "ctx", "show", f"{short}:40"]]
    reference = warm(["git", "for-each-ref", "refs/traces/"], repo, runs)

    def measure():
        rows = [(f"git trace {' '.join(c)}".replace(html, "map.html"), cold(["git", "trace", *c], repo), warm(["git", "trace", *c], repo, runs))
                for c in cases]
        rows += [(" ".join(c), cold(c, repo), warm(c, repo, runs)) for c in trail]
        return rows

    table(f"{n + 1} sessions, packed refs:", measure(), reference)
    # Every session ref loose again, as a store that was never packed would hold them.
    packed = os.path.join(repo, ".git", "packed-refs")
    lines = open(packed).read().splitlines()
    for line in lines:
        parts = line.split(" ", 1)
        if len(parts) == 2 and parts[1].startswith("refs/traces/"):
            loose = os.path.join(repo, ".git", parts[1])
            os.makedirs(os.path.dirname(loose), exist_ok=True)
            open(loose, "w").write(parts[0] + "\n")
    open(packed, "w").write("\n".join(l for l in lines if " refs/traces/" not in l) + "\n")
    table(f"{n + 1} sessions, loose refs:", measure(), reference)
    run(["git", "pack-refs", "--all"], repo)
    # post-commit looks at every session sealed in the last 30 days: here, all of them.
    run(["git", "trace", "init"], repo)
    commit = ["git", "-c", "user.name=B", "-c", "user.email=b@x", "commit", "-q", "-a", "--allow-empty", "-m", "x"]

    def commits(extra):
        samples = []
        for _ in range(runs):
            with open(os.path.join(repo, "bench.txt"), "a") as fh:
                fh.write("x\n")
            run(["git", "add", "bench.txt"], repo)
            samples.append(ms(["git", *extra, *commit[1:]], repo))
        return statistics.median(samples)

    commits([])
    hooked, plain = commits([]), commits(["-c", "core.hooksPath=/dev/null"])
    print(f"  git commit with git-traces' hooks: {hooked:.1f} ms, without: {plain:.1f} ms (+{hooked - plain:.1f} ms)")


def refs(base, n, runs):
    repo = corpus(base, n)
    work = os.path.join(base, "scale-refs")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    # A remote holding every session as shared, and a plain twin without them.
    remote, plain = os.path.join(work, "remote.git"), os.path.join(work, "plain.git")
    run(["git", "clone", "-q", "--bare", "--no-local", repo, remote], work)
    run(["git", "clone", "-q", "--bare", "--no-local", repo, plain], work)
    subprocess.run(["git", "fetch", "-q", repo, "refs/traces/sessions/*:refs/traces/shared/*"],
                   cwd=remote, env=ENV, check=True)
    print(f"refs ({n + 1} sessions):")
    gc = os.path.join(work, "gc")
    run(["git", "clone", "-q", "--no-local", repo, gc], work)
    plain_gc = ms(["git", "gc", "-q"], gc)
    subprocess.run(["git", "fetch", "-q", repo, "refs/traces/*:refs/traces/*"], cwd=gc, env=ENV, check=True)
    loose_count = sum(len(f) for _, _, f in os.walk(os.path.join(gc, ".git", "refs", "traces")))
    traced_gc = ms(["git", "gc", "-q"], gc)
    print(f"  git gc: {plain_gc:.0f} ms without the sessions, {traced_gc:.0f} ms with them ({loose_count} loose refs packed)")
    pack = statistics.median(ms(["git", "pack-refs", "--all"], gc) for _ in range(runs))
    print(f"  git pack-refs --all (already packed): {pack:.1f} ms")

    def plain_fetch(origin, with_local, tidy=False):
        clone = os.path.join(work, "clone")
        shutil.rmtree(clone, ignore_errors=True)
        run(["git", "clone", "-q", origin, clone], work)
        if with_local:
            subprocess.run(["git", "fetch", "-q", repo, "refs/traces/*:refs/traces/*"], cwd=clone, env=ENV, check=True)
        if tidy:
            # What a seal does past 256 loose refs.
            run(["git", "pack-refs", "--all"], clone)
            run(["git", "commit-graph", "write", "--reachable", "--split"], clone)
        samples = []
        for i in range(runs):
            tree = subprocess.run(["git", "rev-parse", "main^{tree}"], cwd=origin, env=ENV, capture_output=True,
                                  check=True).stdout.decode().strip()
            head = subprocess.run(["git", "commit-tree", tree, "-p", "main", "-m", f"c{i}"], cwd=origin, env=ENV,
                                  capture_output=True, check=True).stdout.decode().strip()
            run(["git", "update-ref", "refs/heads/main", head], origin)
            samples.append(ms(["git", "fetch", "-q", "origin"], clone))
        return statistics.median(samples)

    print(f"  git fetch (1 new commit): remote without sessions, clone without: {plain_fetch(plain, False):.1f} ms")
    print(f"  git fetch (1 new commit): remote with {n + 1} shared, clone without: {plain_fetch(remote, False):.1f} ms")
    print(f"  git fetch (1 new commit): remote with {n + 1} shared, clone with them: {plain_fetch(remote, True):.1f} ms")
    print(f"  git fetch (1 new commit): the same, refs packed and commit-graph written as a seal does: "
          f"{plain_fetch(remote, True, tidy=True):.1f} ms")
    clone = os.path.join(work, "clone")
    shutil.rmtree(clone, ignore_errors=True)
    run(["git", "clone", "-q", remote, clone], work)
    first = ms(["git", "trace", "fetch", "origin"], clone)
    again = statistics.median(ms(["git", "trace", "fetch", "origin"], clone) for _ in range(runs))
    got = subprocess.run(["git", "for-each-ref", "--count=100000", "refs/traces/shared/"], cwd=clone, env=ENV,
                         capture_output=True, check=True).stdout.count(b"\n")
    print(f"  git trace fetch: {first:.0f} ms bringing {got} shared sessions, then {again:.1f} ms with nothing new")


def history(base, n, commits, runs):
    repo = corpus(base, n)
    big = os.path.join(base, f"history-{commits}")
    if not os.path.exists(os.path.join(big, ".git", "bench.done")):
        shutil.rmtree(big, ignore_errors=True)
        os.makedirs(big)
        run(["git", "init", "-q", "-b", "main"], big)
        start = time.perf_counter()
        feed = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=big, env=ENV, stdin=subprocess.PIPE)
        for i in range(commits):
            body = f"line {i}\n".encode()
            msg = f"commit {i}\n".encode()
            feed.stdin.write(b"commit refs/heads/main\ncommitter B <b@x> %d +0000\ndata %d\n%sM 100644 inline f%d\ndata %d\n%s\n"
                             % (1_600_000_000 + i, len(msg), msg, i % 100, len(body), body))
        feed.stdin.close()
        if feed.wait() != 0:
            sys.exit("git fast-import failed")
        run(["git", "reset", "-q", "--hard", "main"], big)
        run(["git", "commit-graph", "write", "--reachable"], big)
        subprocess.run(["git", "fetch", "-q", repo, "refs/traces/*:refs/traces/*"], cwd=big, env=ENV, check=True)
        run(["git", "pack-refs", "--all"], big)
        open(os.path.join(big, ".git", "bench.done"), "w").write(f"{time.perf_counter() - start:.0f}\n")
    print(f"history ({commits} commits vs 1, {n + 1} sessions in each):")
    print(f"  {'command':<44} {'1 commit':>21} {f'{commits} commits':>21}")
    for args in (["list"], ["query", "checkout"], ["query", "--file", "src/cart_model.py"], ["stats"]):
        cells = [(cold(["git", "trace", *args], r), warm(["git", "trace", *args], r, runs)) for r in (repo, big)]
        print(f"  git trace {' '.join(args):<34} " + " ".join(f"{c:>8.0f} / {w:>6.1f} ms" for c, w in cells))
    print("  (cold / warm: first run without .git/traces/cache, then the median of warm runs)")


def view(base, n, runs):
    """`git trace view`: each page's median time over HTTP, the server kept running."""
    import urllib.request
    repo = corpus(base, n)
    # The binary itself: killing `git trace view` would kill git and leave its child serving.
    server = subprocess.Popen(["git-trace", "view"], cwd=repo, env=ENV, stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().split("git trace view: ", 1)[1].strip()
        root, token = url.split("/?t=")

        def page(path):
            start = time.perf_counter()
            sep = "&" if "?" in path else "?"
            with urllib.request.urlopen(f"{root}{path}{sep}t={token}") as r:
                size = len(r.read())
            return (time.perf_counter() - start) * 1000, size

        print(f"view ({n + 2} sessions):")
        for name, path in (("list", "/"), ("search 'checkout'", "/?q=checkout"),
                           ("session of ~2,000 steps", f"/s/{MID_ID}"), ("step 40 of it", f"/s/{MID_ID}/40"),
                           ("session of 12,910 steps", f"/s/{BIG_ID}")):
            page(path)
            samples = [page(path) for _ in range(runs)]
            print(f"  {name:<28} {statistics.median(t for t, _ in samples):>8.1f} ms  {samples[0][1] / 1e3:>8.0f} kB")
    finally:
        server.kill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=10000)
    ap.add_argument("--commits", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--only", default="commands,refs,history,view")
    args = ap.parse_args()
    base = os.environ.get("BENCH_DIR", os.path.expanduser("~/.cache/git-traces-bench"))
    parts = args.only.split(",")
    if "commands" in parts:
        commands(base, args.sessions, args.runs)
    if "refs" in parts:
        refs(base, args.sessions, args.runs)
    if "history" in parts:
        history(base, args.sessions, args.commits, args.runs)
    if "view" in parts:
        view(base, args.sessions, args.runs)


if __name__ == "__main__":
    main()
