// What each measurement hands to the analysis and the report: raw observations only (every wrk run,
// every publish, every cycle). Summaries and ratios are computed from these in analysis.ts.
import type { ApiCallKind } from "./api-capture";
import type { WrkResult } from "./wrk";

/**
 * plain: the plain proxy, logging like the stack; bare: the same without a log; tls: the stack's router
 * through its HTTPS listener (same frontend as `router`, TLS ended in HAProxy).
 */
export type Target = "router" | "plain" | "bare" | "direct" | "tls";
export type Content = "playlist" | "segment";
export type LoadMode = "throughput" | "latency";

export interface WrkSample {
  readonly round: number;
  readonly content: Content;
  readonly mode: LoadMode;
  readonly connections: number;
  readonly target: Target;
  readonly wrk: WrkResult;
  /** CPU the proxy container used during the run, per request (µs); absent for direct. */
  readonly proxyCpuUsPerRequest?: number;
}

export interface DataPlaneResult {
  readonly owner: string;
  readonly instances: number;
  readonly durationS: number;
  readonly samples: readonly WrkSample[];
}

export interface ApiWindow {
  readonly seconds: number;
  readonly viewerRequests: number;
  readonly calls: Readonly<Record<ApiCallKind, number>>;
  /** Router counter deltas over the window (/router). */
  readonly routerPolls: number;
  readonly routerLookups: number;
}

export interface ApiCostResult {
  readonly instances: number;
  readonly pollIntervalMs: number;
  readonly healthIntervalMs: number;
  readonly idle: ApiWindow;
  readonly load: ApiWindow;
}

export interface ViewerRequest {
  readonly sentAt: number;
  /** How long the response took (ms); MediaMTX holds a new muxer's first playlist until it is ready. */
  readonly ms: number;
  /** HTTP status; 0 for a network error. */
  readonly status: number;
  /** HAProxy server that handled it (from the hls frontend's log), if found. */
  readonly server?: string;
  /** Whether the router knew an owner for the stream (map or lookup) or fell back to the hash. */
  readonly ownerKnown?: boolean;
}

export interface PublishTrace {
  readonly stream: string;
  readonly publishedAt: number;
  readonly owner?: string;
  readonly readyAt?: number;
  readonly requests: readonly ViewerRequest[];
}

export interface DiscoveryResult {
  readonly retryMs: number;
  readonly eager: readonly PublishTrace[];
  readonly afterReady: readonly PublishTrace[];
}

export interface FailoverCycle {
  readonly server: string;
  /** ms from `docker kill` returning to DOWN, per backend carrying the server. */
  readonly downMs: Readonly<Record<string, number>>;
  /** ms from `docker start` returning to UP, per backend. */
  readonly upMs: Readonly<Record<string, number>>;
}

export interface FailoverResult {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly fall: number;
  readonly rise: number;
  readonly cycles: readonly FailoverCycle[];
}

export type ChangeKind = "weights" | "interval" | "restart";

export interface ChangeRun {
  readonly kind: ChangeKind;
  readonly rep: number;
  readonly durationMs: number;
  readonly exitCode: number;
  /** Viewer requests sent and failed between the start of the change and 2 s after it ended. */
  readonly requests: number;
  readonly failed: number;
  readonly failureSamples: readonly string[];
  /** HAProxy master "Loading success." lines added (reloads; a restart counts its fresh start). */
  readonly reloads: number;
  /** RTMP publishers that did not survive the change. */
  readonly publishersLost: number;
}

export interface ChangeApplyResult {
  readonly viewers: number;
  readonly runs: readonly ChangeRun[];
}

export interface PreviewResult {
  readonly benchMs: readonly number[];
  readonly floorMs: readonly number[];
  /** Diagnostic: scripts/pulumi's no-op build of the program's JavaScript alone (part of every bench preview). */
  readonly buildMs: readonly number[];
  readonly benchResources: number;
}

