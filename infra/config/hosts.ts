// Readers and rules of the keys that spread a stack over several Docker hosts: `hosts`, each instance's
// `host`, `gateway.host` and the private-path ports. Same contract as fields.ts (one error line per key,
// `undefined` after recording it). Pure.
//
// The private path: every instance publishes its MediaMTX ports (RTMP, HLS, WebRTC, ICE-TCP, API,
// metrics) on its host's `privateAddress` only, at ports.privateBase + 8 × slot + k, and the gateway dials
// them there; clients never reach that network. The one port an instance publishes on its host's public
// `address` is its WebRTC UDP port (ports.webrtcUdpBase + slot), which its ICE candidates carry.

import { describe, isRecord } from "../lib/untyped";
import { readInstanceName, readSection, readString } from "./fields";
import { type PortsModel, PUBLISH_HOOK_PORT } from "./model";
import { at, type Problems } from "./problems";
import type { FrontendPortKey, InstanceDraft } from "./rules";

export const HOST_SHAPE = "{name, docker, address, privateAddress?}";
const HOST_KEYS = ["address", "docker", "name", "privateAddress"] as const;
export const GATEWAY_KEYS = ["host"] as const;
const MAX_HOSTS = 16;

/** Docker engine endpoints the Docker provider and CLI accept. */
const DOCKER_ENDPOINT =
  /^(unix:\/\/\/[^\s]+|tcp:\/\/[A-Za-z0-9.-]+:[0-9]{1,5}|ssh:\/\/[^\s/@]+@[A-Za-z0-9.-]+(:[0-9]{1,5})?)$/;
const IPV4 = /^(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})\.(0|[1-9][0-9]{0,2})$/;

/** Private ports per slot: rtmp, hls, webrtc, api, metrics, ice-tcp (k = 0..5), room for two more. */
export const PRIVATE_PORTS_PER_SLOT = 8;
export const PRIVATE_PORT_OFFSETS = { rtmp: 0, hls: 1, webrtc: 2, api: 3, metrics: 4, iceTcp: 5 } as const;
/** Where an instance's ports are bound on a host without `privateAddress` (only the gateway's host). */
export const LOOPBACK = "127.0.0.1";

export interface HostDraft {
  readonly name: string;
  readonly docker: string;
  readonly address: string;
  readonly privateAddress: string | undefined;
}

function isIpv4(text: string): boolean {
  const match = IPV4.exec(text);
  return match?.slice(1).every((octet) => Number(octet) <= 255) ?? false;
}

/**
 * An address Docker can bind one machine's ports to: not unspecified (0.0.0.0 would publish MediaMTX's
 * API on every interface), loopback, link-local, multicast or broadcast.
 */
export function isHostAddress(text: string): boolean {
  if (!isIpv4(text)) return false;
  const [a, b] = text.split(".").map(Number) as [number, number];
  return !(a === 0 || a === 127 || (a === 169 && b === 254) || a >= 224);
}

/**
 * `hosts`: absent → undefined (the local engine is the only host, as before the key existed); otherwise
 * the hosts, or undefined after recording errors (`null` stands for "present but broken").
 */
