import { describe, expect, it } from "vitest";
import {
  evaluateTargets,
  growthTargets,
  summarizeApiCost,
  summarizeChanges,
  summarizeDiscovery,
  summarizeFailover,
  summarizeGrowth,
  summarizeHostLoss,
  summarizeTakeover,
  summarizeWrkSamples,
} from "./analysis";
import type {
  ApiCostResult,
  BenchReport,
  Environment,
  GrowthCell,
  GrowthResult,
  HostLossCycle,
  HostLossResult,
  PublishTrace,
  Target,
  WrkSample,
} from "./results";
import type { WrkResult } from "./wrk";

function wrk(rps: number, p50Ms: number, p99Ms: number): WrkResult {
  return {
    requests: rps * 3,
    durationS: 3,
    rps,
    bytesPerRequest: 100,
    meanMs: p50Ms,
    p50Ms,
    p90Ms: p99Ms,
    p99Ms,
    maxMs: p99Ms,
    non2xx3xx: 0,
    socketErrors: 0,
  };
}

function sample(
  round: number,
  target: Target,
  rps: number,
  p99Ms: number,
  mode: "throughput" | "latency",
): WrkSample {
  return {
    round,
    content: "playlist",
    mode,
    connections: mode === "latency" ? 1 : 8,
    target,
    wrk: wrk(rps, p99Ms / 2, p99Ms),
  };
}

const env = {} as Environment;

describe("data plane ratios", () => {
  const samples = [
    sample(0, "router", 900, 2.0, "throughput"),
    sample(0, "plain", 1000, 1.5, "throughput"),
    sample(0, "direct", 1200, 1.0, "throughput"),
    sample(1, "router", 990, 2.0, "throughput"),
    sample(1, "plain", 1000, 1.0, "throughput"),
    sample(1, "direct", 1100, 1.0, "throughput"),
    sample(0, "router", 100, 0.5, "latency"),
    sample(0, "plain", 110, 0.3, "latency"),
  ];

  it("pairs targets within a round and takes the median of per-round ratios", () => {
    const { ratios, rows } = summarizeWrkSamples(samples);
    const t = ratios.find((r) => r.mode === "throughput");
    expect(t?.routerPlainRps.median).toBeCloseTo((0.9 + 0.99) / 2, 9);
    expect(t?.routerDirectRps.min).toBeCloseTo(0.75, 9);
    expect(t?.p99AddedVsPlainMs.median).toBeCloseTo(0.75, 9);
    expect(rows.filter((r) => r.mode === "latency").map((r) => r.target)).toEqual(["router", "plain"]);
  });

  it("judges throughput on c=8 and added p99 on c=1", () => {
    const targets = evaluateTargets({ env, dataPlane: { owner: "a", instances: 2, durationS: 3, samples } });
    const byWhat = (w: string) => targets.find((t) => t.what.startsWith(w));
    expect(byWhat("router/plain throughput")?.met).toBe(false); // 0.945 < 0.95
    expect(byWhat("p99 added over plain, unqueued")?.met).toBe(true); // 0.2 ms
    expect(byWhat("p99 added over plain, saturated")?.met).toBe(true); // 0.75 ms
    expect(byWhat("router/direct")?.met).toBeUndefined();
  });
});

describe("API cost", () => {
  const result: ApiCostResult = {
    instances: 2,
    pollIntervalMs: 1000,
    healthIntervalMs: 2000,
    idle: {
      seconds: 20,
      viewerRequests: 0,
      calls: { health: 20, poll: 40, lookup: 0, other: 0 },
      routerPolls: 40,
      routerLookups: 0,
    },
    load: {
      seconds: 20,
      viewerRequests: 200_000,
      calls: { health: 20, poll: 41, lookup: 0, other: 0 },
      routerPolls: 41,
      routerLookups: 0,
    },
  };

  it("rates calls and scales them to 10 000 viewer requests", () => {
    const s = summarizeApiCost(result);
    expect(s.boundPerS).toBe(2);
    // One check per instance per interval (backend hls; the others track it): 2 / 2 s.
    expect(s.expectedHealthPerS).toBe(1);
    expect(s.load.routerPerS).toBeCloseTo(2.05, 9);
    expect(s.routerCallsPer10k).toBeCloseTo(2.05, 9);
    expect(s.lookupsPer10k).toBe(0);
  });

  it("allows one poll per instance of slack at the window edges, and no lookups", () => {
    const rows = evaluateTargets({ env, apiCost: result });
    expect(rows.map((r) => r.met)).toEqual([true, true, undefined]);
    const withLookup = { ...result, load: { ...result.load, calls: { ...result.load.calls, lookup: 1 } } };
    expect(evaluateTargets({ env, apiCost: withLookup })[0]?.met).toBe(false);
  });
});

