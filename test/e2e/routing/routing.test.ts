// Routing end to end: a three-instance stack from a real `pulumi up`, real clients (ffmpeg RTMP, an
// HLS player, werift WHIP/WHEP over ICE-TCP), and next to it the seed design run by the host's HAProxy
// against the same instances. Every scenario is measured for both; ours must be at 100%, the seed's
// rates are recorded. afterAll writes the table (only when every row ran) to .run/routing.md, or to
// docs/routing.md with UPDATE_DOCS=1.
//
// Ports 22xxx and subnet 10.213.202.0/24 keep it clear of the lifecycle test (21xxx, .201), other e2e
// files and the dev stack.

import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Model } from "../../../infra/config/model";
import { validateConfig } from "../../../infra/config/validate";
import { fetchRouterStatus, statsEndpoint } from "../../../infra/haproxy/stats-frontend";
import { localImages } from "../../../scripts/lib/versions";
import {
  type Cluster,
  type Design,
  describeMeasurement,
  hostilePaths,
  killAndRestart,
  type Measurement,
  moveStream,
  publishAndPlay,
  whepReads,
  whipSessions,
} from "../../support/routing-scenarios";
import { REPO_ROOT, removeLeftoverE2eObjects, TEST_STATS_PASSWORD, TestStack } from "../../support/stack";
import { type DesignLabel, RoutingResults } from "./report";
import { SeedProxy } from "./seed-proxy";

const execFileAsync = promisify(execFile);

const PORTS = { rtmp: 22935, hls: 22888, webrtc: 22889, iceTcpBase: 22189, stats: 22404 };
const SEED_PORTS = { rtmp: 22936, hls: 22898, webrtc: 22899, ice: 22289, stats: 22414 };
const STATS = statsEndpoint(`http://127.0.0.1:${PORTS.stats}`, "admin", TEST_STATS_PASSWORD);
const POLL_INTERVAL_MS = 1_000;
const BASE_CONFIG = {
  images: localImages(),
  instances: [
    { name: "mtx-1", weight: 2 },
    { name: "mtx-2", weight: 1 },
    { name: "mtx-3", weight: 1 },
  ],
  ports: PORTS,
  subnet: "10.213.202.0/24",
  hostDir: `/tmp/mediamtx-lb-e2e/routing-${process.pid}`,
  health: { interval: "1s", timeout: "500ms", fall: 3, rise: 2 },
  routing: { pollInterval: `${POLL_INTERVAL_MS}ms` },
  hls: { variant: "lowLatency" },
};
// The measured table goes to docs/routing.md only when asked (UPDATE_DOCS=1), like golden files: a
// test run leaves the checkout clean; without it the table lands in .run/ for a look.
const REPORT =
  process.env.UPDATE_DOCS === "1"
    ? resolve(REPO_ROOT, "docs", "routing.md")
    : resolve(REPO_ROOT, ".run", "routing.md");

async function dockerOut(args: string[]): Promise<string> {
  const { stdout, stderr } = await execFileAsync("docker", args, { maxBuffer: 256 * 1024 * 1024 });
  return `${stdout}${stderr}`;
}

/** The stack's instances as the scenarios see them: API on the stack network, docker kill/start. */
function dockerCluster(model: Model): Cluster {
  return {
    instances: model.instances.map((i) => ({
      name: i.name,
      weight: i.weight,
      iceTcpPort: i.iceTcpPort,
      apiUrl: `http://${i.address}:9997`,
    })),
    kill: async (name) => {
      await dockerOut(["kill", containerOf(model, name)]);
    },
    start: async (name) => {
      await dockerOut(["start", containerOf(model, name)]);
    },
  };
}

function containerOf(model: Model, name: string): string {
  const instance = model.instances.find((i) => i.name === name);
  if (instance === undefined) throw new Error(`no instance ${name}`);
  return instance.containerName;
}

