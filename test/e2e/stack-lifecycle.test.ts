import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { iceProxyName } from "../../infra/config/names";
import { fetchRouterStatus, statsEndpoint } from "../../infra/haproxy/stats-frontend";
import { localImages } from "../../scripts/lib/versions";
import { HlsClient } from "../support/hls";
import { eventually, publishRtmp, stopProcess } from "../support/publisher";
import { docker, removeLeftoverE2eObjects, TEST_STATS_PASSWORD, TestStack } from "../support/stack";

// A real `pulumi up` of a three-instance stack on the local Docker engine, the smoke checks it runs,
// a real RTMP publish played back as HLS through the proxy, a no-change preview, and a destroy that
// leaves nothing behind. Ports sit well away from the dev stack's so both can run on one host.
const ports = { rtmp: 21935, hls: 21888, webrtc: 21889, iceTcpBase: 21189, stats: 21404 };

describe("stack lifecycle", () => {
  let stack: TestStack;

  beforeAll(async () => {
    await removeLeftoverE2eObjects();
    stack = new TestStack("life", {
      images: localImages(),
      instances: [
        { name: "mtx-1", weight: 2 },
        { name: "mtx-2", weight: 1 },
        { name: "mtx-3", weight: 1 },
      ],
      ports,
      subnet: "10.213.201.0/24",
      hostDir: `/tmp/mediamtx-lb-e2e/life-${process.pid}`,
      health: { interval: "1s", timeout: "500ms", fall: 2, rise: 1 },
    });
    await stack.init();
  });

  afterAll(async () => {
    await stack?.destroy();
  });

  it("comes up and passes its smoke checks", async () => {
    const r = await stack.up();
    expect(r.stderr + r.stdout).not.toMatch(/error:/);
    expect(r.code).toBe(0);
    const out = await stack.outputs();
    expect(out.endpoints).toMatchObject({ hls: `http://127.0.0.1:${ports.hls}` });
    expect(out.instances).toHaveLength(3);
    expect(out.haproxyConfigSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it("lists every instance UP with its weight in every backend on the stats page", async () => {
    const auth = `Basic ${Buffer.from(`admin:${TEST_STATS_PASSWORD}`).toString("base64")}`;
    // Right after start a server can still show a transition ("UP 1/2"): wait for steady UP everywhere.
    const rows = await eventually("every server steadily UP", async () => {
      const res = await fetch(`http://127.0.0.1:${ports.stats}/stats;csv`, {
        headers: { authorization: auth },
      });
      const r = (await res.text()).split("\n").map((l) => l.split(","));
      const servers = r.filter(
        (f) => f[1] && f[1] !== "FRONTEND" && f[1] !== "BACKEND" && f[0] !== "# pxname",
      );
      return servers.length === 12 && servers.every((f) => f[17] === "UP") ? r : undefined;
    });
    const row = (backend: string, server: string) => rows.find((f) => f[0] === backend && f[1] === server);
    for (const [server, weight] of [
      ["mtx-1", "2"],
      ["mtx-2", "1"],
      ["mtx-3", "1"],
    ] as const) {
      for (const backend of ["rtmp", "hls", "webrtc"]) {
        expect(row(backend, server)?.[17], `${backend}/${server}`).toBe("UP");
        expect(row(backend, server)?.[18], `${backend}/${server} weight`).toBe(weight);
      }
      expect(row(iceProxyName(server), server)?.[17]).toBe("UP");
    }
  });

  it("plays an RTMP publish as HLS through the proxy, whichever instance took it", async () => {
    const names = ["cam/a", "cam/b", "cam/c", "cam/d"];
    const publishers = names.map((n) => publishRtmp(`rtmp://127.0.0.1:${ports.rtmp}/${n}`));
    try {
      for (const n of names) {
        const result = await eventually(
          `HLS of ${n}`,
          async () => {
            const r = await new HlsClient().play(`http://127.0.0.1:${ports.hls}/${n}/index.m3u8`);
            return r.ok ? r : undefined;
          },
          45_000,
        );
        expect(result.mediaBytes).toBeGreaterThan(0);
      }
      // The router's map (its /router status page) says where each stream lives: round-robin over
      // weights 2/1/1 must have used more than one instance for four publishes.
      const status = await fetchRouterStatus(
        statsEndpoint(stack.model.local.stats, stack.model.stats.user, TEST_STATS_PASSWORD),
      );
      const owners = new Map(status.entries.map((e) => [e.stream, e.server]));
      expect([...owners.keys()].filter((k) => names.includes(k)).sort()).toEqual(names);
      expect(new Set(names.map((n) => owners.get(n))).size).toBeGreaterThan(1);
    } finally {
      await Promise.all(publishers.map(stopProcess));
    }
  });

  it("previews no changes right after up", async () => {
    const r = await stack.preview(["--expect-no-changes"]);
    expect(r.stdout + r.stderr).not.toMatch(/error:/);
    expect(r.code).toBe(0);
  });

  it("destroy leaves no container, network or config directory behind", async () => {
    const r = await stack.destroy();
    expect(r.code).toBe(0);
    const label = `label=mediamtx-lb.stack=${stack.name}`;
    expect(await docker(["ps", "-a", "--filter", label, "--format", "{{.Names}}"])).toBe("");
    expect(await docker(["network", "ls", "--filter", label, "--format", "{{.Name}}"])).toBe("");
    expect(await docker(["volume", "ls", "--filter", label, "--format", "{{.Name}}"])).toBe("");
    expect(existsSync(stack.hostDir)).toBe(false);
  });
});
