// HAProxy's stats CSV (`/stats;csv` on the stack's stats frontend) and the router's `/router` JSON.

export type StatsRow = Readonly<Record<string, string>>;

/** Internal. Exported for testing. The header line names the columns ("# pxname,svname,..."). */
export function parseStatsCsv(text: string): StatsRow[] {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const header = lines[0];
  if (!header?.startsWith("# ")) throw new Error("stats CSV: no '# pxname,...' header line");
  const names = header.slice(2).split(",");
  return lines.slice(1).map((line) => {
    const cells = line.split(",");
    return Object.fromEntries(names.map((name, i) => [name, cells[i] ?? ""]));
  });
}

/** Status of one server in one backend ("UP", "DOWN", "UP 1/3", "DOWN 1/2", "MAINT"...), or undefined. */
export function serverStatus(rows: readonly StatsRow[], backend: string, server: string): string | undefined {
  return rows.find((r) => r.pxname === backend && r.svname === server)?.status;
}

/** Backends that carry a server of that name (the instance's rtmp/hls/webrtc/ice_<name> entries). */
export function backendsOf(rows: readonly StatsRow[], server: string): string[] {
  return rows.filter((r) => r.svname === server).map((r) => r.pxname ?? "");
}

export const isDown = (status: string | undefined): boolean =>
  status?.startsWith("DOWN") === true && !status.includes("/");
export const isUp = (status: string | undefined): boolean => status === "UP";

export interface StatsClient {
  readonly base: string;
  readonly authorization: string;
}

export function statsClient(base: string, user: string, password: string): StatsClient {
  return { base, authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` };
}

export async function fetchStats(client: StatsClient): Promise<StatsRow[]> {
  const res = await fetch(`${client.base}/stats;csv`, {
    headers: { authorization: client.authorization },
    signal: AbortSignal.timeout(5000),
  });
  if (res.status !== 200) throw new Error(`stats CSV: HTTP ${res.status}`);
  return parseStatsCsv(await res.text());
}

export interface RouterStatus {
  readonly counters: {
    readonly polls: number;
    readonly pollErrors: number;
    readonly lookups: number;
    readonly lookupHits: number;
    readonly misses: number;
    readonly learned: number;
    readonly mapSize: number;
  };
  readonly instances: readonly {
    readonly name: string;
    readonly claimed: number;
    readonly pollOk: boolean;
  }[];
}

export async function fetchRouterStatus(client: StatsClient): Promise<RouterStatus> {
  const res = await fetch(`${client.base}/router`, {
    headers: { authorization: client.authorization },
    signal: AbortSignal.timeout(5000),
  });
  if (res.status !== 200) throw new Error(`/router: HTTP ${res.status}`);
  return (await res.json()) as RouterStatus;
}
