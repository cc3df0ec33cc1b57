import { describe, it } from "vitest";
import { CONTAINER_TYPE, fixtureModel, stackResources } from "../tests/stack-resources";
import { assertHasViolation, assertNoViolations, runStackPolicy } from "../tests/util";
import { minimumInstances } from "./minimum-instances";

describe("#minimum-instances", () => {
  it.each([
    "dev",
    "prod",
    "single",
    "five",
  ])("passes the %s fixture with the default minimum (1)", async (name) => {
    assertNoViolations(await runStackPolicy(minimumInstances, stackResources(fixtureModel(name))));
  });

  it("passes prod's three instances against prod's policy config (minimum 2)", async () => {
    assertNoViolations(
      await runStackPolicy(minimumInstances, stackResources(fixtureModel("prod")), { minimum: 2 }),
    );
  });

  it("fails a single instance when the environment requires 2, naming the containers and the fix", async () => {
    const outcome = await runStackPolicy(minimumInstances, stackResources(fixtureModel("single")), {
      minimum: 2,
    });
    assertHasViolation(
      outcome,
      "stack has 1 MediaMTX container(s) (mediamtx-lb.role=mediamtx: single-mediamtx-solo-container)",
      "fewer than minimum-instances.minimum = 2",
      "add entries to mediamtx-lb:instances",
    );
  });

  it("fails a stack without MediaMTX containers even at the default", async () => {
    const resources = stackResources(fixtureModel("dev")).filter(
      (r) => r.type !== CONTAINER_TYPE || r.name.includes("haproxy"),
    );
    assertHasViolation(
      await runStackPolicy(minimumInstances, resources),
      "stack has 0 MediaMTX container(s)",
    );
  });
});
