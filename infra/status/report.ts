// Everything the status collected → one report: a row per instance, a row per stream, the router's
// counters and a list of problems in plain words. Pure: the caller passes what it collected and when,
// so the same inputs always give the same report.

import { iceProxyName, PROXIES } from "../config/names";
import type { RouterCounters, RouterInstance, RouterStatus } from "../haproxy/router-status";
import { type BackendStat, type HaproxyStats, type ServerStat, takesNoTraffic } from "../haproxy/stats-csv";
import type { ContainerInfo } from "./docker-containers";
import {
  chooseGateway,
  compareMaps,
  type FloatingInput,
  type MapAgreement,
  type UsedGateway,
} from "./gateways";
import type { LivePath } from "./mediamtx-paths";

/** What a collector produced, or why it could not. */
export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: string };

/**
 * The backend whose server state decides whether a stream's owner can serve it: the one whose health
 * the router's lookup trusts.
 */
export const OWNER_BACKEND = PROXIES.health;

/** An instance as the stack's last deployment describes it. */
export interface DeployedInstance {
  readonly name: string;
  /** Weight in the deployed config (stack output `instances[].weight`). */
  readonly weight: number;
  /** Static address on the stack network. */
  readonly address: string;
  readonly containerName: string;
  /** With `hosts`: the host it runs on; absent without `hosts`. */
  readonly host?: string;
  /** With `hosts`: where its API and metrics answer (its host's private address, published ports). */
  readonly dial?: { readonly address: string; readonly api: number; readonly metrics: number };
}

/** One of `hosts` and what its engine said (`docker version`), or why it did not answer. */
export interface HostInput {
  readonly name: string;
  /** The engine endpoint (DOCKER_HOST). */
  readonly docker: string;
  readonly address: string;
  readonly privateAddress: string | null;
  /** The engine's version; an error when it did not answer or could not list the containers. */
  readonly engine: Result<string>;
}

export interface HaproxySnapshot {
  readonly stats: HaproxyStats;
  /** `show info`; from the stats page only DroppedLogs (read from /metrics), when it answered. */
  readonly info: Readonly<Record<string, string>>;
  /** "admin socket" or "stats page". */
  readonly via: string;
}

/** The certificate the gateway's HTTPS listener served the status (collect.ts), as node:tls saw it. */
export interface TlsObservation {
  /** `<host>:<port>` dialled. */
  readonly endpoint: string;
  readonly subject: string;
  /** `DNS:…, IP Address:…`. */
  readonly subjectAltName: string;
  /** ISO time the certificate expires. */
  readonly validTo: string;
  /** Why it is not trusted (the CA file or the system's CAs, and the public name); null when it is. */
  readonly untrusted: string | null;
}

/** A certificate this close to its end is reported (a self-signed one is renewed at the next `up`). */
export const TLS_WARN_DAYS = 30;
/** One limit of a frontend: its stick-table counter and the value above which HAProxy refuses. */
export interface CounterLimit {
  /** `http_req_rate` (per 10 s), `conn_cur` or `conn_rate` (per 10 s). */
  readonly counter: string;
  readonly limit: number;
}

/** A frontend with abuse limits (deployment.ts frontendLimits); `limits` empty: all its limits are off. */
export interface FrontendLimits {
  readonly frontend: string;
  readonly limits: readonly CounterLimit[];
}

/** A limited frontend's stick table, as the collector read it over the admin socket. */
export interface LimitTableSnapshot {
  /** Client addresses the table holds (seen within its expiry). */
  readonly trackedAddresses: number;
  /** Addresses above at least one limit now, sorted. */
  readonly overLimit: readonly string[];
}

export interface LimitInput extends FrontendLimits {
  /** null when every limit of the frontend is off (no table to read). */
  readonly table: Result<LimitTableSnapshot> | null;
}

export interface StatusEndpoints {
  readonly stats: string;
  readonly metrics: string;
  readonly router: string;
}

