// Stack config (raw, untyped) → typed `Model`. Pure: no Pulumi imports, no I/O, so every config error is
// raised before any resource exists and the rules are testable as tables.
//
// This module reads the keys in order and builds the Model; what one key may hold is in fields.ts, what
// keys must satisfy together in rules.ts, the error lines in problems.ts. Every error is collected and
// thrown once as a `ConfigError`, in the order the keys are read (the table tests pin that order).

import { describe, isRecord } from "../lib/untyped";
import {
  INSTANCE_SHAPE,
  readBindAddress,
  readDuration,
  readHostDir,
  readIceTcpPort,
  readImage,
  readInstanceList,
  readInstanceName,
  readInteger,
  readOneOf,
  readPort,
  readPublicHost,
  readSection,
  readSlot,
  readString,
  readSubnet,
  readWeight,
  reportUnknownKeys,
} from "./fields";
import {
  checkGatewayPair,
  readFloatingAddress,
  readGateways,
  readPrivateFloatingAddress,
  vrrpRouterId,
} from "./gateways";
import {
  checkGatewayEngine,
  checkHostPorts,
  checkPrivatePath,
  type HostDraft,
  LOOPBACK,
  privatePorts,
  readHostRef,
  readHosts,
} from "./hosts";
import type {
  GatewayModel,
  HealthModel,
  HlsVariant,
  HostModel,
  InstanceModel,
  Model,
  PortsModel,
  Republish,
  RequestLogging,
  TlsModel,
} from "./model";
import { MEDIAMTX_PORTS, PUBLISH_HOOK_PORT } from "./model";
import {
  endpoints,
  hostNames,
  instanceNames,
  LABELS,
  localUrls,
  PROXIES,
  pairGatewayNames,
  publishHookUrl,
  STACK_PATTERN,
  STATS_USER_PATTERN,
  stackNames,
} from "./names";
import { at, Problems } from "./problems";
import {
  boundFrontendPorts,
  checkPortCollisions,
  checkSomeWeight,
  type InstanceDraft,
  resolveIcePorts,
  UniqueNames,
  UniqueSlots,
} from "./rules";
import { readCredentials, readLimits, readTls, type SecretContext, selfSignedNames } from "./security";

/** Every accepted top-level key (short form). `statsPassword` is listed so a present secret is not "unknown". */
const TOP_LEVEL_KEYS = [
  "bindAddress",
  "floatingAddress",
  "gateway",
  "gateways",
  "health",
  "hls",
  "hostDir",
  "hosts",
  "images",
  "instances",
  "limits",
  "logging",
  "ports",
  "privateFloatingAddress",
  "publicHost",
  "publishers",
  "readers",
  "routing",
  "statsPassword",
  "statsUser",
  "subnet",
  "tls",
] as const;

const INSTANCE_KEYS = ["host", "iceTcpPort", "name", "slot", "weight"] as const;
const HEALTH_KEYS = ["fall", "interval", "rise", "timeout"] as const;
const PORT_KEYS = [
  "hls",
  "hlsTls",
  "iceTcpBase",
  "privateBase",
  "rtmp",
  "rtmps",
  "stats",
  "webrtc",
  "webrtcTls",
  "webrtcUdpBase",
] as const;
const IMAGE_KEYS = ["haproxy", "keepalived", "mediamtx"] as const;
const ROUTING_KEYS = ["pollInterval", "republish"] as const;
const REPUBLISH: readonly Republish[] = ["takeover", "refuse"];
const HLS_KEYS = ["variant"] as const;
const LOGGING_KEYS = ["requests"] as const;
const REQUEST_LOGGING: readonly RequestLogging[] = ["all", "errors"];
const HLS_VARIANTS: readonly HlsVariant[] = ["lowLatency", "mpegts", "fmp4"];

/** The documented defaults (README's stack config table). */
const DEFAULTS = {
  weight: 1,
  health: { interval: "2s", timeout: "1s", fall: 3, rise: 2 },
  ports: {
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
  },
  bindAddress: "127.0.0.1",
  images: {
    haproxy: "haproxy:2.8",
    mediamtx: "bluenviron/mediamtx:1.20.0",
    // No official keepalived image exists: scripts/bootstrap builds this one from Debian's package.
    keepalived: "mediamtx-lb/keepalived:2.3.3",
  },
  routing: { pollInterval: "1s", republish: "takeover" },
  hls: { variant: "lowLatency" },
  logging: { requests: "all" },
  statsUser: "admin",
} as const;

