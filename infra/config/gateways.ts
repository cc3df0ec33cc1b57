// Readers and rules of the keys that run more than one gateway: `gateways` and `floatingAddress`. Same
// contract as fields.ts (one error line per key, `undefined` after recording it). Pure.
//
// One gateway (no `gateways`, or a list of one) is the stack as before: same names, same files. Two or
// more each run the same rendered haproxy.cfg on their own host, poll every instance themselves, and
// share `floatingAddress`, which keepalived (VRRP) holds on exactly one of them.

import { describe, isRecord } from "../lib/untyped";
import { readInstanceName, readInteger, readString, reportUnknownKeys } from "./fields";
import { checkGatewayEngine, type HostDraft, isHostAddress, readGateway, readHostRef } from "./hosts";
import { at, type Problems } from "./problems";

export const GATEWAYS_SHAPE = "{name, host?, priority?}";
const GATEWAY_ITEM_KEYS = ["host", "name", "priority"] as const;
export const MAX_GATEWAYS = 4;
/** VRRP priority when none is given; equal priorities mean "the holder keeps the address" (nopreempt). */
export const DEFAULT_GATEWAY_PRIORITY = 100;
/** The name of the one gateway a stack without `gateways` has (status shows it). */
export const SOLE_GATEWAY_NAME = "gateway";

export interface GatewayDraft {
  readonly name: string;
  /** undefined without `hosts` (the local engine). */
  readonly host: string | undefined;
  readonly priority: number;
}

/**
 * `gateways` (or the older `gateway: {host}`, its one-gateway shorthand): the gateways in config order,
 * or undefined after recording errors. Without either key: one gateway on the first host (or the local
 * engine), as before the keys existed.
 */
export function readGateways(
  problems: Problems,
  raw: Readonly<Record<string, unknown>>,
  hosts: readonly HostDraft[] | null | undefined,
): readonly GatewayDraft[] | undefined {
  if (raw.gateways === undefined) {
    const host = readGateway(problems, raw.gateway, hosts);
    if (hosts !== undefined && host === undefined) return undefined;
    return [{ name: SOLE_GATEWAY_NAME, host, priority: DEFAULT_GATEWAY_PRIORITY }];
  }
  if (raw.gateway !== undefined) {
    problems.add("gateway", `cannot be used with ${at("gateways")}: place each gateway with gateways[].host`);
    return undefined;
  }
  const allowed = `a list of 1-${MAX_GATEWAYS} objects ${GATEWAYS_SHAPE}`;
  const value = raw.gateways;
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_GATEWAYS) {
    const got = Array.isArray(value) && value.length > 0 ? `${value.length} items` : describe(value);
    problems.add("gateways", `must be ${allowed}, got ${got}`);
    return undefined;
  }
  let broken = false;
  const drafts: GatewayDraft[] = [];
  const firstByName = new Map<string, number>();
  const firstByHost = new Map<string, number>();
  value.forEach((item: unknown, index) => {
    const path = `gateways[${index}]`;
    if (!isRecord(item)) {
      problems.add(path, `must be an object ${GATEWAYS_SHAPE}, got ${describe(item)}`);
      broken = true;
      return;
    }
    reportUnknownKeys(problems, `${path}.`, item, GATEWAY_ITEM_KEYS);
    const name = readInstanceName(problems, `${path}.name`, item.name);
    const host = readHostRef(problems, `${path}.host`, item.host, hosts);
    const priority = readInteger(
      problems,
      `${path}.priority`,
      item.priority,
      1,
      254,
      DEFAULT_GATEWAY_PRIORITY,
    );
    if (name === undefined || priority === undefined || (hosts !== undefined && host === undefined)) {
      broken = true;
      return;
    }
    const sameName = firstByName.get(name);
    if (sameName !== undefined) {
      problems.add(
        `${path}.name`,
        `must be unique, got ${describe(name)} (also ${at(`gateways[${sameName}].name`)})`,
      );
      broken = true;
    } else firstByName.set(name, index);
    if (host !== undefined && value.length > 1) {
      const sameHost = firstByHost.get(host);
      if (sameHost !== undefined) {
        problems.add(
          `${path}.host`,
          `must differ from ${at(`gateways[${sameHost}].host`)} ("${host}"): two gateways on one host fail together`,
        );
        broken = true;
      } else firstByHost.set(host, index);
    }
    drafts.push({ name, host, priority });
  });
  if (value.length > 1 && hosts === undefined) {
    problems.add("gateways", `more than one gateway needs ${at("hosts")}: each gateway runs on its own host`);
    return undefined;
  }
  return broken ? undefined : drafts;
}

/**
 * An address keepalived moves between the gateways (`key`): required with two or more gateways, refused
 * with one, an IPv4 address that is not a /24's network or broadcast address and not `taken` (which
 * names the key that already has it). `inUse` starts the error when it is taken.
 */
