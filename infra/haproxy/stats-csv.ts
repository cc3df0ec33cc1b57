// HAProxy's statistics as text → typed rows, and what callers ask of them. Pure: no I/O, no module
// state, no references outside this file, so the smoke checks' dynamic provider (serialized into the
// state with what it calls) can use it. The admin socket's `show stat` and the stats page's `/stats;csv`
// print the same CSV, so one parser serves both transports. Columns are found by their name in the
// header line (`# pxname,svname,...`), never by position: releases add columns (3.0 prints srid,
// sess_other, ..., proto before the `-` column, where 2.6 has none of them).

/** One server line of one backend (a `show stat` row whose svname is not FRONTEND/BACKEND). */
export interface ServerStat {
  readonly backend: string;
  readonly server: string;
  /**
   * As HAProxy prints it: UP, DOWN, MAINT, DRAIN, NOLB, "no check", "UP 1/2" (failing, still UP),
   * "DOWN 1/2" (recovering, still DOWN), "MAINT (via b/s)", "MAINT (resolution)".
   */
  readonly status: string;
  /**
   * The weight set in the config or by `set server … weight` (the `uweight` column, 2.4+), falling
   * back to `weight` (the effective one, which slow start scales) where HAProxy has no uweight.
   */
  readonly weight: number | undefined;
  /** Last check result, e.g. L7OK, L4TOUT, L4CON, L7STS; HAProxy's "* " prefix (check running) removed. */
  readonly checkStatus: string;
  /** HTTP status of the last L7 check, when there was one. */
  readonly checkCode: string;
  readonly checkDurationMs: number | undefined;
  /** Human text of the last check ("Layer4 timeout", "Layer7 wrong status"). */
  readonly checkDesc: string;
  /** Seconds since the last UP/DOWN transition. */
  readonly lastChangeS: number | undefined;
  /** Current sessions on this server. */
  readonly sessions: number | undefined;
  /** Sessions (connections) this server has handled since HAProxy started (`stot`). */
  readonly sessionsTotal: number | undefined;
  readonly address: string;
}

export interface BackendStat {
  readonly backend: string;
  /** UP while at least one server is usable, else DOWN. */
  readonly status: string;
  /** Servers currently active (UP and not drained): haproxy_backend_active_servers. */
  readonly activeServers: number | undefined;
}

/** One frontend's FRONTEND row: what its abuse limits refused (infra/render/haproxy.ts, limits). */
export interface FrontendStat {
  readonly frontend: string;
  /**
   * Requests denied (`dreq`): `http-request deny` (the 429s) and `tcp-request content reject` (RTMP
   * over a limit, logged); haproxy_frontend_requests_denied_total.
   */
  readonly deniedRequests: number | undefined;
  /**
   * Connections refused at accept (`dcon`): `tcp-request connection reject` (RTMP far over a limit,
   * not logged); haproxy_frontend_denied_connections_total.
   */
  readonly deniedConnections: number | undefined;
}

export interface HaproxyStats {
  readonly servers: readonly ServerStat[];
  readonly backends: readonly BackendStat[];
  readonly frontends: readonly FrontendStat[];
}

/**
 * Splits one CSV line. HAProxy quotes a field only when it contains a comma or a quote (check_desc
 * can: "Layer7 wrong status, code: 404"), doubling embedded quotes. Internal. Exported for testing.
 */
export function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        field += char;
      }
    } else if (char === '"') {
      quoted = true;
    } else if (char === ",") {
      fields.push(field);
      field = "";
    } else {
      field += char;
    }
  }
  fields.push(field);
  return fields;
}