export interface ConfigContext {
  /** Pulumi stack name (`pulumi.getStack()`). */
  readonly stack: string;
  /** Home directory of the deploying user; the default `hostDir` lives below it. */
  readonly homeDir: string;
  /** Whether the secret `mediamtx-lb:statsPassword` is set. Its value never reaches the validator. */
  readonly statsPasswordSet: boolean;
  /**
   * Top-level keys (short form) Pulumi stores as secrets. Certificates and passwords outside them are an
   * error. Undefined: not checked (callers that build a model from a config they made themselves).
   */
  readonly secretKeys?: ReadonlySet<string>;
  /** The time certificates must be valid at; the current time when left out. */
  readonly now?: Date;
}

/** Every problem found in the stack config, one line each. The message is the lines joined by "\n". */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly errors: readonly string[];

  constructor(errors: readonly string[]) {
    super(errors.join("\n"));
    this.errors = errors;
  }
}

/** Each instance's keys in order, each followed by the rules over it, so an instance's lines stay together. */
function readInstances(
  problems: Problems,
  value: unknown,
  hosts: readonly HostDraft[] | null | undefined,
): readonly (InstanceDraft & { readonly host: string | undefined })[] | undefined {
  const items = readInstanceList(problems, value);
  if (items === undefined) return undefined;
  const names = new UniqueNames();
  const slots = new UniqueSlots();
  const drafts = items.map((item, index): InstanceDraft & { readonly host: string | undefined } => {
    const path = `instances[${index}]`;
    if (!isRecord(item)) {
      problems.add(path, `must be an object ${INSTANCE_SHAPE}, got ${describe(item)}`);
      return {
        index,
        name: undefined,
        weight: undefined,
        slot: undefined,
        iceTcpPort: undefined,
        host: undefined,
      };
    }
    reportUnknownKeys(problems, `${path}.`, item, INSTANCE_KEYS);
    const name = readInstanceName(problems, `${path}.name`, item.name);
    names.check(problems, index, name);
    const weight = readWeight(problems, `${path}.weight`, item.weight, DEFAULTS.weight);
    const iceTcpPort = readIceTcpPort(problems, `${path}.iceTcpPort`, item.iceTcpPort);
    const read = readSlot(problems, `${path}.slot`, item.slot, index);
    const slot = slots.claim(problems, index, read, item.slot !== undefined);
    const host = readHostRef(problems, `${path}.host`, item.host, hosts);
    return { index, name, weight, slot, iceTcpPort, host };
  });
  checkSomeWeight(problems, drafts);
  return drafts;
}

function readHealth(problems: Problems, value: unknown): Partial<HealthModel> {
  const section = readSection(problems, "health", value, HEALTH_KEYS);
  const { health } = DEFAULTS;
  const intervalMs = readDuration(
    problems,
    "health.interval",
    section.interval,
    100,
    60_000,
    health.interval,
  );
  // Without a valid interval, check the timeout against the widest interval so one mistake is one error.
  const timeoutMaxMs = intervalMs ?? 60_000;
  const timeoutMs = readDuration(
    problems,
    "health.timeout",
    section.timeout,
    50,
    timeoutMaxMs,
    health.timeout,
    intervalMs === undefined ? "" : " (at most health.interval)",
  );
  return {
    intervalMs,
    timeoutMs,
    fall: readInteger(problems, "health.fall", section.fall, 1, 100, health.fall),
    rise: readInteger(problems, "health.rise", section.rise, 1, 100, health.rise),
  };
}

function readPorts(problems: Problems, value: unknown): Partial<PortsModel> {
  const section = readSection(problems, "ports", value, PORT_KEYS);
  const ports: Partial<Record<(typeof PORT_KEYS)[number], number>> = {};
  for (const key of PORT_KEYS)
    ports[key] = readPort(problems, `ports.${key}`, section[key], DEFAULTS.ports[key]);
  return ports;
}

/**
 * Validates the stack config and returns the typed model, or throws one `ConfigError` listing every
 * problem. `raw` holds short keys (no `mediamtx-lb:` prefix) with JSON-parsed values.
 */
