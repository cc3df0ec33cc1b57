// Stack config (raw, untyped) → typed `Model`. Pure: no Pulumi imports, no I/O, so every config error is
// raised before any resource exists and the rules are testable as tables.
//
// Error lines follow the house style ("Config errors"): one line each,
// "<full key>: <what is allowed>, got <what was found>".
// All errors are collected and thrown once as a `ConfigError`.

import { isPinned, parseImageReference } from "./image-ref";
import {
  type HealthModel,
  type HlsVariant,
  type InstanceModel,
  MEDIAMTX_PORTS,
  type Model,
  type PortsModel,
  type RequestLogging,
} from "./model";
import {
  endpoints,
  instanceNames,
  localUrls,
  PROXIES,
  STACK_PATTERN,
  STATS_USER_PATTERN as STATS_USER,
  stackNames,
} from "./names";

const NAMESPACE = "mediamtx-lb";

/** Every accepted top-level key (short form). `statsPassword` is listed so a present secret is not "unknown". */
const TOP_LEVEL_KEYS = [
  "bindAddress",
  "health",
  "hls",
  "hostDir",
  "images",
  "instances",
  "logging",
  "ports",
  "publicHost",
  "routing",
  "statsPassword",
  "statsUser",
  "subnet",
] as const;

const INSTANCE_KEYS = ["iceTcpPort", "name", "slot", "weight"] as const;
const HEALTH_KEYS = ["fall", "interval", "rise", "timeout"] as const;
const PORT_KEYS = ["hls", "iceTcpBase", "rtmp", "stats", "webrtc"] as const;
const IMAGE_KEYS = ["haproxy", "mediamtx"] as const;
const ROUTING_KEYS = ["pollInterval"] as const;
const HLS_KEYS = ["variant"] as const;
const LOGGING_KEYS = ["requests"] as const;
const REQUEST_LOGGING: readonly RequestLogging[] = ["all", "errors"];

const HLS_VARIANTS: readonly HlsVariant[] = ["lowLatency", "mpegts", "fmp4"];

const MAX_INSTANCES = 32;
/** Slot s puts an instance at .(10 + s) on the stack /24; .10-.249 leaves room below and above. */
const MAX_SLOT = 239;

const DEFAULTS = {
  weight: 1,
  health: { interval: "2s", timeout: "1s", fall: 3, rise: 2 },
  ports: { rtmp: 1935, hls: 8888, webrtc: 8889, iceTcpBase: 8189, stats: 8404 },
  bindAddress: "127.0.0.1",
  images: { haproxy: "haproxy:2.8", mediamtx: "bluenviron/mediamtx:1.20.0" },
  routing: { pollInterval: "1s" },
  hls: { variant: "lowLatency" },
  logging: { requests: "all" },
  statsUser: "admin",
} as const;

/** Frontend ports HAProxy binds on the host, in the order collisions are reported. */
const FRONTEND_PORT_KEYS = ["rtmp", "hls", "webrtc", "stats"] as const;

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const DURATION = /^([0-9]+)(ms|s|m)$/;
// Octets without leading zeros: "010" is octal to inet_aton but decimal to others, so reject it outright.
const IPV4 = /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/;

type Section = Readonly<Record<string, unknown>>;

export interface ConfigContext {
  /** Pulumi stack name (`pulumi.getStack()`). */
  readonly stack: string;
  /** Home directory of the deploying user; the default `hostDir` lives below it. */
  readonly homeDir: string;
  /** Whether the secret `mediamtx-lb:statsPassword` is set. Its value never reaches the validator. */
  readonly statsPasswordSet: boolean;
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

/**
 * Milliseconds in a duration such as "500ms", "2s" or "1m"; `undefined` if it does not match
 * `^[0-9]+(ms|s|m)$`. Internal. Exported for testing.
 */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (match === null) return undefined;
  const [, digits, unit] = match;
  const amount = Number(digits);
  const scale = unit === "m" ? 60_000 : unit === "s" ? 1_000 : 1;
  return amount * scale;
}