export interface StatusInputs {
  readonly stack: string;
  /** ISO time of collection; every age in the report is relative to it. */
  readonly collectedAt: string;
  /** The router's poll interval: a poll older than staleAfterMs(this) is reported. */
  readonly pollIntervalMs: number;
  readonly haproxyContainer: string;
  /** The request-log sink's container (model.logSink). */
  readonly logSinkContainer: string;
  readonly instances: readonly DeployedInstance[];
  readonly containers: readonly ContainerInfo[];
  readonly haproxy: Result<HaproxySnapshot>;
  readonly router: Result<RouterStatus>;
  /** Instance name → its paths; an error when its API did not answer (or was not asked). */
  readonly paths: Readonly<Record<string, Result<readonly LivePath[]>>>;
  readonly endpoints: StatusEndpoints;
  /** Instance name → its Prometheus endpoint on the stack network. */
  readonly metricsUrls: Readonly<Record<string, string>>;
  /** Differences between the config and the last deployment (deployment.ts configDrift). */
  readonly drift: readonly string[];
  /** The limited frontends (hls, webrtc, rtmp) and their tables. */
  readonly limits: readonly LimitInput[];
  /** Restricts the stream rows (and their problems) to this stream, listed even when unknown. */
  readonly stream?: string;
  /** With TLS: the served certificate; absent without TLS. */
  readonly tls?: Result<TlsObservation>;
  /** With `hosts`: every host in config order; absent without (one default engine). */
  readonly hosts?: readonly HostInput[];
  /** With `hosts`: the host that runs the gateway and its log sink (with `floating`: the used one's). */
  readonly gatewayHost?: string;
  /**
   * With a floating address: every gateway of the pair. haproxyContainer, logSinkContainer, gatewayHost,
   * haproxy, router and limits are then the used gateway's (gateways.ts chooseGateway).
   */
  readonly floating?: FloatingInput;
}

export interface ContainerView {
  readonly name: string;
  /** Docker's state, "missing", or "unknown" when its host's engine did not answer. */
  readonly state: string;
  readonly running: boolean;
  /** Exit code while not running, else null. */
  readonly exitCode: number | null;
  readonly oomKilled: boolean;
  /** Start (running) or end (otherwise) time, and its age at collection. */
  readonly since: string | null;
  readonly sinceMs: number | null;
  readonly restartCount: number;
}

export interface BackendServerView {
  readonly backend: string;
  readonly status: string;
  readonly weight: number | null;
  /** Check result and L7 code: "L7OK 200", "L4TOUT". */
  readonly check: string;
  readonly checkDesc: string;
  readonly checkDurationMs: number | null;
  readonly lastChangeS: number | null;
  readonly sessions: number | null;
}

export interface InstanceView {
  readonly name: string;
  readonly address: string;
  readonly weight: { readonly deployed: number; readonly haproxy: number | null };
  readonly container: ContainerView;
  /** This instance's server in every backend, in HAProxy's order. */
  readonly backends: readonly BackendServerView[];
  readonly api: { readonly ok: boolean; readonly error: string | null };
  /** Streams live (ready) here, sorted; null when the API did not answer. */
  readonly streams: readonly string[] | null;
  readonly readers: number | null;
  /** The router's view of its polls of this instance; null when the router did not answer or lacks it. */
  readonly router: RouterInstance | null;
  readonly metricsUrl: string;
  /** With `hosts`: the host it runs on. */
  readonly host?: string;
  /** With `hosts`: `<address>:<port>` of its API, where the status asked it (the gateway dials there too). */
  readonly dial?: string;
}

/** One of `hosts` (JSON `hosts[]`): where it is and whether its engine answered. */
export interface HostView {
  readonly name: string;
  readonly docker: string;
  readonly address: string;
  readonly privateAddress: string | null;
  /** Runs the gateway and its log sink (with a floating address: the gateway this report is read from). */
  readonly gateway: boolean;
  /** With a floating address: the gateways on this host; absent without. */
  readonly gateways?: readonly string[];
  readonly engine: { readonly reachable: boolean; readonly version?: string; readonly error?: string };
}

/** One gateway of a pair (JSON `gateways[]`). */
export interface GatewayView {
  readonly name: string;
  readonly host: string | null;
  readonly haproxy: ContainerView;
  readonly keepalived: ContainerView;
  /** Whether its host holds the floating address; null when unknown (holdsError says why). */
  readonly holdsAddress: boolean | null;
  readonly holdsError: string | null;
  /** Stream → owner in its stream map, sorted by stream; null when unread (mapError says why). */
  readonly map: Readonly<Record<string, string>> | null;
  readonly mapError: string | null;
  /** The servers, router, streams and instances of this report are read from this gateway. */
  readonly used: boolean;
}