function readMovingAddress(
  problems: Problems,
  key: string,
  value: unknown,
  gatewayCount: number | undefined,
  allowed: string,
  taken: (address: string) => string | undefined,
  inUse: string,
): string | undefined {
  if (value === undefined) {
    if (gatewayCount !== undefined && gatewayCount > 1)
      problems.add(key, `required with ${gatewayCount} gateways (${allowed}), got nothing`);
    return undefined;
  }
  if (gatewayCount === undefined) return undefined;
  if (gatewayCount < 2) {
    problems.add(key, `needs two or more ${at("gateways")} (it moves between them), got one gateway`);
    return undefined;
  }
  // floatingAddress's last octet is the VRRP router id (1-255), so .0 is out; .255 is a /24's broadcast.
  const accept = (text: string) => isHostAddress(text) && !text.endsWith(".0") && !text.endsWith(".255");
  const address = readString(problems, key, value, undefined, accept, allowed);
  if (address === undefined) return undefined;
  const also = taken(address);
  if (also !== undefined) {
    problems.add(key, `${inUse}, got "${address}" (also ${also}): keepalived adds and removes it`);
    return undefined;
  }
  return address;
}

/** The `hosts[i]` that has `address` as its address or private address. */
function hostWith(hosts: readonly HostDraft[] | null | undefined, address: string): string | undefined {
  const owner = (hosts ?? []).findIndex((h) => h.address === address || h.privateAddress === address);
  return owner >= 0 ? at(`hosts[${owner}]`) : undefined;
}

/**
 * `floatingAddress`: required with two or more gateways (the address clients use, held by one gateway at
 * a time), refused with one. An IPv4 address of the hosts' public network that no host already has.
 */
export function readFloatingAddress(
  problems: Problems,
  value: unknown,
  gatewayCount: number | undefined,
  hosts: readonly HostDraft[] | null | undefined,
): string | undefined {
  return readMovingAddress(
    problems,
    "floatingAddress",
    value,
    gatewayCount,
    "an IPv4 address on the hosts' public network that no host has (clients connect to it)",
    (address) => hostWith(hosts, address),
    "must not be a host's own address",
  );
}

/**
 * `privateFloatingAddress`: required with two or more gateways, refused with one. The address on the
 * hosts' private network that moves with `floatingAddress`: the publish hook listens there, so the
 * instances' auth requests (user and password in clear JSON with `publishers` or `readers`) never
 * cross the public network. No host may already have it.
 */
export function readPrivateFloatingAddress(
  problems: Problems,
  value: unknown,
  gatewayCount: number | undefined,
  hosts: readonly HostDraft[] | null | undefined,
  floatingAddress: string | undefined,
): string | undefined {
  return readMovingAddress(
    problems,
    "privateFloatingAddress",
    value,
    gatewayCount,
    "an IPv4 address on the hosts' private network that no host has (the publish hook listens there)",
    (address) =>
      hostWith(hosts, address) ?? (address === floatingAddress ? at("floatingAddress") : undefined),
    "must not be an address in use",
  );
}

/**
 * With a floating address every gateway dials every instance over the private network and is reached by
 * instances there: each gateway's host must be an engine of this machine (its config directory is a
 * directory here) and every host that runs a gateway or an instance needs `privateAddress` (an instance
 * on a gateway's host cannot bind loopback: the other gateway could not reach it).
 */
export function checkGatewayPair(
  problems: Problems,
  hosts: readonly HostDraft[],
  gateways: readonly GatewayDraft[],
  instanceHosts: readonly (string | undefined)[],
): void {
  const reported = new Set<string>();
  const needPrivate = (hostName: string | undefined, why: string) => {
    const index = hosts.findIndex((h) => h.name === hostName);
    const host = hosts[index];
    if (host === undefined || host.privateAddress !== undefined || reported.has(host.name)) return;
    reported.add(host.name);
    problems.add(`hosts[${index}].privateAddress`, `required: ${why}`);
  };
  gateways.forEach((g, index) => {
    if (g.host === undefined) return;
    checkGatewayEngine(problems, hosts, g.host, `gateways[${index}].host`);
    needPrivate(
      g.host,
      `${at(`gateways[${index}]`)} runs on "${g.host}" and dials every instance over the private network`,
    );
  });
  instanceHosts.forEach((name, index) => {
    needPrivate(
      name,
      `${at(`instances[${index}]`)} runs on "${name}" and every gateway dials it over the private network`,
    );
  });
}

/** The VRRP router id: the floating address's last octet, unique among the floating addresses of one subnet. */
export function vrrpRouterId(floatingAddress: string): number {
  return Number(floatingAddress.split(".")[3]);
}
