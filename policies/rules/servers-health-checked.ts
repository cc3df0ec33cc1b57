import type { ResourceValidationPolicy } from "@pulumi/policy";
import { isHealthFollowed, serverLines } from "../lib/haproxy-cfg";
import { cfgLocation, requireHaproxyCfg } from "../lib/resources";

/**
 * Without `check` HAProxy never marks a server down: round-robin keeps placing RTMP publishers and
 * WHIP sessions on a dead instance, and the router's on-miss lookup trusts its health.
 */
export const serversHealthChecked: ResourceValidationPolicy = {
  name: "servers-health-checked",
  description:
    'Every server line in the rendered haproxy.cfg has "check" or tracks a server that has ("track backend/server").',
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    const cfg = requireHaproxyCfg(args);
    const servers = serverLines(cfg);
    for (const server of servers) {
      if (isHealthFollowed(server, servers)) continue;
      reportViolation(
        `${cfgLocation(args.name, server.lineNo)}: server ${server.name} in ${server.section.kind} ` +
          `${server.section.name} has no "check" (nor tracks a checked server), so HAProxy keeps routing to it ` +
          'when it is down; add "check inter <interval> fall <n> rise <n>" or "track hls/<server>" ' +
          "(templates/haproxy.cfg.mustache, serverHealth)",
      );
    }
  },
};
