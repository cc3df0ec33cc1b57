// Every name and address the stack derives from its config: Docker objects, host directories, HAProxy
// proxies, labels. This is the only module that builds them; validateConfig puts them into the Model,
// and components, renderers, status, smoke checks, the bench and tests read them from the Model (or from
// stack outputs). A rename here is then a compile-time change everywhere, not an e2e failure.
// Pure: no Pulumi types, no I/O.

// Paths inside the gateway container are constants of their own leaf module.
import { ADMIN_SOCKET, HAPROXY_RUN_DIR, inHaproxyDir, TLS_CA_FILE } from "../render/paths";

/**
 * Stack names as Docker object prefixes and host directory names. Lowercase only: the stack name is also
 * a directory under hostDir, and two stacks differing only in case would share it on a case-insensitive
 * disk. Docker itself allows `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
 */
export const STACK_PATTERN = /^[a-z0-9][a-z0-9_.-]*$/;

/** Stats user names: one HAProxy config word, no quoting needed. */
export const STATS_USER_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** The value of LABELS.project on every Docker object the stack creates. */
const PROJECT = "mediamtx-lb";

/** Every Docker object carries these, so tests and operators can find (and clean up) a stack's leftovers by label. */
export const LABELS = {
  project: "mediamtx-lb.project",
  stack: "mediamtx-lb.stack",
  role: "mediamtx-lb.role",
  /** On instance containers only: the instance name from the config. */
  instance: "mediamtx-lb.instance",
  /** With `hosts` only: the host (config name) a container runs on. */
  host: "mediamtx-lb.host",
  /** With `hosts` only: on an instance's config volume (EngineFiles) and its helper containers. */
  configOf: "mediamtx-lb.config-of",
  /** With two or more gateways only: the gateway (config name) a HAProxy, log sink or keepalived belongs to. */
  gateway: "mediamtx-lb.gateway",
} as const;

export type Role = "network" | "haproxy" | "log-sink" | "mediamtx" | "keepalived";

export interface DockerLabel {
  readonly label: string;
  readonly value: string;
}

/**
 * HAProxy proxy names in haproxy.cfg. The frontend and backend of a protocol share its name.
 * `health` is the one backend whose servers run checks; every other server tracks its namesake there,
 * and the router's on-miss lookup reads server health from it.
 */
export const PROXIES = {
  stats: "stats",
  rtmp: "rtmp",
  hls: "hls",
  webrtc: "webrtc",
  health: "hls",
  /** Internal frontend serving MediaMTX's auth hook (infra/lua/publish.lua). */
  publishHook: "publish_hook",
} as const;

export type ProxyNames = typeof PROXIES;

const ICE_PROXY_PREFIX = "ice_";

/** Frontend and backend of one instance's ICE-TCP port. */
export function iceProxyName(instance: string): string {
  return `${ICE_PROXY_PREFIX}${instance}`;
}

/** The instance an ICE-TCP proxy belongs to, or undefined for any other proxy. */
export function instanceOfIceProxy(proxy: string): string | undefined {
  return proxy.startsWith(ICE_PROXY_PREFIX) ? proxy.slice(ICE_PROXY_PREFIX.length) : undefined;
}

function labels(stack: string, role: Role): DockerLabel[] {
  return [
    { label: LABELS.project, value: PROJECT },
    { label: LABELS.role, value: role },
    { label: LABELS.stack, value: stack },
  ];
}

export interface InstanceNames {
  /** Docker container name. */
  readonly containerName: string;
  /** Pulumi name of the instance component (never depends on order or weight: a rename is a replacement). */
  readonly resourceName: string;
  /** Host directory bind-mounted as the instance's config directory. */
  readonly configDir: string;
  /** HAProxy frontend/backend of the instance's ICE-TCP port. */
  readonly iceProxy: string;
  readonly labels: readonly DockerLabel[];
}

/** Names of one instance; also used for an instance that is deployed but no longer in the config. */
export function instanceNames(stack: string, hostDir: string, name: string): InstanceNames {
  return {
    containerName: `${stack}-mediamtx-${name}`,
    resourceName: `${stack}-mediamtx-${name}`,
    configDir: `${hostDir}/mediamtx-${name}`,
    iceProxy: iceProxyName(name),
    labels: [...labels(stack, "mediamtx"), { label: LABELS.instance, value: name }],
  };
}

