// What the stack deployed and where to look: Pulumi's stack outputs and config (as `scripts/pulumi …
// --json` prints them) plus Docker's containers → instance addresses, container names, the admin socket
// and the stats URL. Pure: the collector runs the commands and hands their output here.

import type { GatewayModel, Model } from "../config/model";
import { MEDIAMTX_PORTS } from "../config/model";
import { adminSocketIn, type GatewayNames, instanceNames } from "../config/names";
import { isRecord, stringOr } from "../lib/untyped";
import { HAPROXY_DIR } from "../render/paths";
import type { ContainerInfo } from "./docker-containers";
import type { DeployedInstance, FrontendLimits } from "./report";

/** The stack is not running: the one line the status prints instead of a report. */
export class StackNotUpError extends Error {
  override name = "StackNotUpError";
}

const NAMESPACE = "mediamtx-lb:";

function firstLine(text: string): string {
  return (
    text
      .split("\n")
      .map((l) => l.trim())
      .find((l) => l !== "") ?? "no output"
  );
}

/** The error for a failed `scripts/pulumi <what>`: a missing stack is "not up", anything else is itself. */
export function pulumiFailure(stack: string, what: string, stderr: string): Error {
  if (/no stack named/i.test(stderr)) {
    return new StackNotUpError(
      `stack ${stack} is not up: it has no Pulumi state (bring it up with scripts/up ${stack})`,
    );
  }
  return new Error(`scripts/pulumi ${what} --stack ${stack} failed: ${firstLine(stderr)}`);
}

export interface OutputInstance {
  readonly name: string;
  readonly weight: number;
  readonly container: string | undefined;
  /** With `hosts`: the host it was deployed on (stack output `instances[].host`). */
  readonly host?: string;
}

/**
 * `stack output --json` → the deployed instances. A stack that was created but never brought up (or
 * was destroyed) has no outputs: that is "not up".
 */
export function parseOutputs(stack: string, json: unknown): OutputInstance[] {
  const instances = isRecord(json) ? json.instances : undefined;
  if (!Array.isArray(instances)) {
    throw new StackNotUpError(
      `stack ${stack} is not up: its state has no deployment (bring it up with scripts/up ${stack})`,
    );
  }
  return instances.filter(isRecord).map((i) => {
    const host = stringOr(i.host, undefined);
    return {
      name: String(i.name ?? ""),
      weight: typeof i.weight === "number" ? i.weight : Number(i.weight),
      container: stringOr(i.container, undefined),
      ...(host === undefined ? {} : { host }),
    };
  });
}

/**
 * `config --json` → raw config as infra/config/read.ts hands it to validateConfig: short keys, objects
 * as objects. Pulumi prints structured values under objectValue and the stored text under value. The
 * secret is left out: the status reads it separately with `config get`.
 */
export function rawConfigFromPulumiJson(json: unknown): Record<string, unknown> {
  if (!isRecord(json)) throw new Error("scripts/pulumi config --json: expected an object");
  const raw: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(json)) {
    if (!key.startsWith(NAMESPACE) || !isRecord(entry)) continue;
    const short = key.slice(NAMESPACE.length);
    if (short === "statsPassword") continue;
    raw[short] = entry.objectValue !== undefined ? entry.objectValue : entry.value;
  }
  return raw;
}

/**
 * Deployed instances with their addresses: the validated config's static address when it still lists
 * the instance, else the address Docker reports on the stack network (config changed after the last up).
 * With `hosts` also its host (the deployment's, else the config's) and where its API and metrics answer
 * (the model's dial: its host's private address and published ports); without, neither key is set and
 * the API is asked at the address on MediaMTX's own ports, as before hosts existed.
 */
