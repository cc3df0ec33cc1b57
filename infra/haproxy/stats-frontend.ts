// The stack's stats frontend over HTTP, as the deploying host reaches it: `/stats;csv` (server states)
// and `/router` (the router's state), both behind the stats page's basic auth. The admin socket
// (runtime-api.ts) needs no password but only its owner can open it; this needs the password but works
// from anywhere the port does. Self-contained functions (global fetch, no module state), so the smoke
// checks' dynamic provider can call them after serialization.

import { parseDroppedLogs } from "./metrics";
import { parseRouterStatus, type RouterStatus } from "./router-status";
import { type HaproxyStats, parseStatCsv } from "./stats-csv";

export interface StatsEndpoint {
  /** The stats frontend, e.g. `http://127.0.0.1:8404`: the CSV is at `/stats;csv`, the router's state at `/router`. */
  readonly base: string;
  /** Authorization header (`Basic …`); absent for a stats page without auth (the seed design's). */
  readonly authorization?: string;
}

export function statsEndpoint(base: string, user: string, password: string): StatsEndpoint {
  return { base, authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` };
}

/** The body of a 200 answer; anything else (a redirect too: the stats page never sends one) throws. */
async function getText(endpoint: StatsEndpoint, path: string, timeoutMs: number): Promise<string> {
  const url = `${endpoint.base}${path}`;
  const res = await fetch(url, {
    headers: endpoint.authorization === undefined ? {} : { authorization: endpoint.authorization },
    redirect: "manual",
    signal: AbortSignal.timeout(timeoutMs),
  });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`);
  return body;
}

/** Every proxy's server and backend states from `/stats;csv`. */
export async function fetchStats(endpoint: StatsEndpoint, timeoutMs = 5000): Promise<HaproxyStats> {
  return parseStatCsv(await getText(endpoint, "/stats;csv", timeoutMs));
}

/** The router's map, counters and per-instance poll state from `/router`, checked. */
export async function fetchRouterStatus(endpoint: StatsEndpoint, timeoutMs = 5000): Promise<RouterStatus> {
  const body = await getText(endpoint, "/router", timeoutMs);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new Error(`GET ${endpoint.base}/router: not JSON: ${JSON.stringify(body.slice(0, 80))}`);
  }
  return parseRouterStatus(json);
}

/** Request-log lines the gateway dropped (`/metrics`, metrics.ts DROPPED_LOGS_METRIC). */
export async function fetchDroppedLogs(endpoint: StatsEndpoint, timeoutMs = 5000): Promise<number> {
  return parseDroppedLogs(await getText(endpoint, "/metrics", timeoutMs));
}
