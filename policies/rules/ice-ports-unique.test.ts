import { describe, it } from "vitest";
import { fixtureModel, haproxyConfigDir, haproxyContainer, withInstances } from "../tests/stack-resources";
import {
  assertHasViolation,
  assertNotApplicable,
  assertNoViolations,
  runResourcePolicy,
} from "../tests/util";
import { icePortsUnique } from "./ice-ports-unique";

describe("#ice-ports-unique", () => {
  // five pins n4 to 19000 beside the derived 18189-18193.
  it.each(["dev", "prod", "single", "five"])("passes the %s fixture", async (name) => {
    assertNoViolations(await runResourcePolicy(icePortsUnique, haproxyConfigDir(fixtureModel(name))));
  });

  it("fails two instances on one ICE-TCP port, naming the resource, both frontends and the fix", async () => {
    const model = fixtureModel("dev", (m) =>
      withInstances(m, (i) => (i.name === "mtx-2" ? { ...i, iceTcpPort: 8189 } : i)),
    );
    const outcome = await runResourcePolicy(icePortsUnique, haproxyConfigDir(model));
    assertHasViolation(
      outcome,
      'ConfigDir "dev-haproxy-config": files["haproxy.cfg"] line',
      "frontend ice_mtx-2 binds port 8189, already bound by frontend ice_mtx-1",
      "give every instance its own port",
    );
  });

  it("fails an ICE-TCP port that collides with another frontend", async () => {
    const model = fixtureModel("prod", (m) =>
      withInstances(m, (i) => (i.name === "media-c" ? { ...i, iceTcpPort: m.ports.rtmp } : i)),
    );
    const outcome = await runResourcePolicy(icePortsUnique, haproxyConfigDir(model));
    assertHasViolation(outcome, "frontend ice_media-c binds port 1935, already bound by frontend rtmp");
  });

  it("does not apply to containers", async () => {
    assertNotApplicable(await runResourcePolicy(icePortsUnique, haproxyContainer(fixtureModel("dev"))));
  });
});
