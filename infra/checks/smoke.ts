import * as pulumi from "@pulumi/pulumi";
import { isUp, serverStatus } from "../haproxy/stats-csv";
import { fetchStats, statsEndpoint } from "../haproxy/stats-frontend";
import { httpRequest } from "../lib/http-request";

// Smoke checks after the containers: an `up` that leaves a proxy unable to route fails, naming
// what failed. They re-run only when `trigger` changes (config hashes, container ids), so a no-op
// preview stays a no-op. A dynamic provider (not @pulumi/command, whose plugin cannot be built
// here), using Node's global fetch. Pulumi serializes what it calls from infra/haproxy/ into the state
// with it: those functions must stay free of module state and require Node built-ins inside themselves.

export interface SmokeInputs {
  readonly statsUrl: string;
  readonly statsUser: string;
  readonly statsPassword: string;
  readonly hlsUrl: string;
  readonly webrtcUrl: string;
  /**
   * `readers` is configured: MediaMTX asks the hook about reads, so the HLS probe (no credentials) gets
   * 401 instead of 404. Absent otherwise, so stacks without readers keep their inputs unchanged.
   */
  readonly hlsNeedsCredentials?: boolean;
  /**
   * With TLS (hlsUrl and webrtcUrl are https): the name the certificate must cover and the CA file to
   * trust (undefined: the system's CAs). Read at each run, so a renewed CA is trusted at once.
   */
  readonly tls?: { readonly serverName: string; readonly caFile: string | undefined } | undefined;
  readonly tcpPorts: readonly { readonly name: string; readonly host: string; readonly port: number }[];
  /** HAProxy backend → server names that must be UP. */
  readonly servers: Readonly<Record<string, readonly string[]>>;
  readonly trigger: string;
  readonly timeoutMs: number;
}

/** Internal. Exported for testing. Resolves with the list of passed checks or throws listing the failures. */
export async function runSmokeChecks(inputs: SmokeInputs): Promise<string[]> {
  const net = require("node:net") as typeof import("node:net");
  const stats = statsEndpoint(inputs.statsUrl, inputs.statsUser, inputs.statsPassword);
  const deadline = Date.now() + inputs.timeoutMs;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  const fs = require("node:fs") as typeof import("node:fs");
  const tls = inputs.tls && {
    serverName: inputs.tls.serverName,
    ca: inputs.tls.caFile === undefined ? undefined : fs.readFileSync(inputs.tls.caFile, "utf8"),
  };
  const get = (
    url: string,
    init: { method?: string; headers?: Record<string, string>; body?: string } = {},
  ) => httpRequest(url, { ...init, timeoutMs: 5000, tls });
  const header = (value: string | string[] | undefined): string[] =>
    value === undefined ? [] : Array.isArray(value) ? value : [value];
  const tcp = (host: string, port: number) =>
    new Promise<void>((resolve, reject) => {
      const s = net.connect({ host, port, timeout: 3000 });
      s.once("connect", () => {
        s.destroy();
        resolve();
      });
      s.once("timeout", () => {
        s.destroy();
        reject(new Error("timeout"));
      });
      s.once("error", reject);
    });

  const checks: { name: string; run: () => Promise<string | undefined> }[] = [
    {
      name: "stats requires auth",
      run: async () => {
        const r = await get(`${inputs.statsUrl}/stats`);
        return r.status === 401 ? undefined : `GET /stats without credentials answered ${r.status}, want 401`;
      },
    },
    {
      name: "every server UP",
      run: async () => {
        const current = await fetchStats(stats);
        const bad = Object.entries(inputs.servers).flatMap(([backend, names]) =>
          names
            .map((n) => [`${backend}/${n}`, serverStatus(current, backend, n) ?? "missing"] as const)
            // "UP 1/3" is a server on its way down: only a steady UP passes.
            .filter(([, s]) => !isUp(s)),
        );
        return bad.length === 0 ? undefined : `not UP: ${bad.map(([k, s]) => `${k}=${s}`).join(" ")}`;
      },
    },
    {
      name: "HLS reaches MediaMTX",
      run: async () => {
        // An unknown stream: MediaMTX answers 404 itself (after its cookieCheck redirect, which
        // sets a cookie and points back with ?cookieCheck=1); an HAProxy 503 would mean no server.
        const url = `${inputs.hlsUrl}/mediamtx-lb-smoke/index.m3u8`;
        let r = await get(url);
        const location = header(r.headers.location)[0];
        if (r.status === 302 && location) {
          const cookie = header(r.headers["set-cookie"])
            .map((c) => c.split(";")[0])
            .join("; ");
          r = await get(new URL(location, url).toString(), { headers: { cookie } });
        }
        if (r.status === 401 && inputs.hlsNeedsCredentials === true) return undefined;
        return r.status === 404 ? undefined : `GET ${url} answered ${r.status}, want MediaMTX's 404`;
      },
    },
    {
      name: "WHIP answers with WHIP_SESSION",
      run: async () => {
        const r = await get(`${inputs.webrtcUrl}/mediamtx-lb-smoke/whip`, {
          method: "POST",
          headers: { "content-type": "application/sdp" },
          body: "v=0\r\n",
        });
        const cookie = header(r.headers["set-cookie"]).join("; ");
        if (r.status >= 500) return `WHIP POST answered ${r.status}`;
        return cookie.includes("WHIP_SESSION=")
          ? undefined
          : `WHIP POST answered ${r.status} without a WHIP_SESSION cookie`;
      },
    },
    ...inputs.tcpPorts.map((p) => ({
      name: `${p.name} accepts TCP on ${p.port}`,
      run: async () => {
        try {
          await tcp(p.host, p.port);
          return undefined;
        } catch (err) {
          return `${p.name} ${p.host}:${p.port}: ${(err as Error).message}`;
        }
      },
    })),
  ];

  // Servers come UP only after `rise` good checks: retry the whole set until all pass or time runs out.
  let failures: string[] = [];
  for (;;) {
    failures = [];
    for (const c of checks) {
      try {
        const problem = await c.run();
        if (problem) failures.push(`${c.name}: ${problem}`);
      } catch (err) {
        failures.push(`${c.name}: ${(err as Error).message}`);
      }
    }
    if (failures.length === 0) return checks.map((c) => c.name);
    if (Date.now() > deadline) break;
    await sleep(1000);
  }
  throw new Error(`smoke checks failed after ${inputs.timeoutMs} ms:\n  ${failures.join("\n  ")}`);
}

const smokeProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: SmokeInputs): Promise<pulumi.dynamic.CreateResult> {
    const passed = await runSmokeChecks(inputs);
    return { id: "smoke", outs: { ...inputs, passed } };
  },
  async diff(_id: string, olds: SmokeInputs, news: SmokeInputs): Promise<pulumi.dynamic.DiffResult> {
    return { changes: olds.trigger !== news.trigger, replaces: [] };
  },
  async update(_id: string, _olds: SmokeInputs, news: SmokeInputs): Promise<pulumi.dynamic.UpdateResult> {
    const passed = await runSmokeChecks(news);
    return { outs: { ...news, passed } };
  },
};

type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

export class SmokeChecks extends pulumi.dynamic.Resource {
  declare readonly passed: pulumi.Output<string[]>;

  constructor(name: string, args: Inputs<SmokeInputs>, opts?: pulumi.CustomResourceOptions) {
    super(
      smokeProvider,
      name,
      { ...args, passed: undefined },
      { ...opts, additionalSecretOutputs: ["statsPassword"] },
    );
  }
}
