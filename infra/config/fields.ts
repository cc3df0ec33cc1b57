// Readers of one config key each: the value, its default when absent, or `undefined` after recording
// one error line for the key. What one key may hold lives here; what keys must satisfy together
// (unique names and slots, port collisions) lives in rules.ts. Pure.

import { describe, isRecord } from "../lib/untyped";
import { isPinned, parseImageReference } from "./image-ref";
import { STACK_PATTERN } from "./names";
import { at, NAMESPACE, type Problems } from "./problems";

/** An object-valued config key after its shape check. */
export type Section = Readonly<Record<string, unknown>>;

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const DURATION = /^([0-9]+)(ms|s|m)$/;
// Octets without leading zeros: "010" is octal to inet_aton but decimal to others, so reject it outright.
const IPV4 = /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/;

const MAX_INSTANCES = 32;
/** Slot s puts an instance at .(10 + s) on the stack /24; .10-.249 leaves room below and above. */
const MAX_SLOT = 239;

export const INSTANCE_SHAPE = "{name, weight?, slot?, iceTcpPort?, host?}";

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

function formatMs(ms: number): string {
  return ms % 1_000 === 0 ? `${ms / 1_000}s` : `${ms}ms`;
}

/** One error per key of `section` not in `allowed`; `prefix` is the section's path with its ".". */
export function reportUnknownKeys(
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
export function readSection(
  problems: Problems,
  path: string,
  value: unknown,
  allowed: readonly string[],
): Section {
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
export function readInteger(
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

/**
 * Duration string in [minMs, maxMs] → milliseconds; numbers are rejected so the unit is never guessed.
 * `bound` names another key that set `maxMs`, for the error line.
 */
export function readDuration(
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
export function readString(
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

/** One of the `known` words, typed as such. */
export function readOneOf<T extends string>(
  problems: Problems,
  path: string,
  value: unknown,
  fallback: T,
  known: readonly T[],
): T | undefined {
  const text = readString(
    problems,
    path,
    value,
    fallback,
    (t) => known.some((k) => k === t),
    `one of ${known.join(", ")}`,
  );
  return known.find((k) => k === text);
}

/** A host port. HAProxy runs as an unprivileged user on the host network, where ports below 1024 need root. */
export function readPort(
  problems: Problems,
  path: string,
  value: unknown,
  fallback: number | undefined,
): number | undefined {
  return readInteger(problems, path, value, 1024, 65535, fallback);
}

/** The `instances` list: required, 1-MAX_INSTANCES items; a longer list is reported and still read. */
export function readInstanceList(problems: Problems, value: unknown): readonly unknown[] | undefined {
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
  return value;
}

/** An instance name: a DNS label, because it names containers and HAProxy servers. Required. */
export function readInstanceName(problems: Problems, path: string, value: unknown): string | undefined {
  const allowed = "a DNS label: 1-63 of a-z, 0-9 and '-', no leading or trailing '-'";
  if (value === undefined) {
    problems.add(path, `required (${allowed}), got nothing`);
    return undefined;
  }
  return readString(problems, path, value, undefined, (t) => DNS_LABEL.test(t), allowed);
}

/** HAProxy's server weight range; 0 drains. */
export function readWeight(
  problems: Problems,
  path: string,
  value: unknown,
  fallback: number,
): number | undefined {
  return readInteger(problems, path, value, 0, 256, fallback);
}

/** An instance's slot, its position in the list unless pinned. */
export function readSlot(
  problems: Problems,
  path: string,
  value: unknown,
  position: number,
): number | undefined {
  return readInteger(problems, path, value, 0, MAX_SLOT, position);
}

/** A pinned ICE-TCP port, "derived" (ports.iceTcpBase + slot) when absent. */
export function readIceTcpPort(
  problems: Problems,
  path: string,
  value: unknown,
): number | "derived" | undefined {
  return value === undefined ? "derived" : readPort(problems, path, value, undefined);
}

const IMAGE_ALLOWED =
  'an image reference pinned by a tag other than latest or an @sha256 digest, like "haproxy:2.8"';

export function readImage(
  problems: Problems,
  path: string,
  value: unknown,
  fallback: string,
): string | undefined {
  return readString(problems, path, value, fallback, isPinnedImageReference, IMAGE_ALLOWED);
}

export function readBindAddress(problems: Problems, value: unknown, fallback: string): string | undefined {
  return readString(
    problems,
    "bindAddress",
    value,
    fallback,
    (text) => parseIpv4(text) !== undefined,
    "an IPv4 address (dotted quad) or 0.0.0.0",
  );
}

/** Defaults to `bindAddress`, which cannot stand in when it is 0.0.0.0 (or was invalid: undefined). */
export function readPublicHost(
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

/** The stack network's first three octets; the default is derived from the stack name. */
export function readSubnet(
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

/** Canonical host directory; the default lives below the deploying user's home. */
export function readHostDir(
  problems: Problems,
  value: unknown,
  stack: string,
  homeDir: string,
): string | undefined {
  if (value === undefined) {
    const fallback = `${homeDir.replace(/\/+$/, "")}/.local/state/${NAMESPACE}/${stack}`;
    const dir = normalizeHostDir(fallback);
    // A bad stack name is already reported on `stack`; only blame the home directory here.
    if (dir === undefined && STACK_PATTERN.test(stack)) {
      problems.add("hostDir", `must be ${HOST_DIR_ALLOWED}; set it, the default is ${describe(fallback)}`);
    }
    return dir;
  }
  const dir = typeof value === "string" ? normalizeHostDir(value) : undefined;
  if (dir === undefined) problems.add("hostDir", `must be ${HOST_DIR_ALLOWED}, got ${describe(value)}`);
  return dir;
}
