import type { ResourceValidationPolicy } from "@pulumi/policy";
import { type ServerLine, serverLines, serverOption } from "../lib/haproxy-cfg";
import { cfgLocation, requireHaproxyCfg } from "../lib/resources";

/** HAProxy's server weight range; 0 drains a server (no new sessions). */
const MAX_WEIGHT = 256;

const FIX = `use integers 0-${MAX_WEIGHT} in mediamtx-lb:instances[].weight`;

/** The server's weight: HAProxy's default 1 without a `weight` keyword; undefined when not an integer. */
function weightOf(server: ServerLine): number | undefined {
  const text = serverOption(server, "weight");
  if (text === undefined) return 1;
  return /^[0-9]+$/.test(text) ? Number(text) : undefined;
}

/**
 * Weights come from the instances' config and also reach HAProxy over the runtime API, where an
 * out-of-range value is refused, and a backend whose servers all weigh 0 has nowhere to put a new
 * RTMP publisher or WHIP session.
 */
export const weightsValid: ResourceValidationPolicy = {
  name: "weights-valid",
  description: `Server weights in haproxy.cfg are integers 0-${MAX_WEIGHT} and not all 0 in a backend.`,
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    const cfg = requireHaproxyCfg(args);
    const byBackend = new Map<string, { lineNo: number; weights: (number | undefined)[] }>();
    for (const server of serverLines(cfg)) {
      const weight = weightOf(server);
      if (weight === undefined || weight > MAX_WEIGHT) {
        reportViolation(
          `${cfgLocation(args.name, server.lineNo)}: server ${server.name} in ${server.section.kind} ` +
            `${server.section.name} has weight ${serverOption(server, "weight") ?? "(missing value)"}; ${FIX}`,
        );
      }
      const entry = byBackend.get(server.section.name) ?? { lineNo: server.section.lineNo, weights: [] };
      entry.weights.push(weight);
      byBackend.set(server.section.name, entry);
    }
    for (const [backend, { lineNo, weights }] of byBackend) {
      if (weights.every((weight) => weight === 0)) {
        reportViolation(
          `${cfgLocation(args.name, lineNo)}: every server in backend ${backend} has weight 0, so new ` +
            `sessions have nowhere to go; give at least one instance weight 1-${MAX_WEIGHT} (mediamtx-lb:instances[].weight)`,
        );
      }
    }
  },
};
