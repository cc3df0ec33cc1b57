import { describe, expect, it } from "vitest";
import { renderHaproxyConfig } from "../../infra/render/haproxy";
import {
  editText,
  fixtureModel,
  haproxyConfigDir,
  mediamtxConfigDir,
  TEST_STATS_PASSWORD,
} from "../tests/stack-resources";
import {
  assertHasViolation,
  assertNotApplicable,
  assertNoViolations,
  runResourcePolicy,
} from "../tests/util";
import { statsAuthSecret } from "./stats-auth-secret";

describe("#stats-auth-secret", () => {
  const model = fixtureModel("prod");
  const cfg = renderHaproxyConfig(model);
  const AUTH_LINE = /^ *http-request auth .*\n/m;

  it.each(["dev", "prod", "single", "five"])("passes the %s fixture's gateway ConfigDir", async (name) => {
    assertNoViolations(await runResourcePolicy(statsAuthSecret, haproxyConfigDir(fixtureModel(name))));
  });

  it("fails a stats frontend without http_auth, naming the resource, the file and the fix", async () => {
    const open = haproxyConfigDir(model, { haproxyCfg: editText(cfg, AUTH_LINE, "") });
    assertHasViolation(
      await runResourcePolicy(statsAuthSecret, open),
      'ConfigDir "prod-haproxy-config": files["haproxy.cfg"] line',
      'frontend stats serves the stats page without authentication; add "http-request auth realm',
    );
  });

  it("fails a userlist in haproxy.cfg instead of secretFiles, without echoing the password", async () => {
    const plain = `${cfg}\nuserlist stats_users\n    user ops insecure-password '${TEST_STATS_PASSWORD}'\n`;
    const outcome = await runResourcePolicy(
      statsAuthSecret,
      haproxyConfigDir(model, { haproxyCfg: plain, secretFiles: {} }),
    );
    assertHasViolation(outcome, "userlist stats_users is defined in haproxy.cfg", "move it to secretFiles");
    assertHasViolation(
      outcome,
      "requires http_auth(stats_users) but no file in secretFiles defines userlist stats_users",
    );
    expect(outcome.violations.join("\n")).not.toContain(TEST_STATS_PASSWORD);
  });

  it("fails secretFiles that are not declared secret", async () => {
    const outcome = await runResourcePolicy(
      statsAuthSecret,
      haproxyConfigDir(model, { additionalSecretOutputs: [] }),
    );
    assertHasViolation(
      outcome,
      'ConfigDir "prod-haproxy-config": secretFiles is not in additionalSecretOutputs',
    );
  });

  it('fails credentials written with "stats auth"', async () => {
    const withStatsAuth = editText(
      cfg,
      "    stats enable\n",
      "    stats enable\n    stats auth ops:hunter2\n",
    );
    const outcome = await runResourcePolicy(
      statsAuthSecret,
      haproxyConfigDir(model, { haproxyCfg: withStatsAuth }),
    );
    assertHasViolation(outcome, '"stats auth" in frontend stats writes credentials into haproxy.cfg');
    expect(outcome.violations.join("\n")).not.toContain("hunter2");
  });

  it("fails a service that answers before the auth rule", async () => {
    const metricsLine = "    http-request use-service prometheus-exporter if { path /metrics }\n";
    const reordered = editText(editText(cfg, metricsLine, ""), AUTH_LINE, (line) => `${metricsLine}${line}`);
    const outcome = await runResourcePolicy(
      statsAuthSecret,
      haproxyConfigDir(model, { haproxyCfg: reordered }),
    );
    assertHasViolation(outcome, 'frontend stats answers "prometheus-exporter" before the auth rule');
  });

  it("does not apply to a MediaMTX ConfigDir", async () => {
    const [instance] = model.instances;
    if (instance === undefined) throw new Error("no instance");
    assertNotApplicable(await runResourcePolicy(statsAuthSecret, mediamtxConfigDir(model, instance)));
  });
});
