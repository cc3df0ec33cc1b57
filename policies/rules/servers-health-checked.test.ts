import { describe, expect, it } from "vitest";
import { renderHaproxyConfig } from "../../infra/render/haproxy";
import { editText, fixtureModel, haproxyConfigDir, haproxyContainer } from "../tests/stack-resources";
import {
  assertHasViolation,
  assertNotApplicable,
  assertNoViolations,
  runResourcePolicy,
} from "../tests/util";
import { serversHealthChecked } from "./servers-health-checked";

describe("#servers-health-checked", () => {
  it.each(["dev", "prod", "single", "five"])("passes the %s fixture", async (name) => {
    assertNoViolations(await runResourcePolicy(serversHealthChecked, haproxyConfigDir(fixtureModel(name))));
  });

  it("fails a server line without check, naming the resource, the line and the fix", async () => {
    const model = fixtureModel("dev");
    const unchecked = editText(renderHaproxyConfig(model), "weight 2 check inter", "weight 2 inter");
    const outcome = await runResourcePolicy(
      serversHealthChecked,
      haproxyConfigDir(model, { haproxyCfg: unchecked }),
    );
    assertHasViolation(
      outcome,
      'ConfigDir "dev-haproxy-config": files["haproxy.cfg"] line',
      'server mtx-1 in backend hls has no "check"',
      'add "check inter',
    );
  });

  it("fails a check switched off again with no-check", async () => {
    const model = fixtureModel("single");
    const off = editText(
      renderHaproxyConfig(model),
      /(server solo \S+:8888 [^\n]*check[^\n]*)/,
      "$1 no-check",
    );
    const outcome = await runResourcePolicy(
      serversHealthChecked,
      haproxyConfigDir(model, { haproxyCfg: off }),
    );
    assertHasViolation(outcome, 'server solo in backend hls has no "check"');
    // Servers tracking it follow nothing now either.
    assertHasViolation(
      outcome,
      'server solo in backend ice_solo has no "check" (nor tracks a checked server)',
    );
  });

  it("fails a server that tracks a server that does not exist", async () => {
    const model = fixtureModel("single");
    const ghost = editText(renderHaproxyConfig(model), /(:8189 track hls\/)solo/, "$1ghost");
    const outcome = await runResourcePolicy(
      serversHealthChecked,
      haproxyConfigDir(model, { haproxyCfg: ghost }),
    );
    assertHasViolation(outcome, "server solo in backend ice_solo");
    expect(outcome.violations).toHaveLength(1);
  });

  it("does not apply to containers", async () => {
    assertNotApplicable(await runResourcePolicy(serversHealthChecked, haproxyContainer(fixtureModel("dev"))));
  });
});
