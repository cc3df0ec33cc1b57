// Model + instance → MediaMTX view → mediamtx.yml (templates/mediamtx.yml.mustache). Pure.
//
// Couplings:
// - authHTTPAddress is the publish hook HAProxy serves (model.publishHook, infra/lua/publish.lua),
//   which also decides api/metrics access now that authMethod is http. With `readers` it decides reads
//   too (readsOpen false: nothing excluded), checking them against credentials.lua.
// - Listener ports are MEDIAMTX_PORTS, which haproxy.ts uses for server addresses and health checks.
// - The ICE-TCP listener uses instance.iceTcpPort, the same number HAProxy binds on the host for
//   `ice_<name>`: MediaMTX advertises its own listener port in candidates, so the two must match.

import type { HlsVariant, InstanceModel, Model } from "../config/model";
import { MEDIAMTX_PORTS } from "../config/model";
import { renderTemplate } from "./templates";

/**
 * Addresses that may use the control API and metrics besides the stack subnet (MediaMTX's own default).
 * The publish hook applies the rule (infra/render/publish.ts): with `authMethod: http` MediaMTX asks it.
 */
export const LOOPBACK_IPS = ["127.0.0.1", "::1"] as const;

export interface MediamtxView {
  readonly stack: string;
  readonly name: string;
  readonly ports: typeof MEDIAMTX_PORTS;
  readonly iceTcpPort: number;
  readonly hlsVariant: HlsVariant;
  /** authHTTPAddress: the gateway's publish hook, naming this instance. */
  readonly publishHookUrl: string;
  /** No `readers`: read and playback stay excluded from the hook (authHTTPExclude), as without auth. */
  readonly readsOpen: boolean;
  /** YAML flow list: the stack subnet, where HAProxy's requests come from. */
  readonly trustedProxies: string;
  /** YAML flow list: the hosts advertised in ICE candidates. */
  readonly additionalHosts: string;
  /** With `hosts`: the comments say where the API is published and the hook listens. */
  readonly onHosts: boolean;
  /** Two or more gateways: the hook is on the floating address (comments only). */
  readonly floating: boolean;
  /** With `hosts`: the WebRTC UDP port this instance listens on and its host publishes; null otherwise. */
  readonly webrtcUdpPort: number | null;
}

/**
 * A YAML flow sequence of double-quoted strings. JSON string syntax is a subset of YAML's double-quoted
 * style, so `::1` or a host name can never be misread as a mapping or another type.
 */
function yamlFlowList(items: readonly string[]): string {
  return `[${items.map((item) => JSON.stringify(item)).join(", ")}]`;
}

/** Internal. Exported for testing. */
export function toMediamtxView(model: Model, instance: InstanceModel): MediamtxView {
  return {
    stack: model.stack,
    name: instance.name,
    ports: MEDIAMTX_PORTS,
    iceTcpPort: instance.iceTcpPort,
    hlsVariant: model.hls.variant,
    publishHookUrl: JSON.stringify(instance.publishHookUrl),
    readsOpen: model.auth.readers === undefined,
    trustedProxies: yamlFlowList(model.gatewaySources),
    additionalHosts: yamlFlowList(instance.candidateHosts),
    webrtcUdpPort: instance.webrtcUdpPort ?? null,
    onHosts: instance.host !== undefined,
    floating: model.floating !== undefined,
  };
}

/** mediamtx.yml for one instance of the stack. */
export function renderMediamtxConfig(model: Model, instance: InstanceModel): string {
  return renderTemplate("mediamtx.yml.mustache", toMediamtxView(model, instance));
}
