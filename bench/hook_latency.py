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


def over(ms=None, ratio=None):
    """The budget mark: an edit event over 10 ms, a shell event over 1.3 x git status."""
    return "!" if (ms is not None and ms > EDIT_BUDGET_MS) or (ratio is not None and ratio > BASH_BUDGET_RATIO) else " "


def append_line(repo, rel):
    with open(os.path.join(repo, rel), "a") as fh:
        fh.write("x\n")


def tool_pairs(repo, runs, harness, pre_event, post_event, bodies, changed):
    """Median of each event of a tool call: the pre event, the tool's change, the post event."""
    pre, post = [], []
    for i in range(runs):
        before, after = bodies(i)
        pre.append(timed(f"git-trace hook {harness} {pre_event}", repo, before))
        append_line(repo, changed)
        post.append(timed(f"git-trace hook {harness} {post_event}", repo, after))
    return statistics.median(pre), statistics.median(post)


def codex_bench(repo, runs):
    """Codex: an apply_patch call and a Bash call, PreToolUse then PostToolUse, as formats/codex.md."""
    sid = f"bench-codex-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    common = dict(model="gpt-5.5", permission_mode="bypassPermissions")
    subprocess.run(["git-trace", "hook", "codex", "SessionStart"], input=payload(repo, sid, "SessionStart", source="startup", **common), cwd=repo, env=ENV, check=True)
    turn = str(uuid.uuid4())
    target = "d0001/f001.txt"
    patch = f"*** Begin Patch\n*** Update File: {target}\n@@\n-old\n+new\n*** End Patch\n"
    patched = f"Exit code: 0\nWall time: 0 seconds\nOutput:\nSuccess. Updated the following files:\nM {target}\n"

    def call(event, tool, command, i, response=None):
        extra = dict(turn_id=turn, tool_name=tool, tool_input={"command": command}, tool_use_id=f"call_{tool}_{i}", **common)
        if response is not None:
            extra["tool_response"] = response
        return payload(repo, sid, event, **extra)

    def pair(tool, command, response):
        return lambda i: (call("PreToolUse", tool, command, i), call("PostToolUse", tool, command, i, response))

    edit = tool_pairs(repo, runs, "codex", "PreToolUse", "PostToolUse", pair("apply_patch", patch, patched), target)
    bash = tool_pairs(repo, runs, "codex", "PreToolUse", "PostToolUse", pair("Bash", "echo x >> d0002/f001.txt", ""), "d0002/f001.txt")
    subprocess.run(["git-trace", "hook", "codex", "SessionEnd"], input=payload(repo, sid, "SessionEnd", reason="other"), cwd=repo, env=ENV, check=True)
    subprocess.run("git checkout -q -- .", cwd=repo, shell=True, env=ENV, check=True)
    return edit, bash


def pi_payload(repo, sid, event):
    """What our Pi extension (hooks/pi/git-traces.ts) sends for one Pi event."""
    return json.dumps({
        "hook_event_name": event["type"], "session_id": sid, "transcript_path": os.path.join(repo, ".git", "none.jsonl"), "cwd": repo,
        "model": {"provider": "lab", "id": "lab-model", "api": "openai-completions"}, "payload_version": 1, "event": event,
    }).encode()


def pi_bench(repo, runs):
    """Pi: an edit call and a bash call, tool_call then tool_result."""
    sid = f"bench-pi-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    subprocess.run(["git-trace", "hook", "pi", "session_start"], input=pi_payload(repo, sid, {"type": "session_start", "reason": "startup"}), cwd=repo, env=ENV, check=True)
    target = "d0001/f001.txt"

    def pair(tool, args, text, details=None):
        def bodies(i):
            call = {"toolName": tool, "toolCallId": f"call_{tool}_{i}", "input": args}
            result = dict(call, type="tool_result", content=[{"type": "text", "text": text}], isError=False)
            if details:
                result["details"] = details
            return pi_payload(repo, sid, dict(call, type="tool_call")), pi_payload(repo, sid, result)
        return bodies

    edit_args = {"path": target, "edits": [{"oldText": "old", "newText": "new"}]}
    edit = tool_pairs(repo, runs, "pi", "tool_call", "tool_result", pair("edit", edit_args, f"Successfully replaced 1 block(s) in {target}.", {"diff": "- 1 old\n+ 1 new", "firstChangedLine": 1}), target)
    bash = tool_pairs(repo, runs, "pi", "tool_call", "tool_result", pair("bash", {"command": "echo x >> d0002/f001.txt"}, ""), "d0002/f001.txt")
    subprocess.run(["git-trace", "hook", "pi", "session_shutdown"], input=pi_payload(repo, sid, {"type": "session_shutdown", "reason": "quit"}), cwd=repo, env=ENV, check=True)
    subprocess.run("git checkout -q -- .", cwd=repo, shell=True, env=ENV, check=True)
    return edit, bash


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


UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Provider-made ids of the samples: msg_lab_turn00, toolu_lab00_0, req_lab_0002, call_lab00_0, rs_lab00,
# fc_lab00_0, ctc_lab01_0, resp_lab_turn00, chatcmpl-lab-turn00, lab-signature-00.
LAB_ID_RE = re.compile(r"\b(?:msg|toolu|req|call|rs|fc|ctc|resp|chatcmpl)[_-]lab[_-]?(?:turn)?\d+(?:_\d+)?\b|\blab-signature-\d+\b")
ISO_RE = re.compile(r'"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z"')
EPOCH_MS_RE = re.compile(r'"timestamp":(\d{13})\b')
PI_ID_RE = re.compile(r'"(id|parentId)":"([0-9a-f]{8})"')
# Where each sample ran, its session id, and the start of the texts that identify a turn (the
# prompt, the final answer), which every repetition gets its own version of.
SAMPLE_META = {
    "claude": ("/tmp/harness-lab-claude/repo", "ecbef1cc-3097-4936-9b94-b6eb9d656352"),
    "codex": ("/tmp/harness-lab-codex/repo", "01a21020-9763-7df0-8a25-7056c8ede963"),
    "pi": ("/tmp/harness-lab-pi/repo", "01a21020-b85f-758d-9c9e-ff64d2eaf8bd"),
}
TURN_TEXTS = ('"The add() function', '"Fixed `add()`')
TURN_SECONDS = 5


class Turns:
    """Rewrites lines of a sample for its k-th repetition: fresh ids, later timestamps, own texts."""

    def __init__(self, harness, cwd, session):
        self.lab_cwd, self.lab_session = SAMPLE_META[harness]
        self.cwd, self.session = cwd, session or self.lab_session
        self.k = 0

    def uuid(self, u, k=None):
        k = self.k if k is None else k
        if u == self.lab_session or k == 0:
            return u
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{u}/{k}"))

    def line(self, raw):
        k = self.k
        if k:
            raw = UUID_RE.sub(lambda m: self.uuid(m[0]), raw)
            raw = LAB_ID_RE.sub(lambda m: f"{m[0]}_r{k}", raw)
            shift = datetime.timedelta(seconds=k * TURN_SECONDS)
            raw = ISO_RE.sub(lambda m: '"' + (datetime.datetime.fromisoformat(m[1]) + shift).isoformat(timespec="milliseconds") + 'Z"', raw)
            raw = EPOCH_MS_RE.sub(lambda m: f'"timestamp":{int(m[1]) + k * TURN_SECONDS * 1000}', raw)
            for text in TURN_TEXTS:
                raw = raw.replace(text, f"{text[0]}(turn {k}) {text[1:]}")
        return raw.replace(self.lab_session, self.session).replace(self.lab_cwd, self.cwd)


def build_session(harness, path, cwd, size, session=None, first=0):
    """Writes a session file of about `size` bytes (at least one turn) whose cwd is `cwd`: the
    sample, then its turns again with fresh ids (repetition `first` on), chained to what precedes
    them as the harness would write a resumed session. Returns the number of turns."""
    lines = open(SAMPLES[harness], encoding="utf-8").read().splitlines()
    t = Turns(harness, cwd, session)
    t.k = first
    out = []
    written = 0

    def emit(raw):
        nonlocal written
        out.append(raw)
        written += len(raw.encode()) + 1

    turns = 0
    if harness == "claude":
        # Every turn: the queue operations, the prompt and the exchange; the attachment listings
        # (lines 3-4) come once, at the start; the last-prompt line once, at the end.
        uuids = [json.loads(l).get("uuid") for l in lines]
        again = [0, 1, 2] + list(range(5, 18))
        prev = None
        while turns == 0 or written < size:
            for i in (range(18) if turns == 0 else again):
                raw = t.line(lines[i])
                if turns and i == 2:
                    raw = raw.replace('"parentUuid":null', f'"parentUuid":"{prev}"', 1)
                if turns and i == 5:
                    raw = raw.replace(t.uuid(uuids[4]), t.uuid(uuids[2]), 1)
                emit(raw)
            prev = t.uuid(uuids[17])
            turns += 1
            t.k += 1
        t.k -= 1
        emit(t.line(lines[18]))
    elif harness == "codex":
        # A resumed turn repeats everything but session_meta, the harness-injected messages and
        # world_state (lines 0, 2-4); ordinals keep counting.
        again = [1, 5, 6] + list(range(7, len(lines)))
        ordinal = 0
        while turns == 0 or written < size:
            for i in (range(len(lines)) if turns == 0 else again):
                emit(re.sub(r'"ordinal":\d+', f'"ordinal":{ordinal}', t.line(lines[i]), count=1))
                ordinal += 1
            turns += 1
            t.k += 1
    elif harness == "pi":
        # A resumed prompt appends the messages (lines 3-12) with new 8-hex entry ids, the first one
        # parented on the last entry so far.
        first_parent = json.loads(lines[3])["parentId"]
        counter = iter(range(0x10000000, 0xFFFFFFFF))
        prev = None
        while turns == 0 or written < size:
            ids = {}

            def entry(m):
                old = m[2]
                if turns and m[1] == "parentId" and old == first_parent:
                    return f'"parentId":"{prev}"'
                if t.k == 0:
                    return m[0]
                if old not in ids:
                    ids[old] = f"{next(counter):08x}"
                return f'"{m[1]}":"{ids[old]}"'

            for i in (range(len(lines)) if turns == 0 else range(3, len(lines))):
                raw = t.line(lines[i])
                emit(raw if i == 0 else PI_ID_RE.sub(entry, raw))
            prev = json.loads(out[-1])["id"]
            turns += 1
            t.k += 1
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(out) + "\n")
    return turns