export interface GrowthCell {
  /**
   * real: live paths are real publishes on MediaMTX instances of the bench stack. stand-in: a
   * MediaMTX-shaped listing (bench/lib/stand-in-listing.ts) per instance behind the real router and
   * gateway files, run locally (bench/scenarios/growth-stand-in.ts), for sizes this machine cannot publish.
   */
  readonly source: "real" | "stand-in";
  readonly instances: number;
  readonly paths: number;
  /** Whether the router's map reached `paths` entries in time. */
  readonly reached: boolean;
  readonly mapSize: number;
  readonly claimedPerInstance: readonly number[];
  readonly pagesPerPoll: readonly number[];
  readonly listMsPerInstance: readonly number[];
  readonly listBytesPerInstance: readonly number[];
  readonly luaCpuMsPerPoll: number;
  readonly pollsPerSecond: number;
  /**
   * Router API calls per second in the idle window: real cells count poll pages and lookups on the wire,
   * stand-in cells count the list requests the stand-ins answered (health checks excluded).
   */
  readonly apiCallsPerSecond: number;
  readonly haproxyIdleCpuPct: number;
  readonly samples: readonly WrkSample[];
  readonly rampSeconds: number;
}

/** A cell whose map did not reach its paths in time: nothing else is measured (real and stand-in alike). */
export function unreachedGrowthCell(
  source: GrowthCell["source"],
  instances: number,
  paths: number,
  mapSize: number,
  rampSeconds: number,
): GrowthCell {
  return {
    source,
    instances,
    paths,
    reached: false,
    mapSize,
    claimedPerInstance: [],
    pagesPerPoll: [],
    listMsPerInstance: [],
    listBytesPerInstance: [],
    luaCpuMsPerPoll: Number.NaN,
    pollsPerSecond: Number.NaN,
    apiCallsPerSecond: Number.NaN,
    haproxyIdleCpuPct: Number.NaN,
    samples: [],
    rampSeconds,
  };
}

export interface GrowthResult {
  readonly pollIntervalMs: number;
  /** Length of each cell's idle window (API calls, Lua CPU). */
  readonly profileWindowS: number;
  readonly upMs: Readonly<Record<number, number>>;
  readonly cells: readonly GrowthCell[];
  readonly note?: string;
}

export interface TakeoverCycle {
  readonly stream: string;
  readonly from: string;
  readonly to: string;
  /** From the second publisher's spawn: the router names the new owner (undefined: never, within the cycle). */
  readonly routedMs?: number;
  /** ... and a playlist request through the gateway succeeds after that. */
  readonly viewerMs?: number;
  /** ... the old instance no longer lists the name as ready. */
  readonly oldGoneMs?: number;
  /** How long both instances listed the name as ready at once. */
  readonly overlapMs?: number;
}

export interface TakeoverResult {
  readonly cycles: readonly TakeoverCycle[];
}

export interface HostLossCycle {
  /** The host whose links went down (config name: h2, h3). */
  readonly host: string;
  /** The stream whose encoder reconnected, and its owner before the cut and after. */
  readonly stream: string;
  readonly from: string;
  readonly to?: string;
  /** ms from the cut to DOWN, per `instance/backend` of every instance on the host (NaN: not in time). */
  readonly downMs: Readonly<Record<string, number>>;
  /** ms from the cut until the router names an owner of the stream on another host. */
  readonly routedMs?: number;
  /** ms from the cut until the stream's media playlist and a segment answered 200 in the client namespace. */
  readonly playableMs?: number;
  /** ffmpeg processes the reconnecting encoder started from the cut until the stream played. */
  readonly encoderStarts: number;
  /** When each of them started, ms after the cut. */
  readonly encoderStartMs: readonly number[];
  /** Streams whose owner was on another host at the cut; their viewers' requests from the cut on. */
  readonly survivorStreams: readonly string[];
  readonly survivorRequests: number;
  readonly survivorFailed: number;
  readonly failureSamples: readonly string[];
  /** Diagnostic: survivors whose router map entry went away or changed after the cut, and when. */
  readonly survivorMapChanges: readonly string[];
  /** Whether the publishers left alone on the cut host still ran when the link came back (never noticed). */
  readonly untouchedStillRunning: readonly boolean[];
  /** ms from the link restored to UP, per `instance/backend` (NaN: not in time). */
  readonly upMs: Readonly<Record<string, number>>;
}