/** 32-bit FNV-1a over the UTF-8 bytes of `text`, as an unsigned integer. Internal. Exported for testing. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * Default stack network when `mediamtx-lb:subnet` is unset: `10.213.<fnv1a32(stack) % 250 + 1>.0/24`.
 * Derived from the stack name alone so it is stable across runs and machines; changing this formula
 * would replace every stack's network and containers. Two stacks on one host can still land on the same
 * /24 (250 buckets); Docker then refuses the second network and the fix is an explicit `subnet`.
 */
export function defaultSubnet(stack: string): string {
  return `10.213.${(fnv1a32(stack) % 250) + 1}.0/24`;
}

/** Dotted-quad IPv4 literal → octets, or `undefined`. Internal. Exported for testing. */
export function parseIpv4(text: string): readonly [number, number, number, number] | undefined {
  const match = IPV4.exec(text);
  if (match === null) return undefined;
  const octets = [Number(match[1]), Number(match[2]), Number(match[3]), Number(match[4])] as const;
  return octets.every((octet) => octet <= 255) ? octets : undefined;
}

/**
 * Whether `ref` is a Docker image reference pinned by an explicit tag (other than `latest`) and/or an
 * `@sha256:` digest. An unpinned or `latest` reference would make `pulumi up` results depend on when it
 * ran. Internal. Exported for testing.
 */
export function isPinnedImageReference(ref: string): boolean {
  const parsed = parseImageReference(ref);
  // Stricter than the policy gate: `latest@sha256:…` is pinned, but reads as if it floats.
  return parsed !== undefined && isPinned(parsed) && parsed.tag !== "latest";
}

/** RFC 1123 host name or IPv4 literal; no scheme, port or trailing dot. */
function isHost(text: string): boolean {
  if (text.length === 0 || text.length > 253) return false;
  const labels = text.split(".");
  // An all-numeric last label is never a DNS name (RFC 3696 §2), so "300.1.1.1" must parse as IPv4.
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? "")) return parseIpv4(text) !== undefined;
  return labels.every((label) => HOST_LABEL.test(label));
}

function isRecord(value: unknown): value is Section {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** What was found, for the "got …" part of an error: strings quoted, always a single line. */
function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return value.length === 0 ? "an empty list" : "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") {
    const shown = value.length > 80 ? `${value.slice(0, 77)}...` : value;
    // JSON escapes \n and \r; U+2028/2029 are left raw by JSON.stringify but break lines in some viewers.
    return JSON.stringify(shown)
      .replace(/\u2028/g, "\\u2028")
      .replace(/\u2029/g, "\\u2029");
  }
  return String(value);
}

function formatMs(ms: number): string {
  return ms % 1_000 === 0 ? `${ms / 1_000}s` : `${ms}ms`;
}

/** Collects error lines; `at` turns a short path into the full key. */
class Problems {
  readonly lines: string[] = [];

  add(path: string, message: string): void {
    this.lines.push(`${at(path)}: ${message}`);
  }
}

function at(path: string): string {
  return `${NAMESPACE}:${path}`;
}

function reportUnknownKeys(
  problems: Problems,
  prefix: string,
  section: Section,
  allowed: readonly string[],
): void {
  const allowedSet = new Set(allowed);
  const list = [...allowed].sort().join(", ");
  for (const key of Object.keys(section)) {
    if (!allowedSet.has(key)) problems.add(`${prefix}${key}`, `unknown key (allowed: ${list})`);
  }
}

/**
 * An optional object-valued key. Absent → `{}` (all defaults). Not an object → error, then `{}` so the
 * fields fall back to defaults and the rest of the config is still checked.
 */
function readSection(problems: Problems, path: string, value: unknown, allowed: readonly string[]): Section {
  if (value === undefined) return {};
  if (!isRecord(value)) {
    problems.add(
      path,
      `must be an object {${allowed.map((k) => `${k}?`).join(", ")}}, got ${describe(value)}`,
    );
    return {};
  }
  reportUnknownKeys(problems, `${path}.`, value, allowed);
  return value;
}

