import { describe, expect, it } from "vitest";
import type { Model } from "../../infra/config/model";
import { fixtureModel, haproxyConfigDir, haproxyContainer } from "../tests/stack-resources";
import {
  assertHasViolation,
  assertNotApplicable,
  assertNoViolations,
  runResourcePolicy,
} from "../tests/util";
import { healthIntervalSane } from "./health-interval-sane";

const withInterval =
  (intervalMs: number) =>
  (model: Model): Model => ({
    ...model,
    health: { ...model.health, intervalMs, timeoutMs: Math.min(model.health.timeoutMs, intervalMs) },
  });

describe("#health-interval-sane", () => {
  it("is advisory", () => {
    expect(healthIntervalSane.enforcementLevel).toBe("advisory");
  });

  // The fixtures use 1500ms (five) and 2s (the others).
  it.each(["dev", "prod", "single", "five"])("passes the %s fixture", async (name) => {
    assertNoViolations(await runResourcePolicy(healthIntervalSane, haproxyConfigDir(fixtureModel(name))));
  });

  it("flags 100ms once for all server lines, naming the resource, the value and the fix", async () => {
    const model = fixtureModel("dev", withInterval(100));
    const outcome = await runResourcePolicy(healthIntervalSane, haproxyConfigDir(model));
    assertHasViolation(
      outcome,
      'ConfigDir "dev-haproxy-config": files["haproxy.cfg"] line',
      '"inter 100ms" on server mtx-1 in backend hls and 2 more server line(s) is outside 500ms-30s',
      "set mediamtx-lb:health.interval within 500ms-30s",
    );
    expect(outcome.violations).toHaveLength(1);
  });

  it("flags 1m", async () => {
    const outcome = await runResourcePolicy(
      healthIntervalSane,
      haproxyConfigDir(fixtureModel("single", withInterval(60_000))),
    );
    assertHasViolation(outcome, '"inter 1m" on server solo in backend hls is outside 500ms-30s');
  });

  it("takes its bounds from the policy config", async () => {
    const config = { minimumMs: 1_000, maximumMs: 4_000 };
    const at = (ms: number) => haproxyConfigDir(fixtureModel("prod", withInterval(ms)));
    assertNoViolations(await runResourcePolicy(healthIntervalSane, at(1_500), config));
    const outcome = await runResourcePolicy(healthIntervalSane, at(5_000), config);
    assertHasViolation(outcome, '"inter 5s"', "outside 1s-4s");
  });

  it("does not apply to containers", async () => {
    assertNotApplicable(await runResourcePolicy(healthIntervalSane, haproxyContainer(fixtureModel("dev"))));
  });
});
