// Fake policy arguments for unit tests, shaped like what @pulumi/policy's analyzer server builds
// (server.js: makeAnalyzeRpcFun / makeAnalyzeStackRpcFun): plain deserialized props, a real `isType`,
// frozen `stackTags`, `getConfig` and a throwing `notApplicable`.

import type {
  PolicyProviderResource,
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { Resource } from "@pulumi/pulumi";
import { expect } from "vitest";

/** What a rule sees of one resource. */
export interface FakeResource {
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, unknown>;
  readonly opts?: Partial<PolicyResourceOptions>;
  /** The resource's provider, as the engine passes it (a non-default provider: `{provider}` in its opts). */
  readonly provider?: PolicyProviderResource;
}

/** Thrown by `notApplicable()`, as the real server throws its own NotApplicableError. */
export class NotApplicable extends Error {
  constructor(readonly reason: string | undefined) {
    super(reason ?? "Policy does not apply");
  }
}

// `any` mirrors @pulumi/policy's own signature for resource classes (constructor arguments vary).
// biome-ignore lint/suspicious/noExplicitAny: matches ResourceValidationArgs.isType's parameter type
type ResourceClass<T extends Resource> = { new (...rest: any[]): T };

/**
 * The server's type test: the class's static `__pulumiType` when it has one (every generated provider
 * class), else its `isInstance` on a stub carrying the type.
 */
export function isTypeOf<T extends Resource>(type: string, resourceClass: ResourceClass<T>): boolean {
  const cls = resourceClass as unknown as {
    __pulumiType?: unknown;
    isInstance?: (obj: unknown) => boolean;
  };
  if (typeof cls.__pulumiType === "string" && cls.__pulumiType.length > 0) return cls.__pulumiType === type;
  return typeof cls.isInstance === "function" && cls.isInstance({ __pulumiType: type }) === true;
}

function resourceOptions(opts: Partial<PolicyResourceOptions> | undefined): PolicyResourceOptions {
  return {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    ...opts,
  };
}

function urnOf(resource: FakeResource): string {
  return `urn:pulumi:test::mediamtx-lb::${resource.type}::${resource.name}`;
}

function throwNotApplicable(reason?: string): never {
  throw new NotApplicable(reason);
}

function createResourceValidationArgs(
  resource: FakeResource,
  config: object = {},
  stackTags: ReadonlyMap<string, string> = new Map(),
): ResourceValidationArgs {
  const { type, props } = resource;
  return {
    type,
    props,
    urn: urnOf(resource),
    name: resource.name,
    opts: resourceOptions(resource.opts),
    ...(resource.provider === undefined ? {} : { provider: resource.provider }),
    stackTags,
    isType: (resourceClass) => isTypeOf(type, resourceClass),
    // The server hands back the props object itself when the type matches; the cast is its contract.
    asType: ((resourceClass: ResourceClass<Resource>) =>
      isTypeOf(type, resourceClass) ? props : undefined) as ResourceValidationArgs["asType"],
    getConfig: <T extends object>() => ({ ...config }) as T,
    notApplicable: throwNotApplicable,
  };
}

function createStackValidationArgs(
  resources: readonly FakeResource[],
  config: object = {},
  stackTags: ReadonlyMap<string, string> = new Map(),
): StackValidationArgs {
  return {
    resources: resources.map(
      (resource): PolicyResource => ({
        type: resource.type,
        props: resource.props,
        urn: urnOf(resource),
        name: resource.name,
        opts: resourceOptions(resource.opts),
        ...(resource.provider === undefined ? {} : { provider: resource.provider }),
        dependencies: [],
        propertyDependencies: {},
        isType: (resourceClass) => isTypeOf(resource.type, resourceClass),
        asType: ((resourceClass: ResourceClass<Resource>) =>
          isTypeOf(resource.type, resourceClass) ? resource.props : undefined) as PolicyResource["asType"],
      }),
    ),
    stackTags,
    getConfig: <T extends object>() => ({ ...config }) as T,
    notApplicable: throwNotApplicable,
  };
}

/** What one policy said about its input. */
export interface PolicyOutcome {
  readonly violations: readonly string[];
  /** The reason passed to notApplicable(), when the policy called it. */
  readonly notApplicable: string | undefined;
}

async function collect(run: (report: (message: string) => void) => unknown): Promise<PolicyOutcome> {
  const violations: string[] = [];
  try {
    await run((message) => violations.push(message));
  } catch (err) {
    if (err instanceof NotApplicable) return { violations, notApplicable: err.reason ?? "" };
    throw err;
  }
  return { violations, notApplicable: undefined };
}

/** Runs every validateResource function of `policy` on `resource`, as the analyzer does. */
export async function runResourcePolicy(
  policy: ResourceValidationPolicy,
  resource: FakeResource,
  config: object = {},
): Promise<PolicyOutcome> {
  const validations = [policy.validateResource ?? []].flat();
  return collect(async (report) => {
    for (const validate of validations)
      await validate(createResourceValidationArgs(resource, config), report);
  });
}

export async function runStackPolicy(
  policy: StackValidationPolicy,
  resources: readonly FakeResource[],
  config: object = {},
): Promise<PolicyOutcome> {
  return collect((report) => policy.validateStack(createStackValidationArgs(resources, config), report));
}

/** Exactly one violation mentions every one of `fragments`. */
export function assertHasViolation(outcome: PolicyOutcome, ...fragments: string[]): void {
  const matching = outcome.violations.filter((message) => fragments.every((f) => message.includes(f)));
  expect(matching, `violations:\n${outcome.violations.join("\n")}`).toHaveLength(1);
}

/** The policy applied and found nothing. */
export function assertNoViolations(outcome: PolicyOutcome): void {
  expect(outcome.violations).toEqual([]);
  expect(outcome.notApplicable).toBeUndefined();
}

/** The policy declared itself not applicable (and reported nothing). */
export function assertNotApplicable(outcome: PolicyOutcome): void {
  expect(outcome.violations).toEqual([]);
  expect(outcome.notApplicable).toBeDefined();
}
