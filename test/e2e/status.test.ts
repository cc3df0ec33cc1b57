import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { iceProxyName } from "../../infra/config/names";
import { haproxySnapshot } from "../../infra/status/collect";
import type { StatusReport } from "../../infra/status/report";
import { localImages } from "../../scripts/lib/versions";
import { HlsClient } from "../support/hls";
import { eventually, publishRtmp, stopProcess } from "../support/publisher";
import { docker, removeLeftoverE2eObjects, TEST_STATS_PASSWORD, TestStack } from "../support/stack";
import { runStatus, statusReport } from "../support/status-cli";

// scripts/status against a real three-instance stack: "not up" before the first `up`, a healthy
// screen, a stream on every instance with a live HLS reader, the router's counters under a scripted
// publish/unpublish and an HLS miss, an instance stopped with `docker stop`, and "not up" again when
// Docker lost the containers. Ports and subnet are this test's own (24xxx, 10.213.204.0/24).
const ports = { rtmp: 24935, hls: 24888, webrtc: 24889, iceTcpBase: 24189, stats: 24404 };
const subnet = "10.213.204";
const INSTANCES = ["mtx-1", "mtx-2", "mtx-3"];
const BACKEND_COLUMNS = ["rtmp", "hls", "webrtc"];

/** Stream → instances where MediaMTX itself says it is ready, asked directly (not through the status). */
async function placementFromApi(): Promise<Map<string, string[]>> {
  const placement = new Map<string, string[]>();
  for (const [i, name] of INSTANCES.entries()) {
    const res = await fetch(`http://${subnet}.${10 + i}:9997/v3/paths/list`, {
      signal: AbortSignal.timeout(2000),
    }).catch(() => undefined);
    if (!res?.ok) continue;
    const body = (await res.json()) as { items: { name: string; ready: boolean }[] };
    for (const p of body.items) if (p.ready) placement.set(p.name, [...(placement.get(p.name) ?? []), name]);
  }
  return placement;
}