/** Integer in [min, max], `fallback` when absent, `undefined` (after recording an error) when invalid. */
function readInteger(
  problems: Problems,
  path: string,
  value: unknown,
  min: number,
  max: number,
  fallback: number | undefined,
): number | undefined {
  if (value === undefined) return fallback;
  if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return value;
  problems.add(path, `must be an integer ${min}-${max}, got ${describe(value)}`);
  return undefined;
}

/** Duration string in [minMs, maxMs] → milliseconds; numbers are rejected so the unit is never guessed. */
function readDuration(
  problems: Problems,
  path: string,
  value: unknown,
  minMs: number,
  maxMs: number,
  fallback: string,
  bound = "",
): number | undefined {
  const text = value === undefined ? fallback : value;
  const ms = typeof text === "string" ? parseDuration(text) : undefined;
  if (ms !== undefined && ms >= minMs && ms <= maxMs) return ms;
  // An unset timeout can still fail (default 1s vs a 500ms interval): say the default was used.
  const found = value === undefined ? `nothing (default ${describe(fallback)})` : describe(value);
  problems.add(
    path,
    `must be a duration ${formatMs(minMs)}-${formatMs(maxMs)}${bound} like "500ms", "2s" or "1m", got ${found}`,
  );
  return undefined;
}

/** A string key checked by `accepts`; `allowed` describes the accepted form for the error line. */
function readString(
  problems: Problems,
  path: string,
  value: unknown,
  fallback: string | undefined,
  accepts: (text: string) => boolean,
  allowed: string,
): string | undefined {
  if (value === undefined) return fallback;
  if (typeof value === "string" && accepts(value)) return value;
  problems.add(path, `must be ${allowed}, got ${describe(value)}`);
  return undefined;
}

interface InstanceDraft {
  readonly index: number;
  /** Undefined when invalid (error recorded). */
  readonly name: string | undefined;
  readonly weight: number | undefined;
  /** Fixes the address (.10 + slot) and the derived ICE port; the position unless pinned; undefined when invalid. */
  readonly slot: number | undefined;
  /** A pinned port, "derived" (iceTcpBase + slot), or undefined when invalid. */
  readonly iceTcpPort: number | "derived" | undefined;
}

const INSTANCE_SHAPE = "{name, weight?, slot?, iceTcpPort?}";

function readInstances(problems: Problems, value: unknown): readonly InstanceDraft[] | undefined {
  const allowed = `a list of 1-${MAX_INSTANCES} objects ${INSTANCE_SHAPE}`;
  if (value === undefined) {
    problems.add("instances", `required (${allowed}), got nothing`);
    return undefined;
  }
  if (!Array.isArray(value) || value.length === 0) {
    problems.add("instances", `must be ${allowed}, got ${describe(value)}`);
    return undefined;
  }
  if (value.length > MAX_INSTANCES) {
    problems.add("instances", `must be ${allowed}, got ${value.length} items`);
  }

  const items: unknown[] = value;
  const drafts: InstanceDraft[] = [];
  const firstIndexByName = new Map<string, number>();
  const firstIndexBySlot = new Map<number, number>();
  items.forEach((item, index) => {
    const path = `instances[${index}]`;
    if (!isRecord(item)) {
      problems.add(path, `must be an object ${INSTANCE_SHAPE}, got ${describe(item)}`);
      drafts.push({ index, name: undefined, weight: undefined, slot: undefined, iceTcpPort: undefined });
      return;
    }
    reportUnknownKeys(problems, `${path}.`, item, INSTANCE_KEYS);

    const nameAllowed = "a DNS label: 1-63 of a-z, 0-9 and '-', no leading or trailing '-'";
    let name: string | undefined;
    if (item.name === undefined) {
      problems.add(`${path}.name`, `required (${nameAllowed}), got nothing`);
    } else {
      name = readString(
        problems,
        `${path}.name`,
        item.name,
        undefined,
        (t) => DNS_LABEL.test(t),
        nameAllowed,
      );
    }
    if (name !== undefined) {
      const first = firstIndexByName.get(name);
      if (first === undefined) {
        firstIndexByName.set(name, index);
      } else {
        problems.add(
          `${path}.name`,
          `must be unique, got ${describe(name)} (also ${at(`instances[${first}].name`)})`,
        );
      }
    }

    const weight = readInteger(problems, `${path}.weight`, item.weight, 0, 256, DEFAULTS.weight);
    const iceTcpPort =
      item.iceTcpPort === undefined
        ? "derived"
        : readInteger(problems, `${path}.iceTcpPort`, item.iceTcpPort, 1024, 65535, undefined);
    // The slot, not the position, fixes the address: removing an instance from the middle of the list
    // must not move (and so replace) the ones after it once their slots are pinned.
    let slot = readInteger(problems, `${path}.slot`, item.slot, 0, MAX_SLOT, index);
    if (slot !== undefined) {
      const first = firstIndexBySlot.get(slot);
      if (first === undefined) {
        firstIndexBySlot.set(slot, index);
      } else {
        const taken = slot;
        slot = undefined; // reported here; no second report through its derived ICE port
        const how = (i: number) =>
          isRecord(items[i]) && items[i].slot !== undefined ? "" : ", its position";
        problems.add(
          `${path}.slot`,
          `must be unique, got ${taken}${how(index)} (also ${at(`instances[${first}]`)}${how(first)}); pin the slots of the instances after a removed one`,
        );
      }
    }
    drafts.push({ index, name, weight, slot, iceTcpPort });
  });

  // Weight 0 drains an instance; draining all of them would leave HAProxy with no server for new sessions.
  const weights = drafts.map((draft) => draft.weight);
  if (weights.every((weight) => weight === 0)) {
    problems.add("instances", "at least one instance must have weight 1-256, got all weights 0");
  }
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
  for (const key of PORT_KEYS) {
    // HAProxy runs as an unprivileged user on the host network, where ports below 1024 need root.
    ports[key] = readInteger(problems, `ports.${key}`, section[key], 1024, 65535, DEFAULTS.ports[key]);
  }
  return ports;
}

