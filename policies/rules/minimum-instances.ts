import * as docker from "@pulumi/docker";
import type { StackValidationPolicy } from "@pulumi/policy";
import { isMediamtxContainer, ROLE_LABEL } from "../lib/resources";

export interface MinimumInstancesConfig {
  readonly minimum: number;
}

/** One instance is a valid dev stack; production raises this in its policy config (policies/config/prod.json). */
const MINIMUM_INSTANCES_DEFAULT = 1;

function readMinimum(config: { readonly minimum?: unknown }): number {
  const { minimum } = config;
  return typeof minimum === "number" && Number.isInteger(minimum) && minimum >= 1
    ? minimum
    : MINIMUM_INSTANCES_DEFAULT;
}

/**
 * A stack policy: the count is over the whole stack. With one instance, a crash or an upgrade drops
 * every stream; environments that must survive that set `minimum` in their policy config.
 */
export const minimumInstances: StackValidationPolicy = {
  name: "minimum-instances",
  description: "The stack runs at least `minimum` MediaMTX containers (policy config, default 1).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      minimum: { type: "integer", minimum: 1, default: MINIMUM_INSTANCES_DEFAULT },
    },
  },
  validateStack: (args, reportViolation) => {
    const minimum = readMinimum(args.getConfig<{ minimum?: unknown }>());
    const instances = args.resources.filter(
      (resource) => resource.isType(docker.Container) && isMediamtxContainer(resource.props),
    );
    if (instances.length >= minimum) return;
    const names = instances.map((resource) => resource.name).sort();
    reportViolation(
      `stack has ${instances.length} MediaMTX container(s) (${ROLE_LABEL}=mediamtx${names.length > 0 ? `: ${names.join(", ")}` : ""}), ` +
        `fewer than minimum-instances.minimum = ${minimum} for this environment; add entries to mediamtx-lb:instances ` +
        "(or change minimum in this stack's policy config file)",
    );
  },
};