describe("discovery", () => {
  const trace: PublishTrace = {
    stream: "disc/e001",
    publishedAt: 1000,
    owner: "a",
    readyAt: 2000,
    requests: [
      { sentAt: 1500, ms: 1, status: 302, server: "b" },
      { sentAt: 1501, ms: 1, status: 404, server: "b" }, // before ready: not a miss
      { sentAt: 2050, ms: 1, status: 302, server: "b" }, // after ready, 3xx from another instance: misrouted only
      { sentAt: 2051, ms: 1, status: 404, server: "b" }, // a miss, misrouted
      { sentAt: 2150, ms: 1, status: 302, server: "a" }, // first routed: 150 ms after ready
      { sentAt: 2151, ms: 2500, status: 200, server: "a" }, // playable after the muxer started
    ],
  };

  it("counts misses and misroutes only after ready, and times routing and playback", () => {
    const d = summarizeDiscovery([trace, { stream: "disc/e002", publishedAt: 0, requests: [] }]);
    expect(d).toMatchObject({
      publishes: 2,
      ready: 1,
      requestsBeforeReady: 2,
      requestsAfterReady: 4,
      misses: 1,
      misrouted: 2,
      streamsWithMisses: 1,
      unlogged: 0,
    });
    expect(d.publishToReadyMs.p50).toBe(1000);
    expect(d.readyToRoutedMs.p50).toBe(150);
    expect(d.publishToRoutedMs.p50).toBe(1150);
    expect(d.readyToPlayableMs.p50).toBe(2651);
  });

  it("fails the target on any miss or on a publish that never became ready", () => {
    const report: BenchReport = { env, discovery: { retryMs: 100, eager: [trace], afterReady: [] } };
    expect(evaluateTargets(report).find((r) => r.what.includes("eager"))?.met).toBe(false);
  });
});

describe("failover", () => {
  it("bounds DOWN by inter × fall plus one check timeout", () => {
    const s = summarizeFailover({
      intervalMs: 2000,
      timeoutMs: 1000,
      fall: 3,
      rise: 2,
      cycles: [{ server: "b", downMs: { hls: 5000, rtmp: 6500 }, upMs: { hls: 3000, rtmp: 3100 } }],
    });
    expect(s.nominalDownMs).toBe(6000);
    expect(s.boundDownMs).toBe(7000);
    expect(s.cycles[0]).toEqual({ hlsDown: 5000, maxDown: 6500, hlsUp: 3000, maxUp: 3100 });
  });
});

describe("takeover", () => {
  const env = {} as Environment;
  it("counts a cycle complete only when viewers reached the new owner and the old one let go", () => {
    const t = summarizeTakeover({
      cycles: [
        { stream: "t/0", from: "a", to: "b", routedMs: 120, viewerMs: 150, oldGoneMs: 200, overlapMs: 40 },
        { stream: "t/1", from: "b", to: "a", routedMs: 300, viewerMs: 900, oldGoneMs: 250, overlapMs: 0 },
        { stream: "t/2", from: "a", to: "b", routedMs: 100, oldGoneMs: 180 },
      ],
    });
    expect(t.completed).toBe(2);
    expect(t.viewerMs).toEqual({ median: 525, min: 150, max: 900, n: 2 });
    expect(t.overlapMs.max).toBe(40);
  });

  it("fails the target on a cycle that never completed or took over a second", () => {
    const row = (cycles: Parameters<typeof summarizeTakeover>[0]["cycles"]) =>
      evaluateTargets({ env, takeover: { cycles } } as BenchReport).find((r) => r.id === "8");
    const ok = {
      stream: "t/0",
      from: "a",
      to: "b",
      routedMs: 100,
      viewerMs: 400,
      oldGoneMs: 300,
      overlapMs: 0,
    };
    expect(row([ok])?.met).toBe(true);
    expect(row([ok, { ...ok, viewerMs: undefined }])?.met).toBe(false);
    expect(row([{ ...ok, viewerMs: 1200 }])?.met).toBe(false);
  });
});

