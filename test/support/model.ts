// Hand-built Models for renderer and router tests: plausible values that satisfy the type without going
// through validateConfig, so a test states only what it is about. Derived names come from the model's
// own module (infra/config/names.ts), as validateConfig takes them.

import type { InstanceModel, Model } from "../../infra/config/model";
import { MEDIAMTX_PORTS, PUBLISH_HOOK_PORT } from "../../infra/config/model";
import {
  endpoints,
  instanceNames,
  localUrls,
  PROXIES,
  publishHookUrl,
  stackNames,
} from "../../infra/config/names";
import { LIMIT_DEFAULTS } from "../../infra/config/security";

export interface InstanceSpec {
  readonly name: string;
  readonly weight?: number;
  readonly iceTcpPort?: number;
  readonly address?: string;
}

const STACK = "t";
const HOST_DIR = "/home/tester/.local/state/mediamtx-lb/t";

/** Instances in the order given (index = position); addresses .10, .11, … of 10.213.7.0/24 unless given. */
export function testInstances(
  specs: readonly InstanceSpec[],
  stack = STACK,
  hostDir = HOST_DIR,
): InstanceModel[] {
  return specs.map((spec, index) => {
    const address = spec.address ?? `10.213.7.${10 + index}`;
    const iceTcpPort = spec.iceTcpPort ?? 8189 + index;
    return {
      name: spec.name,
      weight: spec.weight ?? 1,
      index,
      slot: index,
      iceTcpPort,
      address,
      ...instanceNames(stack, hostDir, spec.name),
      publishHookUrl: publishHookUrl("10.213.7.1", PUBLISH_HOOK_PORT, spec.name),
      host: undefined,
      dial: { address, ...MEDIAMTX_PORTS, iceTcp: iceTcpPort },
      published: [],
      webrtcUdpPort: undefined,
      candidateHosts: ["127.0.0.1"],
    };
  });
}

/** A model for stack "t"; `overrides` replace whole fields (names are not re-derived from them). */
export function testModel(overrides: Partial<Model> = {}): Model {
  const names = stackNames(STACK, HOST_DIR);
  const ports = {
    rtmp: 1935,
    hls: 8888,
    webrtc: 8889,
    iceTcpBase: 8189,
    stats: 8404,
    rtmps: 1936,
    hlsTls: 8443,
    webrtcTls: 8444,
    privateBase: 19000,
    webrtcUdpBase: 8189,
  };
  const publicHost = overrides.publicHost ?? "127.0.0.1";
  return {
    stack: STACK,
    hosts: [],
    gatewayHost: undefined,
    gatewaySources: ["10.213.7.0/24"],
    // As validateConfig does: without `hosts`, candidates name the public host.
    instances: testInstances([{ name: "a" }, { name: "b" }, { name: "c" }]).map((i) => ({
      ...i,
      candidateHosts: [publicHost],
    })),
    health: { intervalMs: 2_000, timeoutMs: 1_000, fall: 3, rise: 2 },
    ports,
    bindAddress: "127.0.0.1",
    publicHost: "127.0.0.1",
    images: {
      haproxy: "haproxy:2.8",
      mediamtx: "bluenviron/mediamtx:1.20.0",
      keepalived: "mediamtx-lb/keepalived:2.3.3",
    },
    routing: { pollIntervalMs: 1_000, republish: "takeover" },
    hls: { variant: "lowLatency" },
    logging: { requests: "all" },
    network: { ...names.network, subnet: "10.213.7.0/24", gateway: "10.213.7.1" },
    publishHook: { bind: `10.213.7.1:${PUBLISH_HOOK_PORT}`, sources: ["10.213.7.0/24"] },
    hostDir: HOST_DIR,
    stats: { user: "admin" },
    gateway: names.gateway,
    logSink: names.logSink,
    gateways: [
      {
        ...names.gateway,
        name: "gateway",
        host: undefined,
        priority: 100,
        logSink: names.logSink,
        keepalived: undefined,
        localHost: "127.0.0.1",
        local: localUrls("127.0.0.1", ports),
      },
    ],
    floating: undefined,
    proxies: PROXIES,
    resources: {
      images: names.images,
      smokeChecks: names.smokeChecks,
      tlsCertificate: names.tlsCertificate,
    },
    local: localUrls("127.0.0.1", ports),
    endpoints: endpoints("127.0.0.1", ports),
    tls: undefined,
    auth: { publishers: undefined, readers: undefined },
    limits: LIMIT_DEFAULTS,
    ...overrides,
  };
}
