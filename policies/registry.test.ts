import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { PolicyRegistry, registerPolicies } from "./registry";
import { MEDIAMTX_LB_POLICIES } from "./rules";

const policy = (name: string, description = "does a thing"): ResourceValidationPolicy => ({
  name,
  description,
  validateResource: () => {},
});

describe("PolicyRegistry", () => {
  it("keeps registration order", () => {
    expect(registerPolicies([policy("b-rule"), policy("a-rule")]).map((p) => p.name)).toEqual([
      "b-rule",
      "a-rule",
    ]);
  });

  it("rejects a duplicate name", () => {
    const registry = new PolicyRegistry().register(policy("images-pinned"));
    expect(() => registry.register(policy("images-pinned"))).toThrow(
      "policy images-pinned is registered twice",
    );
  });

  it.each(["ImagesPinned", "images_pinned", "-x", "x-", "all", ""])("rejects the name %j", (name) => {
    expect(() => registerPolicies([policy(name)])).toThrow("kebab-case");
  });

  it("rejects a blank description", () => {
    expect(() => registerPolicies([policy("a-rule", " ")])).toThrow("policy a-rule needs a description");
  });
});

describe("the pack's rules", () => {
  it("are the thirteen documented ones", () => {
    expect(MEDIAMTX_LB_POLICIES.map((p) => p.name)).toEqual([
      "images-pinned",
      "haproxy-version",
      "mediamtx-api-unpublished",
      "restart-policy",
      "stats-auth-secret",
      "tls-required",
      "publish-credentials-required",
      "servers-health-checked",
      "weights-valid",
      "ice-ports-unique",
      "webrtc-udp-ports-unique",
      "health-interval-sane",
      "minimum-instances",
    ]);
  });

  it("are mandatory except health-interval-sane and the two prod makes mandatory (policies/config/prod.json)", () => {
    const levels = Object.fromEntries(MEDIAMTX_LB_POLICIES.map((p) => [p.name, p.enforcementLevel]));
    expect(Object.entries(levels).filter(([, level]) => level !== "mandatory")).toEqual([
      ["tls-required", "advisory"],
      ["publish-credentials-required", "advisory"],
      ["health-interval-sane", "advisory"],
    ]);
    const prod = JSON.parse(readFileSync(join(__dirname, "config", "prod.json"), "utf8")) as object;
    expect(prod).toMatchObject({ "tls-required": "mandatory", "publish-credentials-required": "mandatory" });
  });

  it("each have a row in README.md's rule table", () => {
    const readme = readFileSync(join(__dirname, "README.md"), "utf8");
    const rows = [...readme.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1]);
    expect(rows).toEqual(MEDIAMTX_LB_POLICIES.map((p) => p.name));
  });
});