function toNumber(text: string | undefined): number | undefined {
  if (text === undefined || text === "") return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * `show stat` / `/stats;csv` → server, backend and frontend rows, in HAProxy's order (config order). Throws when
 * the text has no CSV header or lacks a column this tool reads, naming it.
 */
export function parseStatCsv(text: string): HaproxyStats {
  const lines = text.split(/\r?\n/);
  const headerLine = lines.find((l) => l.startsWith("# pxname,"));
  if (headerLine === undefined) {
    throw new Error(`HAProxy stats: no "# pxname,svname,..." header in ${JSON.stringify(text.slice(0, 80))}`);
  }
  const header = splitCsvLine(headerLine.slice(2));
  const column = new Map(header.map((name, i) => [name, i]));
  for (const required of ["pxname", "svname", "status", "weight"]) {
    if (!column.has(required)) throw new Error(`HAProxy stats: CSV header has no ${required} column`);
  }
  const servers: ServerStat[] = [];
  const backends: BackendStat[] = [];
  const frontends: FrontendStat[] = [];
  for (const line of lines) {
    if (line === "" || line.startsWith("#")) continue;
    const fields = splitCsvLine(line);
    const get = (name: string): string => {
      const index = column.get(name);
      return index === undefined ? "" : (fields[index] ?? "");
    };
    const backend = get("pxname");
    const server = get("svname");
    if (server === "FRONTEND") {
      frontends.push({
        frontend: backend,
        deniedRequests: toNumber(get("dreq")),
        deniedConnections: toNumber(get("dcon")),
      });
      continue;
    }
    if (server === "BACKEND") {
      backends.push({ backend, status: get("status"), activeServers: toNumber(get("act")) });
      continue;
    }
    servers.push({
      backend,
      server,
      status: get("status"),
      weight: toNumber(get("uweight")) ?? toNumber(get("weight")),
      checkStatus: get("check_status").replace(/^\* /, ""),
      checkCode: get("check_code"),
      checkDurationMs: toNumber(get("check_duration")),
      checkDesc: get("check_desc"),
      lastChangeS: toNumber(get("lastchg")),
      sessions: toNumber(get("scur")),
      sessionsTotal: toNumber(get("stot")),
      address: get("addr"),
    });
  }
  return { servers, backends, frontends };
}

/** `show info` ("Name: value" lines) → record. */
export function parseShowInfo(text: string): Readonly<Record<string, string>> {
  const info: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    info[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return info;
}

// Status predicates. HAProxy prints a server's check verdict as UP or DOWN, with "n/m" while the checks
// are moving it the other way ("UP 1/3": failing, not yet down; "DOWN 1/2": recovering), MAINT for
// maintenance, DRAIN, NOLB or "no check" otherwise.

/** Steadily UP: not "UP 1/3" (failing, on its way down). */
export function isUp(status: string | undefined): boolean {
  return status === "UP";
}

/** Steadily DOWN: not "DOWN 1/2" (recovering). */
export function isDown(status: string | undefined): boolean {
  return status?.startsWith("DOWN") === true && !status.includes("/");
}

/** On the UP side of the checks' verdict, failing or not ("UP", "UP 1/3"). */
export function isMarkedUp(status: string | undefined): boolean {
  return status?.startsWith("UP") === true;
}

/** On the DOWN side of the checks' verdict, recovering or not ("DOWN", "DOWN 1/2"). */
export function isMarkedDown(status: string | undefined): boolean {
  return status?.startsWith("DOWN") === true;
}

/**
 * Whether a server takes no traffic at all: DOWN (also "DOWN 1/2", recovering) or MAINT (any reason).
 * The same rule as the router's instance_down(). "UP 1/2" (failing, not yet down), DRAIN and NOLB still
 * serve what is routed to them by owner.
 */
export function takesNoTraffic(status: string | undefined): boolean {
  return status?.startsWith("DOWN") === true || status?.startsWith("MAINT") === true;
}

/** Status of one server in one backend, or undefined when HAProxy has no such server. */
export function serverStatus(stats: HaproxyStats, backend: string, server: string): string | undefined {
  return stats.servers.find((s) => s.backend === backend && s.server === server)?.status;
}

/** Backends that carry a server of that name (an instance's rtmp, hls, webrtc and ice_<name> entries). */
export function backendsOf(stats: HaproxyStats, server: string): string[] {
  return stats.servers.filter((s) => s.server === server).map((s) => s.backend);
}