/** A pair's floating address (JSON `floating`): who holds it, which gateway was read, whether maps agree. */
export interface FloatingView {
  readonly address: string;
  /** Gateways known to hold it, config order: exactly one is healthy. */
  readonly holders: readonly string[];
  readonly used: UsedGateway;
  readonly maps: MapAgreement;
}

export interface StreamReaderView {
  readonly instance: string;
  readonly type: string;
  readonly id: string;
}

export interface StreamView {
  readonly name: string;
  /** Owner in the router's map: where HAProxy sends its HLS and WebRTC requests. */
  readonly routedTo: string | null;
  /** How the router learned it: poll, lookup or learn. */
  readonly routeSource: string | null;
  readonly routeAgeMs: number | null;
  /** Instances where a publisher is attached and ready. */
  readonly liveOn: readonly string[];
  /** Instances where the path exists without a ready publisher. */
  readonly notReadyOn: readonly string[];
  readonly publisher: string | null;
  readonly tracks: readonly string[];
  readonly readers: readonly StreamReaderView[];
  readonly problems: readonly string[];
}

/** Addresses listed by name in LimitView.overLimitAddresses; the count is always whole. */
export const MAX_LISTED_ADDRESSES = 20;

/** What a frontend's abuse limits refused and whom they hold back now. */
export interface LimitView {
  readonly frontend: string;
  /** Counter → limit for the limits that are on; empty when all are off. */
  readonly limits: Readonly<Record<string, number>>;
  /** `dreq` since HAProxy's worker started: 429s (HTTP) and logged closes (RTMP). */
  readonly deniedRequests: number | null;
  /** `dcon`: RTMP connections refused at accept (far over a limit, not logged). */
  readonly deniedConnections: number | null;
  readonly trackedAddresses: number | null;
  /** Addresses above a limit now (`clear table <frontend> key <address>` lets one in again). */
  readonly overLimit: number | null;
  /** The first MAX_LISTED_ADDRESSES of them, sorted. */
  readonly overLimitAddresses: readonly string[];
  /** Why the table could not be read; null when read or when there is no table. */
  readonly error: string | null;
}

export interface StatusReport {
  readonly stack: string;
  readonly collectedAt: string;
  readonly haproxy: {
    readonly container: ContainerView;
    readonly version: string | null;
    readonly uptimeS: number | null;
    readonly via: string | null;
    readonly error: string | null;
    readonly backends: readonly BackendStat[];
  };
  readonly router: { readonly counters: RouterCounters | null; readonly error: string | null };
  /** The per-request log: where it is read (`docker logs <container>`) and what it lost. */
  readonly requestLog: {
    readonly container: ContainerView;
    /**
     * Lines the gateway dropped because the sink's queue was full (`show info` DroppedLogs, the same as
     * haproxy_process_dropped_logs_total) since its worker started; null when HAProxy did not say.
     */
    readonly droppedLines: number | null;
  };
  /** With `hosts`: every host in config order; absent without (JSON unchanged for one engine). */
  readonly hosts?: readonly HostView[];
  /** With a floating address: the pair; both absent without (JSON unchanged for one gateway). */
  readonly floating?: FloatingView;
  readonly gateways?: readonly GatewayView[];
  readonly instances: readonly InstanceView[];
  readonly streams: readonly StreamView[];
  /** Per limited frontend (hls, webrtc, rtmp): denials and tracked addresses. */
  readonly limits: readonly LimitView[];
  readonly endpoints: StatusEndpoints;
  /** With TLS: the served certificate and its days left (fractional days floored); null without TLS. */
  readonly tls:
    | (Partial<TlsObservation> & { readonly daysLeft: number | null; readonly error: string | null })
    | null;
  /** Everything that looks wrong, one line each, most basic first (containers, HAProxy, router, streams). */
  readonly problems: readonly string[];
}