/** Pulumi names of one host's Docker provider, images and network (`hosts`). */
export function hostNames(
  stack: string,
  host: string,
): {
  providerName: string;
  resources: { images: { haproxy: string; mediamtx: string; keepalived: string }; network: string };
} {
  return {
    providerName: `${stack}-host-${host}`,
    resources: {
      images: {
        haproxy: `${stack}-image-haproxy-${host}`,
        mediamtx: `${stack}-image-mediamtx-${host}`,
        keepalived: `${stack}-image-keepalived-${host}`,
      },
      network: `${stack}-${host}`,
    },
  };
}

/** URL path prefix of the publish hook; the instance's name follows it (infra/lua/publish.lua parses it). */
export const PUBLISH_HOOK_PATH = "/auth/";

/**
 * An instance's authHTTPAddress. The URL names the instance, rather than the hook telling instances apart
 * by source address: in the fast lane every instance reaches the gateway from the same loopback address,
 * and the name makes each hook decision readable in the gateway's log.
 */
export function publishHookUrl(gateway: string, port: number, instance: string): string {
  return `http://${gateway}:${port}${PUBLISH_HOOK_PATH}${instance}`;
}

export interface GatewayNames {
  readonly containerName: string;
  readonly resourceName: string;
  /** Host directory bind-mounted at HAPROXY_DIR (render/paths.ts). */
  readonly configDir: string;
  /** Host path of the CA file the gateway directory holds with TLS (TLS_CA_FILE in it). */
  readonly caFile: string;
  /** The Runtime API socket as seen from the host (inside configDir). */
  readonly adminSocket: string;
  readonly labels: readonly DockerLabel[];
}

/** The Runtime API socket on the host, in the gateway directory mounted from `configDir`. */
export function adminSocketIn(configDir: string): string {
  return `${configDir}/${inHaproxyDir(ADMIN_SOCKET)}`;
}

/**
 * The request-log sink: a second container of the HAProxy image that receives the gateway's log lines on
 * a Unix datagram socket in the gateway's run directory and writes them to its stdout (`docker logs`).
 */
/** keepalived beside one gateway of a pair: its container and the directory of its rendered config. */
export interface KeepalivedNames {
  readonly containerName: string;
  readonly resourceName: string;
  readonly configDir: string;
  readonly labels: readonly DockerLabel[];
}

/**
 * One gateway of two or more: its own HAProxy, log sink and keepalived, named after the gateway. A stack
 * with one gateway keeps stackNames' names (so it previews no change).
 */
export function pairGatewayNames(
  stack: string,
  hostDir: string,
  gateway: string,
): { gateway: GatewayNames; logSink: LogSinkNames; keepalived: KeepalivedNames } {
  const dir = `${hostDir}/haproxy-${gateway}`;
  const tag = { label: LABELS.gateway, value: gateway };
  return {
    gateway: {
      containerName: `${stack}-haproxy-${gateway}`,
      resourceName: `${stack}-haproxy-${gateway}`,
      configDir: dir,
      adminSocket: adminSocketIn(dir),
      caFile: `${dir}/${inHaproxyDir(TLS_CA_FILE)}`,
      labels: [...labels(stack, "haproxy"), tag],
    },
    logSink: {
      containerName: `${stack}-haproxy-${gateway}-log`,
      resourceName: `${stack}-haproxy-${gateway}-log`,
      runDir: `${dir}/${inHaproxyDir(HAPROXY_RUN_DIR)}`,
      labels: [...labels(stack, "log-sink"), tag],
    },
    keepalived: {
      containerName: `${stack}-keepalived-${gateway}`,
      resourceName: `${stack}-keepalived-${gateway}`,
      configDir: `${hostDir}/keepalived-${gateway}`,
      labels: [...labels(stack, "keepalived"), tag],
    },
  };
}

export interface LogSinkNames {
  readonly containerName: string;
  readonly resourceName: string;
  /** Host directory of the gateway's run dir (sockets), bind-mounted into the sink at HAPROXY_RUN_DIR. */
  readonly runDir: string;
  readonly labels: readonly DockerLabel[];
}

export interface NetworkNames {
  readonly name: string;
  readonly resourceName: string;
  readonly labels: readonly DockerLabel[];
}

export interface StackNames {
  readonly network: NetworkNames;
  readonly gateway: GatewayNames;
  readonly logSink: LogSinkNames;
  /** Pulumi names of the two image resources. */
  readonly images: { readonly haproxy: string; readonly mediamtx: string };
  readonly smokeChecks: string;
  /** The stack's own certificate (`tls.selfSigned`). */
  readonly tlsCertificate: string;
}

