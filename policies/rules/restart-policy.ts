import * as docker from "@pulumi/docker";
import type { ResourceValidationPolicy } from "@pulumi/policy";

/** Restart policies that bring a container back after a crash or a Docker/host restart. */
const ALLOWED_RESTART = ["unless-stopped", "always", "on-failure"] as const;

/**
 * Docker's default restart policy is "no": after a crash or a host reboot an instance (or the gateway)
 * stays down until someone runs `pulumi up` again.
 */
export const restartPolicy: ResourceValidationPolicy = {
  name: "restart-policy",
  description: `Every container sets restart to ${ALLOWED_RESTART.join(", ")}.`,
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    const container = args.asType(docker.Container);
    if (container === undefined) return args.notApplicable("not a Container");
    const restart: unknown = container.restart;
    if (typeof restart === "string" && ALLOWED_RESTART.some((allowed) => allowed === restart)) return;
    const found = restart === undefined ? 'unset (Docker\'s default "no")' : JSON.stringify(restart);
    reportViolation(
      `Container "${args.name}": restart is ${found}; set restart: "unless-stopped" ` +
        `(or "always"/"on-failure") so it comes back after a crash or a host reboot`,
    );
  },
};
