// Raw observations → summaries, ratios and target verdicts. Pure: report.ts only formats what this
// computes, and the tests pin every rule that decides "met".
import { MOVED_BUDGET_MS, summarizeGatewayFailover } from "./gateway-failover";
import type {
  ApiCostResult,
  BenchReport,
  ChangeApplyResult,
  ChangeKind,
  Content,
  DataPlaneResult,
  FailoverResult,
  GrowthCell,
  GrowthResult,
  HostLossResult,
  LoadMode,
  PreviewResult,
  PublishTrace,
  TakeoverResult,
  Target,
  WrkSample,
} from "./results";
import { median, percentile, type Spread, spread, sum } from "./summary";

// ---------------------------------------------------------------------------------------------
// 1. Data plane
// ---------------------------------------------------------------------------------------------

export interface DataPlaneRow {
  readonly content: Content;
  readonly mode: LoadMode;
  readonly connections: number;
  readonly target: Target;
  readonly rps: Spread;
  readonly p50Ms: Spread;
  readonly p99Ms: Spread;
  readonly proxyCpuUs?: Spread;
  readonly bytesPerRequest: number;
  /** Non-2xx/3xx responses plus socket errors over all rounds. */
  readonly errors: number;
}

export interface DataPlaneRatio {
  readonly content: Content;
  readonly mode: LoadMode;
  /** Per-round router/plain and router/direct requests per second. */
  readonly routerPlainRps: Spread;
  readonly routerDirectRps: Spread;
  /** Per-round router (as deployed, logging) ÷ plain without a log: routing and logging together. */
  readonly routerBareRps: Spread;
  /** Per-round router minus plain (and minus direct) latency, ms. */
  readonly p50AddedVsPlainMs: Spread;
  readonly p99AddedVsPlainMs: Spread;
  readonly p99AddedVsDirectMs: Spread;
  /** Per-round router/plain proxy CPU per request. */
  readonly cpuRouterPlain?: Spread;
  /** Per-round HTTPS ÷ HTTP through the router (the TLS cost); absent when the run had no `tls` target. */
  readonly tlsRouterRps?: Spread;
}

const CONTENTS: readonly Content[] = ["playlist", "segment"];
const MODES: readonly LoadMode[] = ["throughput", "latency"];
const TARGETS: readonly Target[] = ["router", "tls", "plain", "bare", "direct"];

function samplesOf(
  samples: readonly WrkSample[],
  content: Content,
  mode: LoadMode,
  target: Target,
): WrkSample[] {
  return samples.filter((s) => s.content === content && s.mode === mode && s.target === target);
}

/** Same-round pairs of two targets. */
function paired(
  samples: readonly WrkSample[],
  content: Content,
  mode: LoadMode,
  a: Target,
  b: Target,
): [WrkSample, WrkSample][] {
  const bs = samplesOf(samples, content, mode, b);
  return samplesOf(samples, content, mode, a).flatMap((x) => {
    const y = bs.find((s) => s.round === x.round);
    return y ? [[x, y] as [WrkSample, WrkSample]] : [];
  });
}

