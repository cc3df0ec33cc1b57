// publish.lua's credential checks (publishers / readers, MTX_CREDENTIALS from the rendered
// credentials.lua) under real Lua 5.3 and 5.4 against the harness's stub core. The hash is the test's
// (node:crypto, handed to the harness as a table); HAProxy's own sha2/hex converters run in the fast
// lane (test/fast/publish-hook.test.ts, host 2.6) and e2e (test/e2e/credentials.test.ts, image 3.0).

import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { CredentialUser, Model } from "../../../infra/config/model";
import { credentialSalt, passwordsFrom, renderCredentialsLua } from "../../../infra/render/credentials";
import { CREDENTIALS_LUA, inHaproxyDir } from "../../../infra/render/paths";
import { LUA_INTERPRETERS, runScenario, writeRouter } from "./lua";
import { mtxPath } from "./mediamtx-api";
import { routerModel } from "./model";

const A = "10.0.0.1";
const B = "10.0.0.2";
const GOOD = "s3cret-Publisher-pw";
const READ_PW = "s3cret-Reader-pw";
const PASSWORDS = {
  publishers: [
    { user: "alice", password: GOOD },
    { user: "cammy", password: GOOD },
    { user: "slashless", password: GOOD },
  ],
  readers: [{ user: "viewer", password: READ_PW }],
};

function model(
  publishers: readonly CredentialUser[] | undefined,
  readers?: readonly CredentialUser[],
): Model {
  const base = routerModel([
    { name: "a", address: A },
    { name: "b", address: B },
  ]);
  return { ...base, auth: { publishers, readers } };
}

function luaFiles(m: Model): string[] {
  return writeRouter(m, {
    [inHaproxyDir(CREDENTIALS_LUA)]: renderCredentialsLua(m, passwordsFrom(PASSWORDS)),
  });
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** The hashes the hook will ask for: every configured user's salt with `password`. */
function hashesFor(m: Model, password: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const user of [...(m.auth.publishers ?? []), ...(m.auth.readers ?? [])]) {
    const text = credentialSalt(m.stack, user.user) + password;
    out[text] = sha256(text);
  }
  return out;
}

function request(action: string, path: string, user = "", password = ""): Record<string, unknown> {
  return {
    ip: "203.0.113.7",
    user,
    password,
    token: password,
    action,
    path,
    protocol: "rtmp",
    id: "9d2f0c1e-0000-4000-8000-000000000001",
    query: user ? `user=${user}&pass=${password}` : "",
    userAgent: "",
  };
}

const PUBLISHERS: CredentialUser[] = [
  { user: "alice", paths: [] },
  { user: "cammy", paths: ["cam/"] },
  { user: "slashless", paths: ["cam"] },
];

