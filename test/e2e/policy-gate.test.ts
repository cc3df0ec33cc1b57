// The CrossGuard gate (policies/) on real previews: every committed stack (Pulumi.<stack>.yaml) must
// pass, under its own policy config (policies/config/<stack>.json) when it has one, except for the TLS
// and publish-credential rules when its config has no `tls` / `publishers`: those only advise by default
// (dev: the preview passes and prints them) and refuse under prod.json (the example prod stack leaves
// both to its operator, README "Production: TLS and publish credentials"). A stack the config validator
// accepts but the rules must refuse has to fail, naming those rules. Previews only: nothing is created.
//
// Nothing outside a temp dir is written: stacks live in a temp backend (MEDIAMTX_LB_STATE), are created
// with --no-select (the workspace's selected stack stays), and read their config from copies in a temp
// project dir (--config-file). `stack init` runs there (-C) because it writes an encryptionsalt into a
// stack file that has none (prod leaves salt and stats password to its operator); the copy then gets a
// throwaway stats password.
//
// The pack is passed as policies/analyzer (absolute): see that file and policies/README.md for why the
// directory form `--policy-pack policies` cannot start with our language host.

import { execFile } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localImages } from "../../scripts/lib/versions";

const ROOT = resolve(__dirname, "..", "..");
const PULUMI = join(ROOT, "scripts", "pulumi");
const ANALYZER = join(ROOT, "policies", "analyzer");
const POLICY_CONFIG_DIR = join(ROOT, "policies", "config");

/** Committed stacks; Pulumi.e2e-*.yaml are other tests' temporary stacks (git-ignored). */
const STACKS = readdirSync(ROOT)
  .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
  .filter((stack): stack is string => stack !== undefined && !stack.startsWith("e2e-"))
  .sort();

const stackFile = (stack: string) => join(ROOT, `Pulumi.${stack}.yaml`);
/** Committed stack files as they were before the run; they must be byte-identical after it. */
const committed = new Map(STACKS.map((stack) => [stack, readFileSync(stackFile(stack), "utf8")]));

/** Stands in for stats passwords an operator sets before the first `up`; never printed by the gate. */
const THROWAWAY_PASSWORD = "e2e-not-a-real-password";

const BAD_STACK = "e2e-policy-bad";

/**
 * The rules a stack's config leaves to fire: no `tls` key → tls-required (plain HLS, WebRTC and RTMP
 * frontends), no `publishers` key → publish-credentials-required (anyone can publish).
 */
function securityFindings(yaml: string): string[] {
  return [
    ...(/^ {2}mediamtx-lb:tls:/m.test(yaml) ? [] : ["tls-required"]),
    ...(/^ {2}mediamtx-lb:publishers:/m.test(yaml) ? [] : ["publish-credentials-required"]),
  ];
}

/** A rule's level in a policy config file: `"rule": "mandatory"` or `"rule": {"enforcementLevel": …}`. */
function configuredLevel(policyConfig: string | undefined, rule: string): string | undefined {
  if (policyConfig === undefined) return undefined;
  const value = (JSON.parse(readFileSync(policyConfig, "utf8")) as Record<string, unknown>)[rule];
  if (typeof value === "string") return value;
  if (typeof value === "object" && value !== null && "enforcementLevel" in value) {
    return String(value.enforcementLevel);
  }
  return undefined;
}

/**
 * Accepted by infra/config/validate.ts, refused by the gate. Config can reach only these rules (the
 * validator already rejects unpinned images, bad weights and port collisions; the components fix
 * ports, restart and check): haproxy:2.6 → haproxy-version; one instance under prod's policy config
 * (minimum 2) → minimum-instances; a 200ms interval → health-interval-sane (advisory); no tls and no
 * publishers → tls-required and publish-credentials-required (mandatory under prod.json).
 */
const BAD_STACK_YAML = `# Written and deleted by test/e2e/policy-gate.test.ts.
config:
  mediamtx-lb:images:
    haproxy: haproxy:2.6
    mediamtx: ${localImages().mediamtx}
  mediamtx-lb:instances:
    - name: solo
  mediamtx-lb:health:
    interval: 200ms
    timeout: 100ms
`;

let work: string;
let project: string;

interface Run {
  readonly code: number;
  /** stdout and stderr, for assertions and failure messages. */
  readonly output: string;
}

