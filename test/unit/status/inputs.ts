// StatusInputs for the report and render tests: one set from real captures (a three-instance stack
// with mtx-3 stopped), one small synthetic healthy stack that table tests break one way at a time, and
// the three-host golden fixture with one engine unreachable.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Model } from "../../../infra/config/model";
import { instanceNames, stackNames } from "../../../infra/config/names";
import { parseRouterStatus, type RouterStatus } from "../../../infra/haproxy/router-status";
import { parseShowInfo, parseStatCsv, type ServerStat } from "../../../infra/haproxy/stats-csv";
import { deployedInstances, type OutputInstance } from "../../../infra/status/deployment";
import { type ContainerInfo, parseDockerInspect } from "../../../infra/status/docker-containers";
import { type LivePath, parsePathsPage } from "../../../infra/status/mediamtx-paths";
import type { StatusInputs } from "../../../infra/status/report";
import { loadFixtureModel } from "../../support/stack-fixtures";

const fixture = (name: string) => readFileSync(resolve(__dirname, "fixtures", name), "utf8");

/** Shortly after the captures: mtx-3 stopped at 12:44:46. */
const COLLECTED_AT = "2026-11-25T12:52:00.000Z";
const STACK = "e2e-status-x-1e4617";

const endpoints = (port: number) => ({
  stats: `http://127.0.0.1:${port}/stats`,
  metrics: `http://127.0.0.1:${port}/metrics`,
  router: `http://127.0.0.1:${port}/router`,
});

export function capturedInputs(): StatusInputs {
  const instances = [1, 2, 3].map((n) => ({
    name: `mtx-${n}`,
    weight: n === 1 ? 2 : 1,
    address: `10.213.204.${9 + n}`,
    containerName: instanceNames(STACK, "/unused", `mtx-${n}`).containerName,
  }));
  const mtx2: LivePath[] = [
    {
      name: "cam/d",
      ready: true,
      sourceType: "rtmpConn",
      tracks: ["H264", "MPEG-4 Audio"],
      readers: [],
      bytesReceived: 1,
    },
  ];
  return {
    stack: STACK,
    collectedAt: COLLECTED_AT,
    pollIntervalMs: 1000,
    haproxyContainer: stackNames(STACK, "/unused").gateway.containerName,
    logSinkContainer: stackNames(STACK, "/unused").logSink.containerName,
    instances,
    // Captured before the stack had a log sink: its container is added by hand.
    containers: [
      ...parseDockerInspect(JSON.parse(fixture("docker-inspect-one-down.json"))),
      container(stackNames(STACK, "/unused").logSink.containerName, { startedAt: "2026-11-25T12:44:00Z" }),
    ],
    haproxy: {
      ok: true,
      value: {
        stats: parseStatCsv(fixture("show-stat-3.0-one-down.csv")),
        info: parseShowInfo(fixture("show-info-3.0.txt")),
        via: "admin socket",
      },
    },
    router: { ok: true, value: parseRouterStatus(JSON.parse(fixture("router-one-down.json"))) },
    paths: {
      "mtx-1": { ok: true, value: parsePathsPage(JSON.parse(fixture("paths-list.json"))).items },
      "mtx-2": { ok: true, value: mtx2 },
      "mtx-3": { ok: false, error: "container not running" },
    },
    endpoints: endpoints(24404),
    metricsUrls: Object.fromEntries(instances.map((i) => [i.name, `http://${i.address}:9998/metrics`])),
    drift: [],
    limits: [],
  };
}

export function server(backend: string, name: string, fields: Partial<ServerStat> = {}): ServerStat {
  return {
    backend,
    server: name,
    status: "UP",
    weight: 1,
    checkStatus: "L7OK",
    checkCode: "200",
    checkDurationMs: 1,
    checkDesc: "Layer7 check passed",
    lastChangeS: 100,
    sessions: 0,
    sessionsTotal: 0,
    address: "",
    ...fields,
  };
}

export function container(name: string, fields: Partial<ContainerInfo> = {}): ContainerInfo {
  return {
    name,
    labels: {},
    status: "running",
    running: true,
    exitCode: 0,
    oomKilled: false,
    error: "",
    startedAt: "2026-11-25T12:00:00Z",
    finishedAt: undefined,
    restartCount: 0,
    addresses: {},
    mounts: [],
    ...fields,
  };
}

