// The HAProxy stats page as CSV (`/stats;csv`): per proxy and server, the health status the checks
// decided. Routing tests poll it to time how fast an instance is marked DOWN and UP again.

export interface StatsRow {
  readonly proxy: string;
  readonly server: string;
  /** `UP`, `DOWN`, `UP 1/3` (up, failing), `DOWN 1/2` (down, recovering), `MAINT`, `no check`, … */
  readonly status: string;
  readonly weight: string;
  /** `stot`: sessions (connections) this proxy or server has handled since start. */
  readonly sessions: number;
}

export interface StatsEndpoint {
  /** `http://127.0.0.1:<port>/stats` */
  readonly url: string;
  /** `user:password` for basic auth, when the page has it. */
  readonly credentials?: string;
}

export async function fetchStats(endpoint: StatsEndpoint): Promise<StatsRow[]> {
  const headers: Record<string, string> = {};
  if (endpoint.credentials !== undefined) {
    headers.authorization = `Basic ${Buffer.from(endpoint.credentials).toString("base64")}`;
  }
  const res = await fetch(`${endpoint.url};csv`, { headers, signal: AbortSignal.timeout(2_000) });
  if (res.status !== 200) throw new Error(`${endpoint.url};csv answered ${res.status}`);
  return parseStatsCsv(await res.text());
}

/** Columns 0, 1, 7, 17, 18 of HAProxy's CSV: pxname, svname, stot, status, weight. Internal. Exported for testing. */
export function parseStatsCsv(text: string): StatsRow[] {
  return text
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => line.split(","))
    .map((f) => ({
      proxy: f[0] ?? "",
      server: f[1] ?? "",
      status: f[17] ?? "",
      weight: f[18] ?? "",
      sessions: Number(f[7] ?? 0) || 0,
    }));
}

/** Whether a status string means the checks have marked the server down (recovering still counts). */
export function isMarkedDown(status: string): boolean {
  return status.startsWith("DOWN");
}

export function isMarkedUp(status: string): boolean {
  return status.startsWith("UP");
}

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
    const rows = await fetchStats(endpoint).catch(() => []);
    const row = rows.find((r) => r.proxy === proxy && r.server === server);
    if (row && predicate(row.status)) return Date.now() - since;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return undefined;
}

/** Sessions per server (`proxy/server`) of the given backends, servers only. */
export async function serverSessions(
  endpoint: StatsEndpoint,
  backends: readonly string[],
): Promise<Map<string, number>> {
  const rows = await fetchStats(endpoint);
  return new Map(
    rows
      .filter((r) => backends.includes(r.proxy) && r.server !== "FRONTEND" && r.server !== "BACKEND")
      .map((r) => [`${r.proxy}/${r.server}`, r.sessions]),
  );
}
