// What the routing tests ask of HAProxy's stats page (read through infra/haproxy/): how long until the
// checks mark an instance DOWN or UP, and which servers handled sessions.

import { serverStatus } from "../../infra/haproxy/stats-csv";
import { fetchStats, type StatsEndpoint } from "../../infra/haproxy/stats-frontend";

/** Per stats request: the page answers in milliseconds; this only bounds a hung one. */
const TIMEOUT_MS = 2_000;

/**
 * Polls every `stepMs` until `predicate(status)` holds for proxy/server; returns the ms elapsed since
 * `since` when it first did, or undefined after `timeoutMs`.
 */
export async function timeUntilStatus(
  endpoint: StatsEndpoint,
  proxy: string,
  server: string,
  predicate: (status: string) => boolean,
  since: number,
  timeoutMs: number,
  stepMs = 100,
): Promise<number | undefined> {
  const deadline = since + timeoutMs;
  while (Date.now() < deadline) {
    const stats = await fetchStats(endpoint, TIMEOUT_MS).catch(() => undefined);
    const status = stats === undefined ? undefined : serverStatus(stats, proxy, server);
    if (status !== undefined && predicate(status)) return Date.now() - since;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return undefined;
}

/** Sessions handled since start (`stot`) per server (`proxy/server`) of the given backends. */
export async function serverSessions(
  endpoint: StatsEndpoint,
  backends: readonly string[],
): Promise<Map<string, number>> {
  const stats = await fetchStats(endpoint, TIMEOUT_MS);
  return new Map(
    stats.servers
      .filter((s) => backends.includes(s.backend))
      .map((s) => [`${s.backend}/${s.server}`, s.sessionsTotal ?? 0]),
  );
}
