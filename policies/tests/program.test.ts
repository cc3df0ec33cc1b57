// The real program (infra/index.ts) under Pulumi mocks, for every stack fixture, through every rule of
// the pack: what the program declares must pass the gate, and each rule must find something to check
// (a rule that matched no resource would pass vacuously, e.g. after a type or label rename).
// The real engine's view is covered by test/e2e/policy-gate.test.ts.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { describe, expect, it, vi } from "vitest";
import { FIXTURE_CASES, loadFixtureModel, readFixtureConfig } from "../../test/support/stack-fixtures";
import { MEDIAMTX_LB_POLICIES } from "../rules";
import { type FakeResource, type PolicyOutcome, runResourcePolicy, runStackPolicy } from "./util";

const CONFIG_DIR = join(__dirname, "..", "config");

/** The stack's policy config file (policies/config/<stack>.json), as `--policy-pack-config` reads it. */
function policyConfig(stack: string): Record<string, object> {
  const file = join(CONFIG_DIR, `${stack}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, object>) : {};
}

/**
 * Mocks hand inputs over in wire form, secrets as {<sig key>: <secret sig>, value}; the analyzer server
 * unwraps them before rules run (see secrets.test.ts), so the same is done here.
 */
function unwrapSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (typeof value !== "object" || value === null) return value;
  const record = value as Record<string, unknown>;
  if (record[specialSigKey] === specialSecretSig) return unwrapSecrets(record.value);
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, unwrapSecrets(v)]));
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getAdditionalsecretoutputsList(): string[];
}

/** Runs the program for fixture `name` and returns what it registered, with its secret-output options. */
async function programResources(name: string): Promise<FakeResource[]> {
  const created: { type: string; name: string; inputs: Record<string, unknown> }[] = [];
  vi.resetModules();
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        created.push({ type: args.type, name: args.name, inputs: args.inputs });
        return { id: `${args.name}-id`, state: { ...args.inputs } };
      },
      call: (args) => args.inputs,
    },
    "mediamtx-lb",
    name,
    true,
  );
  // The mocks API hands newResource no resource options; the register request is where
  // additionalSecretOutputs (which stats-auth-secret checks) is visible.
  const secretOutputs = new Map<string, string[]>();
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, callback: unknown): unknown;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    secretOutputs.set(`${req.getType()}::${req.getName()}`, req.getAdditionalsecretoutputsList());
    return register(req, callback);
  };

  const config: Record<string, string> = { "mediamtx-lb:statsPassword": "s3cret-for-tests" };
  for (const [key, value] of Object.entries(readFixtureConfig(name))) {
    config[`mediamtx-lb:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
  }
  pulumi.runtime.setAllConfig(config, ["mediamtx-lb:statsPassword"]);
  const program = await import("../../infra/index");
  await new Promise<void>((resolve) => pulumi.all([program.haproxyConfigSha256]).apply(() => resolve()));
  await new Promise((resolve) => setTimeout(resolve, 50));
  return created.map((c) => ({
    type: c.type,
    name: c.name,
    props: unwrapSecrets(c.inputs) as Record<string, unknown>,
    opts: { additionalSecretOutputs: secretOutputs.get(`${c.type}::${c.name}`) ?? [] },
  }));
}

const isStackPolicy = (p: ResourceValidationPolicy | StackValidationPolicy): p is StackValidationPolicy =>
  "validateStack" in p;

/** Every rule over `resources`: rule name → outcomes (one per resource, or one for a stack rule). */
async function runPack(
  resources: readonly FakeResource[],
  config: Record<string, object>,
): Promise<Map<string, PolicyOutcome[]>> {
  const results = new Map<string, PolicyOutcome[]>();
  for (const policy of MEDIAMTX_LB_POLICIES) {
    const policyConfigFor = config[policy.name] ?? {};
    const outcomes = isStackPolicy(policy)
      ? [await runStackPolicy(policy, resources, policyConfigFor)]
      : await Promise.all(resources.map((r) => runResourcePolicy(policy, r, policyConfigFor)));
    results.set(policy.name, outcomes);
  }
  return results;
}

/**
 * The rules a fixture is expected to break: a stack without `tls` or without `publishers` serves media
 * in clear or lets anyone publish, which tls-required / publish-credentials-required report (advisory,
 * mandatory under prod.json). Everything else the program declares must pass.
 */
function expectedFindings(name: string): string[] {
  const model = loadFixtureModel(name);
  return [
    ...(model.tls === undefined ? ["tls-required"] : []),
    ...(model.auth.publishers === undefined ? ["publish-credentials-required"] : []),
  ];
}

const rulesWithViolations = (results: Map<string, PolicyOutcome[]>) =>
  [...results].filter(([, outcomes]) => outcomes.some((o) => o.violations.length > 0)).map(([rule]) => rule);

describe.each(FIXTURE_CASES)("the program for fixture %s", (name) => {
  it("passes every rule but the TLS and credential ones its config leaves out, and every rule applies to some resource", async () => {
    const results = await runPack(await programResources(name), policyConfig(name));
    const expected = expectedFindings(name);
    const violations = [...results]
      .filter(([rule]) => !expected.includes(rule))
      .flatMap(([rule, outcomes]) => outcomes.flatMap((o) => o.violations.map((v) => `${rule}: ${v}`)));
    expect(violations).toEqual([]);
    expect(rulesWithViolations(results)).toEqual(expected);
    const unused = [...results]
      .filter(([, outcomes]) => outcomes.every((o) => o.notApplicable !== undefined))
      .map(([rule]) => rule);
    // haproxy-version judges official haproxy images only; dev runs the local Debian build.
    const localHaproxy = loadFixtureModel(name).images.haproxy.startsWith("mediamtx-lb/");
    expect(unused).toEqual(localHaproxy ? ["haproxy-version"] : []);
  });
});

describe("the program under prod's policy config", () => {
  it("fails the single-instance fixture on minimum-instances (and on TLS and credentials, which it lacks)", async () => {
    const results = await runPack(await programResources("single"), policyConfig("prod"));
    expect(rulesWithViolations(results).sort()).toEqual(
      ["minimum-instances", ...expectedFindings("single")].sort(),
    );
  });

  it("finds, for a stack without tls and publishers, every plain client frontend and the missing credentials", async () => {
    const results = await runPack(await programResources("prod"), policyConfig("prod"));
    const messages = (rule: string) => (results.get(rule) ?? []).flatMap((o) => o.violations);
    expect(messages("tls-required").map((m) => /frontend (\S+) binds/.exec(m)?.[1])).toEqual([
      "rtmp",
      "hls",
      "webrtc",
    ]);
    expect(messages("publish-credentials-required")).toEqual([
      expect.stringContaining("global lua-loads no /usr/local/etc/haproxy/credentials.lua"),
    ]);
  });
});
