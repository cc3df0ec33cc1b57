// The fast lane's cluster: the product's own gateway files (haproxy.cfg, the router's Lua) and
// mediamtx.yml, run as host processes on loopback instead of containers. No Docker, no Pulumi: it
// starts in about a second, so a routing bug shows up in seconds.
//
// Layout (one random 127.B.C.0/24 per run, so runs never collide with each other or the dev stack):
// - the validated model uses that /24 as its "stack subnet": instances at .10, .11, …, and HAProxy binds
//   .1 with the default ports, which is also the advertised ICE host;
// - each MediaMTX listens on its own instance address. The rendered mediamtx.yml binds `:port` (all
//   addresses, right inside a container); here every `<x>Address: :port` line gets the instance address,
//   which is the only change to the rendered files;
// - HAProxy (the host's /usr/sbin/haproxy) sees the rendered files at HAPROXY_DIR through a bind mount
//   in a private mount namespace, exactly as the gateway container does.
//
// ICE-TCP needs one more thing. MediaMTX's TCP mux files an incoming connection under the local IP it
// arrived on, and only knows the IPs of the network interfaces it saw at start-up: inside a container
// that is the container's address, which HAProxy dials. On the host, an instance address such as
// 127.B.C.10 is routed to `lo` but is not an interface address, so connections would land in a queue no
// session reads (measured: ICE never connects). Each instance address is therefore added to `lo` (/32,
// root only) before its MediaMTX starts, and removed again at the end.
//
// The gateway address (.1, where HAProxy binds and serves the publish hook) is added the same way, for
// another reason: without it, connections to 127.B.C.1 leave from 127.0.0.1 (the 127/8 route's source),
// outside the stack subnet the hook frontend accepts; with it, from 127.B.C.1 itself, as in a stack
// where instances reach the gateway from their own stack-network addresses.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { HlsVariant, LimitsModel, Model, Republish } from "../../infra/config/model";
import { validateConfig } from "../../infra/config/validate";
import { isUp } from "../../infra/haproxy/stats-csv";
import { fetchStats, statsEndpoint } from "../../infra/haproxy/stats-frontend";
import { type PasswordLookup, passwordsFrom } from "../../infra/render/credentials";
import { renderLogSinkConfig } from "../../infra/render/log-sink";
import { renderMediamtxConfig } from "../../infra/render/mediamtx";
import {
  ADMIN_SOCKET,
  HAPROXY_CONFIG,
  HAPROXY_DIR,
  HAPROXY_SECRETS,
  inHaproxyDir,
  LOG_SINK_CONFIG,
} from "../../infra/render/paths";
import { pin } from "../../scripts/lib/versions";
import { haproxyDirFiles, withDirOnHaproxyDir, writeHaproxyDir } from "./haproxy-check";
import type { Cluster, ClusterInstance, Design } from "./routing-scenarios";

const run = promisify(execFile);

export const MEDIAMTX_BINARY =
  process.env.MEDIAMTX_BINARY ??
  join(process.env.HOME ?? "/root", `.cache/mediamtx-lb/mediamtx-${pin("MEDIAMTX_VERSION")}/mediamtx`);

const STATS_PASSWORD = "fast-lane-stats";

/** One `publishers` / `readers` entry as the stack config holds it. */
export interface CredentialConfig {
  readonly user: string;
  readonly password: string;
  readonly paths?: readonly string[];
}

export interface LocalClusterOptions {
  readonly instances: readonly { readonly name: string; readonly weight: number }[];
  readonly variant: HlsVariant;
  /** Stack config values, as in Pulumi.<stack>.yaml. */
  readonly pollInterval: string;
  readonly health: {
    readonly interval: string;
    readonly timeout: string;
    readonly fall: number;
    readonly rise: number;
  };
  /**
   * Run HAProxy from this image (host network, the rendered directory mounted on HAPROXY_DIR, as the
   * gateway container does) instead of the host's /usr/sbin/haproxy: the same lane on HAProxy 3.0.
   */
  readonly haproxyImage?: string;
  /** routing.republish (default takeover). */
  readonly republish?: Republish;
  /** `limits` (default: LIMIT_DEFAULTS for every key left out). */
  readonly limits?: Partial<LimitsModel>;
  /**
   * Stack config `publishers` / `readers` ({user, password, paths?}), passwords in the clear: the stack
   * reads them as secrets; here they go straight to the validator and to credentials.lua.
   */
  readonly publishers?: readonly CredentialConfig[];
  readonly readers?: readonly CredentialConfig[];
  /**
   * Start the instances' servers yourself instead of MediaMTX (the bench's stand-ins): called with the
   * validated model before HAProxy starts, it must make each instance's API answer on its address. No
   * loopback address is added for them: binding 127/8 needs none, only MediaMTX's ICE-TCP mux does.
   */
  readonly startInstances?: (model: Model) => Promise<void>;
}

/**
 * `<key>Address: :<port>` → `<key>Address: <address>:<port>` for every listener line of a rendered
 * mediamtx.yml. Internal. Exported for testing.
 */
