// Collects the pack's policies. Names are the keys of policy config files and of `pulumi preview`
// output, so they must be unique and kebab-case; each needs a description for the CLI to show.

import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

export type MediamtxLbPolicy = ResourceValidationPolicy | StackValidationPolicy;

const KEBAB_CASE = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

export class PolicyRegistry {
  readonly #policies = new Map<string, MediamtxLbPolicy>();

  /** Adds `policy`; throws when its name is taken, not kebab-case (or "all", reserved), or it lacks a description. */
  register(policy: MediamtxLbPolicy): this {
    const { name } = policy;
    if (!KEBAB_CASE.test(name) || name === "all") {
      throw new Error(`policy name must be kebab-case and not "all", got ${JSON.stringify(name)}`);
    }
    if (this.#policies.has(name)) throw new Error(`policy ${name} is registered twice`);
    if (policy.description.trim().length === 0) throw new Error(`policy ${name} needs a description`);
    this.#policies.set(name, policy);
    return this;
  }

  /** Registered policies, in registration order. */
  policies(): MediamtxLbPolicy[] {
    return [...this.#policies.values()];
  }
}

/** A registry holding `policies`; throws on the first duplicate or malformed one. */
export function registerPolicies(policies: readonly MediamtxLbPolicy[]): MediamtxLbPolicy[] {
  const registry = new PolicyRegistry();
  for (const policy of policies) registry.register(policy);
  return registry.policies();
}
