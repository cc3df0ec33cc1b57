// The validated, typed model of one stack. `validateConfig` (validate.ts) is the only producer;
// renderers and components only consume it. No Pulumi types here: the model is plain data so the
// renderers stay pure and testable. Every derived name and address comes from ./names.ts.

import type {
  DockerLabel,
  Endpoints,
  GatewayNames,
  KeepalivedNames,
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
  /** Name of the host (`hosts`) this instance runs on; undefined without `hosts` (the local engine). */
  readonly host: string | undefined;
  /**
   * Where the gateway dials this instance: its stack-network address and MediaMTX's own ports without
   * `hosts`; with `hosts`, its host's private address (or loopback on the gateway's host) and the ports
   * the container publishes there (config/hosts.ts, privatePorts).
   */
  readonly dial: InstanceDial;
  /** Ports the container publishes on its host; empty without `hosts` (nothing is published then). */
  readonly published: readonly PublishedPort[];
  /** With `hosts`: the WebRTC UDP port, published on the host's public `address`; undefined otherwise. */
  readonly webrtcUdpPort: number | undefined;
  /** Hosts advertised in this instance's ICE candidates (webrtcAdditionalHosts). */
  readonly candidateHosts: readonly string[];
}

export interface InstanceDial {
  readonly address: string;
  readonly rtmp: number;
  readonly hls: number;
  readonly webrtc: number;
  readonly api: number;
  readonly metrics: number;
  readonly iceTcp: number;
}

export interface PublishedPort {
  /** Host address the port is bound to. */
  readonly ip: string;
  readonly external: number;
  readonly internal: number;
  readonly protocol: "tcp" | "udp";
}

/** One Docker host of `hosts`. */
export interface HostModel {
  readonly name: string;
  readonly index: number;
  /** The engine endpoint (DOCKER_HOST): unix://, tcp:// or ssh://. */
  readonly docker: string;
  /** Where clients reach this machine: its WebRTC UDP ports, and the gateway when it runs here. */
  readonly address: string;
  /** On the network only the hosts share: instances publish their MediaMTX ports here. */
  readonly privateAddress: string | undefined;
  /** Pulumi name of this host's Docker provider. */
  readonly providerName: string;
  /** Pulumi names of this host's images and network (each engine has its own). */
  readonly resources: {
    readonly images: { readonly haproxy: string; readonly mediamtx: string; readonly keepalived: string };
    readonly network: string;
  };
}

export interface GatewayModel extends GatewayNames {
  /** Config name (`gateways[].name`); "gateway" for the one gateway of a stack without the key. */
  readonly name: string;
  /** The host it runs on; undefined without `hosts` (the local engine). */
  readonly host: string | undefined;
  /** VRRP priority 1-254. */
  readonly priority: number;
  readonly logSink: LogSinkNames;
  /** With a floating address only. */
  readonly keepalived: KeepalivedNames | undefined;
  /** Where this machine dials this gateway itself (smoke checks, status): its host's address, or model.local's. */
  readonly localHost: string;
  /** Base URLs on localHost (model.local for a stack with one gateway). */
  readonly local: LocalUrls;
}

export interface FloatingModel {
  /** What clients use, on the hosts' public network. */
  readonly address: string;
  /** Its twin on the private network, held by the same gateway: where the publish hook listens. */
  readonly privateAddress: string;
  /** VRRP virtual_router_id: the address's last octet. */
  readonly routerId: number;
  /** Priorities differ: the highest takes the address back when it returns; equal: the holder keeps it. */
  readonly preempt: boolean;
}

export interface HealthModel {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly fall: number;
  readonly rise: number;
}

export interface PortsModel {
  /** Plain RTMP; bound unless TLS is configured with `tls.plain` other than `on`. */
  readonly rtmp: number;
  /** Plain HLS; with TLS, bound only when `tls.plain` is `redirect` or `on`. */
  readonly hls: number;
  /** Plain WebRTC signalling and pages; like `hls`. */
  readonly webrtc: number;
  readonly iceTcpBase: number;
  readonly stats: number;
  /** With `hosts`: first private port (instances publish 8 per slot from here on their private address). */
  readonly privateBase: number;
  /** With `hosts`: each instance's WebRTC UDP port is this + slot, on its host's public address. */
  readonly webrtcUdpBase: number;
  /** RTMPS (TLS ended in HAProxy); bound only with TLS. */
  readonly rtmps: number;
  /** HTTPS for HLS; bound only with TLS. */
  readonly hlsTls: number;
  /** HTTPS for WebRTC signalling and pages; bound only with TLS. */
  readonly webrtcTls: number;
}

/**
 * What the plain (non-TLS) listeners do when TLS is configured: `off` (none), `redirect` (HLS and WebRTC
 * answer 308 to their HTTPS port; no plain RTMP) or `on` (they serve as without TLS, plain RTMP included).
 */
export type PlainListeners = "off" | "redirect" | "on";