export function bindListeners(mediamtxYml: string, address: string): string {
  return mediamtxYml.replace(/^(\w+Address): :(\d+)$/gm, `$1: ${address}:$2`);
}

function randomLoopbackNet(): string {
  const b = 100 + Math.floor(Math.random() * 100);
  const c = 1 + Math.floor(Math.random() * 250);
  return `127.${b}.${c}`;
}

export class LocalCluster implements Cluster {
  readonly instances: readonly ClusterInstance[];
  private readonly processes = new Map<string, ChildProcess>();
  private readonly instanceLogs = new Map<string, string>();
  private haproxy: ChildProcess | undefined;
  /** The request-log sink (log-sink.cfg): the gateway's per-request lines arrive on its stdout. */
  private logSink: ChildProcess | undefined;
  private haproxyLog = "";
  private readonly addedAddresses: string[] = [];

  /** The gateway's container name when it runs from an image (for its CPU). */
  readonly haproxyContainer: string;

  private constructor(
    readonly model: Model,
    private readonly dir: string,
    private readonly haproxyImage: string | undefined,
    private readonly startInstances: ((model: Model) => Promise<void>) | undefined,
    private readonly passwords: PasswordLookup,
  ) {
    this.haproxyContainer = `mediamtx-lb-fast-haproxy-${process.pid}-${model.network.gateway.replace(/\./g, "-")}`;
    this.instances = model.instances.map((i) => ({
      name: i.name,
      weight: i.weight,
      iceTcpPort: i.iceTcpPort,
      apiUrl: `http://${i.address}:9997`,
    }));
  }