export function summarizeWrkSamples(samples: readonly WrkSample[]): {
  rows: DataPlaneRow[];
  ratios: DataPlaneRatio[];
} {
  const rows: DataPlaneRow[] = [];
  const ratios: DataPlaneRatio[] = [];
  for (const content of CONTENTS) {
    for (const mode of MODES) {
      for (const target of TARGETS) {
        const mine = samplesOf(samples, content, mode, target);
        if (mine.length === 0) continue;
        const cpu = mine.flatMap((s) =>
          s.proxyCpuUsPerRequest === undefined ? [] : [s.proxyCpuUsPerRequest],
        );
        rows.push({
          content,
          mode,
          connections: mine[0]?.connections ?? 0,
          target,
          rps: spread(mine.map((s) => s.wrk.rps)),
          p50Ms: spread(mine.map((s) => s.wrk.p50Ms)),
          p99Ms: spread(mine.map((s) => s.wrk.p99Ms)),
          proxyCpuUs: cpu.length ? spread(cpu) : undefined,
          bytesPerRequest: median(mine.map((s) => s.wrk.bytesPerRequest)),
          errors: sum(mine.map((s) => s.wrk.non2xx3xx + s.wrk.socketErrors)),
        });
      }
      const rp = paired(samples, content, mode, "router", "plain");
      if (rp.length === 0) continue;
      const rd = paired(samples, content, mode, "router", "direct");
      const rb = paired(samples, content, mode, "router", "bare");
      const tr = paired(samples, content, mode, "tls", "router");
      const cpuPairs = rp.filter(([r, p]) => r.proxyCpuUsPerRequest !== undefined && p.proxyCpuUsPerRequest);
      ratios.push({
        content,
        mode,
        routerPlainRps: spread(rp.map(([r, p]) => r.wrk.rps / p.wrk.rps)),
        routerDirectRps: spread(rd.map(([r, d]) => r.wrk.rps / d.wrk.rps)),
        routerBareRps: spread(rb.map(([r, b]) => r.wrk.rps / b.wrk.rps)),
        p50AddedVsPlainMs: spread(rp.map(([r, p]) => r.wrk.p50Ms - p.wrk.p50Ms)),
        p99AddedVsPlainMs: spread(rp.map(([r, p]) => r.wrk.p99Ms - p.wrk.p99Ms)),
        p99AddedVsDirectMs: spread(rd.map(([r, d]) => r.wrk.p99Ms - d.wrk.p99Ms)),
        cpuRouterPlain: cpuPairs.length
          ? spread(cpuPairs.map(([r, p]) => (r.proxyCpuUsPerRequest ?? 0) / (p.proxyCpuUsPerRequest ?? 1)))
          : undefined,
        ...(tr.length ? { tlsRouterRps: spread(tr.map(([t, r]) => t.wrk.rps / r.wrk.rps)) } : {}),
      });
    }
  }
  return { rows, ratios };
}

export function summarizeDataPlane(r: DataPlaneResult) {
  return summarizeWrkSamples(r.samples);
}

// ---------------------------------------------------------------------------------------------
// 2. Control-API cost
// ---------------------------------------------------------------------------------------------

export interface ApiCostSummary {
  readonly boundPerS: number;
  readonly expectedHealthPerS: number;
  readonly idle: { readonly routerPerS: number; readonly healthPerS: number };
  readonly load: { readonly routerPerS: number; readonly healthPerS: number };
  readonly viewerRequests: number;
  readonly viewerRps: number;
  /** Router API calls (polls + lookups) per 10 000 viewer requests during the load window. */
  readonly routerCallsPer10k: number;
  /** Lookups per 10 000 viewer requests (the part that could scale with requests). */
  readonly lookupsPer10k: number;
  /** Router calls the load added over the idle rate, per 10 000 viewer requests. */
  readonly addedPer10k: number;
  /** Slack at the window edges: one poll per instance. */
  readonly edgeSlackPerS: number;
}

export function summarizeApiCost(r: ApiCostResult): ApiCostSummary {
  const routerCalls = (w: ApiCostResult["idle"]) => w.calls.poll + w.calls.lookup;
  const idleRouterPerS = routerCalls(r.idle) / r.idle.seconds;
  const loadRouterPerS = routerCalls(r.load) / r.load.seconds;
  const per10k = (n: number) =>
    r.load.viewerRequests > 0 ? (n / r.load.viewerRequests) * 10_000 : Number.NaN;
  return {
    boundPerS: (r.instances * 1000) / r.pollIntervalMs,
    // Only backend hls checks an instance; the rtmp, webrtc and ice_<name> servers track it.
    expectedHealthPerS: (r.instances * 1000) / r.healthIntervalMs,
    idle: { routerPerS: idleRouterPerS, healthPerS: r.idle.calls.health / r.idle.seconds },
    load: { routerPerS: loadRouterPerS, healthPerS: r.load.calls.health / r.load.seconds },
    viewerRequests: r.load.viewerRequests,
    viewerRps: r.load.viewerRequests / r.load.seconds,
    routerCallsPer10k: per10k(routerCalls(r.load)),
    lookupsPer10k: per10k(r.load.calls.lookup),
    addedPer10k: per10k(Math.max(0, (loadRouterPerS - idleRouterPerS) * r.load.seconds)),
    edgeSlackPerS: r.instances / r.load.seconds,
  };
}

// ---------------------------------------------------------------------------------------------
// 3. Discovery
// ---------------------------------------------------------------------------------------------

export interface Distribution {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
}

export function distribution(values: readonly number[]): Distribution {
  return {
    n: values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    max: values.length ? Math.max(...values) : Number.NaN,
  };
}

const ok = (status: number) => status >= 200 && status < 400;

