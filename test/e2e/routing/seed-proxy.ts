// Runs the seed design (seed/haproxy.cfg.mustache) as a host process of /usr/sbin/haproxy next to the
// stack's own HAProxy, in front of the same instances. HAProxy on the host network reaches the stack
// network directly (the host holds the bridge's gateway address), exactly as the stack's gateway does.

import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Mustache from "mustache";
import { isUp } from "../../../infra/haproxy/stats-csv";
import { fetchStats } from "../../../infra/haproxy/stats-frontend";
import { HOST_HAPROXY } from "../../support/haproxy-check";
import type { Design } from "../../support/routing-scenarios";

/** HAProxy's defaults for a bare `check`: inter 2s, fall 3, rise 2. */
const SEED_HEALTH = { intervalMs: 2_000, fall: 3, rise: 2 } as const;

export interface SeedServer {
  readonly name: string;
  readonly address: string;
  readonly iceTcpPort: number;
}

export interface SeedPorts {
  readonly rtmp: number;
  readonly hls: number;
  readonly webrtc: number;
  readonly ice: number;
  readonly stats: number;
}

export interface SeedView {
  readonly statsBind: string;
  readonly rtmpBind: string;
  readonly hlsBind: string;
  readonly webrtcBind: string;
  readonly iceBind: string;
  readonly logFormat: string;
  readonly servers: readonly SeedServer[];
}

/** Same leading fields as ours (`%ci:%cp [%tr] %ft %b/%s`), so one parser reads both access logs. */
const SEED_LOG_FORMAT = '"%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %tsc %{+Q}r"';

export function renderSeedConfig(host: string, ports: SeedPorts, servers: readonly SeedServer[]): string {
  const view: SeedView = {
    statsBind: `${host}:${ports.stats}`,
    rtmpBind: `${host}:${ports.rtmp}`,
    hlsBind: `${host}:${ports.hls}`,
    webrtcBind: `${host}:${ports.webrtc}`,
    iceBind: `${host}:${ports.ice}`,
    logFormat: SEED_LOG_FORMAT,
    servers,
  };
  const template = readFileSync(resolve(__dirname, "seed", "haproxy.cfg.mustache"), "utf8");
  return Mustache.render(template, view, {}, { escape: String });
}

export class SeedProxy {
  private log = "";

  private constructor(
    private readonly process: ChildProcess,
    private readonly dir: string,
    private readonly host: string,
    private readonly ports: SeedPorts,
  ) {
    process.stdout?.on("data", (chunk: Buffer) => {
      this.log += chunk.toString("utf8");
    });
    process.stderr?.on("data", (chunk: Buffer) => {
      this.log += chunk.toString("utf8");
    });
  }

  static async start(host: string, ports: SeedPorts, servers: readonly SeedServer[]): Promise<SeedProxy> {
    const dir = mkdtempSync(join(tmpdir(), "mediamtx-lb-seed-"));
    const config = join(dir, "haproxy.cfg");
    writeFileSync(config, renderSeedConfig(host, ports, servers));
    const child = spawn(HOST_HAPROXY, ["-db", "-f", config], { stdio: ["ignore", "pipe", "pipe"] });
    const proxy = new SeedProxy(child, dir, host, ports);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const stats = await fetchStats(proxy.design().stats, 2_000).catch((err: Error) => err);
      const listed = stats instanceof Error ? [] : stats.servers.filter((s) => s.backend === "hls_streams");
      if (listed.length === servers.length && listed.every((s) => isUp(s.status))) return proxy;
      if (child.exitCode !== null || Date.now() > deadline) {
        await proxy.stop();
        const state =
          stats instanceof Error
            ? stats.message
            : stats.servers.map((s) => `${s.backend}/${s.server} ${s.status}`).join(", ");
        throw new Error(
          `seed haproxy did not come up (exit ${child.exitCode}; ${state}):\n${proxy.log.slice(-2000)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  design(): Design {
    return {
      label: "seed",
      host: this.host,
      ports: { rtmp: this.ports.rtmp, hls: this.ports.hls, webrtc: this.ports.webrtc },
      sharedIcePort: this.ports.ice,
      stats: { base: `http://${this.host}:${this.ports.stats}` },
      healthProxy: "hls_streams",
      httpBackends: ["hls_streams", "hls_other", "webrtc"],
      health: SEED_HEALTH,
      logs: async () => this.log,
      alive: async () => this.process.exitCode === null && this.process.signalCode === null,
    };
  }

  async stop(): Promise<void> {
    if (this.process.exitCode === null && this.process.signalCode === null) {
      const exited = new Promise<void>((r) => this.process.once("exit", () => r()));
      this.process.kill("SIGTERM");
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
