// A hand-built Model for router tests: only the fields the router reads matter, the rest are plausible
// values so the object satisfies the type without going through validateConfig.

import type { InstanceModel, Model } from "../../../infra/config/model";

export interface InstanceSpec {
  readonly name: string;
  readonly address: string;
}

/** Instances in the order given (index = position), each at its own address. */
export function routerModel(instances: readonly InstanceSpec[], pollIntervalMs = 1000): Model {
  const built: InstanceModel[] = instances.map((spec, index) => ({
    name: spec.name,
    weight: 1,
    index,
    iceTcpPort: 8189 + index,
    address: spec.address,
    containerName: `test-mediamtx-${spec.name}`,
  }));
  return {
    stack: "test",
    instances: built,
    health: { intervalMs: 2000, timeoutMs: 1000, fall: 3, rise: 2 },
    ports: { rtmp: 1935, hls: 8888, webrtc: 8889, iceTcpBase: 8189, stats: 8404 },
    bindAddress: "127.0.0.1",
    publicHost: "127.0.0.1",
    images: { haproxy: "haproxy:2.8", mediamtx: "bluenviron/mediamtx:1.20.0" },
    routing: { pollIntervalMs },
    hls: { variant: "lowLatency" },
    network: { subnet: "172.30.0.0/24", gateway: "172.30.0.1" },
    hostDir: "/tmp/mediamtx-lb-test",
    stats: { user: "admin" },
  };
}