export interface DiscoverySummary {
  readonly publishes: number;
  readonly ready: number;
  readonly publishToReadyMs: Distribution;
  /** From the publish (ffmpeg start) to the first request sent after ready that reached the owner. */
  readonly publishToRoutedMs: Distribution;
  readonly readyToRoutedMs: Distribution;
  /** From ready to the first 200 for the index (includes MediaMTX starting the stream's muxer). */
  readonly readyToPlayableMs: Distribution;
  readonly requestsAfterReady: number;
  /** Requests sent after ready answered outside 2xx/3xx (or not at all). */
  readonly misses: number;
  /** Requests sent after ready that HAProxy forwarded to an instance other than the owner. */
  readonly misrouted: number;
  /** …of which the router knew no owner for (hash fallback: map miss and lookup skipped or empty). */
  readonly misroutedByHash: number;
  readonly streamsWithMisses: number;
  readonly requestsBeforeReady: number;
  /** Requests whose server the log did not name (should be 0). */
  readonly unlogged: number;
}

export function summarizeDiscovery(traces: readonly PublishTrace[]): DiscoverySummary {
  const ready = traces.filter((t) => t.owner !== undefined && t.readyAt !== undefined);
  const publishToReady: number[] = [];
  const publishToRouted: number[] = [];
  const readyToRouted: number[] = [];
  const readyToPlayable: number[] = [];
  let after = 0;
  let misses = 0;
  let misrouted = 0;
  let misroutedByHash = 0;
  let withMisses = 0;
  let before = 0;
  let unlogged = 0;
  for (const t of ready) {
    const readyAt = t.readyAt as number;
    publishToReady.push(readyAt - t.publishedAt);
    const post = t.requests.filter((r) => r.sentAt >= readyAt);
    before += t.requests.length - post.length;
    after += post.length;
    unlogged += t.requests.filter((r) => r.server === undefined && r.status !== 0).length;
    const routed = post.find((r) => r.server === t.owner);
    if (routed) {
      publishToRouted.push(routed.sentAt - t.publishedAt);
      readyToRouted.push(routed.sentAt - readyAt);
    }
    const playable = post.find((r) => r.status === 200);
    if (playable) readyToPlayable.push(playable.sentAt + playable.ms - readyAt);
    const missed = post.filter((r) => !ok(r.status)).length;
    misses += missed;
    if (missed > 0) withMisses++;
    const wrong = post.filter((r) => r.server !== undefined && r.server !== t.owner);
    misrouted += wrong.length;
    misroutedByHash += wrong.filter((r) => r.ownerKnown === false).length;
  }
  return {
    publishes: traces.length,
    ready: ready.length,
    publishToReadyMs: distribution(publishToReady),
    publishToRoutedMs: distribution(publishToRouted),
    readyToRoutedMs: distribution(readyToRouted),
    readyToPlayableMs: distribution(readyToPlayable),
    requestsAfterReady: after,
    misses,
    misrouted,
    misroutedByHash,
    streamsWithMisses: withMisses,
    requestsBeforeReady: before,
    unlogged,
  };
}

// ---------------------------------------------------------------------------------------------
// 4. Failover
// ---------------------------------------------------------------------------------------------

export interface FailoverSummary {
  readonly nominalDownMs: number;
  readonly nominalUpMs: number;
  /** Nominal plus one check timeout: the last failing check may take that long to give up. */
  readonly boundDownMs: number;
  readonly boundUpMs: number;
  readonly cycles: readonly { hlsDown: number; maxDown: number; hlsUp: number; maxUp: number }[];
  readonly maxDown: Spread;
  readonly maxUp: Spread;
}

export function summarizeFailover(r: FailoverResult): FailoverSummary {
  const cycles = r.cycles.map((c) => ({
    hlsDown: c.downMs.hls ?? Number.NaN,
    maxDown: Math.max(...Object.values(c.downMs)),
    hlsUp: c.upMs.hls ?? Number.NaN,
    maxUp: Math.max(...Object.values(c.upMs)),
  }));
  return {
    nominalDownMs: r.intervalMs * r.fall,
    nominalUpMs: r.intervalMs * r.rise,
    boundDownMs: r.intervalMs * r.fall + r.timeoutMs,
    boundUpMs: r.intervalMs * r.rise + r.timeoutMs,
    cycles,
    maxDown: spread(cycles.map((c) => c.maxDown)),
    maxUp: spread(cycles.map((c) => c.maxUp)),
  };
}

