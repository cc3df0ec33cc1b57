// Counts MediaMTX control-API requests as they cross the stack's bridge, independently of the router's
// own counters: tcpdump on the host sees every request HAProxy (host network) sends to an instance's
// :9997, whether a health check, a router poll or an on-miss lookup. MediaMTX itself exposes no API
// request counter (its /metrics covers paths, muxers and connections only).
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

export type ApiCallKind = "health" | "poll" | "lookup" | "other";

export interface ApiCall {
  /** Capture time, ms since the epoch. */
  readonly at: number;
  /** Instance address. */
  readonly instance: string;
  readonly path: string;
  readonly kind: ApiCallKind;
}

/**
 * What a request is for, from its URL. Couplings: the health check URI is haproxy.cfg's
 * `http-check send ... uri /v3/paths/list?itemsPerPage=1`; polls ask for pages of PATHS_PER_PAGE
 * (infra/render/router.ts) with `&page=`; lookups use /v3/paths/get/<stream>. Internal. Exported for testing.
 */
export function classifyApiPath(path: string): ApiCallKind {
  if (path === "/v3/paths/list?itemsPerPage=1") return "health";
  if (/^\/v3\/paths\/list\?itemsPerPage=\d+&page=\d+$/.test(path)) return "poll";
  if (path.startsWith("/v3/paths/get/")) return "lookup";
  return "other";
}

const HEADER = /^(\d+)\.(\d{6}) IP \S+ > (\d+\.\d+\.\d+\.\d+)\.\d+: /;
const REQUEST = /GET (\/v3\/\S+) HTTP\/1\.[01]/;

/**
 * Line-by-line reader of `tcpdump -tt -nn -A` output: a header line per packet, then its payload as
 * text; a request line found in a payload belongs to the last header. Internal. Exported for testing.
 */
export class TcpdumpParser {
  readonly calls: ApiCall[] = [];
  private at = 0;
  private instance = "";

  push(line: string): void {
    const header = HEADER.exec(line);
    if (header) {
      this.at = Number(header[1]) * 1000 + Math.floor(Number(header[2]) / 1000);
      this.instance = header[3] ?? "";
      return;
    }
    const request = REQUEST.exec(line);
    if (request && this.instance) {
      const path = request[1] ?? "";
      this.calls.push({ at: this.at, instance: this.instance, path, kind: classifyApiPath(path) });
    }
  }
}

export interface ApiCapture {
  /** Stops tcpdump and returns every request seen. */
  stop(): Promise<ApiCall[]>;
}

/** Starts tcpdump on `iface` for GET requests to port 9997; resolves once it is listening. */
export async function startApiCapture(iface: string): Promise<ApiCapture> {
  // The BPF expression matches TCP payloads that start with "GET " (0x47455420), so only request
  // heads are printed, not response bodies.
  const filter = "tcp dst port 9997 and (tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420)";
  const child: ChildProcess = spawn("tcpdump", ["-i", iface, "-l", "-tt", "-nn", "-A", "-s", "0", filter], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const parser = new TcpdumpParser();
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  lines.on("line", (l) => parser.push(l));
  const closed = new Promise<void>((resolve) => lines.once("close", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    let err = "";
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
      if (err.includes("listening on")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`tcpdump exited ${code}: ${err.trim()}`)));
  });
  return {
    async stop() {
      if (child.exitCode === null) {
        // tcpdump flushes what it has printed on SIGINT; wait for stdout to close.
        child.kill("SIGINT");
        await closed;
      }
      return parser.calls;
    },
  };
}

export function countByKind(calls: readonly ApiCall[]): Record<ApiCallKind, number> {
  const out: Record<ApiCallKind, number> = { health: 0, poll: 0, lookup: 0, other: 0 };
  for (const c of calls) out[c.kind]++;
  return out;
}
