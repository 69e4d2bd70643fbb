#!/usr/bin/env python3
"""`git trace dataset` and `git trace skill` over 100 and 1,000 real-shaped sessions.

Run by hand (not in CI), on a quiet machine, from the project root:

    cargo build --release && python3 bench/dataset.py [--sizes 100,1000] [--runs 3]

The corpus is bench/query.py's (Claude Code transcripts made from the recorded sample, imported
with `git trace import`), generated once under $BENCH_DIR (default ~/.cache/git-traces-bench)
as dataset-<n>. Each measurement starts from a fresh dataset: `new` with the sft-conversations
template (its min_retention dropped, as imported sessions have no commits), the first `run`
(every session becomes a row), a second `run` (nothing new), `verify` (the packet rebuilt and the
builder run again), `review approve --all`, `publish` to a local bare repository, and
`skill list` (the skill-runs rows of every session). The baseline is git reading every object of
the repository once (`git cat-file --batch-all-objects --batch`): the floor for anything that
reads all the evidence. Prints milliseconds (median of --runs) and the ratio to that floor.
"""
import argparse, os, shutil, statistics, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import query  # noqa: E402  (the corpus generator)

BENCH_DIR = os.environ.get("BENCH_DIR", os.path.expanduser("~/.cache/git-traces-bench"))


def run(path, args, ok=(0,)):
    start = time.perf_counter()
    out = subprocess.run(args, cwd=path, env=query.ENV, capture_output=True)
    took = (time.perf_counter() - start) * 1000
    if out.returncode not in ok:
        sys.exit(f"{' '.join(args)} failed ({out.returncode}): {out.stderr.decode()}")
    return took


def fresh(path):
    """Removes the previous round's dataset, its workflow and its remote."""
    subprocess.run(["git", "update-ref", "-d", "refs/traces/datasets/chats"], cwd=path, env=query.ENV)
    shutil.rmtree(os.path.join(path, ".traces"), ignore_errors=True)
    remote = os.path.join(path, ".git", "bench-hub.git")
    shutil.rmtree(remote, ignore_errors=True)
    subprocess.run(["git", "init", "-q", "--bare", remote], env=query.ENV, check=True)
    return remote


def one_round(path):
    remote = fresh(path)
    row = {"new": run(path, ["git", "trace", "dataset", "new", "chats", "--template", "sft-conversations"])}
    toml = os.path.join(path, ".traces", "datasets", "chats", "workflow.toml")
    text = open(toml).read().replace("min_retention = 0.5\n", "")
    open(toml, "w").write(text)
    row["run (first)"] = run(path, ["git", "trace", "dataset", "run", "chats"])
    row["run (again)"] = run(path, ["git", "trace", "dataset", "run", "chats"])
    row["verify"] = run(path, ["git", "trace", "dataset", "verify", "chats"])
    row["approve --all"] = run(path, ["git", "trace", "dataset", "review", "chats", "approve", "--all"])
    row["publish"] = run(path, ["git", "trace", "dataset", "publish", "chats", "--to", remote])
    row["skill list"] = run(path, ["git", "trace", "skill", "list"])
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100,1000")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    sample = open(query.SAMPLE).read()
    for n in [int(s) for s in args.sizes.split(",")]:
        path = os.path.join(BENCH_DIR, f"dataset-{n}")
        took = query.make_repo(path, n, sample)
        if took is not None:
            print(f"generated {n} sessions in {took:.1f} s", file=sys.stderr)
        floor = statistics.median(
            run(path, ["git", "cat-file", "--batch-all-objects", "--batch"]) for _ in range(args.runs))
        rounds = [one_round(path) for _ in range(args.runs)]
        rows = subprocess.run(["git", "trace", "dataset", "status", "chats"], cwd=path, env=query.ENV,
                              capture_output=True, text=True).stdout.splitlines()[0]
        print(f"\n{n} sessions ({rows}); git cat-file --batch-all-objects --batch: {floor:.0f} ms")
        for name in rounds[0]:
            ms = statistics.median(r[name] for r in rounds)
            print(f"  {name:<14} {ms:>9.0f} ms  {ms / floor:>6.2f}x")


if __name__ == "__main__":
    main()