/** Resolves each instance's ICE-TCP port (pinned or iceTcpBase + slot); undefined where unknown. */
function resolveIcePorts(
  problems: Problems,
  instances: readonly InstanceDraft[],
  iceTcpBase: number | undefined,
): readonly (number | undefined)[] {
  return instances.map((instance) => {
    if (instance.iceTcpPort !== "derived") return instance.iceTcpPort;
    if (iceTcpBase === undefined || instance.slot === undefined) return undefined;
    const port = iceTcpBase + instance.slot;
    if (port > 65535) {
      problems.add(
        `instances[${instance.index}].iceTcpPort`,
        `must be at most 65535 (lower ports.iceTcpBase or pin iceTcpPort), got ${port} (ports.iceTcpBase ${iceTcpBase} + slot ${instance.slot})`,
      );
      return undefined;
    }
    return port;
  });
}

/**
 * HAProxy binds the frontend ports and every instance publishes its ICE-TCP port on the same host, so
 * any two equal ports would fail at bind time, long after `pulumi preview` said yes.
 */
function checkPortCollisions(
  problems: Problems,
  ports: Partial<PortsModel>,
  icePorts: readonly (number | undefined)[],
  instances: readonly InstanceDraft[],
): void {
  const claims: { readonly path: string; readonly port: number | undefined; readonly note: string }[] = [
    ...FRONTEND_PORT_KEYS.map((key) => ({ path: `ports.${key}`, port: ports[key], note: "" })),
    ...icePorts.map((port, index) => ({
      path: `instances[${index}].iceTcpPort`,
      port,
      note:
        instances[index]?.iceTcpPort === "derived"
          ? ` (ports.iceTcpBase + slot ${instances[index]?.slot})`
          : "",
    })),
  ];
  // MediaMTX binds the ICE port inside its container next to its own listeners.
  const reserved: number[] = [...new Set<number>(Object.values(MEDIAMTX_PORTS))].sort((x, y) => x - y);
  const firstByPort = new Map<number, string>();
  for (const claim of claims) {
    if (claim.port === undefined) continue;
    if (claim.path.startsWith("instances[") && reserved.includes(claim.port)) {
      problems.add(
        claim.path,
        `must not be one of the ports MediaMTX itself listens on inside the instance (${reserved.join(", ")}), got ${claim.port}${claim.note}`,
      );
      continue;
    }
    const first = firstByPort.get(claim.port);
    if (first === undefined) {
      firstByPort.set(claim.port, claim.path);
    } else {
      problems.add(claim.path, `must differ from ${at(first)}, got ${claim.port} for both${claim.note}`);
    }
  }
}