/**
 * A poll is stale when the newest success is older than three intervals plus 2 s. A healthy instance
 * is polled every interval; a stopped one keeps the router's poll hanging (HAProxy's httpclient retries
 * a connect timeout), and during that time the router still reports the previous poll as ok.
 * Internal. Exported for testing.
 */
export function staleAfterMs(pollIntervalMs: number): number {
  return 3 * pollIntervalMs + 2000;
}

/** "1.2s", "42s", "5m07s", "2h03m", "3d04h". Internal. Exported for testing. */
export function formatAge(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(1)}s`;
  if (s < 60) return `${Math.floor(s)}s`;
  const pad = (n: number) => String(n).padStart(2, "0");
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${pad(Math.floor(s % 60))}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${pad(m % 60)}m`;
  return `${Math.floor(h / 24)}d${pad(h % 24)}h`;
}

function toContainerView(
  name: string,
  info: ContainerInfo | undefined,
  now: number,
  engineDown = false,
): ContainerView {
  if (info === undefined) {
    return {
      name,
      state: engineDown ? "unknown" : "missing",
      running: false,
      exitCode: null,
      oomKilled: false,
      since: null,
      sinceMs: null,
      restartCount: 0,
    };
  }
  const since = (info.running ? info.startedAt : info.finishedAt) ?? null;
  const at = since === null ? Number.NaN : Date.parse(since);
  return {
    name,
    state: info.status,
    running: info.running,
    exitCode: info.running ? null : info.exitCode,
    oomKilled: info.oomKilled,
    since,
    sinceMs: Number.isNaN(at) ? null : Math.max(0, now - at),
    restartCount: info.restartCount,
  };
}

function toBackendServerView(s: ServerStat): BackendServerView {
  return {
    backend: s.backend,
    status: s.status,
    weight: s.weight ?? null,
    check: [s.checkStatus, s.checkCode].filter((x) => x !== "").join(" "),
    checkDesc: s.checkDesc,
    checkDurationMs: s.checkDurationMs ?? null,
    lastChangeS: s.lastChangeS ?? null,
    sessions: s.sessions ?? null,
  };
}

function containerProblem(label: string, c: ContainerView): string | undefined {
  // Its host's engine did not answer: said once per host (hostProblem), not per container.
  if (c.state === "unknown") return undefined;
  if (c.state === "missing") return `${label}: container ${c.name} does not exist`;
  const age = c.sinceMs === null ? "" : ` ${formatAge(c.sinceMs)} ago`;
  if (c.state === "restarting")
    return `${label}: container ${c.name} is restarting (${c.restartCount} restarts)`;
  if (!c.running) {
    const oom = c.oomKilled ? ", OOM-killed" : "";
    return `${label}: container ${c.name} ${c.state} (exit code ${c.exitCode}${oom})${age}`;
  }
  if (c.restartCount > 0) {
    const times = c.restartCount === 1 ? "once" : `${c.restartCount} times`;
    const up = c.sinceMs === null ? "" : `, running for ${formatAge(c.sinceMs)}`;
    return `${label}: container ${c.name} restarted ${times}${up}`;
  }
  return undefined;
}

function toHostView(
  host: HostInput,
  gatewayHost: string | undefined,
  floating: FloatingInput | undefined,
): HostView {
  return {
    name: host.name,
    docker: host.docker,
    address: host.address,
    privateAddress: host.privateAddress,
    gateway: host.name === gatewayHost,
    ...(floating === undefined
      ? {}
      : { gateways: floating.gateways.filter((g) => g.host === host.name).map((g) => g.name) }),
    engine: host.engine.ok
      ? { reachable: true, version: host.engine.value }
      : { reachable: false, error: host.engine.error },
  };
}

/** A host whose engine did not answer, in one line naming what runs there (its states are unknown). */
function hostProblem(inputs: StatusInputs, host: HostInput): string | undefined {
  if (host.engine.ok) return undefined;
  const gateways =
    inputs.floating === undefined
      ? host.name === inputs.gatewayHost
        ? ["haproxy", "log sink"]
        : []
      : inputs.floating.gateways.filter((g) => g.host === host.name).map((g) => `gateway ${g.name}`);
  const there = [...gateways, ...inputs.instances.filter((i) => i.host === host.name).map((i) => i.name)];
  const unknown = there.length === 0 ? "" : ` (container states unknown: ${there.join(", ")})`;
  return `host ${host.name}: engine ${host.docker} unreachable: ${host.engine.error}${unknown}`;
}