function pulumi(...args: string[]): Promise<Run> {
  // The committed stacks' salts go with the empty passphrase; a developer's own must not leak in.
  const { PULUMI_CONFIG_PASSPHRASE_FILE: _file, ...env } = process.env;
  return new Promise((done) => {
    execFile(
      PULUMI,
      args,
      {
        cwd: ROOT,
        env: { ...env, MEDIAMTX_LB_STATE: join(work, "backend"), PULUMI_CONFIG_PASSPHRASE: "" },
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === "number" ? err.code : 1;
        done({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

async function ok(...args: string[]): Promise<Run> {
  const run = await pulumi(...args);
  expect(run.code, `pulumi ${args.join(" ")}:\n${run.output}`).toBe(0);
  return run;
}

/**
 * Creates `stack` in the temp backend with `yaml` as its config (a copy in the temp project), adds a
 * throwaway stats password when the config has none, and returns the config file's path.
 */
async function createStack(stack: string, yaml: string): Promise<string> {
  const file = join(project, `Pulumi.${stack}.yaml`);
  writeFileSync(file, yaml);
  await ok("-C", project, "stack", "init", stack, "--no-select");
  if (!/^ {2}mediamtx-lb:statsPassword:/m.test(yaml)) {
    await ok(
      "config",
      "set",
      "--stack",
      stack,
      "--config-file",
      file,
      "--secret",
      "statsPassword",
      THROWAWAY_PASSWORD,
    );
  }
  return file;
}

function previewWithGate(stack: string, configFile: string, policyConfig: string | undefined): Promise<Run> {
  const policy = policyConfig === undefined ? [] : ["--policy-pack-config", policyConfig];
  return pulumi(
    "preview",
    "--stack",
    stack,
    "--non-interactive",
    "--config-file",
    configFile,
    "--policy-pack",
    ANALYZER,
    ...policy,
  );
}

function policyConfigOf(stack: string): string | undefined {
  const file = join(POLICY_CONFIG_DIR, `${stack}.json`);
  return existsSync(file) ? file : undefined;
}

/** Rule names the preview reported, by enforcement level (`- [mandatory]  haproxy-version  (…)`). */
function reportedRules(output: string): Record<string, string[]> {
  const byLevel: Record<string, string[]> = {};
  for (const match of output.matchAll(/^\s*- \[(\w+)\]\s+(\S+)/gm)) {
    const [, level = "", rule = ""] = match;
    byLevel[level] = [...new Set([...(byLevel[level] ?? []), rule])].sort();
  }
  return byLevel;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "mediamtx-lb-policy-gate-"));
  project = join(work, "project");
  mkdirSync(project);
  copyFileSync(join(ROOT, "Pulumi.yaml"), join(project, "Pulumi.yaml"));
  const plugins = await ok("plugin", "ls");
  expect(plugins.output, "the docker provider plugin is not installed: run scripts/bootstrap").toMatch(
    /^docker\s+resource\s/m,
  );
});

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

it("finds the committed stacks", () => {
  expect(STACKS).toContain("dev");
});

describe.each(STACKS)("stack %s", (stack) => {
  it("passes the policy gate but for TLS and publish credentials its config leaves out (advised, or refused where its policy config makes them mandatory)", async () => {
    const yaml = committed.get(stack) ?? "";
    const configFile = await createStack(stack, yaml);
    const policyConfig = policyConfigOf(stack);
    const run = await previewWithGate(stack, configFile, policyConfig);
    const expected: Record<string, string[]> = {};
    for (const rule of securityFindings(yaml)) {
      const level = configuredLevel(policyConfig, rule) ?? "advisory";
      expected[level] = [...(expected[level] ?? []), rule].sort();
    }
    expect(reportedRules(run.output), run.output).toEqual(expected);
    if (expected.mandatory === undefined) {
      expect(run.code, run.output).toBe(0);
      expect(run.output).toMatch(
        expected.advisory === undefined ? /✅ mediamtx-lb@v[0-9.]+/ : /mediamtx-lb@v[0-9.]+/,
      );
    } else {
      expect(run.code, run.output).not.toBe(0);
      expect(run.output).toMatch(/❌ mediamtx-lb@v[0-9.]+/);
    }
    if (expected.advisory?.includes("tls-required") || expected.mandatory?.includes("tls-required")) {
      expect(run.output).toMatch(/frontend hls binds \S+ without ssl.*set mediamtx-lb:tls \(/);
    }
    if (securityFindings(yaml).includes("publish-credentials-required")) {
      expect(run.output).toContain("lua-loads no /usr/local/etc/haproxy/credentials.lua");
    }
    expect(run.output).not.toContain(THROWAWAY_PASSWORD);
  });
});

it("runs dev without a policy config (TLS and credentials advised) and prod with prod.json (mandatory)", () => {
  expect(policyConfigOf("dev")).toBeUndefined();
  const prod = policyConfigOf("prod");
  expect(configuredLevel(prod, "tls-required")).toBe("mandatory");
  expect(configuredLevel(prod, "publish-credentials-required")).toBe("mandatory");
});

describe("a stack that breaks the rules config can reach", () => {
  it("is refused, naming haproxy-version, minimum-instances, tls-required and publish-credentials-required (and advising on health-interval-sane)", async () => {
    const configFile = await createStack(BAD_STACK, BAD_STACK_YAML);
    const run = await previewWithGate(BAD_STACK, configFile, join(POLICY_CONFIG_DIR, "prod.json"));
    rmSync(configFile);
    expect(run.code, run.output).not.toBe(0);
    expect(run.output).toMatch(/❌ mediamtx-lb@v[0-9.]+/);
    expect(reportedRules(run.output)).toEqual({
      mandatory: ["haproxy-version", "minimum-instances", "publish-credentials-required", "tls-required"],
      advisory: ["health-interval-sane"],
    });
    expect(run.output).toContain('image "haproxy:2.6" is HAProxy 2.6, older than 2.8');
    expect(run.output).toContain("fewer than minimum-instances.minimum = 2");
    for (const frontend of ["rtmp", "hls", "webrtc"]) {
      expect(run.output).toMatch(new RegExp(`frontend ${frontend} binds \\S+ without ssl`));
    }
    expect(run.output).toContain("global lua-loads no /usr/local/etc/haproxy/credentials.lua");
    expect(run.output).not.toContain(THROWAWAY_PASSWORD);
  });
});

it("leaves the committed stack files untouched", () => {
  for (const [stack, content] of committed)
    expect(readFileSync(stackFile(stack), "utf8"), stack).toBe(content);
});