export interface TlsModel {
  /**
   * `selfSigned`: the stack makes its own CA and server certificate (infra/providers/self-signed) and
   * writes the CA to `caFile`; `provided`: `tls.certificate` and `tls.key` (Pulumi secrets), checked in
   * validation. The PEM text never enters the model: index.ts reads it as a secret Output.
   */
  readonly source: "selfSigned" | "provided";
  readonly plain: PlainListeners;
  /** Names a self-signed certificate covers (publicHost when a name, localhost); sorted. */
  readonly dnsNames: readonly string[];
  /** Addresses a self-signed certificate covers (publicHost or bindAddress when IPs, loopback); sorted. */
  readonly ipAddresses: readonly string[];
  /**
   * Host file with the CA that status and smoke checks trust (and a person imports into a browser):
   * the stack's own CA, or `tls.ca` when given; undefined for a provided certificate without `tls.ca`
   * (then the system's CAs apply).
   */
  readonly caFile: string | undefined;
}

/** One user of `publishers` or `readers`. The password is a Pulumi secret and never enters the model. */
export interface CredentialUser {
  readonly user: string;
  /** Path-name prefixes this user may use; empty: every path. Sorted. */
  readonly paths: readonly string[];
}

export interface AuthModel {
  /** Who may publish (RTMP, RTMPS, WHIP); undefined: anyone (no `publishers` key). */
  readonly publishers: readonly CredentialUser[] | undefined;
  /** Who may read (HLS, WHEP, RTMP); undefined: anyone (no `readers` key). */
  readonly readers: readonly CredentialUser[] | undefined;
}

/** Per client address abuse limits (HAProxy stick tables); 0 turns a limit off. */
export interface LimitsModel {
  /** HTTP requests per address per 10 s on the HLS and WebRTC frontends, above which: 429. */
  readonly httpRequestRate: number;
  /** Concurrent HTTP connections per address, above which: 429. */
  readonly httpConnections: number;
  /** Concurrent RTMP/RTMPS connections per address, above which the connection is closed. */
  readonly rtmpConnections: number;
  /** New RTMP/RTMPS connections per address per 10 s, above which the connection is closed. */
  readonly rtmpConnectionRate: number;
}

export type HlsVariant = "lowLatency" | "mpegts" | "fmp4";

/** `all`: one log line per request and TCP session; `errors`: only failed or abnormal ones (dontlog-normal). */
export type RequestLogging = "all" | "errors";

export interface Model {
  /** Pulumi stack name; prefixes every Docker object so stacks can share a host. */
  readonly stack: string;
  /** `hosts` in config order; empty without the key (every container on the local engine, as before). */
  readonly hosts: readonly HostModel[];
  /** The host the gateway (and its log sink) runs on; undefined without `hosts`. */
  readonly gatewayHost: string | undefined;
  /**
   * Where the gateway's requests to an instance come from, as MediaMTX sees them: the stack subnet, plus
   * the gateway host's private address with `hosts`. They may use the control API and are trusted proxies.
   */
  readonly gatewaySources: readonly string[];
  /** Instances in config order. */
  readonly instances: readonly InstanceModel[];
  readonly health: HealthModel;
  readonly ports: PortsModel;
  /** Address HAProxy binds its frontends to on the host. */
  readonly bindAddress: string;
  /** Host name or IP that clients use; advertised in ICE candidates (webrtcAdditionalHosts) and endpoint URLs. */
  readonly publicHost: string;
  readonly images: { readonly haproxy: string; readonly mediamtx: string; readonly keepalived: string };
  readonly routing: { readonly pollIntervalMs: number; readonly republish: Republish };
  readonly hls: { readonly variant: HlsVariant };
  readonly logging: { readonly requests: RequestLogging };
  /** Stack network: IPv4 /24 CIDR; .1 is the gateway (HAProxy's source address), instances from .10. */
  readonly network: NetworkNames & { readonly subnet: string; readonly gateway: string };
  /** Where HAProxy serves the publish hook: `<network.gateway>:PUBLISH_HOOK_PORT`. */
  readonly publishHook: {
    readonly bind: string;
    /** Source addresses allowed to call it (and the MediaMTX API): the stack subnet, plus the hosts' private addresses. */
    readonly sources: readonly string[];
  };
  /** The (first) gateway's HAProxy container and its bind-mounted config directory: gateways[0]'s. */
  readonly gateway: GatewayNames;
  /** The request-log sink container beside the (first) gateway (components/log-sink.ts): gateways[0]'s. */
  readonly logSink: LogSinkNames;
  /**
   * Every gateway in config order (at least one). Each runs the same haproxy.cfg; with two or more,
   * keepalived beside each holds `floating.address` on one of them.
   */
  readonly gateways: readonly GatewayModel[];
  /** With two or more gateways: the address clients use, which keepalived (VRRP) moves between them. */
  readonly floating: FloatingModel | undefined;
  /** HAProxy frontend and backend names in haproxy.cfg. */
  readonly proxies: ProxyNames;
  /** Pulumi names of the stack-wide resources that are not components. */
  readonly resources: {
    readonly images: { readonly haproxy: string; readonly mediamtx: string };
    readonly smokeChecks: string;
    readonly tlsCertificate: string;
  };
  /** Base URLs dialled from the deploying host (smoke checks, status): the bind address, 0.0.0.0 as loopback. */
  readonly local: LocalUrls;
  /** What clients use (stack output `endpoints`): URLs on publicHost. */
  readonly endpoints: Endpoints;
  /** Host directory holding the bind-mounted configs of this stack (absolute). */
  readonly hostDir: string;
  readonly stats: { readonly user: string };
  /** TLS at the gateway; undefined: plain listeners only (as before `tls` existed). */
  readonly tls: TlsModel | undefined;
  readonly auth: AuthModel;
  readonly limits: LimitsModel;
}