/** The stack's status from what was collected. */
export function buildReport(inputs: StatusInputs): StatusReport {
  const now = Date.parse(inputs.collectedAt);
  // Keyed by host and name: with `hosts` a container counts only on the engine it is meant to run on.
  const key = (host: string | undefined, name: string) => `${host ?? ""}/${name}`;
  const containers = new Map(inputs.containers.map((c) => [key(c.host, c.name), c]));
  const engineDown = new Set((inputs.hosts ?? []).filter((h) => !h.engine.ok).map((h) => h.name));
  const containerOn = (host: string | undefined, name: string) =>
    toContainerView(name, containers.get(key(host, name)), now, host !== undefined && engineDown.has(host));
  const problems: string[] = inputs.drift.map(
    (d) => `config: ${d} (see scripts/pulumi preview --stack ${inputs.stack})`,
  );
  // Hosts next: an unreachable engine explains every unknown container state below.
  for (const host of inputs.hosts ?? []) {
    const p = hostProblem(inputs, host);
    if (p) problems.push(p);
  }

  // A pair: each gateway's containers, the address, the maps. Its problems name the used gateway's
  // HAProxy container too, so it is not reported again below.
  const pair = inputs.floating === undefined ? undefined : pairView(inputs.floating, containerOn, engineDown);
  if (pair !== undefined) problems.push(...pair.problems);

  // HAProxy itself.
  const haproxyContainer = containerOn(inputs.gatewayHost, inputs.haproxyContainer);
  const haproxyContainerProblem = containerProblem("haproxy", haproxyContainer);
  if (haproxyContainerProblem && pair === undefined) problems.push(haproxyContainerProblem);
  const snapshot = inputs.haproxy.ok ? inputs.haproxy.value : undefined;
  if (!inputs.haproxy.ok) problems.push(`haproxy: no server states: ${inputs.haproxy.error}`);
  const servers = snapshot?.stats.servers ?? [];
  const uptime = Number(snapshot?.info.Uptime_sec);

  // The request log. Drops alone are no problem (the sink sheds lines under load by design); a sink
  // that is not running is: while it is down every line is lost, and not counted.
  const logSinkContainer = containerOn(inputs.gatewayHost, inputs.logSinkContainer);
  const logSinkProblem = containerProblem("log sink", logSinkContainer);
  if (logSinkProblem) problems.push(`${logSinkProblem}: request log lines are lost, uncounted`);
  const droppedLines = Number(snapshot?.info.DroppedLogs ?? Number.NaN);

  // The router.
  const router = inputs.router.ok ? inputs.router.value : undefined;
  if (!inputs.router.ok) problems.push(`router: no status: ${inputs.router.error}`);
  const stale = staleAfterMs(inputs.pollIntervalMs);

  // Instances.
  const routerProblems: string[] = [];
  const instances = inputs.instances.map((deployed): InstanceView => {
    const container = containerOn(deployed.host, deployed.containerName);
    const own = servers.filter((s) => s.server === deployed.name);
    const backends = own.map(toBackendServerView);
    const balanced = own.filter((s) => s.backend !== iceProxyName(s.server) && s.weight !== undefined);
    const weights = [...new Set(balanced.map((s) => s.weight))];
    const paths = inputs.paths[deployed.name];
    const ready = paths?.ok ? paths.value.filter((p) => p.ready) : undefined;
    const routerInstance = router?.instances.find((i) => i.name === deployed.name) ?? null;

    const label = deployed.name;
    const cp = containerProblem(label, container);
    if (cp) problems.push(cp);
    if (snapshot && own.length === 0)
      problems.push(`${label}: no server in HAProxy's config (reload pending?)`);
    // Group non-UP servers by status, so a dead instance is one line, not one per backend.
    const byStatus = new Map<string, ServerStat[]>();
    for (const s of own) {
      if (s.status === "UP" || s.status === "DRAIN" || s.status === "no check") continue;
      byStatus.set(s.status, [...(byStatus.get(s.status) ?? []), s]);
    }
    for (const [status, list] of byStatus) {
      // Only backend hls runs checks (the others track it): quote the server that has a check result.
      const checked = list.find((s) => s.checkStatus !== "") ?? list[0];
      const check = checked
        ? [checked.checkStatus, checked.checkCode, checked.checkDesc].filter(Boolean).join(" ")
        : "";
      const names = list.map((s) => (s.backend === iceProxyName(label) ? "ice" : s.backend)).join(", ");
      problems.push(`${label}: ${status} in ${names}${check ? ` (last check: ${check})` : ""}`);
    }
    const mismatched = weights.filter((w) => w !== deployed.weight);
    if (mismatched.length > 0) {
      problems.push(`${label}: HAProxy weight ${weights.join("/")}, deployed ${deployed.weight}`);
    }
    // A state unknown (engine unreachable) does not stop the API from answering: it was asked regardless.
    if (paths && !paths.ok && (container.running || container.state === "unknown"))
      problems.push(`${label}: MediaMTX API: ${paths.error}`);
    if (router) {
      if (routerInstance === null) {
        routerProblems.push(`router: does not poll ${label} (router.lua older than the instance list?)`);
      } else if (routerInstance.lastPollAgeMs === null) {
        routerProblems.push(`router: no successful poll of ${label} yet`);
      } else if (!routerInstance.pollOk) {
        routerProblems.push(
          `router: polls of ${label} fail (last success ${formatAge(routerInstance.lastPollAgeMs)} ago); its streams keep their owner`,
        );
      } else if (routerInstance.lastPollAgeMs > stale) {
        routerProblems.push(
          `router: last successful poll of ${label} was ${formatAge(routerInstance.lastPollAgeMs)} ago (a poll is hanging)`,
        );
      }
    }
    return {
      name: deployed.name,
      address: deployed.address,
      weight: { deployed: deployed.weight, haproxy: weights.length === 1 ? (weights[0] ?? null) : null },
      container,
      backends,
      api: {
        ok: paths?.ok === true,
        error: paths === undefined ? "not asked" : paths.ok ? null : paths.error,
      },
      streams: ready ? ready.map((p) => p.name).sort() : null,
      readers: paths?.ok ? paths.value.reduce((n, p) => n + p.readers.length, 0) : null,
      router: routerInstance,
      metricsUrl: inputs.metricsUrls[deployed.name] ?? "",
      ...(deployed.host === undefined ? {} : { host: deployed.host }),
      ...(deployed.dial === undefined ? {} : { dial: `${deployed.dial.address}:${deployed.dial.api}` }),
    };
  });
  problems.push(...routerProblems);

  // Streams: every stream the map routes or an instance holds.
  const ownerStatus = new Map(
    servers.filter((s) => s.backend === OWNER_BACKEND).map((s) => [s.server, s.status]),
  );
  const entries = new Map((router?.entries ?? []).map((e) => [e.stream, e]));
  const held = new Map<string, { instance: string; path: LivePath }[]>();
  for (const instance of inputs.instances) {
    const paths = inputs.paths[instance.name];
    if (!paths?.ok) continue;
    for (const path of paths.value) {
      held.set(path.name, [...(held.get(path.name) ?? []), { instance: instance.name, path }]);
    }
  }
  // Instances whose paths are unknown: a stream "live nowhere" may be live there.
  const unanswered = inputs.instances.flatMap((i) => {
    const paths = inputs.paths[i.name];
    return paths?.ok === true ? [] : [`${i.name}: ${paths?.error ?? "not asked"}`];
  });
  const names =
    inputs.stream !== undefined ? [inputs.stream] : [...new Set([...entries.keys(), ...held.keys()])].sort();
  const streams = names.map((name): StreamView => {
    const entry = entries.get(name);
    const holders = held.get(name) ?? [];
    const live = holders.filter((h) => h.path.ready);
    const liveOn = live.map((h) => h.instance);
    const notReadyOn = holders.filter((h) => !h.path.ready).map((h) => h.instance);
    const routedTo = entry?.server ?? null;
    const mine: string[] = [];
    const unknown = unanswered.length > 0 ? ` (unknown on ${unanswered.join("; ")})` : "";
    if (routedTo !== null && liveOn.length === 0) {
      mine.push(`routed to ${routedTo}, but live nowhere${unknown}: viewers get 404`);
    } else if (routedTo !== null && !liveOn.includes(routedTo)) {
      mine.push(`routed to ${routedTo}, but live on ${liveOn.join(", ")}`);
    }
    // Without the router's status the map is unknown, not empty: no map-based findings then.
    if (router !== undefined && routedTo === null && liveOn.length > 0) {
      mine.push(`live on ${liveOn.join(", ")}, but not in the router's map (router behind or not polling)`);
    }
    if (liveOn.length > 1) mine.push(`published on ${liveOn.length} instances (${liveOn.join(", ")})`);
    const status = routedTo === null ? undefined : ownerStatus.get(routedTo);
    if (status !== undefined && takesNoTraffic(status)) {
      mine.push(
        `owner ${routedTo} is ${status} in ${OWNER_BACKEND}: HAProxy redispatches to an instance without it`,
      );
    }
    if (liveOn.length === 0 && notReadyOn.length > 0) {
      mine.push(`exists on ${notReadyOn.join(", ")} without a ready publisher`);
    }
    if (routedTo === null && holders.length === 0) {
      const map = router === undefined ? "" : "not in the router's map and ";
      mine.push(`${map}live nowhere${unknown}: nothing publishes it`);
    }
    problems.push(...mine.map((p) => `${name}: ${p}`));
    const source = live[0]?.path ?? holders[0]?.path;
    return {
      name,
      routedTo,
      routeSource: entry?.source ?? null,
      routeAgeMs: entry?.ageMs ?? null,
      liveOn,
      notReadyOn,
      publisher: source?.sourceType ?? null,
      tracks: source?.tracks ?? [],
      readers: holders.flatMap((h) =>
        h.path.readers.map((r) => ({ instance: h.instance, type: r.type, id: r.id })),
      ),
      problems: mine,
    };
  });

  const tls = tlsView(inputs.tls, now);
  if (tls?.error) problems.push(`tls: ${tls.error}`);
  if (tls?.untrusted)
    problems.push(`tls: ${tls.endpoint} serves a certificate that is not trusted: ${tls.untrusted}`);
  if (tls?.daysLeft !== null && tls?.daysLeft !== undefined && tls.daysLeft < TLS_WARN_DAYS) {
    problems.push(
      tls.daysLeft < 0
        ? `tls: the certificate expired on ${tls.validTo}`
        : `tls: the certificate expires in ${tls.daysLeft} days (${tls.validTo}): renew it (a self-signed one: scripts/pulumi up --stack ${inputs.stack})`,
    );
  }
  const frontends = new Map((snapshot?.stats.frontends ?? []).map((f) => [f.frontend, f]));
  const limits = inputs.limits.map((input): LimitView => {
    const stat = frontends.get(input.frontend);
    const table = input.table?.ok ? input.table.value : undefined;
    return {
      frontend: input.frontend,
      limits: Object.fromEntries(input.limits.map((l) => [l.counter, l.limit])),
      deniedRequests: stat?.deniedRequests ?? null,
      deniedConnections: stat?.deniedConnections ?? null,
      trackedAddresses: table?.trackedAddresses ?? null,
      overLimit: table?.overLimit.length ?? null,
      overLimitAddresses: table?.overLimit.slice(0, MAX_LISTED_ADDRESSES) ?? [],
      error: input.table === null || input.table.ok ? null : input.table.error,
    };
  });

  return {
    stack: inputs.stack,
    collectedAt: inputs.collectedAt,
    haproxy: {
      container: haproxyContainer,
      version: snapshot?.info.Version ?? null,
      uptimeS: Number.isFinite(uptime) ? uptime : null,
      via: snapshot?.via ?? null,
      error: inputs.haproxy.ok ? null : inputs.haproxy.error,
      backends: snapshot?.stats.backends ?? [],
    },
    router: { counters: router?.counters ?? null, error: inputs.router.ok ? null : inputs.router.error },
    requestLog: {
      container: logSinkContainer,
      droppedLines: Number.isFinite(droppedLines) ? droppedLines : null,
    },
    ...(inputs.hosts === undefined
      ? {}
      : { hosts: inputs.hosts.map((h) => toHostView(h, inputs.gatewayHost, inputs.floating)) }),
    ...(pair === undefined ? {} : { floating: pair.floating, gateways: pair.gateways }),
    instances,
    streams,
    limits,
    endpoints: inputs.endpoints,
    tls,
    problems,
  };
}