describe("change apply", () => {
  it("sums runs per kind and judges only the pulumi changes", () => {
    const run = (kind: "weights" | "restart", failed: number) => ({
      kind,
      rep: 0,
      durationMs: 1000,
      exitCode: 0,
      requests: 100,
      failed,
      failureSamples: failed ? ["0 /chg/1/x"] : [],
      reloads: 0,
      publishersLost: 0,
    });
    const result = { viewers: 4, runs: [run("weights", 0), run("restart", 7), run("restart", 3)] };
    expect(summarizeChanges(result).map((c) => [c.kind, c.failed, c.runs])).toEqual([
      ["weights", 0, 1],
      ["restart", 10, 2],
    ]);
    expect(evaluateTargets({ env, changeApply: result }).map((r) => r.met)).toEqual([true, undefined]);
  });
});

describe("growth", () => {
  const cell = (
    source: GrowthCell["source"],
    instances: number,
    paths: number,
    apiCallsPerSecond: number,
    routerP99: number,
  ): GrowthCell => ({
    source,
    instances,
    paths,
    reached: true,
    mapSize: paths,
    claimedPerInstance: [paths / instances],
    pagesPerPoll: [1],
    listMsPerInstance: [1],
    listBytesPerInstance: [1024],
    luaCpuMsPerPoll: paths / 1000,
    pollsPerSecond: instances,
    apiCallsPerSecond,
    haproxyIdleCpuPct: 1,
    samples: [
      sample(0, "router", 1000, routerP99, "latency"),
      sample(0, "plain", 1000, 0.5, "latency"),
      sample(0, "router", 900, 2, "throughput"),
      sample(0, "plain", 1000, 2, "throughput"),
    ],
    rampSeconds: 1,
  });
  const result = (cells: GrowthCell[]): GrowthResult => ({
    pollIntervalMs: 1000,
    profileWindowS: 10,
    upMs: {},
    cells,
  });
  const rows = (cells: GrowthCell[]) => growthTargets(result(cells));

  it("bounds API calls by instances ÷ poll interval, with one round of slack for the window's edges", () => {
    const [row] = summarizeGrowth(result([cell("stand-in", 8, 10_000, 8.8, 1)]));
    expect(row).toMatchObject({ source: "stand-in", apiBoundPerS: 8, apiEdgeSlackPerS: 0.8 });
  });

  it("judges p99 added on every real cell and on the largest stand-in cell only, per source", () => {
    const r = rows([
      cell("real", 2, 10, 2, 1.2),
      cell("real", 2, 100, 2, 1.4),
      cell("stand-in", 8, 1000, 8, 2),
      cell("stand-in", 8, 10_000, 8, 1.3),
    ]);
    expect(r.map((x) => [x.what, x.met])).toEqual([
      ["growth, real publishes: p99 added over plain (worst of 2 cells)", true],
      ["growth, real publishes: router API calls per second (worst of 2 cells)", true],
      ["growth, real publishes: Lua ms per poll, largest cell (reported)", undefined],
      ["growth, stand-in listings behind the real router: p99 added over plain (largest cell)", true],
      [
        "growth, stand-in listings behind the real router: router API calls per second (worst of 2 cells)",
        true,
      ],
      [
        "growth, stand-in listings behind the real router: Lua ms per poll, largest cell (reported)",
        undefined,
      ],
    ]);
    expect(r[0]?.measured).toBe("0.900 ms at 100 paths × 2 instances");
    expect(r[5]?.measured).toBe("10.000 ms at 10000 paths × 8 instances");
  });

  it("fails a source whose p99 added or API rate is over its bound", () => {
    const r = rows([cell("real", 4, 100, 4.3, 1.6), cell("stand-in", 8, 10_000, 9, 1)]);
    expect(r.filter((x) => x.met === false).map((x) => x.what)).toEqual([
      "growth, real publishes: p99 added over plain (worst of 1 cells)",
      "growth, stand-in listings behind the real router: router API calls per second (worst of 1 cells)",
    ]);
  });

  it("writes no row for a source without a reached cell", () => {
    expect(rows([{ ...cell("stand-in", 8, 10_000, 8, 1), reached: false }])).toEqual([]);
  });
});