export function path(name: string, fields: Partial<LivePath> = {}): LivePath {
  return {
    name,
    ready: true,
    sourceType: "rtmpConn",
    tracks: ["H264"],
    readers: [],
    bytesReceived: 1,
    ...fields,
  };
}

/** Stack "t": instances a (weight 2) and b, all UP and polled; stream s live on a and routed there. */
export function healthyInputs(): StatusInputs {
  const names = ["a", "b"];
  const router: RouterStatus = {
    decoder: "cjson",
    counters: {
      polls: 10,
      pollErrors: 0,
      pollRequests: 10,
      wholeDecodes: 0,
      lookups: 0,
      lookupHits: 0,
      misses: 0,
      learned: 0,
      mapSize: 1,
      lastPollAgeMs: 100,
    },
    entries: [{ stream: "s", server: "a", source: "poll", ageMs: 5000 }],
    instances: names.map((name) => ({
      name,
      pollOk: true,
      claimed: name === "a" ? 1 : 0,
      lastPollAgeMs: 100,
      lastPollDecided: 0,
    })),
  };
  return {
    stack: "t",
    collectedAt: "2026-11-25T12:10:00.000Z",
    pollIntervalMs: 1000,
    haproxyContainer: "t-haproxy",
    logSinkContainer: "t-haproxy-log",
    instances: names.map((name, i) => ({
      name,
      weight: name === "a" ? 2 : 1,
      address: `10.0.0.${10 + i}`,
      containerName: instanceNames("t", "/unused", name).containerName,
    })),
    containers: [
      container("t-haproxy"),
      container("t-haproxy-log"),
      ...names.map((n) => container(instanceNames("t", "/unused", n).containerName)),
    ],
    haproxy: {
      ok: true,
      value: {
        stats: {
          servers: ["rtmp", "hls", "webrtc"].flatMap((backend) =>
            names.map((n) => server(backend, n, { weight: n === "a" ? 2 : 1 })),
          ),
          backends: [],
          frontends: [],
        },
        info: { Version: "3.0.11", Uptime_sec: "600", DroppedLogs: "0" },
        via: "admin socket",
      },
    },
    router: { ok: true, value: router },
    paths: {
      a: { ok: true, value: [path("s", { readers: [{ type: "hlsSession", id: "r1" }] })] },
      b: { ok: true, value: [] },
    },
    endpoints: endpoints(8404),
    metricsUrls: { a: "http://10.0.0.10:9998/metrics", b: "http://10.0.0.11:9998/metrics" },
    drift: [],
    limits: [],
  };
}

/**
 * healthyInputs with the abuse limits' counters captured from HAProxy 3.0 (show-stat-limits-3.0.csv,
 * show-table-3.0.txt: hls 8 denied, two addresses over its rate; rtmp 11 closed, 4 refused at accept),
 * webrtc's table unreadable, and rtmp's connection rate off.
 */
export function limitedInputs(): StatusInputs {
  const base = healthyInputs();
  const stats = parseStatCsv(fixture("show-stat-limits-3.0.csv"));
  const haproxy = base.haproxy.ok ? base.haproxy.value : undefined;
  if (haproxy === undefined) throw new Error("healthyInputs has no HAProxy snapshot");
  const http = [
    { counter: "http_req_rate", limit: 5 },
    { counter: "conn_cur", limit: 3 },
  ];
  return {
    ...base,
    haproxy: { ok: true, value: { ...haproxy, stats: { ...haproxy.stats, frontends: stats.frontends } } },
    limits: [
      {
        frontend: "hls",
        limits: http,
        table: { ok: true, value: { trackedAddresses: 3, overLimit: ["127.0.0.2", "127.0.0.3"] } },
      },
      { frontend: "webrtc", limits: http, table: { ok: false, error: "admin socket /run/x.sock: EACCES" } },
      {
        frontend: "rtmp",
        limits: [{ counter: "conn_cur", limit: 2 }],
        table: { ok: true, value: { trackedAddresses: 2, overLimit: [] } },
      },
    ],
  };
}

