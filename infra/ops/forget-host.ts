// What `scripts/forget-host STACK HOST` does to a stack's state when a host is gone for good and its
// engine cannot be reached: every resource that lived on that engine is dropped from the state (never
// deleted: nothing can reach it), and the other resources stop naming them as dependencies. The next
// `pulumi up` with the host removed from the config then creates the moved instances elsewhere and
// reloads the gateway, without a single call to the dead engine.
//
// Why not `pulumi state delete --target-dependents <provider>`: the gateway depends on every instance
// container (it starts after them), so that would forget the running gateway too, and the next `up`
// would fail to create it again ("container name already in use"). Pulumi's own way to edit a state
// by hand is `stack export` → change → `stack import`; this module is the change. Pure.

import { isRecord } from "../lib/untyped";

/** One resource of an exported deployment: only the fields this module reads or rewrites are typed. */
interface StateResource {
  readonly urn: string;
  readonly type?: string;
  readonly provider?: string;
  readonly dependencies?: readonly string[];
  readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
  readonly [key: string]: unknown;
}

export interface ForgetResult {
  /** The export with the host's resources gone; import it with `pulumi stack import`. */
  readonly exported: Record<string, unknown>;
  /** URNs dropped, in state order. */
  readonly forgotten: readonly string[];
}

/** The Pulumi name of a host's Docker provider (infra/config/names.ts, hostNames). */
export function hostProviderName(stack: string, host: string): string {
  return `${stack}-host-${host}`;
}

function resourcesOf(exported: unknown): StateResource[] {
  if (!isRecord(exported) || !isRecord(exported.deployment))
    throw new Error("pulumi stack export: expected {deployment: {resources}}");
  const resources = exported.deployment.resources;
  if (resources === undefined) return [];
  if (!Array.isArray(resources) || !resources.every((r) => isRecord(r) && typeof r.urn === "string"))
    throw new Error("pulumi stack export: deployment.resources is not a list of resources");
  return resources as StateResource[];
}

/**
 * Drops from `exported` (the JSON of `pulumi stack export`) the Docker provider of `host`, every
 * resource that provider manages (containers, images, network) and every resource that depends on it
 * directly (the instances' config volumes, EngineFiles); strips their URNs from the dependencies of the
 * rest. Throws when the stack has no such host provider.
 */
export function forgetHost(exported: unknown, stack: string, host: string): ForgetResult {
  const resources = resourcesOf(exported);
  const providerSuffix = `::pulumi:providers:docker::${hostProviderName(stack, host)}`;
  const provider = resources.find(
    (r) => r.type?.startsWith("pulumi:providers:docker") && r.urn.endsWith(providerSuffix),
  );
  if (provider === undefined)
    throw new Error(
      `stack ${stack} has no Docker provider for host ${host} (${hostProviderName(stack, host)}): nothing to forget`,
    );
  const providerRef = `${provider.urn}::`;
  const dropped = new Set<string>([provider.urn]);
  for (const r of resources) {
    if (r.provider?.startsWith(providerRef) || r.dependencies?.includes(provider.urn)) dropped.add(r.urn);
  }
  const gatewayParts = [...dropped].filter((urn) => /mediamtx-lb:index:(Gateway|LogSink)\$/.test(urn));
  // With a gateway pair a lost gateway host may go: another gateway keeps the floating address.
  const isGatewayContainer = (urn: string) =>
    /mediamtx-lb:index:Gateway\$docker:index(\/container)?:Container::/.test(urn);
  const otherGateway = resources.some((r) => isGatewayContainer(r.urn) && !dropped.has(r.urn));
  if (gatewayParts.length > 0 && !otherGateway)
    throw new Error(
      `host ${host} runs the gateway (${gatewayParts.length} of its resources): forgetting it would lose the running HAProxy; place the gateway on another host first (gateway.host) or destroy and rebuild the stack`,
    );
  const kept = resources
    .filter((r) => !dropped.has(r.urn))
    .map((r) => {
      const dependencies = r.dependencies?.filter((d) => !dropped.has(d));
      const propertyDependencies =
        r.propertyDependencies === undefined
          ? undefined
          : Object.fromEntries(
              Object.entries(r.propertyDependencies).map(([k, v]) => [k, v.filter((d) => !dropped.has(d))]),
            );
      return {
        ...r,
        ...(dependencies === undefined ? {} : { dependencies }),
        ...(propertyDependencies === undefined ? {} : { propertyDependencies }),
      };
    });
  const root = exported as Record<string, unknown>;
  const deployment = root.deployment as Record<string, unknown>;
  // An interrupted operation on a forgotten resource would be retried against the dead engine.
  const pending = deployment.pending_operations;
  const pendingKept = Array.isArray(pending)
    ? pending.filter((op) => !(isRecord(op) && isRecord(op.resource) && dropped.has(String(op.resource.urn))))
    : pending;
  return {
    exported: {
      ...root,
      deployment: {
        ...deployment,
        resources: kept,
        ...(pending === undefined ? {} : { pending_operations: pendingKept }),
      },
    },
    forgotten: resources.filter((r) => dropped.has(r.urn)).map((r) => r.urn),
  };
}