export function deployedInstances(
  outputs: readonly OutputInstance[],
  model: Model,
  containers: readonly ContainerInfo[],
): DeployedInstance[] {
  const network = model.network.name;
  return outputs.map((o) => {
    const configured = model.instances.find((i) => i.name === o.name);
    const containerName =
      o.container ??
      configured?.containerName ??
      instanceNames(model.stack, model.hostDir, o.name).containerName;
    const host = o.host ?? configured?.host;
    const docker = containers.find((c) => c.name === containerName && (host === undefined || c.host === host))
      ?.addresses[network];
    const address = configured?.address ?? (docker || "?");
    // An instance the config no longer lists has no known dial: its stack-network address is all there is.
    const dial =
      configured?.host !== undefined && configured.host === host
        ? { address: configured.dial.address, api: configured.dial.api, metrics: configured.dial.metrics }
        : { address, api: MEDIAMTX_PORTS.api, metrics: MEDIAMTX_PORTS.metrics };
    return {
      name: o.name,
      weight: o.weight,
      address,
      containerName,
      ...(host === undefined ? {} : { host, dial }),
    };
  });
}

/** Instance names that the config and the deployment disagree on (a pending `up`). */
export function configDrift(outputs: readonly OutputInstance[], model: Model): string[] {
  const deployed = new Set(outputs.map((o) => o.name));
  const configured = new Set(model.instances.map((i) => i.name));
  return [
    ...[...deployed]
      .filter((n) => !configured.has(n))
      .map((n) => `${n} deployed but no longer in the config`),
    ...[...configured].filter((n) => !deployed.has(n)).map((n) => `${n} in the config but not deployed`),
  ];
}

/**
 * The admin socket on the host: inside the host directory bind-mounted at HAPROXY_DIR. The mount Docker
 * reports wins (the config may have changed since the last `up`); without it (container gone) the
 * model's.
 */
export function adminSocketPath(model: Model, haproxy: ContainerInfo | undefined): string {
  return gatewaySocketPath(model.gateway, haproxy);
}

/** adminSocketPath for one gateway of a pair: its own container's mount, else its names'. */
export function gatewaySocketPath(gateway: GatewayNames, haproxy: ContainerInfo | undefined): string {
  const mount = haproxy?.mounts.find((m) => m.destination === HAPROXY_DIR);
  if (mount === undefined) return gateway.adminSocket;
  return adminSocketIn(mount.source);
}

/**
 * One gateway's stats frontend as this machine dials it (its host's address: a pair binds 0.0.0.0, and
 * the floating address reaches only the holder): the model's own `local` URLs of that gateway.
 */
export function gatewayStatsUrl(gateway: GatewayModel): string {
  return gateway.local.stats;
}

/**
 * MediaMTX's Prometheus endpoint of one instance (metrics action granted to the gateway's sources): on the
 * stack network by default, at its published metrics port with `hosts` (DeployedInstance.dial).
 */
export function instanceMetricsUrl(address: string, port: number = MEDIAMTX_PORTS.metrics): string {
  return `http://${address}:${port}/metrics`;
}

/** MediaMTX's path list, one page. itemsPerPage bounds each answer; pages are followed. */
export function pathsListUrl(address: string, page: number, port: number = MEDIAMTX_PORTS.api): string {
  return `http://${address}:${port}/v3/paths/list?itemsPerPage=500&page=${page}`;
}

/**
 * The limits each limited frontend enforces, as its stick table's counters (infra/render/haproxy.ts
 * toHttpLimitsView/toRtmpLimitsView compare the same ones); limits that are 0 are left out.
 */
export function frontendLimits(model: Model): FrontendLimits[] {
  const { limits, proxies } = model;
  const on = (checks: readonly (readonly [string, number])[]) =>
    checks.filter(([, limit]) => limit > 0).map(([counter, limit]) => ({ counter, limit }));
  const http = on([
    ["http_req_rate", limits.httpRequestRate],
    ["conn_cur", limits.httpConnections],
  ]);
  const rtmp = on([
    ["conn_cur", limits.rtmpConnections],
    ["conn_rate", limits.rtmpConnectionRate],
  ]);
  return [
    { frontend: proxies.hls, limits: http },
    { frontend: proxies.webrtc, limits: http },
    { frontend: proxies.rtmp, limits: rtmp },
  ];
}
