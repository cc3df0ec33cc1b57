// HAProxy's statistics as text → typed rows. Pure. The admin socket's `show stat` and the stats page's
// `/stats;csv` print the same CSV, so one parser serves both transports. Columns are found by their
// header name, never by position: 2.6 and 3.0 print different column sets.

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
  readonly address: string;
}

export interface BackendStat {
  readonly backend: string;
  /** UP while at least one server is usable, else DOWN. */
  readonly status: string;
  /** Servers currently active (UP and not drained): haproxy_backend_active_servers. */
  readonly activeServers: number | undefined;
}

export interface HaproxyStats {
  readonly servers: readonly ServerStat[];
  readonly backends: readonly BackendStat[];
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
 * `show stat` / `/stats;csv` → server and backend rows, in HAProxy's order (config order). Throws when
 * the text has no CSV header or lacks a column this tool reads, naming it.
 */
export function parseStatCsv(text: string): HaproxyStats {
  const lines = text.split(/\r?\n/);
  const headerLine = lines.find((l) => l.startsWith("# "));
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
  for (const line of lines) {
    if (line === "" || line.startsWith("#")) continue;
    const fields = splitCsvLine(line);
    const get = (name: string): string => {
      const index = column.get(name);
      return index === undefined ? "" : (fields[index] ?? "");
    };
    const backend = get("pxname");
    const server = get("svname");
    if (server === "FRONTEND") continue;
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
      address: get("addr"),
    });
  }
  return { servers, backends };
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

/**
 * Whether a server takes no traffic at all: DOWN (also "DOWN 1/2", recovering) or MAINT (any
 * reason). The same rule as the router's instance_down(). "UP 1/2" (failing, not yet down), DRAIN and
 * NOLB still serve what is routed to them by owner. Internal. Exported for testing.
 */
export function isDown(status: string): boolean {
  return status.startsWith("DOWN") || status.startsWith("MAINT");
}