/** A HAProxy 3.0 snapshot over the admin socket with these servers. */
function snapshotOf(servers: ServerStat[]): StatusInputs["haproxy"] {
  return {
    ok: true,
    value: {
      stats: { servers, backends: [], frontends: [] },
      info: { Version: "3.0.11", Uptime_sec: "600", DroppedLogs: "0" },
      via: "admin socket",
    },
  };
}

/** The stack outputs' instances as a deployment of `model` lists them. */
function outputsOf(model: Model): OutputInstance[] {
  return model.instances.map((i) => ({
    name: i.name,
    weight: i.weight,
    container: i.containerName,
    ...(i.host === undefined ? {} : { host: i.host }),
  }));
}

/** Engine answers of the three-host stack: h3's engine refuses connections. */
const H3_DOWN =
  'docker version failed: error during connect: Get "http://10.9.0.13:2376/v1.47/version": dial tcp 10.9.0.13:2376: connect: connection refused';

/**
 * Stack "hosts" (test/fixtures/hosts.yaml): three hosts, two instances each, the gateway on h1. b2's
 * container exited; h3's engine does not answer, but c1's API does (c2's times out). A stale container
 * named like a1 on h2 (an instance moved) must not count for a1 on h1.
 */
export function hostsInputs(): StatusInputs {
  const model = loadFixtureModel("hosts");
  const outputs = outputsOf(model);
  const on = (host: string, info: ContainerInfo): ContainerInfo => ({ ...info, host });
  const byName = new Map(model.instances.map((i) => [i.name, i]));
  const name = (n: string) => byName.get(n)?.containerName ?? n;
  const containers = [
    on("h1", container(model.gateway.containerName)),
    on("h1", container(model.logSink.containerName)),
    on("h1", container(name("a1"))),
    on("h1", container(name("a2"))),
    on("h2", container(name("a1"), { status: "exited", running: false, finishedAt: "2026-11-25T11:00:00Z" })),
    on("h2", container(name("b1"))),
    on(
      "h2",
      container(name("b2"), {
        status: "exited",
        running: false,
        exitCode: 137,
        finishedAt: "2026-11-25T12:08:00Z",
      }),
    ),
  ];
  const instances = deployedInstances(outputs, model, containers);
  const names = instances.map((i) => i.name);
  const down = new Set(["b2", "c2"]);
  const router: RouterStatus = {
    decoder: "cjson",
    counters: {
      polls: 60,
      pollErrors: 8,
      pollRequests: 60,
      wholeDecodes: 0,
      lookups: 0,
      lookupHits: 0,
      misses: 0,
      learned: 0,
      mapSize: 1,
      lastPollAgeMs: 100,
    },
    entries: [{ stream: "cam/1", server: "b1", source: "poll", ageMs: 5000 }],
    instances: names.map((n) => ({
      name: n,
      pollOk: !down.has(n),
      claimed: n === "b1" ? 1 : 0,
      lastPollAgeMs: down.has(n) ? 120_000 : 100,
      lastPollDecided: 0,
    })),
  };
  return {
    stack: model.stack,
    collectedAt: "2026-11-25T12:10:00.000Z",
    pollIntervalMs: 1000,
    haproxyContainer: model.gateway.containerName,
    logSinkContainer: model.logSink.containerName,
    instances,
    containers,
    haproxy: snapshotOf(
      ["rtmp", "hls", "webrtc"].flatMap((backend) =>
        names.map((n) =>
          down.has(n)
            ? server(backend, n, {
                status: "DOWN",
                checkStatus: "L4CON",
                checkCode: "",
                checkDesc: "Connection refused",
              })
            : server(backend, n),
        ),
      ),
    ),
    router: { ok: true, value: router },
    paths: {
      a1: { ok: true, value: [] },
      a2: { ok: true, value: [] },
      b1: { ok: true, value: [path("cam/1", { readers: [{ type: "webRTCSession", id: "r1" }] })] },
      b2: { ok: false, error: "container not running" },
      c1: { ok: true, value: [] },
      c2: { ok: false, error: "GET http://10.9.0.13:19043/v3/paths/list?itemsPerPage=500&page=0: timeout" },
    },
    endpoints: endpoints(8404),
    metricsUrls: Object.fromEntries(
      instances.map((i) => [i.name, `http://${i.dial?.address}:${i.dial?.metrics}/metrics`]),
    ),
    drift: [],
    limits: [],
    hosts: model.hosts.map((h) => ({
      name: h.name,
      docker: h.docker,
      address: h.address,
      privateAddress: h.privateAddress ?? null,
      engine:
        h.name === "h3"
          ? { ok: false, error: H3_DOWN }
          : { ok: true, value: h.name === "h1" ? "27.3.1" : "20.10.24" },
    })),
    ...(model.gatewayHost === undefined ? {} : { gatewayHost: model.gatewayHost }),
  };
}