describe.each(LUA_INTERPRETERS)("publish.lua credentials under %s", (interpreter) => {
  const withPublishers = model(PUBLISHERS);
  const files = luaFiles(withPublishers);

  it.each([
    ["right credentials", "alice", GOOD, "studio/x", 200, "ok", undefined],
    ["a user with prefix cam/ on cam/1", "cammy", GOOD, "cam/1", 200, "ok", undefined],
    ["no credentials", "", "", "cam/1", 401, "no credentials", "no credentials"],
    ["a user without a password", "alice", "", "cam/1", 401, "no credentials", "no credentials"],
    ["an unknown user", "mallory", GOOD, "cam/1", 401, "unknown user mallory", "unknown user mallory"],
    [
      "a wrong password",
      "alice",
      "wrong-password-123",
      "cam/1",
      401,
      "wrong password for alice",
      "wrong password for alice",
    ],
    [
      "a path outside the user's prefixes",
      "cammy",
      GOOD,
      "studio/x",
      401,
      "cammy may not publish studio/x",
      "cammy may not publish studio/x",
    ],
    [
      "a prefix that only matches part of a segment",
      "cammy",
      GOOD,
      "camera/1",
      401,
      "cammy may not publish camera/1",
      "cammy may not publish camera/1",
    ],
    ["a prefix without its slash on a path below it", "slashless", GOOD, "cam/1", 200, "ok", undefined],
    ["a prefix without its slash on itself", "slashless", GOOD, "cam", 200, "ok", undefined],
    [
      "a prefix without its slash on a longer name",
      "slashless",
      GOOD,
      "cam2",
      401,
      "slashless may not publish cam2",
      "slashless may not publish cam2",
    ],
    [
      "a user name with odd characters (shown masked)",
      "ev il\nname",
      GOOD,
      "cam/1",
      401,
      "unknown user ev?il?name",
      "unknown user ev?il?name",
    ],
  ])("publish with %s", (_, user, password, path, status, reason, logged) => {
    const out = runScenario(interpreter, files, [
      {
        op: "hook",
        instance: "a",
        body: request("publish", path, user, password),
        hashes: hashesFor(withPublishers, password),
        details: true,
        label: "hook",
      },
      { op: "map", label: "map" },
    ]);
    const result = out.hook as {
      status: number;
      reason: string;
      warnings: string[];
      counters: Record<string, number>;
    };
    expect(result.status).toBe(status);
    expect(result.reason).toBe(reason);
    if (logged === undefined) {
      expect(result.warnings).toEqual([]);
      expect(out.map).toEqual({ map: { [path]: "a" }, calls: [] });
    } else {
      expect(result.warnings).toEqual([
        `mtx publish: refused publish ${path} on a from 203.0.113.7: ${logged}`,
      ]);
      expect(result.counters.credentialsRefused).toBe(1);
      expect(out.map).toEqual({ map: {}, calls: [] });
    }
    for (const line of result.warnings) if (password) expect(line).not.toContain(password);
  });

  it("checks credentials before the takeover: a refused publisher never touches the live one", () => {
    const live = { status: 200, body: JSON.stringify(mtxPath("cam/1")) };
    const out = runScenario(interpreter, files, [
      {
        op: "hook",
        instance: "a",
        body: request("publish", "cam/1", "alice", GOOD),
        hashes: hashesFor(withPublishers, GOOD),
      },
      { op: "api", address: A, paths: { "cam/1": live } },
      {
        op: "hook",
        instance: "b",
        body: request("publish", "cam/1", "alice", "not-the-password"),
        hashes: hashesFor(withPublishers, "not-the-password"),
        label: "refused",
      },
      { op: "map", label: "map" },
    ]);
    // No API call at all: neither the lookup of the old owner nor a kick.
    expect(out.refused).toEqual({ status: 401, reason: "wrong password for alice", calls: [] });
    expect(out.map).toEqual({ map: { "cam/1": "a" }, calls: [] });
  });

  it("leaves reads alone when only publishers is set (mediamtx.yml still excludes them)", () => {
    const out = runScenario(interpreter, files, [
      { op: "hook", instance: "a", body: request("read", "cam/1"), label: "read" },
    ]);
    expect(out.read).toMatchObject({ status: 403 });
  });

  it("lets anyone publish without publishers (no MTX_CREDENTIALS.publishers), readers set", () => {
    const m = model(undefined, [{ user: "viewer", paths: ["cam/"] }]);
    const out = runScenario(interpreter, luaFiles(m), [
      { op: "hook", instance: "a", body: request("publish", "cam/1"), label: "publish" },
      {
        op: "hook",
        instance: "a",
        body: { ...request("read", "cam/1", "viewer", READ_PW), protocol: "hls" },
        hashes: hashesFor(m, READ_PW),
        label: "read",
      },
      {
        op: "hook",
        instance: "a",
        body: { ...request("playback", "cam/1"), protocol: "hls" },
        details: true,
        label: "anonymous playback",
      },
      {
        op: "hook",
        instance: "a",
        body: { ...request("read", "studio/1", "viewer", READ_PW), protocol: "webrtc" },
        hashes: hashesFor(m, READ_PW),
        label: "other prefix",
      },
    ]);
    expect(out.publish).toEqual({ status: 200, reason: "ok", calls: [] });
    expect(out.read).toEqual({ status: 200, reason: "ok", calls: [] });
    expect(out["anonymous playback"]).toMatchObject({
      status: 401,
      reason: "no credentials",
      warnings: ["mtx publish: refused read cam/1 on a from 203.0.113.7: no credentials"],
    });
    expect(out["other prefix"]).toMatchObject({ status: 401, reason: "viewer may not read studio/1" });
  });
});

describe("publish.lua refuses a malformed MTX_CREDENTIALS at load", () => {
  it.each(LUA_INTERPRETERS)("under %s", (interpreter) => {
    const m = model(PUBLISHERS);
    const bad =
      'MTX_CREDENTIALS = { publishers = { { user = "a", salt = "s", sha256 = "ABC", paths = {} } } }\n';
    expect(() =>
      runScenario(interpreter, writeRouter(m, { [inHaproxyDir(CREDENTIALS_LUA)]: bad }), [{ op: "map" }]),
    ).toThrow("MTX_CREDENTIALS.publishers[1].sha256: must be 64 lowercase hex digits");
  });
});
