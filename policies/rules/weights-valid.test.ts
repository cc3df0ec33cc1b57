import { describe, it } from "vitest";
import { renderHaproxyConfig } from "../../infra/render/haproxy";
import {
  editText,
  fixtureModel,
  haproxyConfigDir,
  remoteImage,
  withInstances,
} from "../tests/stack-resources";
import {
  assertHasViolation,
  assertNotApplicable,
  assertNoViolations,
  runResourcePolicy,
} from "../tests/util";
import { weightsValid } from "./weights-valid";

describe("#weights-valid", () => {
  // five: weights 10, 20, 0 (drained), 5 and 256 (the maximum).
  it.each(["dev", "prod", "single", "five"])("passes the %s fixture", async (name) => {
    assertNoViolations(await runResourcePolicy(weightsValid, haproxyConfigDir(fixtureModel(name))));
  });

  it("fails a weight above 256, naming the resource, the server and the fix", async () => {
    const model = fixtureModel("five", (m) =>
      withInstances(m, (i) => (i.name === "n2" ? { ...i, weight: 300 } : i)),
    );
    const outcome = await runResourcePolicy(weightsValid, haproxyConfigDir(model));
    assertHasViolation(
      outcome,
      'ConfigDir "five-haproxy-config": files["haproxy.cfg"] line',
      "server n2 in backend rtmp has weight 300; use integers 0-256 in mediamtx-lb:instances[].weight",
    );
  });

  it("fails a weight that is not an integer", async () => {
    const model = fixtureModel("dev");
    const cfg = editText(renderHaproxyConfig(model), "weight 2 check", "weight 2.5 check");
    const outcome = await runResourcePolicy(weightsValid, haproxyConfigDir(model, { haproxyCfg: cfg }));
    assertHasViolation(outcome, "server mtx-1 in backend hls has weight 2.5");
  });

  it("fails a backend whose servers all weigh 0", async () => {
    const model = fixtureModel("dev", (m) => withInstances(m, (i) => ({ ...i, weight: 0 })));
    const outcome = await runResourcePolicy(weightsValid, haproxyConfigDir(model));
    assertHasViolation(
      outcome,
      "every server in backend rtmp has weight 0",
      "give at least one instance weight 1-256",
    );
  });

  it("does not apply to images", async () => {
    assertNotApplicable(await runResourcePolicy(weightsValid, remoteImage(fixtureModel("dev"), "haproxy")));
  });
});