/** Our design: the stack's HAProxy container (host network), request lines from the log sink's `docker logs`. */
async function stackDesign(model: Model): Promise<Design> {
  const container = model.gateway.containerName;
  const identity = async () =>
    (
      await dockerOut([
        "inspect",
        "-f",
        "{{.State.Running}} {{.State.StartedAt}} {{.RestartCount}}",
        container,
      ])
    ).trim();
  const initial = await identity();
  return {
    label: "ours",
    host: "127.0.0.1",
    ports: { rtmp: PORTS.rtmp, hls: PORTS.hls, webrtc: PORTS.webrtc },
    stats: STATS,
    healthProxy: "hls",
    httpBackends: ["hls", "webrtc"],
    health: { intervalMs: model.health.intervalMs, fall: model.health.fall, rise: model.health.rise },
    // The log sink's stdout (it writes the gateway's request lines there): an append-only text, so later
    // lines always come after earlier ones.
    logs: async () =>
      (
        await execFileAsync("docker", ["logs", model.logSink.containerName], {
          maxBuffer: 256 * 1024 * 1024,
        })
      ).stdout,
    alive: async () => initial.startsWith("true ") && (await identity()) === initial,
  };
}

async function routerOwners(): Promise<Map<string, string>> {
  const status = await fetchRouterStatus(STATS);
  return new Map(status.entries.map((e) => [e.stream, e.server]));
}

function expectComplete(m: Measurement | undefined, what: string): void {
  expect(m, what).toBeDefined();
  if (m === undefined) return;
  expect(m.total, `${what}: nothing was counted`).toBeGreaterThan(0);
  expect(m.ok, `${what}: ${describeMeasurement(m)}`).toBe(m.total);
}

