// git-traces Pi extension: capture for the Pi coding agent (0.73.x).
//
// Pi has no command hooks, so this extension forwards the lifecycle events capture needs to
// `git trace hook pi <event>` (git finds git-trace on PATH), one JSON payload on stdin:
//   {hook_event_name, session_id, transcript_path, cwd, model: {provider,id,api}|null,
//    payload_version: 1, event: <the raw Pi event>}
// plus `tools` (name, description, parameters) on before_agent_start. Tool calls go through
// tool_call and tool_result, which Pi awaits right before and right after running the tool (its
// tool_execution_* events are queued and may fire after the tool ran).
//
// `git trace init --agent pi` installs it into <repo>/.pi/extensions/, and
// `git trace uninstall --agent pi` removes it. It never blocks Pi for long and never throws into
// it: each event waits for its hook (so a tool's "before" snapshot precedes the tool and its
// "after" snapshot follows it) at most 10 s, and every failure is swallowed.
import { spawn } from "node:child_process";

const PAYLOAD_VERSION = 1;
const TIMEOUT_MS = 10_000;
const EVENTS = [
  "session_start",
  "input",
  "before_agent_start",
  "tool_call",
  "tool_result",
  "agent_end",
  "session_before_compact",
  "session_compact",
  "session_shutdown",
] as const;

/** JSON that survives cycles, functions, bigints and abort signals in Pi's event objects. */
function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, v) => {
    if (typeof v === "function" || typeof v === "symbol") return undefined;
    if (typeof v === "bigint") return v.toString();
    if (v && typeof v === "object") {
      if (typeof AbortSignal !== "undefined" && v instanceof AbortSignal) return undefined;
      if (seen.has(v)) return "[Circular]";
      seen.add(v);
    }
    return v;
  });
}

/** Runs the hook with `payload` on stdin; resolves when it exits or after TIMEOUT_MS, never rejects. */
function forward(name: string, cwd: string, payload: object): Promise<void> {
  return new Promise((resolve) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = () => {
      if (timer) clearTimeout(timer);
      resolve();
    };
    try {
      const child = spawn("git", ["trace", "hook", "pi", name], { cwd, stdio: ["pipe", "ignore", "ignore"] });
      timer = setTimeout(done, TIMEOUT_MS);
      child.on("error", done);
      child.on("exit", done);
      child.stdin?.on("error", () => {});
      child.stdin?.end(safeJson(payload));
    } catch {
      done();
    }
  });
}

/** The tools the model is offered, as far as this Pi version can tell. */
function tools(pi: any): unknown {
  try {
    return pi.getAllTools?.()?.map((t: any) => ({ name: t.name, description: t.description, parameters: t.parameters }));
  } catch {
    return undefined;
  }
}

export default function (pi: any) {
  for (const name of EVENTS) {
    pi.on(name, (event: any, ctx: any) => {
      try {
        const sm = ctx?.sessionManager;
        const m = ctx?.model;
        const cwd = ctx?.cwd ?? process.cwd();
        const payload: Record<string, unknown> = {
          hook_event_name: name,
          session_id: sm?.getSessionId?.() ?? null,
          transcript_path: sm?.getSessionFile?.() ?? null,
          cwd,
          model: m ? { provider: m.provider, id: m.id, api: m.api } : null,
          payload_version: PAYLOAD_VERSION,
          event,
        };
        if (name === "before_agent_start") payload.tools = tools(pi);
        return forward(name, cwd, payload);
      } catch {
        return undefined;
      }
    });
  }
}
