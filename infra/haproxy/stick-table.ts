// The Runtime API's `show table <name>` (runtime-api.ts sends it) → typed rows. Pure. The abuse limits'
// tables (infra/render/haproxy.ts) are the frontends' own, named after them (hls, webrtc, rtmp).
//
// What HAProxy prints (2.6 and 3.0; 3.0 adds `shard=0` to each row, test/unit/status/fixtures/show-table-*):
//   # table: hls, type: ip, size:102400, used:3
//   0x55c418fda4e0: key=127.0.0.2 use=0 exp=28090 conn_cur=0 http_req_rate(10000)=9
// With a filter (`show table hls data.http_req_rate gt 2000`) only matching rows follow, while the
// header's `used` still counts every row. A table that does not exist answers "No such table".

/** One tracked key (a client address) and its stored counters. */
export interface StickTableEntry {
  readonly key: string;
  /** Streams using the row now (its open connections): a row in use never expires. */
  readonly use: number;
  /** Milliseconds until the row expires. */
  readonly expiresInMs: number;
  /** Counter → value, by name without the period: `http_req_rate`, `conn_cur`, `conn_rate`. */
  readonly data: Readonly<Record<string, number>>;
}

export interface StickTable {
  readonly table: string;
  readonly type: string;
  readonly size: number;
  /** Rows in the table (every tracked address), regardless of a filter. */
  readonly used: number;
  /** The rows printed (all, or those the filter matched), in HAProxy's order. */
  readonly entries: readonly StickTableEntry[];
}

const HEADER = /^# table: ([^,]+), type: ([^,]+), size:(\d+), used:(\d+)/;

/**
 * `show table <name> [data.<counter> <op> <value>]` → the table, or throws naming what HAProxy said
 * ("No such table", "Unknown data type", a permission error).
 */
export function parseShowTable(text: string): StickTable {
  const lines = text.split(/\r?\n/);
  const header = lines.map((l) => HEADER.exec(l)).find((m) => m !== null);
  if (header === undefined || header === null) {
    const said = text.trim().split("\n")[0] ?? "";
    throw new Error(`show table: ${said === "" ? "empty answer" : JSON.stringify(said.slice(0, 120))}`);
  }
  const entries: StickTableEntry[] = [];
  for (const line of lines) {
    const colon = line.indexOf(": key=");
    if (!line.startsWith("0x") || colon < 0) continue;
    let key = "";
    let use = 0;
    let expiresInMs = 0;
    const data: Record<string, number> = {};
    for (const field of line.slice(colon + 2).split(" ")) {
      const eq = field.indexOf("=");
      if (eq <= 0) continue;
      const name = field.slice(0, eq);
      const value = field.slice(eq + 1);
      if (name === "key") key = value;
      else if (name === "use") use = Number(value);
      else if (name === "exp") expiresInMs = Number(value);
      else if (name === "shard") continue;
      else data[name.replace(/\(\d+\)$/, "")] = Number(value);
    }
    entries.push({ key, use, expiresInMs, data });
  }
  return {
    table: header[1] ?? "",
    type: header[2] ?? "",
    size: Number(header[3]),
    used: Number(header[4]),
    entries,
  };
}

/** The Runtime API command listing the rows of `table` whose `counter` is above `limit`. */
export function showTableOverCommand(table: string, counter: string, limit: number): string {
  return `show table ${table} data.${counter} gt ${limit}`;
}