describe("summarizeHostLoss", () => {
  const cycle = (host: string, down: number[], playable?: number, failed = 0): HostLossCycle => ({
    host,
    stream: "s3",
    from: `${host}-a`,
    to: "h1-b",
    downMs: Object.fromEntries(
      down.flatMap((ms, i) => [
        [`${host}-${"ab"[i]}/hls`, ms - 100],
        [`${host}-${"ab"[i]}/rtmp`, ms],
      ]),
    ),
    routedMs: 5000,
    ...(playable === undefined ? {} : { playableMs: playable }),
    encoderStarts: 2,
    encoderStartMs: [0, 9000],
    survivorMapChanges: [],
    survivorStreams: ["s1", "s2"],
    survivorRequests: 100,
    survivorFailed: failed,
    failureSamples: [],
    untouchedStillRunning: [true],
    upMs: { [`${host}-a/hls`]: 2500, [`${host}-b/hls`]: 3000 },
  });
  const result = (cycles: HostLossCycle[]): HostLossResult => ({
    hosts: 3,
    instancesPerHost: 2,
    gatewayHost: "h1",
    intervalMs: 2000,
    timeoutMs: 1000,
    fall: 3,
    rise: 2,
    pollIntervalMs: 1000,
    reconnectDelayMs: 1000,
    viewerPauseMs: 250,
    viewerTimeoutMs: 4000,
    labMs: 5000,
    upMs: 60_000,
    cycles,
  });

  it("takes the latest instance/backend per cycle, medians over cycles, the budget inter × fall + timeout", () => {
    const s = summarizeHostLoss(
      result([
        cycle("h2", [6000, 6500], 9000),
        cycle("h3", [5000, 5200], 8000),
        cycle("h2", [6100, 6900], 10_000),
      ]),
    );
    expect(s.budgetDownMs).toBe(7000);
    expect(s.cycles.map((c) => [c.downMs, c.hlsDownMs, c.upMs])).toEqual([
      [6500, 6400, 3000],
      [5200, 5100, 3000],
      [6900, 6800, 3000],
    ]);
    expect(s.downMs).toEqual({ median: 6500, min: 5200, max: 6900, n: 3 });
    expect(s.playableMs.median).toBe(9000);
    expect(s.completed).toBe(3);
    expect(s.survivorRequests).toBe(300);
  });

  it("a server never DOWN in time makes its cycle's DOWN n/a and fails the target; a failed survivor request too", () => {
    const r = result([cycle("h2", [6000, Number.NaN], 9000), cycle("h3", [5000, 5200], undefined, 1)]);
    const s = summarizeHostLoss(r);
    expect(Number.isNaN(s.cycles[0]?.downMs)).toBe(true);
    expect(s.downMs.n).toBe(1);
    expect(s.completed).toBe(0);
    const rows = evaluateTargets({ env: {} as BenchReport["env"], hostLoss: r }).filter((t) => t.id === "9");
    expect(rows.map((t) => t.met)).toEqual([false, false, undefined]);
    expect(rows[1]?.measured).toBe("1 of 200");
  });

  it("meets both targets when every cycle is DOWN within budget and no survivor request failed", () => {
    const r = result([cycle("h2", [6000, 6500], 9000), cycle("h3", [7000, 6000], 8000)]);
    const rows = evaluateTargets({ env: {} as BenchReport["env"], hostLoss: r }).filter((t) => t.id === "9");
    expect(rows.map((t) => t.met)).toEqual([true, true, undefined]);
    expect(rows[0]?.target).toBe("≤ inter × fall + timeout = 7.0 s");
  });
});