// ---------------------------------------------------------------------------------------------
// 5. Change apply, 6. preview
// ---------------------------------------------------------------------------------------------

export interface ChangeSummary {
  readonly kind: ChangeKind;
  readonly runs: number;
  readonly durationMs: Spread;
  readonly requests: number;
  readonly failed: number;
  readonly reloads: number;
  readonly publishersLost: number;
  readonly nonZeroExits: number;
  readonly failureSamples: readonly string[];
}

export function summarizeChanges(r: ChangeApplyResult): ChangeSummary[] {
  return (["weights", "interval", "restart"] as ChangeKind[]).flatMap((kind) => {
    const runs = r.runs.filter((x) => x.kind === kind);
    if (runs.length === 0) return [];
    return [
      {
        kind,
        runs: runs.length,
        durationMs: spread(runs.map((x) => x.durationMs)),
        requests: sum(runs.map((x) => x.requests)),
        failed: sum(runs.map((x) => x.failed)),
        reloads: sum(runs.map((x) => x.reloads)),
        publishersLost: sum(runs.map((x) => x.publishersLost)),
        nonZeroExits: runs.filter((x) => x.exitCode !== 0).length,
        failureSamples: [...new Set(runs.flatMap((x) => x.failureSamples))].slice(0, 6),
      },
    ];
  });
}

export function summarizePreview(r: PreviewResult) {
  const bench = spread(r.benchMs);
  const floor = spread(r.floorMs);
  const build = spread(r.buildMs);
  return { bench, floor, build, ratio: bench.median / floor.median };
}

// ---------------------------------------------------------------------------------------------
// 7. Growth
// ---------------------------------------------------------------------------------------------

export interface GrowthRow {
  readonly source: GrowthCell["source"];
  readonly instances: number;
  readonly paths: number;
  readonly reached: boolean;
  readonly mapSize: number;
  readonly maxPathsPerInstance: number;
  readonly maxPagesPerPoll: number;
  readonly maxListMs: number;
  readonly maxListKB: number;
  readonly luaCpuMsPerPoll: number;
  readonly apiCallsPerS: number;
  /** Target: instances ÷ poll interval. */
  readonly apiBoundPerS: number;
  /**
   * What the window's edges may add: a window of W s can catch W + 1 polls of each instance, so one
   * round (instances ÷ W) over the bound is still "one list request per instance per interval".
   */
  readonly apiEdgeSlackPerS: number;
  readonly idleCpuPct: number;
  readonly routerP50Ms: number;
  readonly routerP99Ms: number;
  readonly plainP50Ms: number;
  readonly plainP99Ms: number;
  readonly p99AddedMs: number;
  readonly rpsRatio: number;
  readonly rampS: number;
}

