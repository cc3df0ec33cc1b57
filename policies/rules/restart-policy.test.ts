import { describe, it } from "vitest";
import { fixtureModel, haproxyContainer, mediamtxContainer, remoteImage } from "../tests/stack-resources";
import {
  assertHasViolation,
  assertNotApplicable,
  assertNoViolations,
  runResourcePolicy,
} from "../tests/util";
import { restartPolicy } from "./restart-policy";

describe("#restart-policy", () => {
  const model = fixtureModel("single");
  const [instance] = model.instances;
  if (instance === undefined) throw new Error("single fixture has no instance");

  it.each([
    ["the HAProxy container", haproxyContainer(model)],
    ["the MediaMTX container", mediamtxContainer(model, instance)],
    ["restart always", haproxyContainer(model, { restart: "always" })],
    ["restart on-failure", haproxyContainer(model, { restart: "on-failure" })],
  ])("passes %s", async (_case, resource) => {
    assertNoViolations(await runResourcePolicy(restartPolicy, resource));
  });

  it("fails a container without restart, naming the container, the field and the fix", async () => {
    const outcome = await runResourcePolicy(
      restartPolicy,
      mediamtxContainer(model, instance, { restart: undefined }),
    );
    assertHasViolation(
      outcome,
      `Container "single-mediamtx-solo-container": restart is unset (Docker's default "no")`,
      'set restart: "unless-stopped"',
    );
  });

  it('fails restart "no"', async () => {
    const outcome = await runResourcePolicy(restartPolicy, haproxyContainer(model, { restart: "no" }));
    assertHasViolation(outcome, 'Container "single-haproxy-container": restart is "no"');
  });

  it("does not apply to images", async () => {
    assertNotApplicable(await runResourcePolicy(restartPolicy, remoteImage(model, "haproxy")));
  });
});