function readSubnet(
  problems: Problems,
  value: unknown,
  stack: string,
): readonly [number, number, number] | undefined {
  const text = value === undefined ? defaultSubnet(stack) : value;
  if (typeof text === "string") {
    const [address, prefix, ...rest] = text.split("/");
    const octets = parseIpv4(address ?? "");
    if (octets !== undefined && prefix === "24" && rest.length === 0 && octets[3] === 0) {
      return [octets[0], octets[1], octets[2]];
    }
  }
  problems.add(
    "subnet",
    `must be an IPv4 /24 CIDR with host bits zero like "10.213.7.0/24", got ${describe(value)}`,
  );
  return undefined;
}

const HOST_DIR_ALLOWED = 'an absolute path (no whitespace, no "." or ".." segments, not "/")';

/** Canonical form of an acceptable host directory (no repeated or trailing '/'), else undefined. */
function normalizeHostDir(text: string): string | undefined {
  if (!text.startsWith("/") || /\s/.test(text)) return undefined;
  const segments = text.split("/").filter((segment) => segment.length > 0);
  if (segments.length === 0 || segments.some((segment) => segment === "." || segment === ".."))
    return undefined;
  return `/${segments.join("/")}`;
}

function readHostDir(problems: Problems, value: unknown, ctx: ConfigContext): string | undefined {
  if (value === undefined) {
    const fallback = `${ctx.homeDir.replace(/\/+$/, "")}/.local/state/${NAMESPACE}/${ctx.stack}`;
    const dir = normalizeHostDir(fallback);
    // A bad stack name is already reported on `stack`; only blame the home directory here.
    if (dir === undefined && STACK_PATTERN.test(ctx.stack)) {
      problems.add("hostDir", `must be ${HOST_DIR_ALLOWED}; set it, the default is ${describe(fallback)}`);
    }
    return dir;
  }
  const dir = typeof value === "string" ? normalizeHostDir(value) : undefined;
  if (dir === undefined) problems.add("hostDir", `must be ${HOST_DIR_ALLOWED}, got ${describe(value)}`);
  return dir;
}