export interface HostLossResult {
  readonly hosts: number;
  readonly instancesPerHost: number;
  readonly gatewayHost: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly fall: number;
  readonly rise: number;
  readonly pollIntervalMs: number;
  /** The encoder's pause before starting ffmpeg again after one exits. */
  readonly reconnectDelayMs: number;
  /** Viewers: pause between rounds (playlist → segment) and each request's timeout. */
  readonly viewerPauseMs: number;
  readonly viewerTimeoutMs: number;
  /** Lab (namespaces, engines), `pulumi up` and teardown (stack destroy + lab), wall clock. */
  readonly labMs: number;
  readonly upMs: number;
  readonly teardownMs?: number;
  readonly cycles: readonly HostLossCycle[];
}

/** A player-like HLS viewer during one gateway-failover cycle (from test/support/hls-play-main.ts). */
export interface GatewayFailoverViewer {
  /** A request of it was unanswered when the link went down (it waits for its own timeout). */
  readonly inFlightAtCut: boolean;
  /** ms from the cut to the end of its first answered request sent after the link went down. */
  readonly firstAnsweredMs?: number;
  /** Its requests sent from the cut on, and those of them without an answer (or a non-2xx/3xx). */
  readonly requestsAfter: number;
  readonly unansweredAfter: number;
  /** Times it started over from index.m3u8, and the MediaMTX sessions it saw, over the whole cycle. */
  readonly restarts: number;
  readonly sessions: number;
}

export interface GatewayFailoverCycle {
  /** `gateway@host` that held the floating address and whose host's links went down, and the other one. */
  readonly from: string;
  readonly to: string;
  /** The stream viewed and polled; its publisher came in through `to`'s own host address. */
  readonly stream: string;
  /** How long the cut itself took (both veths down), ms after the cut began. */
  readonly cutMs: number;
  /** ms from the cut until `to`'s namespace held the address (undefined: not within the cycle). */
  readonly movedMs?: number;
  /** ms from the cut until the poller's first answered request sent after the link went down. */
  readonly pollerAnsweredMs?: number;
  /** Poller requests sent after the link went down that got no answer before the first answered one. */
  readonly pollerUnanswered: number;
  readonly viewers: readonly GatewayFailoverViewer[];
  /** After the link came back: the holders every SETTLE_STEP ("h1", "h1+h2", "none"). */
  readonly settleHolders: readonly string[];
  /** The host cut (config name), so the settle samples can be read against it. */
  readonly cutHost: string;
}

export interface GatewayFailoverResult {
  readonly hosts: number;
  /** `gateway@host` in config order. */
  readonly gateways: readonly string[];
  readonly floatingAddress: string;
  readonly advertIntervalMs: number;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly fall: number;
  readonly rise: number;
  /** The poller: a fresh connection every `pollerEveryMs`, each given up after `pollerTimeoutMs`. */
  readonly pollerEveryMs: number;
  readonly pollerTimeoutMs: number;
  /** How often the standby's namespace was asked for its addresses. */
  readonly holderPollMs: number;
  /** Viewers per cycle, their per-request timeout and in-place retries (hls-play-main's). */
  readonly viewersPerCycle: number;
  readonly viewerTimeoutMs: number;
  readonly viewerRetryCount: number;
  readonly viewerRetryDelayMs: number;
  readonly settleStepMs: number;
  /** Lab, `pulumi up` and teardown, wall clock. */
  readonly labMs: number;
  readonly upMs: number;
  readonly teardownMs?: number;
  readonly cycles: readonly GatewayFailoverCycle[];
}

export interface Environment {
  readonly machine: import("./machine").MachineInfo;
  readonly versions: import("./machine").Versions;
  readonly load1AtStart: number;
  readonly load1AtEnd: number;
  readonly calmReached: boolean;
  readonly calmWaitedS: number;
  readonly profile: string;
  readonly totalMinutes: number;
  readonly loadPerScenario: Readonly<Record<string, number>>;
}

export interface BenchReport {
  readonly env: Environment;
  readonly dataPlane?: DataPlaneResult;
  readonly apiCost?: ApiCostResult;
  readonly discovery?: DiscoveryResult;
  readonly failover?: FailoverResult;
  readonly changeApply?: ChangeApplyResult;
  readonly preview?: PreviewResult;
  readonly growth?: GrowthResult;
  readonly takeover?: TakeoverResult;
  readonly hostLoss?: HostLossResult;
  readonly gatewayFailover?: GatewayFailoverResult;
}