export function stackNames(stack: string, hostDir: string): StackNames {
  return {
    network: { name: `${stack}-net`, resourceName: stack, labels: labels(stack, "network") },
    gateway: {
      containerName: `${stack}-haproxy`,
      resourceName: `${stack}-haproxy`,
      configDir: `${hostDir}/haproxy`,
      adminSocket: adminSocketIn(`${hostDir}/haproxy`),
      caFile: `${hostDir}/haproxy/${inHaproxyDir(TLS_CA_FILE)}`,
      labels: labels(stack, "haproxy"),
    },
    logSink: {
      containerName: `${stack}-haproxy-log`,
      resourceName: `${stack}-haproxy-log`,
      runDir: `${hostDir}/haproxy/${inHaproxyDir(HAPROXY_RUN_DIR)}`,
      labels: labels(stack, "log-sink"),
    },
    images: { haproxy: `${stack}-image-haproxy`, mediamtx: `${stack}-image-mediamtx` },
    smokeChecks: `${stack}-smoke`,
    tlsCertificate: `${stack}-tls`,
  };
}

export interface LocalUrls {
  /** The bind address, with 0.0.0.0 dialled as loopback: the public host name may not resolve here. */
  readonly host: string;
  readonly stats: string;
  /** HLS as clients use it: HTTPS with TLS (checked against `tls`), else plain HTTP. */
  readonly hls: string;
  /** WebRTC signalling and pages, like `hls`. */
  readonly webrtc: string;
  /**
   * With TLS: the name the certificate is checked against (publicHost, since `host` may be an address the
   * certificate does not name) and the CA file to trust (undefined: the system's CAs).
   */
  readonly tls: { readonly serverName: string; readonly caFile: string | undefined } | undefined;
}

/** Stack output `endpoints`: what clients use. A listener the stack does not bind has no entry. */
export interface Endpoints {
  readonly rtmp?: string;
  readonly rtmps?: string;
  readonly hls: string;
  readonly webrtc: string;
  readonly stats: string;
  readonly metrics: string;
}

interface FrontendPorts {
  readonly rtmp: number;
  readonly hls: number;
  readonly webrtc: number;
  readonly stats: number;
  readonly rtmps: number;
  readonly hlsTls: number;
  readonly webrtcTls: number;
}

/** What the stack's TLS setting means for URLs: none, or whether plain RTMP stays and which CA to trust. */
export interface UrlTls {
  readonly plainRtmp: boolean;
  readonly caFile: string | undefined;
}

/** Base URLs dialled from the deploying host (smoke checks, status). */
export function localUrls(
  bindAddress: string,
  ports: FrontendPorts,
  tls?: UrlTls & { readonly serverName: string },
): LocalUrls {
  const host = bindAddress === "0.0.0.0" ? "127.0.0.1" : bindAddress;
  return {
    host,
    stats: `http://${host}:${ports.stats}`,
    hls: tls === undefined ? `http://${host}:${ports.hls}` : `https://${host}:${ports.hlsTls}`,
    webrtc: tls === undefined ? `http://${host}:${ports.webrtc}` : `https://${host}:${ports.webrtcTls}`,
    tls: tls === undefined ? undefined : { serverName: tls.serverName, caFile: tls.caFile },
  };
}

/** What clients use (stack output `endpoints`). */
export function endpoints(publicHost: string, ports: FrontendPorts, tls?: UrlTls): Endpoints {
  const stats = {
    stats: `http://${publicHost}:${ports.stats}/stats`,
    metrics: `http://${publicHost}:${ports.stats}/metrics`,
  };
  if (tls === undefined) {
    return {
      rtmp: `rtmp://${publicHost}:${ports.rtmp}`,
      hls: `http://${publicHost}:${ports.hls}`,
      webrtc: `http://${publicHost}:${ports.webrtc}`,
      ...stats,
    };
  }
  return {
    ...(tls.plainRtmp ? { rtmp: `rtmp://${publicHost}:${ports.rtmp}` } : {}),
    rtmps: `rtmps://${publicHost}:${ports.rtmps}`,
    hls: `https://${publicHost}:${ports.hlsTls}`,
    webrtc: `https://${publicHost}:${ports.webrtcTls}`,
    ...stats,
  };
}
