// HAProxy's task profiling, read over the stack's admin socket (infra/haproxy/runtime-api.ts):
// `show profiling tasks` reports CPU time per task function, which is where the router's poll tasks
// (hlua_process_task) show their cost.

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
