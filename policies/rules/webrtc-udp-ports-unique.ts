import * as docker from "@pulumi/docker";
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { LABELS } from "../../infra/config/names";
import { isMediamtxContainer, labelValue, type PublishedPortInput, publishedPorts } from "../lib/resources";

/** Below this, ports are privileged and where system services listen. */
const MIN_UDP_PORT = 1024;

const UDP_FIX =
  "each instance's WebRTC UDP port is mediamtx-lb:ports.webrtcUdpBase + slot: give instances on one host distinct slots (mediamtx-lb:instances[].slot)";
const TCP_FIX =
  "each instance's private ports are mediamtx-lb:ports.privateBase + 8 × slot + 0..5: give instances on one host distinct slots (mediamtx-lb:instances[].slot)";

/**
 * Which engine a container runs on: its provider's endpoint (`host` input) when the provider says, else
 * the provider itself, else the `mediamtx-lb.host` label the program puts on containers with `hosts`;
 * containers with none of these share the default provider (the local engine).
 */
function engineOf(resource: PolicyResource): { readonly key: string; readonly label: string } {
  const provider = resource.provider;
  const hostLabel = labelValue(resource.props.labels, LABELS.host);
  const named = hostLabel === undefined ? "" : `host ${hostLabel}, `;
  if (provider !== undefined) {
    const endpoint: unknown = provider.props?.host;
    if (typeof endpoint === "string" && endpoint !== "")
      return { key: `engine ${endpoint}`, label: `${named}engine ${endpoint}` };
    return { key: `provider ${provider.urn}`, label: `${named}provider ${provider.name}` };
  }
  if (hostLabel !== undefined) return { key: `host ${hostLabel}`, label: `host ${hostLabel}` };
  return { key: "default", label: "the default provider" };
}

interface Binding {
  readonly container: string;
  readonly port: PublishedPortInput & { readonly external: number };
}

const where = (p: PublishedPortInput) => (p.wildcard ? "every address" : p.ip);

/** Two bindings of one protocol collide on a port when their addresses overlap (a wildcard overlaps all). */
function overlaps(a: PublishedPortInput, b: PublishedPortInput): boolean {
  return a.protocol === b.protocol && (a.wildcard || b.wildcard || a.ip === b.ip);
}

/**
 * A stack rule: uniqueness is over every MediaMTX container on one engine. Each instance's ICE candidates
 * carry its WebRTC UDP port, so two instances on one host with the same port would take each other's
 * media (or the second fails to start); with `hosts`, instances on different hosts may share a port. Any
 * other published (ip, port, protocol) shared on one engine fails at container start, and a wildcard bind
 * takes the port on every address.
 */
export const webrtcUdpPortsUnique: StackValidationPolicy = {
  name: "webrtc-udp-ports-unique",
  description:
    "MediaMTX containers on one Docker provider (host) publish distinct UDP ports, each ≥ 1024, and share no published (ip, port, protocol).",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const byEngine = new Map<string, { label: string; bindings: Binding[] }>();
    for (const resource of args.resources) {
      if (!resource.isType(docker.Container) || !isMediamtxContainer(resource.props)) continue;
      const engine = engineOf(resource);
      const group = byEngine.get(engine.key) ?? { label: engine.label, bindings: [] };
      byEngine.set(engine.key, group);
      for (const port of publishedPorts(resource.props.ports)) {
        // A random host port (no external) cannot collide by config: Docker picks a free one.
        if (port.external === undefined) continue;
        group.bindings.push({ container: resource.name, port: { ...port, external: port.external } });
      }
    }
    for (const { label, bindings } of byEngine.values()) {
      const udp = bindings.filter((b) => b.port.protocol === "udp");
      for (const b of udp) {
        if (b.port.external < MIN_UDP_PORT)
          reportViolation(
            `Container "${b.container}" (MediaMTX, ${label}) publishes UDP port ${b.port.external} on ${where(b.port)}, below ${MIN_UDP_PORT}; raise mediamtx-lb:ports.webrtcUdpBase`,
          );
      }
      const firstUdp = new Map<number, Binding>();
      for (const b of udp) {
        const first = firstUdp.get(b.port.external);
        if (first === undefined) firstUdp.set(b.port.external, b);
        else if (first.container !== b.container)
          reportViolation(
            `Container "${b.container}" (MediaMTX, ${label}) publishes UDP port ${b.port.external} on ${where(b.port)}, which Container "${first.container}" on the same engine publishes too (on ${where(first.port)}); ${UDP_FIX}`,
          );
      }
      // UDP is covered above (unique per engine whatever the address); here every other protocol.
      const other = bindings.filter((b) => b.port.protocol !== "udp");
      other.forEach((b, index) => {
        const first = other
          .slice(0, index)
          .find(
            (a) =>
              a.container !== b.container && a.port.external === b.port.external && overlaps(a.port, b.port),
          );
        if (first !== undefined)
          reportViolation(
            `Container "${b.container}" (MediaMTX, ${label}) publishes ${b.port.protocol.toUpperCase()} port ${b.port.external} on ${where(b.port)}, which Container "${first.container}" on the same engine publishes too (on ${where(first.port)}); ${TCP_FIX}`,
          );
      });
    }
  },
};