/** `ip -o -4 addr show` on a host holding the floating address (captured shape, keepalived image). */
export const IP_HOLDS_PAIR_ADDRESS = `1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
2: eth0    inet 198.51.100.11/24 brd 198.51.100.255 scope global eth0\\       valid_lft forever preferred_lft forever
2: eth0    inet 198.51.100.100/32 scope global eth0\\       valid_lft forever preferred_lft forever
`;

/**
 * Stack "pair" (test/fixtures/pair.yaml): gateways ga on h1 (holds 198.51.100.100) and gb on h2, each
 * with its HAProxy, log sink and keepalived; a1, b1, c1 on h1, h2, h3. Both maps route cam/1 to b1,
 * where it is live. The report is read from ga.
 */
export function pairInputs(): StatusInputs {
  const model = loadFixtureModel("pair");
  const [ga, gb] = model.gateways;
  if (ga === undefined || gb === undefined || model.floating === undefined) {
    throw new Error("test/fixtures/pair.yaml has no pair");
  }
  const outputs = outputsOf(model);
  const on = (host: string | undefined, name: string): ContainerInfo => ({
    ...container(name),
    ...(host === undefined ? {} : { host }),
  });
  const containers = [
    ...model.gateways.flatMap((g) => [
      on(g.host, g.containerName),
      on(g.host, g.logSink.containerName),
      on(g.host, g.keepalived?.containerName ?? "?"),
    ]),
    ...model.instances.map((i) => on(i.host, i.containerName)),
  ];
  const instances = deployedInstances(outputs, model, containers);
  const base = healthyInputs();
  if (!base.router.ok) throw new Error("healthyInputs has no router status");
  const router: RouterStatus = {
    ...base.router.value,
    entries: [{ stream: "cam/1", server: "b1", source: "poll", ageMs: 5000 }],
    instances: instances.map((i) => ({
      name: i.name,
      pollOk: true,
      claimed: i.name === "b1" ? 1 : 0,
      lastPollAgeMs: 100,
      lastPollDecided: 0,
    })),
  };
  const map = [{ stream: "cam/1", server: "b1" }];
  return {
    ...base,
    stack: model.stack,
    haproxyContainer: ga.containerName,
    logSinkContainer: ga.logSink.containerName,
    instances,
    containers,
    haproxy: snapshotOf(
      ["rtmp", "hls", "webrtc"].flatMap((backend) => instances.map((i) => server(backend, i.name))),
    ),
    router: { ok: true, value: router },
    paths: {
      a1: { ok: true, value: [] },
      b1: { ok: true, value: [path("cam/1")] },
      c1: { ok: true, value: [] },
    },
    metricsUrls: Object.fromEntries(
      instances.map((i) => [i.name, `http://${i.dial?.address}:${i.dial?.metrics}/metrics`]),
    ),
    hosts: model.hosts.map((h) => ({
      name: h.name,
      docker: h.docker,
      address: h.address,
      privateAddress: h.privateAddress ?? null,
      engine: { ok: true, value: "27.3.1" },
    })),
    ...(ga.host === undefined ? {} : { gatewayHost: ga.host }),
    floating: {
      address: model.floating.address,
      gateways: [ga, gb].map((g) => ({
        name: g.name,
        host: g.host,
        haproxyContainer: g.containerName,
        keepalivedContainer: g.keepalived?.containerName ?? "?",
        holds: { ok: true, value: g === ga },
        map: { ok: true, value: map },
      })),
    },
  };
}