export function readHosts(problems: Problems, value: unknown): readonly HostDraft[] | null | undefined {
  if (value === undefined) return undefined;
  const allowed = `a list of 1-${MAX_HOSTS} objects ${HOST_SHAPE}`;
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_HOSTS) {
    problems.add(
      "hosts",
      `must be ${allowed}, got ${Array.isArray(value) ? `${value.length} items` : describe(value)}`,
    );
    return null;
  }
  const drafts: HostDraft[] = [];
  const names = new Map<string, number>();
  const addresses = new Map<string, string>();
  const engines = new Map<string, number>();
  let broken = false;
  value.forEach((item: unknown, index) => {
    const path = `hosts[${index}]`;
    if (!isRecord(item)) {
      problems.add(path, `must be an object ${HOST_SHAPE}, got ${describe(item)}`);
      broken = true;
      return;
    }
    const before = problems.lines.length;
    for (const key of Object.keys(item)) {
      if (!(HOST_KEYS as readonly string[]).includes(key))
        problems.add(`${path}.${key}`, `unknown key (allowed: ${HOST_KEYS.join(", ")})`);
    }
    const name = readInstanceName(problems, `${path}.name`, item.name);
    if (name !== undefined) {
      const first = names.get(name);
      if (first !== undefined)
        problems.add(`${path}.name`, `must be unique, got "${name}" (also ${at(`hosts[${first}].name`)})`);
      else names.set(name, index);
    }
    const docker = readRequired(
      problems,
      `${path}.docker`,
      item.docker,
      (t) => DOCKER_ENDPOINT.test(t),
      "a Docker engine endpoint: unix:///path, tcp://host:port or ssh://user@host[:port]",
    );
    if (docker !== undefined) {
      // Two hosts on one engine would create the same network and containers twice.
      const first = engines.get(docker);
      if (first !== undefined)
        problems.add(
          `${path}.docker`,
          `must be unique, got "${docker}" (also ${at(`hosts[${first}].docker`)})`,
        );
      else engines.set(docker, index);
    }
    const address = readRequired(
      problems,
      `${path}.address`,
      item.address,
      isHostAddress,
      "the IPv4 address clients reach this machine at (its WebRTC UDP ports bind there; not 0.0.0.0, loopback, link-local or multicast)",
    );
    const privateAddress =
      item.privateAddress === undefined
        ? undefined
        : readString(
            problems,
            `${path}.privateAddress`,
            item.privateAddress,
            undefined,
            isHostAddress,
            "an IPv4 address on the network only the hosts share (MediaMTX ports bind there; not 0.0.0.0, loopback, link-local or multicast)",
          );
    if (privateAddress !== undefined && privateAddress === address)
      problems.add(
        `${path}.privateAddress`,
        `must differ from ${at(`${path}.address`)} (clients reach that one), got "${privateAddress}" for both`,
      );
    for (const [key, addr] of [
      ["address", address],
      ["privateAddress", privateAddress],
    ] as const) {
      if (addr === undefined) continue;
      if (key === "privateAddress" && addr === address) continue;
      const first = addresses.get(addr);
      if (first !== undefined)
        problems.add(`${path}.${key}`, `must be unique, got "${addr}" (also ${at(first)})`);
      else addresses.set(addr, `${path}.${key}`);
    }
    if (
      problems.lines.length > before ||
      name === undefined ||
      docker === undefined ||
      address === undefined
    ) {
      broken = true;
      return;
    }
    drafts.push({ name, docker, address, privateAddress });
  });
  return broken ? null : drafts;
}

function readRequired(
  problems: Problems,
  path: string,
  value: unknown,
  accept: (text: string) => boolean,
  allowed: string,
): string | undefined {
  if (value === undefined) {
    problems.add(path, `required (${allowed}), got nothing`);
    return undefined;
  }
  return readString(problems, path, value, undefined, accept, allowed);
}

/**
 * A `host` reference (an instance's, or `gateway.host`): the name of one of `hosts`. Without `hosts` it is
 * an error (there is nothing to place on). Absent → the first host.
 */
export function readHostRef(
  problems: Problems,
  path: string,
  value: unknown,
  hosts: readonly HostDraft[] | null | undefined,
): string | undefined {
  if (hosts === undefined) {
    if (value !== undefined)
      problems.add(path, `needs ${at("hosts")} (without it every container runs on the local engine)`);
    return undefined;
  }
  if (hosts === null) return undefined;
  if (value === undefined) return hosts[0]?.name;
  const names = hosts.map((h) => h.name);
  if (typeof value === "string" && names.includes(value)) return value;
  problems.add(path, `must name one of ${at("hosts")} (${names.join(", ")}), got ${describe(value)}`);
  return undefined;
}

/** `gateway: {host?}`: which host runs HAProxy; the first host unless placed. */
export function readGateway(
  problems: Problems,
  value: unknown,
  hosts: readonly HostDraft[] | null | undefined,
): string | undefined {
  const section = readSection(problems, "gateway", value, GATEWAY_KEYS);
  return readHostRef(problems, "gateway.host", section.host, hosts);
}

/**
 * The private path needs an address the gateway can dial: an instance on another host than the gateway's
 * needs its host's `privateAddress`, and then the gateway's host needs one too (the publish hook listens
 * there for the remote instances). On the gateway's own host, loopback will do.
 */