function readPublicHost(
  problems: Problems,
  value: unknown,
  bindAddress: string | undefined,
): string | undefined {
  if (value === undefined) {
    // 0.0.0.0 is where HAProxy listens, not an address a client can dial or an ICE candidate can carry.
    if (bindAddress === "0.0.0.0") {
      problems.add(
        "publicHost",
        `required when ${at("bindAddress")} is 0.0.0.0 (the host name or IPv4 address clients connect to), got nothing`,
      );
      return undefined;
    }
    return bindAddress;
  }
  return readString(
    problems,
    "publicHost",
    value,
    undefined,
    (text) => text !== "0.0.0.0" && isHost(text),
    "a host name (RFC 1123) or IPv4 address clients can reach, without scheme or port",
  );
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

  const instances = readInstances(problems, raw.instances);
  const health = readHealth(problems, raw.health);
  const ports = readPorts(problems, raw.ports);
  const icePorts = instances === undefined ? [] : resolveIcePorts(problems, instances, ports.iceTcpBase);
  if (instances !== undefined) checkPortCollisions(problems, ports, icePorts, instances);

  const bindAddress = readString(
    problems,
    "bindAddress",
    raw.bindAddress,
    DEFAULTS.bindAddress,
    (text) => parseIpv4(text) !== undefined,
    "an IPv4 address (dotted quad) or 0.0.0.0",
  );
  const publicHost = readPublicHost(problems, raw.publicHost, bindAddress);

  const imageSection = readSection(problems, "images", raw.images, IMAGE_KEYS);
  const imageAllowed =
    'an image reference pinned by a tag other than latest or an @sha256 digest, like "haproxy:2.8"';
  const haproxyImage = readString(
    problems,
    "images.haproxy",
    imageSection.haproxy,
    DEFAULTS.images.haproxy,
    isPinnedImageReference,
    imageAllowed,
  );
  const mediamtxImage = readString(
    problems,
    "images.mediamtx",
    imageSection.mediamtx,
    DEFAULTS.images.mediamtx,
    isPinnedImageReference,
    imageAllowed,
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

  const hlsSection = readSection(problems, "hls", raw.hls, HLS_KEYS);
  const variant = readString(
    problems,
    "hls.variant",
    hlsSection.variant,
    DEFAULTS.hls.variant,
    (text) => HLS_VARIANTS.some((known) => known === text),
    `one of ${HLS_VARIANTS.join(", ")}`,
  );

  const loggingSection = readSection(problems, "logging", raw.logging, LOGGING_KEYS);
  const requestLogging = readString(
    problems,
    "logging.requests",
    loggingSection.requests,
    DEFAULTS.logging.requests,
    (text) => REQUEST_LOGGING.some((known) => known === text),
    `one of ${REQUEST_LOGGING.join(", ")}`,
  );

  const subnet = readSubnet(problems, raw.subnet, stack);
  const hostDir = readHostDir(problems, raw.hostDir, ctx);
  const statsUser = readString(
    problems,
    "statsUser",
    raw.statsUser,
    DEFAULTS.statsUser,
    (text) => STATS_USER.test(text),
    `a user name matching ${STATS_USER.source}`,
  );
  if (!ctx.statsPasswordSet) {
    problems.add("statsPassword", "required (set it with: pulumi config set --secret statsPassword …)");
  }

  if (problems.lines.length > 0) throw new ConfigError(problems.lines);

  // Every reader returns undefined only after recording an error, so past the throw above all values
  // are present; `present` turns a broken invariant into a loud internal error, not a bad model.
  const [a, b, c] = present(subnet);
  const instanceModels: InstanceModel[] = present(instances).map((draft) => {
    const name = present(draft.name);
    return {
      name,
      weight: present(draft.weight),
      index: draft.index,
      slot: present(draft.slot),
      iceTcpPort: present(icePorts[draft.index]),
      address: `${a}.${b}.${c}.${10 + present(draft.slot)}`,
      ...instanceNames(stack, present(hostDir), name),
    };
  });

  const names = stackNames(stack, present(hostDir));
  const frontendPorts = {
    rtmp: present(ports.rtmp),
    hls: present(ports.hls),
    webrtc: present(ports.webrtc),
    stats: present(ports.stats),
  };
  return {
    stack,
    instances: instanceModels,
    health: {
      intervalMs: present(health.intervalMs),
      timeoutMs: present(health.timeoutMs),
      fall: present(health.fall),
      rise: present(health.rise),
    },
    ports: {
      rtmp: frontendPorts.rtmp,
      hls: frontendPorts.hls,
      webrtc: frontendPorts.webrtc,
      iceTcpBase: present(ports.iceTcpBase),
      stats: frontendPorts.stats,
    },
    bindAddress: present(bindAddress),
    publicHost: present(publicHost),
    images: { haproxy: present(haproxyImage), mediamtx: present(mediamtxImage) },
    routing: { pollIntervalMs: present(pollIntervalMs) },
    hls: { variant: toHlsVariant(present(variant)) },
    logging: { requests: present(REQUEST_LOGGING.find((known) => known === requestLogging)) },
    network: { ...names.network, subnet: `${a}.${b}.${c}.0/24`, gateway: `${a}.${b}.${c}.1` },
    hostDir: present(hostDir),
    stats: { user: present(statsUser) },
    gateway: names.gateway,
    proxies: PROXIES,
    resources: { images: names.images, smokeChecks: names.smokeChecks },
    local: localUrls(present(bindAddress), frontendPorts),
    endpoints: endpoints(present(publicHost), frontendPorts),
  };
}

function present<T>(value: T | undefined): T {
  if (value === undefined)
    throw new Error("validateConfig: internal error: invalid value without a config error");
  return value;
}

function toHlsVariant(text: string): HlsVariant {
  const variant = HLS_VARIANTS.find((known) => known === text);
  return present(variant);
}