/** An HLS viewer that keeps re-fetching, so MediaMTX lists a reader for the stream. */
function startViewer(stream: string): { stop: () => Promise<void> } {
  let running = true;
  const client = new HlsClient();
  const loop = (async () => {
    while (running) {
      await client.play(`http://127.0.0.1:${ports.hls}/${stream}/index.m3u8`).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

describe("scripts/status", () => {
  let stack: TestStack;
  const publishers = new Map<string, ChildProcess>();
  const streams = ["cam/a", "cam/b", "cam/c", "cam/d"];

  beforeAll(async () => {
    // Only this test's own leftovers: other e2e files may be running their stacks right now.
    await removeLeftoverE2eObjects("e2e-status-");
    stack = new TestStack("status", {
      images: localImages(),
      instances: [
        { name: "mtx-1", weight: 2 },
        { name: "mtx-2", weight: 1 },
        { name: "mtx-3", weight: 1 },
      ],
      ports,
      subnet: `${subnet}.0/24`,
      hostDir: `/tmp/mediamtx-lb-e2e/status-${process.pid}`,
      health: { interval: "1s", timeout: "500ms", fall: 2, rise: 1 },
    });
    await stack.init();
  });

  afterAll(async () => {
    await Promise.all([...publishers.values()].map(stopProcess));
    await stack?.destroy();
  });

  it("says in one line that a stack without state is not up", async () => {
    const r = await runStatus([`e2e-status-nosuch-${randomBytes(2).toString("hex")}`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^stack e2e-status-nosuch-\w+ is not up: it has no Pulumi state \(.*\)\n$/);
  });

  it("says in one line that a stack never brought up is not up", async () => {
    const r = await runStatus([stack.name]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `stack ${stack.name} is not up: its state has no deployment (bring it up with scripts/up ${stack.name})\n`,
    );
  });

  it("shows a healthy stack after up: every container running, every server UP, no problems", async () => {
    const up = await stack.up();
    expect(up.code, up.stderr + up.stdout).toBe(0);
    const healthy = await eventually("a report without problems", async () => {
      const r = await statusReport(stack.name);
      return r.problems.length === 0 ? r : undefined;
    });
    expect(healthy.instances.map((i) => [i.name, i.container.state, i.weight])).toEqual([
      ["mtx-1", "running", { deployed: 2, haproxy: 2 }],
      ["mtx-2", "running", { deployed: 1, haproxy: 1 }],
      ["mtx-3", "running", { deployed: 1, haproxy: 1 }],
    ]);
    for (const i of healthy.instances) {
      expect(i.backends.map((b) => [b.backend, b.status])).toEqual([
        ...BACKEND_COLUMNS.map((b) => [b, "UP"]),
        [iceProxyName(i.name), "UP"],
      ]);
      expect(i.router?.pollOk).toBe(true);
      expect(i.metricsUrl).toMatch(/^http:\/\/10\.213\.204\.\d+:9998\/metrics$/);
    }
    expect(healthy.haproxy).toMatchObject({ via: "admin socket", error: null });
    // A user who cannot open the admin socket still gets server states, from the stats page's CSV.
    const auth = `Basic ${Buffer.from(`admin:${TEST_STATS_PASSWORD}`).toString("base64")}`;
    const fallback = await haproxySnapshot("/nonexistent/admin.sock", `http://127.0.0.1:${ports.stats}`, {
      ok: true,
      value: auth,
    });
    expect(fallback.via).toBe("stats page");
    expect(fallback.stats.servers.map((s) => `${s.backend}/${s.server}=${s.status}`).sort()).toEqual(
      healthy.instances.flatMap((i) => i.backends.map((b) => `${b.backend}/${i.name}=UP`)).sort(),
    );
    expect(healthy.router.error).toBeNull();
    // The documented MediaMTX metrics endpoint answers from the host (stack network, not published).
    const metrics = await fetch(healthy.instances[0]?.metricsUrl ?? "");
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/^paths \d+$/m);

    const text = await runStatus([stack.name]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      /^INSTANCE +CONTAINER +ADDRESS +WEIGHT +RTMP +HLS +WEBRTC +ICE +CHECK +POLL +STREAMS +READERS$/m,
    );
    for (const name of INSTANCES) {
      expect(text.stdout).toMatch(
        new RegExp(`^${name} +running \\S+ +10\\.213\\.204\\.\\d+ +\\d +UP +UP +UP +UP +L7OK 200`, "m"),
      );
    }
    expect(text.stdout).toContain("\nno problems found\n");
  });

  it("shows where each stream lives (one on every instance), who reads it and the router's map", async () => {
    // Through the proxy: weighted round-robin places them. An instance it left without a stream gets
    // one published at its own address (the host reaches the stack network), so every instance has one.
    for (const s of streams) publishers.set(s, publishRtmp(`rtmp://127.0.0.1:${ports.rtmp}/${s}`));
    const placed = await eventually("the proxied publishes live", async () => {
      const p = await placementFromApi();
      return streams.every((s) => p.has(s)) ? p : undefined;
    });
    for (const [i, name] of INSTANCES.entries()) {
      if ([...placed.values()].some((owners) => owners.includes(name))) continue;
      const direct = `cam/direct-${name}`;
      streams.push(direct);
      publishers.set(direct, publishRtmp(`rtmp://${subnet}.${10 + i}:1935/${direct}`));
    }
    streams.sort();
    const mappedAll = (r: StatusReport) =>
      streams.every((s) => {
        const row = r.streams.find((x) => x.name === s);
        return row?.liveOn.length === 1 && row.routedTo === row.liveOn[0];
      });
    // The publish hook maps them as they start (the poll confirms); no viewer is needed for that.
    await eventually("every stream live and mapped to where it lives", async () =>
      mappedAll(await statusReport(stack.name)) ? true : undefined,
    );
    const viewer = startViewer("cam/a");
    try {
      const r = await eventually(
        "a reader on cam/a",
        async () => {
          const r = await statusReport(stack.name);
          const read = (r.streams.find((x) => x.name === "cam/a")?.readers.length ?? 0) > 0;
          return read && mappedAll(r) ? r : undefined;
        },
        60_000,
      );
      const placement = await placementFromApi();
      for (const s of streams) {
        const row = r.streams.find((x) => x.name === s);
        expect(row?.liveOn, s).toEqual(placement.get(s));
        // RTMP publishes are routed by the publish hook when they start; the poll only confirms them.
        expect(row).toMatchObject({ routeSource: "push", publisher: "rtmpConn", problems: [] });
        expect(row?.tracks).toContain("H264");
      }
      expect(new Set(r.streams.map((s) => s.routedTo))).toEqual(new Set(INSTANCES));
      expect(r.streams.find((s) => s.name === "cam/a")?.readers[0]?.type).toBe("hlsSession");
      expect(r.router.counters?.mapSize).toBe(streams.length);
      for (const i of r.instances) {
        expect(i.streams).toEqual(streams.filter((s) => placement.get(s)?.includes(i.name)));
      }
      expect(r.problems).toEqual([]);
      // Abuse limits at their defaults: every table read over the admin socket, the address the
      // proxied publishes and the viewer come from tracked, nobody over a limit.
      expect(r.limits.map((l) => [l.frontend, l.error, l.overLimit])).toEqual([
        ["hls", null, 0],
        ["webrtc", null, 0],
        ["rtmp", null, 0],
      ]);
      expect(r.limits.find((l) => l.frontend === "hls")?.trackedAddresses).toBeGreaterThanOrEqual(1);
      expect(r.limits.find((l) => l.frontend === "rtmp")?.trackedAddresses).toBe(1);

      const text = (await runStatus([stack.name])).stdout;
      expect(text).toMatch(/^FRONTEND +LIMITS +DENIED +REFUSED +TRACKED +OVER LIMIT$/m);
      expect(text).toMatch(/^rtmp +20 conns, 60 conns\/10s +0 +0 +1 +0$/m);
      expect(text).toMatch(/^STREAM +ROUTED TO +BY +MAPPED +LIVE ON +PUBLISHER +TRACKS +READERS$/m);
      for (const s of streams) {
        const owner = placement.get(s)?.[0] ?? "?";
        expect(text).toMatch(new RegExp(`^${s} +${owner} +push +\\S+ +${owner} +rtmpConn +H264`, "m"));
      }
      expect(text).toMatch(/^cam\/a .* \d+ hlsSession$/m);
    } finally {
      await viewer.stop();
    }
  });

  it("moves the router's counters as expected under a scripted publish, HLS miss and unpublish", async () => {
    const before = await statusReport(stack.name);
    const c0 = before.router.counters;
    if (c0 === null) throw new Error("no router counters");

    // Publish: the publish hook maps it as it starts (no lookup, nothing learned: RTMP has no 201).
    const extra = `status/extra-${randomBytes(2).toString("hex")}`;
    publishers.set(extra, publishRtmp(`rtmp://127.0.0.1:${ports.rtmp}/${extra}`));
    const mapped = await eventually(`${extra} in the map`, async () => {
      const r = await statusReport(stack.name);
      return r.streams.find((s) => s.name === extra && s.routedTo !== null) ? r : undefined;
    });
    const c1 = mapped.router.counters;
    expect(c1?.mapSize).toBe((c0.mapSize ?? 0) + 1);
    expect(c1?.polls).toBeGreaterThan(c0.polls ?? 0);
    expect(c1?.pollErrors).toBe(c0.pollErrors);
    expect(c1?.learned).toBe(c0.learned);
    expect(mapped.streams.find((s) => s.name === extra)?.routeSource).toBe("push");
    expect(c1?.lastPollAgeMs).toBeLessThan(5000);

    // An HLS request for a stream nobody publishes: one on-miss lookup that finds nothing.
    const ghost = `status/ghost-${randomBytes(2).toString("hex")}`;
    const miss = await fetch(`http://127.0.0.1:${ports.hls}/${ghost}/index.m3u8`, { redirect: "manual" });
    await miss.arrayBuffer();
    const c2 = (await statusReport(stack.name)).router.counters;
    expect(c2?.lookups).toBe((c1?.lookups ?? 0) + 1);
    expect(c2?.misses).toBe((c1?.misses ?? 0) + 1);
    expect(c2?.lookupHits).toBe(c1?.lookupHits);
    const ghostReport = await runStatus([stack.name, "--json", "--stream", ghost]);
    expect((JSON.parse(ghostReport.stdout) as StatusReport).streams).toMatchObject([
      { name: ghost, routedTo: null, liveOn: [], problems: [expect.stringMatching(/nothing publishes it$/)] },
    ]);

    // Unpublish: a poll of its owner drops it from the map (once the push's learnGraceMs has passed).
    const p = publishers.get(extra);
    if (p) await stopProcess(p);
    publishers.delete(extra);
    const dropped = await eventually(`${extra} out of the map`, async () => {
      const r = await statusReport(stack.name);
      return r.streams.some((s) => s.name === extra) ? undefined : r;
    });
    expect(dropped.router.counters?.mapSize).toBe(c0.mapSize);
    expect(dropped.router.counters?.pollErrors).toBe(c0.pollErrors);
  });

  it("shows an instance stopped with docker stop: exited, DOWN everywhere, its stream orphaned", async () => {
    const before = await statusReport(stack.name);
    const victim = "mtx-3";
    const orphans = before.streams.filter((s) => s.routedTo === victim).map((s) => s.name);
    expect(orphans.length).toBeGreaterThan(0);
    const pollErrors = before.router.counters?.pollErrors ?? 0;
    await docker(["stop", stack.model.instances.find((i) => i.name === victim)?.containerName ?? victim]);

    // The router's poll of a stopped address hangs on connect retries before it counts an error,
    // so wait for that too (and for HAProxy's fall 2 x inter 1s).
    const r = await eventually(
      `${victim} DOWN in every backend and its polls failing`,
      async () => {
        const r = await statusReport(stack.name);
        const i = r.instances.find((x) => x.name === victim);
        const down = i?.backends.every((b) => b.status === "DOWN");
        return down && i?.router?.pollOk === false && (r.router.counters?.pollErrors ?? 0) > pollErrors
          ? r
          : undefined;
      },
      90_000,
    );
    const instance = r.instances.find((x) => x.name === victim);
    expect(instance).toMatchObject({
      container: { state: "exited", running: false },
      api: { ok: false, error: "container not running" },
      streams: null,
    });
    expect(instance?.backends.map((b) => b.check)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^L4/)]),
    );
    expect(r.haproxy.backends.find((b) => b.backend === "hls")?.activeServers).toBe(2);
    expect(r.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^${victim}: container \\S+ exited \\(exit code \\d+\\)`)),
        expect.stringMatching(new RegExp(`^${victim}: DOWN in rtmp, hls, webrtc, ice \\(last check: L4`)),
        expect.stringMatching(new RegExp(`^router: polls of ${victim} fail`)),
      ]),
    );
    // Its streams keep their owner while the owner fails: the status says they are live nowhere.
    for (const s of orphans) {
      expect(r.streams.find((x) => x.name === s)).toMatchObject({ routedTo: victim, liveOn: [] });
      expect(r.problems).toContain(
        `${s}: owner ${victim} is DOWN in hls: HAProxy redispatches to an instance without it`,
      );
    }
    // The others are untouched.
    for (const i of r.instances.filter((x) => x.name !== victim)) {
      expect(
        i.backends.every((b) => b.status === "UP"),
        i.name,
      ).toBe(true);
    }

    const text = await runStatus([stack.name]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(
      new RegExp(
        `^${victim} +exited\\(\\d+\\) \\S+ +10\\.213\\.204\\.12 +1 +DOWN +DOWN +DOWN +DOWN +L4`,
        "m",
      ),
    );
    expect(text.stdout).toMatch(new RegExp(`^${victim} .* failing \\S+ +- +-$`, "m"));
    expect(text.stdout).toMatch(/^PROBLEMS \(\d+\)$/m);
    // The screen the operator sees, kept in the test log.
    console.log(text.stdout);
  });

  it("says in one line that the stack is not up when Docker lost its containers", async () => {
    const ids = (await docker(["ps", "-aq", "--filter", `label=mediamtx-lb.stack=${stack.name}`])).split(
      "\n",
    );
    await docker(["rm", "-f", ...ids]);
    const r = await runStatus([stack.name]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trimEnd().split("\n")).toEqual([
      `stack ${stack.name} is not up: Docker has none of its containers (state says deployed: scripts/pulumi up --refresh --stack ${stack.name} recreates them)`,
    ]);
  });
});