export function summarizeGrowth(r: GrowthResult): GrowthRow[] {
  return r.cells.map((c) => {
    const { ratios, rows } = summarizeWrkSamples(c.samples);
    const row = (mode: LoadMode, target: Target) => rows.find((x) => x.mode === mode && x.target === target);
    const latency = ratios.find((x) => x.mode === "latency");
    const throughput = ratios.find((x) => x.mode === "throughput");
    const max = (xs: readonly number[]) => (xs.length ? Math.max(...xs) : Number.NaN);
    return {
      source: c.source,
      instances: c.instances,
      paths: c.paths,
      reached: c.reached,
      mapSize: c.mapSize,
      maxPathsPerInstance: max(c.claimedPerInstance),
      maxPagesPerPoll: max(c.pagesPerPoll),
      maxListMs: max(c.listMsPerInstance),
      maxListKB: max(c.listBytesPerInstance) / 1024,
      luaCpuMsPerPoll: c.luaCpuMsPerPoll,
      apiCallsPerS: c.apiCallsPerSecond,
      apiBoundPerS: (c.instances * 1000) / r.pollIntervalMs,
      apiEdgeSlackPerS: c.instances / r.profileWindowS,
      idleCpuPct: c.haproxyIdleCpuPct,
      routerP50Ms: row("latency", "router")?.p50Ms.median ?? Number.NaN,
      routerP99Ms: row("latency", "router")?.p99Ms.median ?? Number.NaN,
      plainP50Ms: row("latency", "plain")?.p50Ms.median ?? Number.NaN,
      plainP99Ms: row("latency", "plain")?.p99Ms.median ?? Number.NaN,
      p99AddedMs: latency?.p99AddedVsPlainMs.median ?? Number.NaN,
      rpsRatio: throughput?.routerPlainRps.median ?? Number.NaN,
      rampS: c.rampSeconds,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Targets
// ---------------------------------------------------------------------------------------------

export interface TargetRow {
  readonly id: string;
  readonly what: string;
  readonly target: string;
  readonly measured: string;
  /** undefined: measured, no target to judge against (or not run). */
  readonly met: boolean | undefined;
}

const f = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : "n/a");

/**
 * Issue 13's growth rows, per source (real publishes, stand-in listings), so a verdict never mixes them:
 * p99 added ≤ 1 ms on every real cell and on the largest stand-in cell; router API calls per second
 * ≤ instances ÷ poll interval on every cell; Lua ms per poll reported (largest cell of each source).
 */
export function growthTargets(r: GrowthResult): TargetRow[] {
  const rows: TargetRow[] = [];
  const all = summarizeGrowth(r).filter((x) => x.reached);
  const cell = (x: GrowthRow) => `${x.paths} paths × ${x.instances} instances`;
  const sources = [
    ["real", "real publishes"],
    ["stand-in", "stand-in listings behind the real router"],
  ] as const;
  for (const [source, label] of sources) {
    const cells = all.filter((x) => x.source === source);
    const largest = cells.reduce<GrowthRow | undefined>(
      (best, x) => (best === undefined || x.paths * x.instances >= best.paths * best.instances ? x : best),
      undefined,
    );
    if (largest === undefined) continue;
    const judged = source === "real" ? cells : [largest];
    const worstP99 = judged.reduce((worst, x) => (x.p99AddedMs > worst.p99AddedMs ? x : worst));
    rows.push({
      id: "7",
      what: `growth, ${label}: p99 added over plain (${source === "real" ? `worst of ${cells.length} cells` : "largest cell"})`,
      target: "≤ 1 ms",
      measured: `${f(worstP99.p99AddedMs, 3)} ms at ${cell(worstP99)}`,
      met: judged.every((x) => x.p99AddedMs <= 1),
    });
    const ratio = (x: GrowthRow) => x.apiCallsPerS / x.apiBoundPerS;
    const worstApi = cells.reduce((worst, x) => (ratio(x) > ratio(worst) ? x : worst));
    rows.push({
      id: "7",
      what: `growth, ${label}: router API calls per second (worst of ${cells.length} cells)`,
      target: `≤ instances ÷ poll interval (${f(worstApi.apiBoundPerS, 1)}/s at ${worstApi.instances} instances)`,
      measured: `${f(worstApi.apiCallsPerS, 2)}/s at ${cell(worstApi)}`,
      met: cells.every((x) => x.apiCallsPerS <= x.apiBoundPerS + x.apiEdgeSlackPerS),
    });
    rows.push({
      id: "7",
      what: `growth, ${label}: Lua ms per poll, largest cell (reported)`,
      target: "—",
      measured: `${f(largest.luaCpuMsPerPoll, 3)} ms at ${cell(largest)}`,
      met: undefined,
    });
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// 8. Takeover
// ---------------------------------------------------------------------------------------------

export interface TakeoverSummary {
  readonly cycles: number;
  /** Cycles in which viewers reached the new owner and the old instance let the name go. */
  readonly completed: number;
  readonly viewerMs: Spread;
  readonly routedMs: Spread;
  readonly oldGoneMs: Spread;
  readonly overlapMs: Spread;
}

export function summarizeTakeover(r: TakeoverResult): TakeoverSummary {
  const defined = (values: readonly (number | undefined)[]) =>
    values.filter((v): v is number => v !== undefined);
  return {
    cycles: r.cycles.length,
    completed: r.cycles.filter((c) => c.viewerMs !== undefined && c.oldGoneMs !== undefined).length,
    viewerMs: spread(defined(r.cycles.map((c) => c.viewerMs))),
    routedMs: spread(defined(r.cycles.map((c) => c.routedMs))),
    oldGoneMs: spread(defined(r.cycles.map((c) => c.oldGoneMs))),
    overlapMs: spread(defined(r.cycles.map((c) => c.overlapMs))),
  };
}

// ---------------------------------------------------------------------------------------------
// 9. Host loss
// ---------------------------------------------------------------------------------------------

/** Latest of the values, NaN as soon as one is NaN (a server that never got there). */
function latest(values: readonly number[]): number {
  return values.length === 0 || values.some((v) => Number.isNaN(v)) ? Number.NaN : Math.max(...values);
}

export interface HostLossCycleSummary {
  readonly host: string;
  readonly stream: string;
  /** Cut → the last instance/backend of the host DOWN (NaN if one never was in time). */
  readonly downMs: number;
  /** Cut → the host's instances DOWN in the hls backend. */
  readonly hlsDownMs: number;
  readonly routedMs: number;
  readonly playableMs: number;
  readonly upMs: number;
  readonly survivorRequests: number;
  readonly survivorFailed: number;
}

export interface HostLossSummary {
  /** inter × fall, and that plus one check timeout: the budget a cut host's DOWN is held to. */
  readonly nominalDownMs: number;
  readonly budgetDownMs: number;
  readonly nominalUpMs: number;
  readonly cycles: readonly HostLossCycleSummary[];
  readonly downMs: Spread;
  readonly routedMs: Spread;
  readonly playableMs: Spread;
  readonly upMs: Spread;
  /** Cycles in which every instance went DOWN in time and the stream played again. */
  readonly completed: number;
  readonly survivorRequests: number;
  readonly survivorFailed: number;
}

export function summarizeHostLoss(r: HostLossResult): HostLossSummary {
  const cycles = r.cycles.map((c) => ({
    host: c.host,
    stream: c.stream,
    downMs: latest(Object.values(c.downMs)),
    hlsDownMs: latest(Object.entries(c.downMs).flatMap(([k, v]) => (k.endsWith("/hls") ? [v] : []))),
    routedMs: c.routedMs ?? Number.NaN,
    playableMs: c.playableMs ?? Number.NaN,
    upMs: latest(Object.values(c.upMs)),
    survivorRequests: c.survivorRequests,
    survivorFailed: c.survivorFailed,
  }));
  const finite = (pick: (c: HostLossCycleSummary) => number) =>
    spread(cycles.map(pick).filter((v) => Number.isFinite(v)));
  return {
    nominalDownMs: r.intervalMs * r.fall,
    budgetDownMs: r.intervalMs * r.fall + r.timeoutMs,
    nominalUpMs: r.intervalMs * r.rise,
    cycles,
    downMs: finite((c) => c.downMs),
    routedMs: finite((c) => c.routedMs),
    playableMs: finite((c) => c.playableMs),
    upMs: finite((c) => c.upMs),
    completed: cycles.filter((c) => Number.isFinite(c.downMs) && Number.isFinite(c.playableMs)).length,
    survivorRequests: sum(cycles.map((c) => c.survivorRequests)),
    survivorFailed: sum(cycles.map((c) => c.survivorFailed)),
  };
}

export function evaluateTargets(report: BenchReport): TargetRow[] {
  const rows: TargetRow[] = [];
  if (report.dataPlane) {
    const { ratios } = summarizeDataPlane(report.dataPlane);
    const tput = ratios.filter((r) => r.mode === "throughput");
    const lat = ratios.filter((r) => r.mode === "latency");
    const byContent = (
      rs: DataPlaneRatio[],
      pick: (r: DataPlaneRatio) => number,
      digits: number,
      unit = "",
    ) => rs.map((r) => `${r.content} ${f(pick(r), digits)}${unit}`).join(", ");
    const c = report.dataPlane.samples.find((s) => s.mode === "throughput")?.connections ?? 0;
    rows.push({
      id: "1",
      what: `router/plain throughput, both logging each request (c=${c}, median of per-round ratios)`,
      target: "≥ 0.95",
      measured: byContent(tput, (r) => r.routerPlainRps.median, 3),
      met: tput.length > 0 && tput.every((r) => r.routerPlainRps.median >= 0.95),
    });
    rows.push({
      id: "1",
      what: `default stack ÷ plain without a log, throughput (c=${c}): logging cost`,
      target: "≥ 0.85",
      measured: byContent(tput, (r) => r.routerBareRps.median, 3),
      met: tput.length > 0 && tput.every((r) => r.routerBareRps.median >= 0.85),
    });
    rows.push({
      id: "1",
      what: "router/direct throughput (no target)",
      target: "—",
      measured: byContent(tput, (r) => r.routerDirectRps.median, 3),
      met: undefined,
    });
    if (tput.some((r) => r.tlsRouterRps)) {
      rows.push({
        id: "1",
        what: `HTTPS/HTTP throughput through the router, keep-alive (c=${c}): TLS cost`,
        target: "—",
        measured: byContent(tput, (r) => r.tlsRouterRps?.median ?? Number.NaN, 3),
        met: undefined,
      });
    }
    rows.push({
      id: "1",
      what: "p99 added over plain, unqueued (c=1)",
      target: "≤ 1 ms",
      measured: byContent(lat, (r) => r.p99AddedVsPlainMs.median, 3, " ms"),
      met: lat.length > 0 && lat.every((r) => r.p99AddedVsPlainMs.median <= 1),
    });
    rows.push({
      id: "1",
      what: `p99 added over plain, saturated (c=${c})`,
      target: "≤ 1 ms",
      measured: byContent(tput, (r) => r.p99AddedVsPlainMs.median, 3, " ms"),
      met: tput.length > 0 && tput.every((r) => r.p99AddedVsPlainMs.median <= 1),
    });
  }
  if (report.apiCost) {
    const s = summarizeApiCost(report.apiCost);
    rows.push({
      id: "2",
      what: "API lookups per 10 000 viewer requests",
      target: "0 (none per request)",
      measured: `${f(s.lookupsPer10k, 2)} (${report.apiCost.load.calls.lookup} in ${s.viewerRequests} requests)`,
      met: report.apiCost.load.calls.lookup === 0 && report.apiCost.load.routerLookups === 0,
    });
    rows.push({
      id: "2",
      what: "router API calls per second under load",
      target: `≤ instances ÷ poll interval = ${f(s.boundPerS, 1)}/s`,
      measured: `${f(s.load.routerPerS, 2)}/s (idle ${f(s.idle.routerPerS, 2)}/s)`,
      met: s.load.routerPerS <= s.boundPerS + s.edgeSlackPerS,
    });
    rows.push({
      id: "2",
      what: "health-check API calls per second (not router; no target)",
      target: "—",
      measured: `${f(s.load.healthPerS, 2)}/s (config: ${f(s.expectedHealthPerS, 1)}/s)`,
      met: undefined,
    });
  }
  if (report.discovery) {
    for (const [kind, traces] of [
      ["after-ready", report.discovery.afterReady],
      ["eager", report.discovery.eager],
    ] as const) {
      const d = summarizeDiscovery(traces);
      rows.push({
        id: "3",
        what: `discovery, ${kind} viewers: misses after ready`,
        target: "0",
        measured: `${d.misses} of ${d.requestsAfterReady} (${d.streamsWithMisses}/${d.ready} streams); ready→routed p50 ${f(d.readyToRoutedMs.p50, 0)} ms, max ${f(d.readyToRoutedMs.max, 0)} ms`,
        met: d.ready === d.publishes && d.misses === 0,
      });
    }
  }
  if (report.failover) {
    const s = summarizeFailover(report.failover);
    rows.push({
      id: "4",
      what: "killed → DOWN (all backends), max of cycles",
      target: `≈ inter × fall = ${f(s.nominalDownMs / 1000, 1)} s (≤ ${f(s.boundDownMs / 1000, 1)} s with the check timeout)`,
      measured: `${f(s.maxDown.max / 1000, 1)} s (median ${f(s.maxDown.median / 1000, 1)} s)`,
      met: s.maxDown.max <= s.boundDownMs,
    });
    rows.push({
      id: "4",
      what: "started → UP (all backends), max of cycles",
      target: `≈ inter × rise = ${f(s.nominalUpMs / 1000, 1)} s (≤ ${f(s.boundUpMs / 1000, 1)} s with the check timeout)`,
      measured: `${f(s.maxUp.max / 1000, 1)} s (median ${f(s.maxUp.median / 1000, 1)} s)`,
      met: s.maxUp.max <= s.boundUpMs,
    });
  }
  if (report.changeApply) {
    for (const c of summarizeChanges(report.changeApply)) {
      const judged = c.kind !== "restart";
      rows.push({
        id: "5",
        what: `${c.kind === "restart" ? "seed's way: docker restart" : `${c.kind}-only pulumi up`}: failed requests`,
        target: judged ? "0, no publisher lost" : "— (comparison)",
        measured: `${c.failed} of ${c.requests}; ${c.publishersLost} publishers lost; ${f(c.durationMs.median / 1000, 1)} s`,
        met: judged ? c.failed === 0 && c.publishersLost === 0 && c.nonZeroExits === 0 : undefined,
      });
    }
  }
  if (report.preview) {
    const p = summarizePreview(report.preview);
    rows.push({
      id: "6",
      what: "no-op preview ÷ empty-program preview (medians)",
      target: "≤ 1.5×",
      measured: `${f(p.ratio, 2)}× (${f(p.bench.median / 1000, 2)} s vs ${f(p.floor.median / 1000, 2)} s)`,
      met: p.ratio <= 1.5,
    });
  }
  if (report.growth) rows.push(...growthTargets(report.growth));
  if (report.takeover) {
    const t = summarizeTakeover(report.takeover);
    rows.push({
      id: "8",
      what: "takeover: republish elsewhere → viewers on the new owner (p50 / max)",
      target: "every cycle, max ≤ 1000 ms",
      measured: `${f(t.viewerMs.median, 0)} / ${f(t.viewerMs.max, 0)} ms (${t.completed} of ${t.cycles} cycles); both live at once max ${f(t.overlapMs.max, 0)} ms`,
      met: t.cycles > 0 && t.completed === t.cycles && t.viewerMs.max <= 1000,
    });
  }
  if (report.hostLoss) {
    const h = summarizeHostLoss(report.hostLoss);
    const n = h.cycles.length;
    rows.push({
      id: "9",
      what: "host link cut → its instances DOWN in every backend, max of cycles",
      target: `≤ inter × fall + timeout = ${f(h.budgetDownMs / 1000, 1)} s`,
      measured: `${f(latest(h.cycles.map((c) => c.downMs)) / 1000, 1)} s (median ${f(h.downMs.median / 1000, 1)} s, ${h.downMs.n} of ${n} cycles)`,
      met: n > 0 && h.cycles.every((c) => c.downMs <= h.budgetDownMs),
    });
    rows.push({
      id: "9",
      what: "host link cut: failed HLS requests of viewers on the surviving hosts",
      target: "0",
      measured: `${h.survivorFailed} of ${h.survivorRequests}`,
      met: n > 0 && h.survivorRequests > 0 && h.survivorFailed === 0,
    });
    rows.push({
      id: "9",
      what: "host link cut → the reconnected stream plays again (no target)",
      target: "—",
      measured: `median ${f(h.playableMs.median / 1000, 1)} s, max ${f(h.playableMs.max / 1000, 1)} s (${h.playableMs.n} of ${n} cycles)`,
      met: undefined,
    });
  }
  if (report.gatewayFailover) {
    const g = summarizeGatewayFailover(report.gatewayFailover);
    const n = g.cycles;
    const s = (ms: number) => f(ms / 1000, 2);
    rows.push({
      id: "10",
      what: "holder's host cut → the other gateway holds the floating address, max of cycles",
      target: `≤ ${f(MOVED_BUDGET_MS / 1000, 1)} s`,
      measured: `${s(g.movedMs.max)} s (median ${s(g.movedMs.median)} s, ${g.movedMs.n} of ${n} cycles)`,
      met: g.movedWithinBudget,
    });
    rows.push({
      id: "10",
      what: "holder's host cut → first answer to a new connection (no target)",
      target: "—",
      measured: `median ${s(g.pollerAnsweredMs.median)} s, max ${s(g.pollerAnsweredMs.max)} s (${g.pollerAnsweredMs.n} of ${n} cycles)`,
      met: undefined,
    });
    rows.push({
      id: "10",
      what: "holder's host cut → each HLS viewer's first answered request (no target)",
      target: "—",
      measured: `median ${s(g.viewerAnsweredMs.median)} s, max ${s(g.viewerAnsweredMs.max)} s (${g.viewerAnsweredMs.n} of ${g.viewers} viewers)`,
      met: undefined,
    });
    rows.push({
      id: "10",
      what: "HLS viewers keep one session through the failover",
      target: "every viewer",
      measured: `${g.viewersKeptSession} of ${g.viewers}`,
      met: g.viewers > 0 && g.viewersKeptSession === g.viewers,
    });
    rows.push({
      id: "10",
      what: "old holder back (equal priorities): it never holds the address again",
      target: "0 cycles",
      measured: `${g.tookBack} of ${n} cycles${g.bothHeld > 0 ? ` (both held it at once in ${g.bothHeld})` : ""}`,
      met: n > 0 && g.tookBack === 0,
    });
  }
  return rows;
}