def fresh_repo(repo):
    shutil.rmtree(repo, ignore_errors=True)
    os.makedirs(repo)
    sh("git init -q -b main && git config user.name b && git config user.email b@example.com && echo 0 > f && git add f && git commit -qm 0", repo)


def import_bench(base, runs, mb):
    """`git trace import <harness> FILE` of a ~mb MB session into a fresh repository: seconds, MB/s."""
    repo = os.path.realpath(os.path.join(base, "import", "repo"))
    out = []
    for harness in ("claude", "codex", "pi"):
        path = os.path.join(base, "import", f"{harness}-session.jsonl")
        turns = build_session(harness, path, repo, int(mb * 1e6))
        size = os.path.getsize(path) / 1e6
        samples, said = [], ""
        for _ in range(runs):
            fresh_repo(repo)
            t = time.perf_counter()
            said = sh(["git", "trace", "import", harness, path], repo).stdout.decode().strip()
            samples.append(time.perf_counter() - t)
        counts = re.search(r"\((\d+) new records, (\d+) steps\)", said)
        out.append((harness, size, turns, counts.groups() if counts else ("?", "?"), statistics.median(samples)))
    return out


def import_all_bench(base, runs, sessions):
    """`git trace import --all` over a HOME with `sessions` small sessions of the three harnesses,
    every other one run in another directory: (sessions of this repository, imported, seconds)."""
    root = os.path.realpath(os.path.join(base, "import-all"))
    repo, elsewhere, home = (os.path.join(root, d) for d in ("repo", "elsewhere", "home"))
    shutil.rmtree(home, ignore_errors=True)
    mine = 0
    for i in range(sessions):
        harness = ("claude", "codex", "pi")[i % 3]
        here = i % 2 == 0
        mine += here
        cwd = repo if here else elsewhere
        sid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"import-all/{i}"))
        if harness == "claude":
            path = os.path.join(home, ".claude", "projects", cwd.replace("/", "-").replace(".", "-"), f"{sid}.jsonl")
        elif harness == "codex":
            path = os.path.join(home, ".codex", "sessions", "2026", "11", "25", f"rollout-2026-11-25T00-35-01-{sid}.jsonl")
        else:
            path = os.path.join(home, ".pi", "agent", "sessions", "--" + cwd.lstrip("/").replace("/", "-") + "--", f"2026-11-25T00-35-09-536Z_{sid}.jsonl")
        build_session(harness, path, cwd, 0, session=sid, first=i + 1)
    env = {k: v for k, v in ENV.items() if k not in ("CLAUDE_CONFIG_DIR", "CODEX_HOME", "PI_CODING_AGENT_DIR")}
    env["HOME"] = home
    samples, said = [], ""
    for _ in range(runs):
        fresh_repo(repo)
        t = time.perf_counter()
        said = subprocess.run(["git", "trace", "import", "--all"], cwd=repo, env=env, check=True, capture_output=True).stdout.decode()
        samples.append(time.perf_counter() - t)
    done = re.search(r"(\d+) session\(s\) imported", said)
    return mine, int(done[1]) if done else -1, statistics.median(samples)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=100_000, help="files in the large repository (default 100000)")
    ap.add_argument("--runs", type=int, default=21, help="samples per median (default 21)")
    ap.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts to run (default all: {','.join(PARTS)})")
    ap.add_argument("--import-mb", type=float, default=20, help="size of each session file imported (default 20)")
    ap.add_argument("--import-runs", type=int, default=3, help="fresh-repository imports per median (default 3)")
    ap.add_argument("--sessions", type=int, default=200, help="small sessions in the HOME of import --all (default 200)")
    args = ap.parse_args()
    only = {p.strip() for p in args.only.split(",") if p.strip()}
    if only - set(PARTS):
        ap.error(f"unknown part(s) {', '.join(sorted(only - set(PARTS)))}; parts: {', '.join(PARTS)}")
    if not os.path.exists(os.path.join(BIN, "git-trace")):
        sys.exit(f"build first: cargo build --release (looked in {BIN})")
    base = os.environ.get("BENCH_DIR", os.path.expanduser("~/.cache/git-traces-bench"))
    os.makedirs(base, exist_ok=True)
    repos = [(label, files, os.path.join(base, f"repo-{files}")) for label, files in (("small (1k)", 1_000), (f"large ({args.files // 1000}k)", args.files))]
    if only & {"claude", "codex", "pi"}:
        for _, files, repo in repos:
            make_repo(repo, files)
    if "claude" in only:
        print(f"{'repository':<14} {'git status':>11} {'Edit hook':>10}  {'ratio':>6} {'Bash hook':>10} {'ratio':>6}")
        for label, files, repo in repos:
            status, edit, bash = hook_bench(repo, args.runs)
            print(f"{label:<14} {status:>8.1f} ms {edit:>7.1f} ms{over(ms=edit)} {edit / status:>6.2f} {bash:>7.1f} ms {bash / status:>6.2f}{over(ratio=bash / status)}")
    harnesses = [h for h in ("codex", "pi") if h in only]
    if harnesses:
        if "claude" in only:
            print()
        print("Codex and Pi tool calls, each event (edit: Codex apply_patch, Pi edit; bash: Codex Bash, Pi bash):")
        print(f"{'harness':<7} {'repository':<14} {'git status':>11} {'edit pre':>10}  {'ratio':>6} {'edit post':>10}  {'ratio':>6} {'bash pre':>10} {'ratio':>6}  {'bash post':>10} {'ratio':>6}")
        for label, files, repo in repos:
            for harness in harnesses:
                status = median(args.runs, "git status --porcelain", repo, before="echo x >> d0003/f001.txt")
                (edit_pre, edit_post), (bash_pre, bash_post) = (codex_bench if harness == "codex" else pi_bench)(repo, args.runs)
                cells = [f"{ms:>7.1f} ms{over(ms=ms)} {ms / status:>6.2f}" for ms in (edit_pre, edit_post)]
                cells += [f"{ms:>7.1f} ms {ms / status:>6.2f}{over(ratio=ms / status)}" for ms in (bash_pre, bash_post)]
                print(f"{harness:<7} {label:<14} {status:>8.1f} ms " + " ".join(cells))
    if only & {"claude", "codex", "pi"}:
        direct = median(args.runs, "git-trace --version", base)
        via_git = median(args.runs, "git trace --version", base)
        print(f"(! = over budget. Hooks timed as `git-trace hook ...`; the `git trace hook ...` agents run adds git's dispatch: +{via_git - direct:.1f} ms)")
    if "commit" in only:
        plain, wired = post_commit_bench(base, args.runs)
        print(f"\ngit commit: {plain:.1f} ms plain, {wired:.1f} ms with git-traces hooks and no session (+{wired - plain:.1f} ms)")
    if "seal" in only:
        print("\nStop (import + seal) after 10 more events:")
        for n, ms in seal_bench(base, [10, 100, 500, 1000]):
            print(f"  session of {n:>5} events: {ms:6.1f} ms")
    if "import" in only:
        print(f"\nimport into a fresh repository (median of {args.import_runs}):")
        for harness, size, turns, (records, steps), secs in import_bench(base, args.import_runs, args.import_mb):
            print(f"  {harness:<7} {size:5.1f} MB {turns:>6} turns {records:>7} records {steps:>7} steps {secs:7.2f} s {size / secs:6.1f} MB/s")
        mine, imported, secs = import_all_bench(base, args.import_runs, args.sessions)
        warn = "" if imported == mine else f"  (expected {mine}!)"
        print(f"  import --all: {args.sessions} sessions in HOME, {mine} of this repository: {imported} imported in {secs:.2f} s, {imported / secs:.1f} sessions/s{warn}")

if __name__ == "__main__":
    main()