  static async launch(opts: LocalClusterOptions): Promise<LocalCluster> {
    const net = randomLoopbackNet();
    const dir = mkdtempSync(join(tmpdir(), "mediamtx-lb-fast-"));
    const model = validateConfig(
      {
        instances: opts.instances.map((i) => ({ name: i.name, weight: i.weight })),
        subnet: `${net}.0/24`,
        bindAddress: `${net}.1`,
        hostDir: dir,
        routing: {
          pollInterval: opts.pollInterval,
          ...(opts.republish === undefined ? {} : { republish: opts.republish }),
        },
        health: opts.health,
        hls: { variant: opts.variant },
        ...(opts.publishers === undefined ? {} : { publishers: opts.publishers }),
        ...(opts.readers === undefined ? {} : { readers: opts.readers }),
        ...(opts.limits === undefined ? {} : { limits: opts.limits }),
      },
      { stack: "fast", homeDir: dir, statsPasswordSet: true },
    );
    const cluster = new LocalCluster(
      model,
      dir,
      opts.haproxyImage,
      opts.startInstances,
      passwordsFrom({ publishers: opts.publishers, readers: opts.readers }),
    );
    try {
      await cluster.boot();
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  /** The product design (our haproxy.cfg + router) as the scenarios see it. */
  design(): Design {
    const { proxies } = this.model;
    return {
      label: "ours",
      host: this.model.local.host,
      ports: { rtmp: this.model.ports.rtmp, hls: this.model.ports.hls, webrtc: this.model.ports.webrtc },
      stats: statsEndpoint(this.model.local.stats, this.model.stats.user, STATS_PASSWORD),
      healthProxy: proxies.health,
      httpBackends: [proxies.hls, proxies.webrtc],
      health: {
        intervalMs: this.model.health.intervalMs,
        fall: this.model.health.fall,
        rise: this.model.health.rise,
      },
      logs: async () => this.haproxyLog,
      alive: async () => this.haproxy?.exitCode === null && this.haproxy.signalCode === null,
    };
  }

  /** `<address>:1935` of an instance (publishing straight to it, bypassing the proxy). */
  rtmpAddress(name: string): string {
    return `${this.address(name)}:1935`;
  }

  /** The gateway's Runtime API socket (ADMIN_SOCKET) as the host sees it. */
  adminSocket(): string {
    return join(this.dir, "haproxy", inHaproxyDir(ADMIN_SOCKET));
  }

  haproxyOutput(): string {
    return this.haproxyLog;
  }

  instanceOutput(name: string): string {
    return this.instanceLogs.get(name) ?? "";
  }

  async kill(name: string): Promise<void> {
    const p = this.processes.get(name);
    if (p === undefined || p.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => p.once("exit", () => resolve()));
    p.kill("SIGKILL");
    await exited;
  }

  async start(name: string): Promise<void> {
    await this.spawnInstance(name);
  }

  async stop(): Promise<void> {
    const all = [
      ...this.processes.values(),
      ...(this.haproxy ? [this.haproxy] : []),
      ...(this.logSink ? [this.logSink] : []),
    ];
    await Promise.all(
      all.map(async (p) => {
        if (p.exitCode !== null || p.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => p.once("exit", () => resolve()));
        p.kill("SIGKILL");
        await exited;
      }),
    );
    if (this.haproxyImage !== undefined) {
      await run("docker", ["rm", "-f", this.haproxyContainer, `${this.haproxyContainer}-log`]).catch(
        () => undefined,
      );
    }
    for (const address of this.addedAddresses.splice(0)) {
      await run("ip", ["addr", "del", `${address}/32`, "dev", "lo"]).catch(() => undefined);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private address(name: string): string {
    const instance = this.model.instances.find((i) => i.name === name);
    if (instance === undefined) throw new Error(`no instance ${name}`);
    return instance.address;
  }

  private async addLoopback(address: string, why: string): Promise<void> {
    await run("ip", ["addr", "add", `${address}/32`, "dev", "lo"]).catch((err: Error) => {
      throw new Error(`adding ${address} to lo (needs root, for ${why}): ${err.message}`);
    });
    this.addedAddresses.push(address);
  }

  /**
   * The host's HAProxy (or the image's, as `container`) with `dir` on HAPROXY_DIR; its stdout and stderr
   * are appended to haproxyLog, so the log holds the sink's request lines and the gateway's messages.
   */
  private spawnHaproxy(dir: string, container: string, args: readonly string[]): ChildProcess {
    const p =
      this.haproxyImage === undefined
        ? // Private mount namespace: the bind mount on HAPROXY_DIR vanishes with the process.
          spawn("unshare", withDirOnHaproxyDir(dir, args), { stdio: ["ignore", "pipe", "pipe"] })
        : // Attached `docker run`: its output is the container's; stop() removes the container.
          spawn(
            "docker",
            [
              "run",
              "--rm",
              "--name",
              container,
              "--network",
              "host",
              "--user",
              "0",
              "-v",
              `${dir}:${HAPROXY_DIR}`,
              "--entrypoint",
              "haproxy",
              this.haproxyImage,
              ...args,
            ],
            { stdio: ["ignore", "pipe", "pipe"] },
          );
    const append = (chunk: Buffer) => {
      this.haproxyLog += chunk.toString("utf8");
    };
    p.stdout?.on("data", append);
    p.stderr?.on("data", append);
    return p;
  }

  private async boot(): Promise<void> {
    await this.addLoopback(this.model.network.gateway, "the publish hook");
    if (this.startInstances !== undefined) await this.startInstances(this.model);
    for (const instance of this.startInstances === undefined ? this.model.instances : []) {
      await this.addLoopback(instance.address, "ICE-TCP");
      const config = join(this.dir, `mediamtx-${instance.name}.yml`);
      writeFileSync(config, bindListeners(renderMediamtxConfig(this.model, instance), instance.address));
      await this.spawnInstance(instance.name);
    }
    const haproxyDir = join(this.dir, "haproxy");
    mkdirSync(haproxyDir);
    writeHaproxyDir(haproxyDir, {
      ...haproxyDirFiles(this.model, STATS_PASSWORD, this.passwords),
      [inHaproxyDir(LOG_SINK_CONFIG)]: renderLogSinkConfig(this.model),
    });
    // The sink first, as the stack starts it (the gateway does not wait for it either): both processes
    // see the same directory, so the socket the sink binds in run/ is the gateway's `log` target.
    this.logSink = this.spawnHaproxy(haproxyDir, `${this.haproxyContainer}-log`, [
      "-db",
      "-f",
      LOG_SINK_CONFIG,
    ]);
    this.haproxy = this.spawnHaproxy(haproxyDir, this.haproxyContainer, [
      "-db",
      "-f",
      HAPROXY_CONFIG,
      "-f",
      HAPROXY_SECRETS,
    ]);
    const design = this.design();
    const deadline = Date.now() + 15_000;
    for (;;) {
      const stats = await fetchStats(design.stats, 2_000).catch(() => undefined);
      const servers = stats?.servers.filter((s) => s.backend === this.model.proxies.health) ?? [];
      if (servers.length === this.instances.length && servers.every((s) => isUp(s.status))) return;
      if (this.haproxy.exitCode !== null) throw new Error(`haproxy exited:\n${this.haproxyLog}`);
      if (Date.now() > deadline)
        throw new Error(`instances not UP after 15 s:\n${this.haproxyLog.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  private async spawnInstance(name: string): Promise<void> {
    const address = this.address(name);
    const p = spawn(MEDIAMTX_BINARY, [join(this.dir, `mediamtx-${name}.yml`)], {
      stdio: ["ignore", "pipe", "pipe"],
      cwd: this.dir,
    });
    const append = (chunk: Buffer) =>
      this.instanceLogs.set(name, (this.instanceLogs.get(name) ?? "") + chunk);
    p.stdout?.on("data", append);
    p.stderr?.on("data", append);
    this.processes.set(name, p);
    const deadline = Date.now() + 10_000;
    for (;;) {
      // Any answer means the API listens. Before HAProxy runs, it is 401: MediaMTX asks the publish hook
      // about api access too (authMethod: http), and the hook is not up yet.
      const ok = await fetch(`http://${address}:9997/v3/paths/list?itemsPerPage=1`, {
        signal: AbortSignal.timeout(500),
      }).then(
        (r) => r.status === 200 || r.status === 401,
        () => false,
      );
      if (ok) return;
      if (p.exitCode !== null) throw new Error(`mediamtx ${name} exited:\n${this.instanceLogs.get(name)}`);
      if (Date.now() > deadline) throw new Error(`mediamtx ${name} API not answering after 10 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