describe("routing end to end: ours next to the seed design", () => {
  const results = new RoutingResults();
  let stack: TestStack;
  let model: Model;
  let cluster: Cluster;
  let ours: Design;
  let seed: SeedProxy;
  let designs: Record<DesignLabel, Design>;

  beforeAll(async () => {
    // Only this file's leftovers: other e2e files may be running right now.
    await removeLeftoverE2eObjects("e2e-routing-");
    stack = new TestStack("routing", BASE_CONFIG);
    model = validateConfig(BASE_CONFIG, { stack: stack.name, homeDir: "/root", statsPasswordSet: true });
    cluster = dockerCluster(model);
    await stack.init();
    const up = await stack.up();
    if (up.code !== 0)
      throw new Error(`pulumi up failed:\n${up.stdout.slice(-4000)}\n${up.stderr.slice(-4000)}`);
    ours = await stackDesign(model);
    seed = await SeedProxy.start(
      "127.0.0.1",
      SEED_PORTS,
      model.instances.map((i) => ({ name: i.name, address: i.address, iceTcpPort: i.iceTcpPort })),
    );
    designs = { ours, seed: seed.design() };
  });

  afterAll(async () => {
    await seed?.stop();
    const destroyed = await stack?.destroy();
    if (destroyed && destroyed.code !== 0) console.error(`destroy failed:\n${destroyed.stderr}`);
    if (results.complete()) {
      mkdirSync(dirname(REPORT), { recursive: true });
      results.write(REPORT);
      console.log(`routing table written to ${REPORT}`);
    }
    console.log(results.summary());
  });

  it("host reaches every instance's API on the stack network (the ground truth for owners)", async () => {
    for (const i of cluster.instances) {
      const res = await fetch(`${i.apiUrl}/v3/paths/list?itemsPerPage=1`);
      expect(res.status, i.apiUrl).toBe(200);
    }
  });

  it("1-2. spreads RTMP publishes by weight; HLS lowLatency answers every request from the first", async () => {
    for (const label of ["ours", "seed"] as const) {
      const r = await publishAndPlay(designs[label], cluster, {
        prefix: `ll-${label}`,
        count: 8,
        playMs: 6_000,
        whilePublished:
          label === "ours"
            ? async (owners) => {
                // The router's status page agrees with the instances (read 1.5 polls after the last publish).
                await new Promise((r) => setTimeout(r, 1.5 * POLL_INTERVAL_MS));
                const mapped = await routerOwners();
                for (const [stream, owner] of owners) expect(mapped.get(stream), stream).toBe(owner);
              }
            : undefined,
      });
      results.record("rtmp-publish", label, r.published);
      results.record("rtmp-weights", label, r.placement);
      results.record("hls-lowlatency", label, r.hls);
      if (label === "ours") {
        expect(
          r.paths.some((p) => /_part\d+\.mp4$/.test(p)),
          "LL-HLS parts fetched",
        ).toBe(true);
      }
    }
    expectComplete(results.get("rtmp-publish", "ours"), "ours: RTMP publishes");
    expectComplete(results.get("rtmp-weights", "ours"), "ours: RTMP placement");
    expectComplete(results.get("hls-lowlatency", "ours"), "ours: HLS lowLatency");
  });

  it("3. publishes over WHIP with ICE-TCP on the owner's port, browsers (cookies) and GStreamer (none) alike", async () => {
    for (const label of ["ours", "seed"] as const) {
      const r = await whipSessions(designs[label], cluster, { prefix: `whip-${label}`, count: 12 });
      results.record("whip-cookies", label, r.cookies);
      results.record("whip-no-cookies", label, r.noCookies);
    }
    expectComplete(results.get("whip-cookies", "ours"), "ours: WHIP with cookies");
    expectComplete(results.get("whip-no-cookies", "ours"), "ours: WHIP without cookies");
  });

  it("4. reads over WHEP RTMP streams that live on non-first instances", async () => {
    for (const label of ["ours", "seed"] as const) {
      const m = await whepReads(designs[label], cluster, {
        prefix: `whep-${label}`,
        streams: 2,
        readsPerStream: 2,
      });
      results.record("whep", label, m);
    }
    expectComplete(results.get("whep", "ours"), "ours: WHEP");
  });

  it("5a. follows a stream that moves to another instance within the poll interval", async () => {
    for (const label of ["ours", "seed"] as const) {
      const r = await moveStream(designs[label], cluster, {
        stream: `move-${label}/x`,
        followWithinMs: POLL_INTERVAL_MS,
        observeMs: 5_000,
      });
      expect(r.to).not.toBe(r.from);
      results.record("move", label, r.after);
      results.recordTiming("move", label, r.lastFailureMs);
    }
    expectComplete(results.get("move", "ours"), "ours: move");
  });

  it("6. refuses hostile paths with 4xx before routing, and keeps running", async () => {
    for (const label of ["ours", "seed"] as const) {
      const m = await hostilePaths(designs[label], { existingStream: `hostile-${label}/x` });
      results.record("hostile", label, m);
    }
    expectComplete(results.get("hostile", "ours"), "ours: hostile paths");
    for (const i of cluster.instances) {
      expect((await fetch(`${i.apiUrl}/v3/paths/list?itemsPerPage=1`)).status, `${i.name} alive`).toBe(200);
    }
  });

  it("5b. marks a killed instance DOWN and a restarted one UP in time; viewers elsewhere see no failure", async () => {
    const all = await killAndRestart([ours, designs.seed], cluster, {
      prefix: "fault",
      victim: "mtx-1",
      rtmpAddress: (i) => `${model.instances.find((m) => m.name === i.name)?.address}:1935`,
    });
    for (const label of ["ours", "seed"] as const) {
      const r = all.get(label);
      if (r === undefined) continue;
      results.record("fault-down", label, r.down);
      results.record("fault-viewers", label, r.viewers);
      results.record("fault-up", label, r.up);
      results.recordTiming("down", label, r.downMs);
      results.recordTiming("up", label, r.upMs);
    }
    expectComplete(results.get("fault-down", "ours"), "ours: DOWN in time");
    expectComplete(results.get("fault-viewers", "ours"), "ours: viewers during the fault");
    expectComplete(results.get("fault-up", "ours"), "ours: UP in time");
  });

  it("2b. after `hls: {variant: mpegts}` and another up, HLS mpegts answers every request from the first", async () => {
    stack.writeConfig({ ...BASE_CONFIG, hls: { variant: "mpegts" } });
    const up = await stack.up();
    expect(up.code, up.stderr.slice(-2000)).toBe(0);
    // MediaMTX watches its config file and restarts its HLS server in place; give it a moment.
    await new Promise((r) => setTimeout(r, 2_000));
    for (const label of ["ours", "seed"] as const) {
      const r = await publishAndPlay(designs[label], cluster, {
        prefix: `ts-${label}`,
        count: 8,
        playMs: 6_000,
      });
      results.record("hls-mpegts", label, r.hls);
      if (label === "ours") {
        expect(
          r.paths.some((p) => p.endsWith("/main_stream.m3u8")),
          "mpegts playlist served",
        ).toBe(true);
        expect(
          r.paths.some((p) => p.endsWith(".ts")),
          "mpegts segments fetched",
        ).toBe(true);
      }
    }
    expectComplete(results.get("hls-mpegts", "ours"), "ours: HLS mpegts");
  });
});
