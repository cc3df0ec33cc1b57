import * as docker from "@pulumi/docker";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isMediamtxContainer, ROLE_LABEL } from "../lib/resources";

/** MediaMTX's control API and metrics ports (upstream defaults; the program never moves them). */
const SENSITIVE_PORTS: Readonly<Record<number, string>> = { 9997: "control API", 9998: "metrics" };

function describePort(port: { readonly internal?: unknown; readonly external?: unknown }): string {
  const internal = String(port.internal);
  const note = typeof port.internal === "number" ? SENSITIVE_PORTS[port.internal] : undefined;
  const external = port.external === undefined ? "a random host port" : `host port ${String(port.external)}`;
  return `${internal}${note === undefined ? "" : ` (${note})`} → ${external}`;
}

/**
 * HAProxy reaches every instance at its static address on the stack network, so a MediaMTX container
 * has no reason to publish anything. A published 9997 or 9998 would hand the control API (which can
 * kick sessions and rewrite paths) or the metrics to anyone who reaches the host.
 */
export const mediamtxApiUnpublished: ResourceValidationPolicy = {
  name: "mediamtx-api-unpublished",
  description: `MediaMTX containers (${ROLE_LABEL}=mediamtx) publish no ports, least of all 9997 (API) or 9998 (metrics).`,
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    const container = args.asType(docker.Container);
    if (container === undefined || !isMediamtxContainer(container)) {
      return args.notApplicable("not a MediaMTX container");
    }
    const ports = Array.isArray(container.ports) ? container.ports : [];
    if (ports.length === 0) return;
    reportViolation(
      `Container "${args.name}" (MediaMTX) publishes ports ${ports.map(describePort).join(", ")}; ` +
        "remove ports: HAProxy reaches instances on the stack network, and 9997/9998 must never reach the host",
    );
  },
};