export function validateConfig(raw: Readonly<Record<string, unknown>>, ctx: ConfigContext): Model {
  const problems = new Problems();
  const { stack } = ctx;

  if (!STACK_PATTERN.test(stack)) {
    // Not under the namespace: this is the Pulumi stack name itself.
    problems.lines.push(
      `stack: must match ${STACK_PATTERN.source} (it prefixes Docker names), got ${describe(stack)}`,
    );
  }
  reportUnknownKeys(problems, "", raw, TOP_LEVEL_KEYS);

  const hosts = readHosts(problems, raw.hosts);
  const instances = readInstances(problems, raw.instances, hosts);
  const gateways = readGateways(problems, raw, hosts);
  const gatewayHost = gateways?.[0]?.host;
  const floatingAddress = readFloatingAddress(problems, raw.floatingAddress, gateways?.length, hosts);
  const privateFloatingAddress = readPrivateFloatingAddress(
    problems,
    raw.privateFloatingAddress,
    gateways?.length,
    hosts,
    floatingAddress,
  );
  if (hosts !== undefined && hosts !== null && gateways !== undefined && gateways.length > 1) {
    checkGatewayPair(
      problems,
      hosts,
      gateways,
      (instances ?? []).map((i) => i.host),
    );
  } else if (hosts !== undefined && hosts !== null && gatewayHost !== undefined) {
    checkGatewayEngine(
      problems,
      hosts,
      gatewayHost,
      raw.gateways === undefined ? "gateway.host" : "gateways[0].host",
    );
    if (instances !== undefined)
      checkPrivatePath(
        problems,
        hosts,
        gatewayHost,
        instances.map((i) => i.host),
      );
  }
  const health = readHealth(problems, raw.health);
  const ports = readPorts(problems, raw.ports);
  const icePorts = instances === undefined ? [] : resolveIcePorts(problems, instances, ports.iceTcpBase);
  if (hosts === undefined && isRecord(raw.ports))
    for (const key of ["privateBase", "webrtcUdpBase"] as const)
      if (raw.ports[key] !== undefined)
        problems.add(`ports.${key}`, `needs ${at("hosts")} (without it nothing is published on a host)`);
  if (instances !== undefined) {
    checkPortCollisions(problems, ports, icePorts, instances, boundFrontendPorts(raw.tls));
    if (hosts !== undefined)
      checkHostPorts(problems, ports, icePorts, instances, boundFrontendPorts(raw.tls));
  }

  // With a floating address each gateway listens on every address of its host: the floating one arrives
  // and leaves under it. Clients are told the floating address unless publicHost names them something.
  const bindAddress = readBindAddress(
    problems,
    raw.bindAddress,
    floatingAddress === undefined ? DEFAULTS.bindAddress : "0.0.0.0",
  );
  if (floatingAddress !== undefined && bindAddress !== undefined && bindAddress !== "0.0.0.0")
    problems.add(
      "bindAddress",
      `must be 0.0.0.0 with ${at("floatingAddress")} (each gateway listens on its host's addresses and on the floating one while it holds it), got "${bindAddress}"`,
    );
  const publicHost =
    floatingAddress !== undefined && raw.publicHost === undefined
      ? floatingAddress
      : readPublicHost(problems, raw.publicHost, bindAddress);

  const imageSection = readSection(problems, "images", raw.images, IMAGE_KEYS);
  const { images } = DEFAULTS;
  const haproxyImage = readImage(problems, "images.haproxy", imageSection.haproxy, images.haproxy);
  const mediamtxImage = readImage(problems, "images.mediamtx", imageSection.mediamtx, images.mediamtx);
  const keepalivedImage = readImage(
    problems,
    "images.keepalived",
    imageSection.keepalived,
    images.keepalived,
  );

  const routingSection = readSection(problems, "routing", raw.routing, ROUTING_KEYS);
  const pollIntervalMs = readDuration(
    problems,
    "routing.pollInterval",
    routingSection.pollInterval,
    100,
    60_000,
    DEFAULTS.routing.pollInterval,
  );
  const republish = readOneOf(
    problems,
    "routing.republish",
    routingSection.republish,
    DEFAULTS.routing.republish,
    REPUBLISH,
  );

  const hlsSection = readSection(problems, "hls", raw.hls, HLS_KEYS);
  const variant = readOneOf(problems, "hls.variant", hlsSection.variant, DEFAULTS.hls.variant, HLS_VARIANTS);

  const loggingSection = readSection(problems, "logging", raw.logging, LOGGING_KEYS);
  const requestLogging = readOneOf(
    problems,
    "logging.requests",
    loggingSection.requests,
    DEFAULTS.logging.requests,
    REQUEST_LOGGING,
  );

  const subnet = readSubnet(problems, raw.subnet, stack);
  const hostDir = readHostDir(problems, raw.hostDir, stack, ctx.homeDir);
  const statsUser = readString(
    problems,
    "statsUser",
    raw.statsUser,
    DEFAULTS.statsUser,
    (text) => STATS_USER_PATTERN.test(text),
    `a user name matching ${STATS_USER_PATTERN.source}`,
  );
  if (!ctx.statsPasswordSet) {
    problems.add("statsPassword", "required (set it with: pulumi config set --secret statsPassword …)");
  }

  const secrets: SecretContext = {
    secretKeys: ctx.secretKeys ?? new Set(["tls", "publishers", "readers"]),
    now: ctx.now ?? new Date(),
  };
  const tls = readTls(problems, raw.tls, publicHost, secrets);
  const publishers = readCredentials(problems, "publishers", raw.publishers, secrets);
  const readers = readCredentials(problems, "readers", raw.readers, secrets);
  const limits = readLimits(problems, raw.limits);

  if (problems.lines.length > 0) throw new ConfigError(problems.lines);

  // Every reader returns undefined only after recording an error, so past the throw above all values
  // are present; `present` turns a broken invariant into a loud internal error, not a bad model.
  const [a, b, c] = present(subnet);
  const gateway = `${a}.${b}.${c}.1`;
  const hostModels: HostModel[] = (hosts ?? []).map((h, index) => ({
    ...h,
    index,
    ...hostNames(stack, h.name),
  }));
  const gatewayHostModel = hostModels.find((h) => h.name === gatewayHost);
  // With gateways that share floating addresses the hook listens on the private one (whichever gateway
  // holds it answers), otherwise on the gateway host's private address, or the stack network's gateway
  // address without `hosts`.
  const hookAddress = privateFloatingAddress ?? gatewayHostModel?.privateAddress ?? gateway;
  const gatewayHostModels = present(gateways).flatMap((g) => hostModels.filter((h) => h.name === g.host));
  const privateBase = present(ports.privateBase);
  const webrtcUdpBase = present(ports.webrtcUdpBase);
  const instanceModels: InstanceModel[] = present(instances).map((draft) => {
    const name = present(draft.name);
    const slot = present(draft.slot);
    const address = `${a}.${b}.${c}.${10 + slot}`;
    const iceTcpPort = present(icePorts[draft.index]);
    const names = instanceNames(stack, present(hostDir), name);
    const common = {
      name,
      weight: present(draft.weight),
      index: draft.index,
      slot,
      iceTcpPort,
      address,
      ...names,
    };
    const host = hostModels.find((h) => h.name === draft.host);
    if (host === undefined) {
      return {
        ...common,
        publishHookUrl: publishHookUrl(gateway, PUBLISH_HOOK_PORT, name),
        host: undefined,
        dial: { address, ...MEDIAMTX_PORTS, iceTcp: iceTcpPort },
        published: [],
        webrtcUdpPort: undefined,
        candidateHosts: [present(publicHost)],
      };
    }
    // checkPrivatePath: only the gateway's own host may lack a private address.
    const dialAddress = host.privateAddress ?? LOOPBACK;
    const priv = privatePorts(privateBase, slot);
    const udp = webrtcUdpBase + slot;
    const tcp = (external: number, internal: number) =>
      ({ ip: dialAddress, external, internal, protocol: "tcp" }) as const;
    return {
      ...common,
      labels: [...names.labels, { label: LABELS.host, value: host.name }],
      publishHookUrl: publishHookUrl(hookAddress, PUBLISH_HOOK_PORT, name),
      host: host.name,
      dial: { address: dialAddress, ...priv },
      published: [
        tcp(priv.rtmp, MEDIAMTX_PORTS.rtmp),
        tcp(priv.hls, MEDIAMTX_PORTS.hls),
        tcp(priv.webrtc, MEDIAMTX_PORTS.webrtc),
        tcp(priv.api, MEDIAMTX_PORTS.api),
        tcp(priv.metrics, MEDIAMTX_PORTS.metrics),
        tcp(priv.iceTcp, iceTcpPort),
        { ip: host.address, external: udp, internal: udp, protocol: "udp" },
      ],
      webrtcUdpPort: udp,
      candidateHosts: [
        ...new Set([
          host.address,
          present(publicHost),
          ...(floatingAddress === undefined ? [] : [floatingAddress]),
        ]),
      ],
    };
  });
  const privateAddresses = hostModels.flatMap((h) =>
    h.privateAddress === undefined ? [] : [h.privateAddress],
  );
  const gatewaySources = [
    `${a}.${b}.${c}.0/24`,
    ...gatewayHostModels.flatMap((h) => (h.privateAddress === undefined ? [] : [h.privateAddress])),
  ];
  // Smoke checks and status dial the gateway from this machine: with `hosts`, a wildcard bind is
  // reached at the gateway host's address, not this machine's loopback.
  const localHost =
    floatingAddress ??
    (gatewayHostModel !== undefined && present(bindAddress) === "0.0.0.0"
      ? gatewayHostModel.address
      : present(bindAddress));

  const names = stackNames(stack, present(hostDir));
  const frontendPorts = {
    rtmp: present(ports.rtmp),
    hls: present(ports.hls),
    webrtc: present(ports.webrtc),
    stats: present(ports.stats),
    rtmps: present(ports.rtmps),
    hlsTls: present(ports.hlsTls),
    webrtcTls: present(ports.webrtcTls),
  };
  const host = present(publicHost);
  const pair = present(gateways).length > 1;
  const firstGateway = pair
    ? pairGatewayNames(stack, present(hostDir), present(present(gateways)[0]).name)
    : names;
  const tlsModel: TlsModel | undefined =
    tls === undefined
      ? undefined
      : {
          source: tls.source,
          plain: tls.plain,
          ...selfSignedNames(host, present(bindAddress)),
          caFile: tls.source === "selfSigned" || tls.hasCa ? firstGateway.gateway.caFile : undefined,
        };
  const urlTls =
    tlsModel === undefined ? undefined : { plainRtmp: tlsModel.plain === "on", caFile: tlsModel.caFile };
  const localTls = urlTls === undefined ? undefined : { ...urlTls, serverName: host };
  const gatewayModels: GatewayModel[] = present(gateways).map((g) => {
    const own = pair
      ? pairGatewayNames(stack, present(hostDir), g.name)
      : { gateway: names.gateway, logSink: names.logSink, keepalived: undefined };
    // Each gateway of a pair binds 0.0.0.0: this machine reaches it at its own host's address.
    const hostAddress = hostModels.find((h) => h.name === g.host)?.address;
    const gatewayLocalHost = pair && hostAddress !== undefined ? hostAddress : localHost;
    return {
      ...own.gateway,
      name: g.name,
      host: g.host,
      priority: g.priority,
      logSink: own.logSink,
      keepalived: floatingAddress === undefined ? undefined : own.keepalived,
      localHost: gatewayLocalHost,
      local: localUrls(gatewayLocalHost, frontendPorts, localTls),
    };
  });
  return {
    stack,
    hosts: hostModels,
    gatewayHost,
    gatewaySources,
    instances: instanceModels,
    health: {
      intervalMs: present(health.intervalMs),
      timeoutMs: present(health.timeoutMs),
      fall: present(health.fall),
      rise: present(health.rise),
    },
    ports: { ...frontendPorts, iceTcpBase: present(ports.iceTcpBase), privateBase, webrtcUdpBase },
    bindAddress: present(bindAddress),
    publicHost: host,
    images: {
      haproxy: present(haproxyImage),
      mediamtx: present(mediamtxImage),
      keepalived: present(keepalivedImage),
    },
    routing: { pollIntervalMs: present(pollIntervalMs), republish: present(republish) },
    hls: { variant: present(variant) },
    logging: { requests: present(requestLogging) },
    network: { ...names.network, subnet: `${a}.${b}.${c}.0/24`, gateway },
    publishHook: {
      bind: `${hookAddress}:${PUBLISH_HOOK_PORT}`,
      sources: [`${a}.${b}.${c}.0/24`, ...privateAddresses],
    },
    hostDir: present(hostDir),
    stats: { user: present(statsUser) },
    gateway: firstGateway.gateway,
    logSink: firstGateway.logSink,
    gateways: gatewayModels,
    floating:
      floatingAddress === undefined
        ? undefined
        : {
            address: floatingAddress,
            privateAddress: present(privateFloatingAddress),
            routerId: vrrpRouterId(floatingAddress),
            preempt: new Set(present(gateways).map((g) => g.priority)).size > 1,
          },
    proxies: PROXIES,
    resources: {
      images: names.images,
      smokeChecks: names.smokeChecks,
      tlsCertificate: names.tlsCertificate,
    },
    local: localUrls(localHost, frontendPorts, localTls),
    endpoints: endpoints(host, frontendPorts, urlTls),
    tls: tlsModel,
    // null (an error) has thrown above; undefined is "no such key": anyone may.
    auth: { publishers: publishers ?? undefined, readers: readers ?? undefined },
    limits: {
      httpRequestRate: present(limits.httpRequestRate),
      httpConnections: present(limits.httpConnections),
      rtmpConnections: present(limits.rtmpConnections),
      rtmpConnectionRate: present(limits.rtmpConnectionRate),
    },
  };
}

function present<T>(value: T | undefined): T {
  if (value === undefined)
    throw new Error("validateConfig: internal error: invalid value without a config error");
  return value;
}