/** Differences named in a problem line; the count is always whole (JSON `floating.maps` lists them all). */
export const MAX_LISTED_DIFFERENCES = 10;

/** A stream's owners on each gateway, in words: "cam/1 (ga a1, gb -)". */
export function differenceText(d: MapAgreement["differences"][number]): string {
  return `${d.stream} (${Object.entries(d.owners)
    .map(([g, o]) => `${g} ${o ?? "-"}`)
    .join(", ")})`;
}

/** A pair's views and problems: containers, who holds the address, unread and differing maps. */
function pairView(
  floating: FloatingInput,
  containerOn: (host: string | undefined, name: string) => ContainerView,
  engineDown: ReadonlySet<string>,
): { floating: FloatingView; gateways: GatewayView[]; problems: string[] } {
  const { address } = floating;
  const used = chooseGateway(floating);
  const maps = compareMaps(floating.gateways);
  const problems: string[] = [];
  const gateways = floating.gateways.map((g): GatewayView => {
    const haproxy = containerOn(g.host, g.haproxyContainer);
    const keepalived = containerOn(g.host, g.keepalivedContainer);
    for (const c of [haproxy, keepalived]) {
      const p = containerProblem(`gateway ${g.name}`, c);
      if (p) problems.push(p);
    }
    // An unreachable engine is said once, for its host (hostProblem).
    if (!g.holds.ok && !(g.host !== undefined && engineDown.has(g.host))) {
      problems.push(`gateway ${g.name}: whether it holds ${address} is unknown: ${g.holds.error}`);
    }
    if (!g.map.ok) problems.push(`gateway ${g.name}: stream map unreadable: ${g.map.error}`);
    return {
      name: g.name,
      host: g.host ?? null,
      haproxy,
      keepalived,
      holdsAddress: g.holds.ok ? g.holds.value : null,
      holdsError: g.holds.ok ? null : g.holds.error,
      map: g.map.ok
        ? Object.fromEntries(
            [...g.map.value]
              .sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0))
              .map((e) => [e.stream, e.server]),
          )
        : null,
      mapError: g.map.ok ? null : g.map.error,
      used: g.name === used.name,
    };
  });
  const holders = gateways.filter((g) => g.holdsAddress === true).map((g) => g.name);
  const unknown = gateways.filter((g) => g.holdsAddress === null).map((g) => g.name);
  if (holders.length === 0) {
    const maybe = unknown.length === 0 ? "" : ` (unknown on ${unknown.join(", ")})`;
    problems.push(`gateways: no gateway holds ${address}${maybe}: clients reach no gateway there`);
  } else if (holders.length > 1) {
    problems.push(
      `gateways: ${holders.length} gateways hold ${address} (${holders.join(", ")}): clients reach either one (VRRP adverts not getting through?)`,
    );
  }
  if (maps.agree === false) {
    const listed = maps.differences.slice(0, MAX_LISTED_DIFFERENCES).map(differenceText);
    const more = maps.differences.length > listed.length ? ", …" : "";
    problems.push(
      `gateways: stream maps differ on ${maps.differences.length} of ${maps.streams} streams: ${listed.join(", ")}${more}`,
    );
  }
  return { floating: { address, holders, used, maps }, gateways, problems };
}

function tlsView(observed: Result<TlsObservation> | undefined, now: number): StatusReport["tls"] {
  if (observed === undefined) return null;
  if (!observed.ok) return { daysLeft: null, error: `no certificate: ${observed.error}` };
  const end = Date.parse(observed.value.validTo);
  return {
    ...observed.value,
    daysLeft: Number.isNaN(end) ? null : Math.floor((end - now) / 86_400_000),
    error: null,
  };
}
