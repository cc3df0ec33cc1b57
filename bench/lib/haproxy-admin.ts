// HAProxy's Runtime API over the stack's admin socket (bind-mounted on the host under hostDir), used
// for task profiling: `show profiling tasks` reports CPU time per task function, which is where the
// router's poll tasks (hlua_process_task) show their cost.
import { createConnection } from "node:net";

export function adminCommand(socketPath: string, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let out = "";
    socket.setTimeout(10_000, () => socket.destroy(new Error(`admin socket: timeout on '${command}'`)));
    socket.on("connect", () => socket.write(`${command}\n`));
    socket.on("data", (d) => {
      out += d.toString("utf8");
    });
    socket.on("end", () => resolve(out));
    socket.on("error", reject);
  });
}

export interface TaskProfile {
  readonly fn: string;
  readonly calls: number;
  readonly cpuTotalMs: number;
}

const UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, ms: 1, s: 1000 };

/** "420.7us" → 0.4207 ms; "-" → 0. Internal. Exported for testing. */
export function parseDurationMs(text: string): number {
  if (text === "-") return 0;
  const m = /^([0-9.]+)(ns|us|ms|s)$/.exec(text);
  if (!m) throw new Error(`profiling: cannot read duration '${text}'`);
  return Number(m[1]) * (UNIT_MS[m[2] ?? ""] ?? Number.NaN);
}

/**
 * Rows of `show profiling tasks` (function, calls, cpu_tot, ...). One function appears once per
 * wake-up site; rows are returned as printed, summed by the caller. Internal. Exported for testing.
 */
export function parseTaskProfile(text: string): TaskProfile[] {
  const rows: TaskProfile[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s+(\S+)\s+(\d+)\s+(\S+)\s+\S+\s+\S+\s+\S+/.exec(line);
    if (!m || m[1] === "function") continue;
    rows.push({
      fn: (m[1] ?? "").replace(/\+0$/, ""),
      calls: Number(m[2]),
      cpuTotalMs: parseDurationMs(m[3] ?? ""),
    });
  }
  return rows;
}

/** Total CPU (ms) and calls of one task function across its wake-up sites. */
export function taskCpu(rows: readonly TaskProfile[], fn: string): { calls: number; cpuMs: number } {
  const mine = rows.filter((r) => r.fn === fn);
  return { calls: mine.reduce((a, r) => a + r.calls, 0), cpuMs: mine.reduce((a, r) => a + r.cpuTotalMs, 0) };
}
