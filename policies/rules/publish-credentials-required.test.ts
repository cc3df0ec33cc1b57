import { describe, expect, it } from "vitest";
import { renderHaproxyConfig, renderHaproxySecrets } from "../../infra/render/haproxy";
import { renderMediamtxConfig } from "../../infra/render/mediamtx";
import { CREDENTIALS_LUA, PUBLISH_LUA } from "../../infra/render/paths";
import {
  editText,
  fixtureModel,
  haproxyConfigDir,
  haproxyContainer,
  mediamtxConfigDir,
  TEST_STATS_PASSWORD,
} from "../tests/stack-resources";
import {
  assertHasViolation,
  assertNotApplicable,
  assertNoViolations,
  runResourcePolicy,
} from "../tests/util";
import { countPublishers, publishCredentialsRequired } from "./publish-credentials-required";

const SALT = "5f0c3a9e1b2d4c6a";
const HASH = "9b74c9897bac770ffc029102a200c5de3c3c1a1e3b7cb1e0e3b1f2bb3a6a0d4e";

/** credentials.lua as templates/credentials.lua.mustache will render it (issue 14). */
function credentialsLua(publishers: string): string {
  return `-- credentials.lua: rendered by infra/render/credentials.ts. Secret: salted SHA-256 only.
MTX_CREDENTIALS = {
  publishers = ${publishers},
  readers = nil,
}
`;
}

const ONE_PUBLISHER = `{\n    { user = "obs", salt = "${SALT}", sha256 = "${HASH}", paths = { } },\n  }`;

describe("#publish-credentials-required", () => {
  const model = fixtureModel("prod");
  const [instance] = model.instances;
  if (instance === undefined) throw new Error("no instance");
  const cfg = editText(
    renderHaproxyConfig(model),
    `    lua-load ${PUBLISH_LUA}\n`,
    `    lua-load ${CREDENTIALS_LUA}\n    lua-load ${PUBLISH_LUA}\n`,
  );
  const gateway = (credentials: string | undefined, haproxyCfg = cfg) =>
    haproxyConfigDir(model, {
      haproxyCfg,
      secretFiles: {
        "secrets.cfg": renderHaproxySecrets(model.stats.user, TEST_STATS_PASSWORD),
        ...(credentials === undefined ? {} : { "credentials.lua": credentials }),
      },
    });

  it("passes a gateway that loads credentials.lua with a publisher", async () => {
    assertNoViolations(
      await runResourcePolicy(publishCredentialsRequired, gateway(credentialsLua(ONE_PUBLISHER))),
    );
  });

  it("passes every instance's mediamtx.yml as the program renders it", async () => {
    for (const i of model.instances) {
      assertNoViolations(await runResourcePolicy(publishCredentialsRequired, mediamtxConfigDir(model, i)));
    }
  });

  it("fails the gateway of a stack without publishers, naming the line and mediamtx-lb:publishers", async () => {
    const outcome = await runResourcePolicy(publishCredentialsRequired, haproxyConfigDir(model));
    assertHasViolation(
      outcome,
      'ConfigDir "prod-haproxy-config": files["haproxy.cfg"] line 4: global lua-loads no /usr/local/etc/haproxy/credentials.lua',
      "anyone who reaches RTMP, RTMPS or WHIP can publish",
      "set mediamtx-lb:publishers",
    );
  });

  it("fails a loaded credentials.lua that is missing from secretFiles", async () => {
    const outcome = await runResourcePolicy(publishCredentialsRequired, gateway(undefined));
    assertHasViolation(outcome, 'secretFiles has no "credentials.lua"', "set mediamtx-lb:publishers");
  });

  it.each([
    ["nil", "nil"],
    ["empty", "{ }"],
    ["an entry without a hash", `{ { user = "obs", salt = "${SALT}", paths = { } } }`],
  ])("fails publishers %s, without quoting the secret file", async (_case, publishers) => {
    const outcome = await runResourcePolicy(publishCredentialsRequired, gateway(credentialsLua(publishers)));
    assertHasViolation(outcome, 'secretFiles["credentials.lua"] defines no publishers entry');
    expect(outcome.violations.join("\n")).not.toContain(SALT);
  });

  const yml = renderMediamtxConfig(model, instance);
  const ymlLine = (text: string, prefix: string) =>
    text.split("\n").findIndex((l) => l.startsWith(prefix)) + 1;

  it("fails a mediamtx.yml whose authMethod is not http, naming the file and line", async () => {
    const internal = editText(yml, "authMethod: http\n", "authMethod: internal\n");
    const outcome = await runResourcePolicy(
      publishCredentialsRequired,
      mediamtxConfigDir(model, instance, internal),
    );
    assertHasViolation(
      outcome,
      `ConfigDir "prod-mediamtx-media-a-config": files["mediamtx.yml"] line ${ymlLine(internal, "authMethod:")}`,
      'authMethod is "internal", not http',
    );
  });

  it("fails a mediamtx.yml without authMethod (MediaMTX's default is internal)", async () => {
    const outcome = await runResourcePolicy(
      publishCredentialsRequired,
      mediamtxConfigDir(model, instance, editText(yml, "authMethod: http\n", "")),
    );
    assertHasViolation(outcome, 'files["mediamtx.yml"]: authMethod is "internal"');
  });

  it.each([
    ["every path", "  - action: publish\n"],
    ['path "cam1"', "  - action: publish\n    path: cam1\n"],
  ])("fails authHTTPExclude listing publish (%s)", async (scope, item) => {
    const excluded = editText(yml, "authHTTPExclude:\n", `authHTTPExclude:\n${item}`);
    const outcome = await runResourcePolicy(
      publishCredentialsRequired,
      mediamtxConfigDir(model, instance, excluded),
    );
    assertHasViolation(
      outcome,
      `line ${ymlLine(excluded, "authHTTPExclude:")}: authHTTPExclude lists action publish (${scope})`,
      "remove it",
    );
  });

  it("does not apply to containers", async () => {
    assertNotApplicable(await runResourcePolicy(publishCredentialsRequired, haproxyContainer(model)));
  });
});

describe("countPublishers", () => {
  it.each([
    [credentialsLua(ONE_PUBLISHER), 1],
    [credentialsLua(`{ {user="a",salt="s",sha256="h"}, {sha256='h', salt='s', user='b', paths={"x/"}} }`), 2],
    // Braces and keys inside strings and comments do not count.
    [
      credentialsLua(
        `{ { user = "}{ user = ", salt = "s", sha256 = "h" } } -- { user = "c", salt = "", sha256 = "" }`,
      ),
      1,
    ],
    [credentialsLua(`{ --[[ { user = "x", salt = "s", sha256 = "h" } ]] }`), 0],
    [credentialsLua(`{ { paths = { }, user = [[a]], salt = "s", sha256 = "h", extra = { } } }`), 1],
    [credentialsLua("nil"), 0],
    ["MTX_CREDENTIALS = { readers = { { user = 'r', salt = 's', sha256 = 'h' } } }", 0],
    ["", 0],
  ])("%j → %d", (text, count) => {
    expect(countPublishers(text)).toBe(count);
  });
});
