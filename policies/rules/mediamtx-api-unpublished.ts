import * as docker from "@pulumi/docker";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isMediamtxContainer, type PublishedPortInput, publishedPorts, ROLE_LABEL } from "../lib/resources";

/** MediaMTX's control API and metrics ports (upstream defaults; the program never moves them). */
const SENSITIVE_PORTS: Readonly<Record<number, string>> = { 9997: "control API", 9998: "metrics" };

function sensitive(port: PublishedPortInput): string | undefined {
  return port.protocol === "tcp" && typeof port.internal === "number"
    ? SENSITIVE_PORTS[port.internal]
    : undefined;
}

function describePort(port: PublishedPortInput): string {
  const note = sensitive(port);
  const internal = `${String(port.internal)}${note === undefined ? "" : ` (${note})`}`;
  const external = port.external === undefined ? "a random host port" : `host port ${port.external}`;
  return port.wildcard ? `${internal} → ${external}` : `${internal} → ${external} on ${port.ip}`;
}

/**
 * Without `mediamtx-lb:hosts` (no `mediamtx-lb.host` label), HAProxy reaches every instance at its
 * static address on the stack network, so a MediaMTX container publishes nothing. With `hosts`,
 * instances on other machines are reached over the private network: each publishes its TCP ports (RTMP,
 * HLS, WebRTC, ICE-TCP, API, metrics) on its host's private address, and one WebRTC UDP port on the
 * public one. So a TCP port is acceptable only on a specific address (a wildcard bind reaches the public
 * interface too) other than the one its UDP port uses, which is public by construction
 * (hosts[].address). UDP ports are webrtc-udp-ports-unique's concern.
 */
export const mediamtxApiUnpublished: ResourceValidationPolicy = {
  name: "mediamtx-api-unpublished",
  description: `MediaMTX containers (${ROLE_LABEL}=mediamtx) publish nothing without hosts; with hosts, TCP ports (9997 API and 9998 metrics among them) only on a specific private address, never a wildcard or their public (WebRTC UDP) address.`,
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    const container = args.asType(docker.Container);
    if (container === undefined || !isMediamtxContainer(container)) {
      return args.notApplicable("not a MediaMTX container");
    }
    const ports = publishedPorts(container.ports);
    if (ports.length === 0) return;
    if (!hasHostLabel(container)) {
      reportViolation(
        `Container "${args.name}" (MediaMTX) publishes ports ${ports.map(describePort).join(", ")}; ` +
          "remove ports: HAProxy reaches instances on the stack network, and 9997/9998 must never reach the host",
      );
      return;
    }
    const tcp = ports.filter((p) => p.protocol !== "udp");
    const everywhere = tcp.filter((p) => p.wildcard);
    if (everywhere.length > 0) {
      reportViolation(
        `Container "${args.name}" (MediaMTX) publishes ports ${everywhere.map(describePort).join(", ")} on every address; ` +
          "bind them to the host's private address (mediamtx-lb:hosts[].privateAddress) only: 9997/9998 must never reach a public address",
      );
    }
    const publicIps = new Set(ports.filter((p) => p.protocol === "udp" && !p.wildcard).map((p) => p.ip));
    const exposed = tcp.filter((p) => !p.wildcard && publicIps.has(p.ip));
    if (exposed.length > 0) {
      reportViolation(
        `Container "${args.name}" (MediaMTX) publishes ${exposed.map(describePort).join(", ")} on the public address its WebRTC UDP port uses; ` +
          "bind them to the host's private address (mediamtx-lb:hosts[].privateAddress), which only the gateway's hosts reach",
      );
    }
  },
};

/** Whether the container carries `mediamtx-lb.host` (the program sets it on instances only with `hosts`). */
function hasHostLabel(container: { readonly labels?: unknown }): boolean {
  const labels = Array.isArray(container.labels) ? container.labels : [];
  return labels.some(
    (l: unknown) =>
      typeof l === "object" && l !== null && (l as { label?: unknown }).label === "mediamtx-lb.host",
  );
}
