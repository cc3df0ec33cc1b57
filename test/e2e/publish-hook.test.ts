// The publish hook in a real stack (`pulumi up` on Docker): HAProxy, on the host network, serves
// MediaMTX's auth hook on the stack network's gateway address, and every instance calls it there.
// The fast lane (test/fast/publish-hook.test.ts) covers eager viewers and the API's source rule in
// detail; this proves what only Docker can: the bind on the bridge's address, instances reaching it
// from their containers, health checks passing through it (api is decided by the hook), and a takeover
// and a refusal through the stack's RTMP frontend, before and after a routing.republish change.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isUp } from "../../infra/haproxy/stats-csv";
import { fetchRouterStatus, fetchStats, statsEndpoint } from "../../infra/haproxy/stats-frontend";
import { localImages } from "../../scripts/lib/versions";
import { HlsPlayer, isAnswered } from "../support/hls-player";
import { ownersOf, waitMoved, waitReady } from "../support/instance-api";
import { eventually, publishRtmp, stopProcess } from "../support/publisher";
import type { ClusterInstance } from "../support/routing-scenarios";
import { docker, removeLeftoverE2eObjects, TEST_STATS_PASSWORD, TestStack } from "../support/stack";

const ports = { rtmp: 28935, hls: 28888, webrtc: 28889, iceTcpBase: 28189, stats: 28404 };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("publish hook (real stack)", () => {
  let stack: TestStack;
  const config = (republish: string) => ({
    images: localImages(),
    instances: [
      { name: "mtx-1", weight: 1 },
      { name: "mtx-2", weight: 1 },
      { name: "mtx-3", weight: 1 },
    ],
    ports,
    subnet: "10.213.213.0/24",
    hostDir: `/tmp/mediamtx-lb-e2e/hook-${process.pid}`,
    health: { interval: "1s", timeout: "500ms", fall: 2, rise: 1 },
    routing: { pollInterval: "1s", republish },
  });

  const instances = (): ClusterInstance[] =>
    stack.model.instances.map((i) => ({
      name: i.name,
      weight: i.weight,
      iceTcpPort: i.iceTcpPort,
      apiUrl: `http://${i.address}:9997`,
    }));
  const stats = () => statsEndpoint(stack.model.local.stats, stack.model.stats.user, TEST_STATS_PASSWORD);
  const rtmp = (stream: string) => `rtmp://127.0.0.1:${ports.rtmp}/${stream}`;
  const routedTo = async (stream: string) =>
    (await fetchRouterStatus(stats())).entries.find((e) => e.stream === stream)?.server;
  // The hook's decisions are Lua log messages: they go where the gateway's log goes, the log sink.
  const gatewayLogs = () => docker(["logs", stack.model.logSink.containerName]).catch(() => "");

  beforeAll(async () => {
    await removeLeftoverE2eObjects();
    stack = new TestStack("hook", config("takeover"));
    await stack.init();
  });

  afterAll(async () => {
    await stack?.destroy();
  });

  it("comes up: every instance UP, its health checks answered through the hook", async () => {
    const r = await stack.up();
    expect(r.stderr + r.stdout).not.toMatch(/error:/);
    expect(r.code).toBe(0);
    await eventually("every health-check server UP", async () => {
      const s = await fetchStats(stats());
      const servers = s.servers.filter((x) => x.backend === stack.model.proxies.health);
      return servers.length === 3 && servers.every((x) => isUp(x.status)) ? true : undefined;
    });
  });

  it("takes a live name over: the first publisher is kicked, one instance stays live, viewers follow", async () => {
    const stream = "cam/x";
    const first = publishRtmp(rtmp(stream));
    let second: ReturnType<typeof publishRtmp> | undefined;
    const viewer = new HlsPlayer(`${stack.model.local.hls}/${stream}/index.m3u8`, {
      cookies: true,
      retryDelayMs: 100,
    });
    try {
      const old = await waitReady(instances(), stream, 30_000);
      viewer.start();
      await sleep(2_000);
      second = publishRtmp(rtmp(stream));
      const moved = await waitMoved(instances(), stream, old.owner, 30_000);
      const routed = await eventually("the router to follow", async () =>
        (await routedTo(stream)) === moved.owner ? Date.now() : undefined,
      );
      await sleep(3_000);
      await viewer.stop();
      const after = viewer.requestsBetween(moved.readyAt);
      const followed = after.find((r) => isAnswered(r.status));
      console.log(
        `e2e takeover ${old.owner} -> ${moved.owner}: router ${routed - moved.readyAt} ms after ready,` +
          ` viewer answered +${followed ? followed.startedAt - moved.readyAt : "never"} ms,` +
          ` failures after ready ${after.filter((r) => !isAnswered(r.status)).length}/${after.length}`,
      );
      expect(moved.maxLive).toBe(1);
      expect(first.exitCode, "the first publisher was kicked").not.toBeNull();
      expect(routed - moved.readyAt).toBeLessThan(1_000);
      const late = viewer.requestsBetween(moved.readyAt + 1_000);
      expect(late.length).toBeGreaterThan(5);
      expect(late.filter((r) => !isAnswered(r.status)).map((r) => r.status)).toEqual([]);
      expect(await gatewayLogs()).toContain(`took over from ${old.owner}`);
    } finally {
      await viewer.stop();
      await stopProcess(first);
      if (second) await stopProcess(second);
    }
  }, 120_000);

  it("with routing.republish: refuse, refuses a second publish of a live name and keeps the first", async () => {
    stack.writeConfig(config("refuse"));
    const r = await stack.up();
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const stream = "cam/y";
    const first = publishRtmp(rtmp(stream));
    let second: ReturnType<typeof publishRtmp> | undefined;
    try {
      const old = await waitReady(instances(), stream, 30_000);
      second = publishRtmp(rtmp(stream));
      const p = second;
      const code = await Promise.race([
        new Promise<number | null>((resolve) => p.once("exit", (c) => resolve(c))),
        sleep(20_000).then(() => "still running"),
      ]);
      expect(code, "the second publisher was refused").not.toBe("still running");
      expect(first.exitCode, "the first publisher still runs").toBeNull();
      expect(await ownersOf(instances(), stream)).toEqual([old.owner]);
      expect(await routedTo(stream)).toBe(old.owner);
      expect(await gatewayLogs()).toContain(`stream ${stream} is live on instance ${old.owner}`);
    } finally {
      await stopProcess(first);
      if (second) await stopProcess(second);
    }
  }, 180_000);
});
