// The validated, typed model of one stack. `validateConfig` (validate.ts) is the only producer;
// renderers and components only consume it. No Pulumi types here: the model is plain data so the
// renderers stay pure and testable. Every derived name and address comes from ./names.ts.

import type {
  DockerLabel,
  Endpoints,
  GatewayNames,
  LocalUrls,
  LogSinkNames,
  NetworkNames,
  ProxyNames,
} from "./names";

/** Ports MediaMTX listens on inside every instance container (never published to the host). */
export const MEDIAMTX_PORTS = {
  rtmp: 1935,
  hls: 8888,
  webrtc: 8889,
  api: 9997,
  metrics: 9998,
} as const;

/**
 * Port of the publish hook (MediaMTX's authHTTPAddress), which HAProxy binds on the stack network's
 * gateway address only: internal, never a host port clients use, so it is not configurable.
 */
export const PUBLISH_HOOK_PORT = 9990;

/**
 * A publish of a name that is live on another instance: `takeover` kicks the old publisher and routes
 * to the new one (as a single MediaMTX's overridePublisher does), `refuse` rejects the new publish.
 */
export type Republish = "takeover" | "refuse";

export interface InstanceModel {
  /** DNS label from config, unique within the stack; also the HAProxy server name. */
  readonly name: string;
  /** HAProxy weight 0-256; 0 drains (no new RTMP/WHIP sessions), existing streams keep routing. */
  readonly weight: number;
  /** Position in `mediamtx-lb:instances`. */
  readonly index: number;
  /** Stable position on the stack network: address .(10 + slot), ICE port iceTcpBase + slot. Defaults to `index`. */
  readonly slot: number;
  /** Host port for this instance's ICE-TCP (iceTcpBase + slot unless pinned); MediaMTX listens on the same port. */
  readonly iceTcpPort: number;
  /** Static address on the stack network; HAProxy (host network) reaches the instance here. */
  readonly address: string;
  /** Docker container name (names.ts). */
  readonly containerName: string;
  /** Pulumi name of the instance component. */
  readonly resourceName: string;
  /** Host directory bind-mounted as the instance's config directory. */
  readonly configDir: string;
  /** HAProxy frontend/backend of this instance's ICE-TCP port. */
  readonly iceProxy: string;
  /** MediaMTX's authHTTPAddress: the gateway's publish hook, naming this instance (names.ts). */
  readonly publishHookUrl: string;
  readonly labels: readonly DockerLabel[];
}

export interface HealthModel {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly fall: number;
  readonly rise: number;
}

export interface PortsModel {
  readonly rtmp: number;
  readonly hls: number;
  readonly webrtc: number;
  readonly iceTcpBase: number;
  readonly stats: number;
}

export type HlsVariant = "lowLatency" | "mpegts" | "fmp4";

/** `all`: one log line per request and TCP session; `errors`: only failed or abnormal ones (dontlog-normal). */
export type RequestLogging = "all" | "errors";

export interface Model {
  /** Pulumi stack name; prefixes every Docker object so stacks can share a host. */
  readonly stack: string;
  /** Instances in config order. */
  readonly instances: readonly InstanceModel[];
  readonly health: HealthModel;
  readonly ports: PortsModel;
  /** Address HAProxy binds its frontends to on the host. */
  readonly bindAddress: string;
  /** Host name or IP that clients use; advertised in ICE candidates (webrtcAdditionalHosts) and endpoint URLs. */
  readonly publicHost: string;
  readonly images: { readonly haproxy: string; readonly mediamtx: string };
  readonly routing: { readonly pollIntervalMs: number; readonly republish: Republish };
  readonly hls: { readonly variant: HlsVariant };
  readonly logging: { readonly requests: RequestLogging };
  /** Stack network: IPv4 /24 CIDR; .1 is the gateway (HAProxy's source address), instances from .10. */
  readonly network: NetworkNames & { readonly subnet: string; readonly gateway: string };
  /** Where HAProxy serves the publish hook: `<network.gateway>:PUBLISH_HOOK_PORT`. */
  readonly publishHook: { readonly bind: string };
  /** The HAProxy container and its bind-mounted config directory. */
  readonly gateway: GatewayNames;
  /** The request-log sink container beside the gateway (components/log-sink.ts). */
  readonly logSink: LogSinkNames;
  /** HAProxy frontend and backend names in haproxy.cfg. */
  readonly proxies: ProxyNames;
  /** Pulumi names of the stack-wide resources that are not components. */
  readonly resources: {
    readonly images: { readonly haproxy: string; readonly mediamtx: string };
    readonly smokeChecks: string;
  };
  /** Base URLs dialled from the deploying host (smoke checks, status): the bind address, 0.0.0.0 as loopback. */
  readonly local: LocalUrls;
  /** What clients use (stack output `endpoints`): URLs on publicHost. */
  readonly endpoints: Endpoints;
  /** Host directory holding the bind-mounted configs of this stack (absolute). */
  readonly hostDir: string;
  readonly stats: { readonly user: string };
}
