// wrk (Debian's wrk 4.1): a closed-loop HTTP load generator. Each run is summarised by the Lua hook
// in wrk-report.lua as one JSON line, parsed here.
import { resolve } from "node:path";
import { mustRun } from "./process";

const WRK_REPORT_SCRIPT = resolve(__dirname, "wrk-report.lua");
const MARKER = "BENCH-WRK ";

export interface WrkOptions {
  readonly url: string;
  /** Concurrent keep-alive connections (wrk -c); 1 gives unqueued per-request latency. */
  readonly connections: number;
  readonly durationS: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** wrk -t; one thread leaves the second core to HAProxy and MediaMTX. */
  readonly threads?: number;
}

export interface WrkResult {
  readonly requests: number;
  readonly durationS: number;
  readonly rps: number;
  readonly bytesPerRequest: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Responses outside 2xx/3xx. */
  readonly non2xx3xx: number;
  /** connect + read + write errors and timeouts. */
  readonly socketErrors: number;
}

/** Internal. Exported for testing. */
export function wrkArgs(opts: WrkOptions, script = WRK_REPORT_SCRIPT): string[] {
  const headers = Object.entries(opts.headers ?? {}).flatMap(([k, v]) => ["-H", `${k}: ${v}`]);
  return [
    `-t${opts.threads ?? 1}`,
    `-c${opts.connections}`,
    `-d${opts.durationS}s`,
    "--timeout",
    "10s",
    "-s",
    script,
    ...headers,
    opts.url,
  ];
}

/** Internal. Exported for testing. Reads the hook's line out of wrk's stdout. */
export function parseWrkReport(stdout: string): WrkResult {
  const line = stdout.split("\n").find((l) => l.startsWith(MARKER));
  if (!line) throw new Error(`wrk printed no ${MARKER.trim()} line:\n${stdout.slice(-1000)}`);
  const raw = JSON.parse(line.slice(MARKER.length)) as Record<string, number>;
  const num = (key: string): number => {
    const v = raw[key];
    if (typeof v !== "number" || Number.isNaN(v)) throw new Error(`wrk report: ${key} missing in ${line}`);
    return v;
  };
  const durationS = num("durationUs") / 1e6;
  const requests = num("requests");
  return {
    requests,
    durationS,
    rps: durationS > 0 ? requests / durationS : 0,
    bytesPerRequest: requests > 0 ? num("bytes") / requests : 0,
    meanMs: num("meanUs") / 1000,
    p50Ms: num("p50Us") / 1000,
    p90Ms: num("p90Us") / 1000,
    p99Ms: num("p99Us") / 1000,
    maxMs: num("maxUs") / 1000,
    non2xx3xx: num("statusErrors"),
    socketErrors: num("connectErrors") + num("readErrors") + num("writeErrors") + num("timeouts"),
  };
}

export async function runWrk(opts: WrkOptions): Promise<WrkResult> {
  const stdout = await mustRun("wrk", wrkArgs(opts), { timeoutMs: (opts.durationS + 60) * 1000 });
  return parseWrkReport(stdout);
}
