import type { ResourceValidationPolicy } from "@pulumi/policy";
import { parseHaproxyDuration, type ServerLine, serverLines, serverOption } from "../lib/haproxy-cfg";
import { cfgLocation, requireHaproxyCfg } from "../lib/resources";

export interface HealthIntervalConfig {
  readonly minimumMs: number;
  readonly maximumMs: number;
}

const HEALTH_INTERVAL_DEFAULTS: HealthIntervalConfig = { minimumMs: 500, maximumMs: 30_000 };

function formatMs(ms: number): string {
  return ms % 1_000 === 0 ? `${ms / 1_000}s` : `${ms}ms`;
}

/** Bounds from the policy config, falling back to the defaults for anything unset or not a number. */
function readBounds(config: Partial<Record<keyof HealthIntervalConfig, unknown>>): HealthIntervalConfig {
  const pick = (value: unknown, fallback: number) =>
    typeof value === "number" && Number.isFinite(value) ? value : fallback;
  return {
    minimumMs: pick(config.minimumMs, HEALTH_INTERVAL_DEFAULTS.minimumMs),
    maximumMs: pick(config.maximumMs, HEALTH_INTERVAL_DEFAULTS.maximumMs),
  };
}

/**
 * Advisory: the config validator accepts 100ms-60s. Below 500ms every instance's control API answers
 * several checks per second per backend (each instance sits in 4 backends); above 30s a dead instance
 * keeps receiving sessions for minutes (fall × inter).
 */
export const healthIntervalSane: ResourceValidationPolicy = {
  name: "health-interval-sane",
  description: "Health-check intervals (inter) are between 500ms and 30s (configurable).",
  enforcementLevel: "advisory",
  configSchema: {
    properties: {
      minimumMs: { type: "integer", minimum: 1, default: HEALTH_INTERVAL_DEFAULTS.minimumMs },
      maximumMs: { type: "integer", minimum: 1, default: HEALTH_INTERVAL_DEFAULTS.maximumMs },
    },
  },
  validateResource: (args, reportViolation) => {
    const cfg = requireHaproxyCfg(args);
    const { minimumMs, maximumMs } = readBounds(args.getConfig());
    const range = `${formatMs(minimumMs)}-${formatMs(maximumMs)}`;
    // One finding per distinct value: the renderer repeats one `inter` on every server line.
    const offenders = new Map<string, ServerLine[]>();
    for (const server of serverLines(cfg)) {
      const inter = serverOption(server, "inter");
      if (inter === undefined) continue; // HAProxy's default, 2s
      const ms = parseHaproxyDuration(inter);
      if (ms !== undefined && ms >= minimumMs && ms <= maximumMs) continue;
      offenders.set(inter, [...(offenders.get(inter) ?? []), server]);
    }
    for (const [inter, servers] of offenders) {
      const [first] = servers;
      if (first === undefined) continue;
      const others = servers.length > 1 ? ` and ${servers.length - 1} more server line(s)` : "";
      reportViolation(
        `${cfgLocation(args.name, first.lineNo)}: health-check interval "inter ${inter}" on server ` +
          `${first.name} in ${first.section.kind} ${first.section.name}${others} is outside ${range}; ` +
          `set mediamtx-lb:health.interval within ${range}`,
      );
    }
  },
};