export function checkPrivatePath(
  problems: Problems,
  hosts: readonly HostDraft[],
  gatewayHost: string,
  instanceHosts: readonly (string | undefined)[],
): void {
  const byName = new Map(hosts.map((h, index) => [h.name, { host: h, index }]));
  let remote = false;
  instanceHosts.forEach((name, index) => {
    if (name === undefined || name === gatewayHost) return;
    remote = true;
    const entry = byName.get(name);
    if (entry !== undefined && entry.host.privateAddress === undefined)
      problems.add(
        `hosts[${entry.index}].privateAddress`,
        `required: ${at(`instances[${index}]`)} runs on "${name}", which the gateway (on "${gatewayHost}") reaches only over a private network`,
      );
  });
  const gateway = byName.get(gatewayHost);
  if (remote && gateway !== undefined && gateway.host.privateAddress === undefined)
    problems.add(
      `hosts[${gateway.index}].privateAddress`,
      `required: the gateway runs on "${gatewayHost}" and instances on other hosts call its publish hook over the private network`,
    );
}

/**
 * The gateway's config directory is a directory on the machine that runs `pulumi up`, bind-mounted into
 * HAProxy (and its Runtime API socket is read there), so the gateway's host must be an engine of this
 * machine: a `unix://` endpoint.
 */
export function checkGatewayEngine(
  problems: Problems,
  hosts: readonly HostDraft[],
  gatewayHost: string,
  placedBy = "gateway.host",
): void {
  const index = hosts.findIndex((h) => h.name === gatewayHost);
  const host = hosts[index];
  if (host !== undefined && !host.docker.startsWith("unix://"))
    problems.add(
      `hosts[${index}].docker`,
      `must be a unix:// engine on this machine: the gateway runs on "${gatewayHost}" and its config directory is a directory here (place it with ${placedBy}), got "${host.docker}"`,
    );
}

/** An instance's published ports on its host's private address (or loopback), by what MediaMTX serves there. */
export function privatePorts(
  privateBase: number,
  slot: number,
): { rtmp: number; hls: number; webrtc: number; api: number; metrics: number; iceTcp: number } {
  const base = privateBase + PRIVATE_PORTS_PER_SLOT * slot;
  const o = PRIVATE_PORT_OFFSETS;
  return {
    rtmp: base + o.rtmp,
    hls: base + o.hls,
    webrtc: base + o.webrtc,
    api: base + o.api,
    metrics: base + o.metrics,
    iceTcp: base + o.iceTcp,
  };
}

/**
 * With `hosts`: each instance's private ports (privateBase + 8 × slot + 0..5) and WebRTC UDP port
 * (webrtcUdpBase + slot) must be valid ports, and the private ones must not be a port the gateway binds
 * (an instance may share the gateway's host). UDP ports are unique per host because slots are unique.
 */
export function checkHostPorts(
  problems: Problems,
  ports: Partial<PortsModel>,
  icePorts: readonly (number | undefined)[],
  instances: readonly InstanceDraft[],
  frontendKeys: readonly FrontendPortKey[],
): void {
  const taken = new Map<number, string>([[PUBLISH_HOOK_PORT, "the publish hook"]]);
  for (const key of frontendKeys) {
    const port = ports[key];
    if (port !== undefined) taken.set(port, at(`ports.${key}`));
  }
  icePorts.forEach((port, index) => {
    if (port !== undefined) taken.set(port, at(`instances[${index}].iceTcpPort`));
  });
  const { privateBase, webrtcUdpBase } = ports;
  for (const instance of instances) {
    if (instance.slot === undefined) continue;
    const path = `instances[${instance.index}]`;
    if (privateBase !== undefined) {
      const first = privateBase + PRIVATE_PORTS_PER_SLOT * instance.slot;
      const last = first + PRIVATE_PORT_OFFSETS.iceTcp;
      if (last > 65535) {
        problems.add(
          `${path}.slot`,
          `its private ports ${first}-${last} (ports.privateBase ${privateBase} + 8 × slot ${instance.slot}) must be at most 65535: lower ports.privateBase`,
        );
      } else {
        for (let port = first; port <= last; port++) {
          const owner = taken.get(port);
          if (owner !== undefined) {
            problems.add(
              `${path}.slot`,
              `its private ports ${first}-${last} (ports.privateBase + 8 × slot ${instance.slot}) must not include ${port}, which ${owner} uses: move ports.privateBase`,
            );
            break;
          }
        }
      }
    }
    if (webrtcUdpBase !== undefined && webrtcUdpBase + instance.slot > 65535)
      problems.add(
        `${path}.slot`,
        `its WebRTC UDP port ${webrtcUdpBase + instance.slot} (ports.webrtcUdpBase + slot) must be at most 65535: lower ports.webrtcUdpBase`,
      );
  }
}
