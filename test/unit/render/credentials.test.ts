// infra/render/credentials.ts: credentials.lua holds salts and salted hashes, never a password; the
// same config renders the same bytes; haproxy.cfg and mediamtx.yml change only when credentials are set.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { CredentialUser, Model } from "../../../infra/config/model";
import {
  credentialSalt,
  hashPassword,
  passwordsFrom,
  renderCredentialsLua,
} from "../../../infra/render/credentials";
import { renderHaproxyConfig } from "../../../infra/render/haproxy";
import { renderMediamtxConfig } from "../../../infra/render/mediamtx";
import { CREDENTIALS_LUA, PUBLISH_CONFIG_LUA, PUBLISH_LUA } from "../../../infra/render/paths";
import { testModel } from "../../support/model";
import { luaLoads } from "../router/lua";

const PASSWORDS = {
  publishers: [
    { user: "alice", password: "correct horse battery" },
    { user: "bob", password: "correct horse battery" },
  ],
  readers: [{ user: "viewer", password: "Quiet-River-1234" }],
};

function withAuth(
  publishers: readonly CredentialUser[] | undefined,
  readers: readonly CredentialUser[] | undefined,
  stack = "prod",
): Model {
  return testModel({ stack, auth: { publishers, readers } });
}

const PUBLISHERS: CredentialUser[] = [
  { user: "alice", paths: ["cam/", "studio/"] },
  { user: "bob", paths: [] },
];
const READERS: CredentialUser[] = [{ user: "viewer", paths: [] }];

/** MTX_CREDENTIALS as Lua 5.4 loads it, re-encoded as JSON by a few lines of Lua. */
function loadCredentials(text: string): unknown {
  const dir = mkdtempSync(join(tmpdir(), "mtx-cred-"));
  writeFileSync(join(dir, "credentials.lua"), text);
  const script = `
    dofile(arg[1])
    local function enc(v)
      if type(v) == "table" then
        local parts = {}
        if #v > 0 or next(v) == nil then
          for _, x in ipairs(v) do parts[#parts + 1] = enc(x) end
          return "[" .. table.concat(parts, ",") .. "]"
        end
        local keys = {}
        for k in pairs(v) do keys[#keys + 1] = k end
        table.sort(keys)
        for _, k in ipairs(keys) do parts[#parts + 1] = string.format("%q", k) .. ":" .. enc(v[k]) end
        return "{" .. table.concat(parts, ",") .. "}"
      end
      return string.format("%q", v)
    end
    io.write(enc({ publishers = MTX_CREDENTIALS.publishers or "nil", readers = MTX_CREDENTIALS.readers or "nil" }))`;
  writeFileSync(join(dir, "dump.lua"), script);
  const run = spawnSync("lua5.4", [join(dir, "dump.lua"), join(dir, "credentials.lua")], {
    encoding: "utf8",
  });
  if (run.status !== 0) throw new Error(run.stderr);
  return JSON.parse(run.stdout);
}

describe("renderCredentialsLua", () => {
  const model = withAuth(PUBLISHERS, undefined);
  const text = renderCredentialsLua(model, passwordsFrom(PASSWORDS));

  it("is deterministic", () => {
    expect(renderCredentialsLua(withAuth(PUBLISHERS, undefined), passwordsFrom(PASSWORDS))).toBe(text);
  });

  it("holds no password text", () => {
    expect(text).not.toContain("correct horse");
    expect(text).not.toContain("battery");
  });

  it("defines MTX_CREDENTIALS: salted SHA-256 per user, prefixes, nil for a list that is not configured", () => {
    const salt = credentialSalt("prod", "alice");
    expect(salt).toBe(createHash("sha256").update("mediamtx-lb:prod:alice").digest("hex"));
    expect(loadCredentials(text)).toEqual({
      publishers: [
        {
          user: "alice",
          salt,
          sha256: createHash("sha256").update(`${salt}correct horse battery`).digest("hex"),
          paths: ["cam/", "studio/"],
        },
        {
          user: "bob",
          salt: credentialSalt("prod", "bob"),
          sha256: hashPassword(credentialSalt("prod", "bob"), "correct horse battery"),
          paths: [],
        },
      ],
      readers: "nil",
    });
  });

  it("hashes one password differently per user and per stack", () => {
    const hashes = [
      hashPassword(credentialSalt("prod", "alice"), "correct horse battery"),
      hashPassword(credentialSalt("prod", "bob"), "correct horse battery"),
      hashPassword(credentialSalt("dev", "alice"), "correct horse battery"),
    ];
    expect(new Set(hashes).size).toBe(3);
    const other = renderCredentialsLua(withAuth(PUBLISHERS, undefined, "dev"), passwordsFrom(PASSWORDS));
    expect(other).not.toBe(text);
  });

  it("renders readers alone, publishers nil", () => {
    const only = renderCredentialsLua(withAuth(undefined, READERS), passwordsFrom(PASSWORDS));
    expect(loadCredentials(only)).toMatchObject({ publishers: "nil", readers: [{ user: "viewer" }] });
    expect(only).not.toContain("Quiet-River");
  });

  it("refuses a user without a password rather than render an empty hash", () => {
    expect(() =>
      renderCredentialsLua(withAuth([{ user: "carol", paths: [] }], undefined), passwordsFrom(PASSWORDS)),
    ).toThrow("no password for publishers user carol");
  });
});

describe("haproxy.cfg and mediamtx.yml with credentials", () => {
  const open = withAuth(undefined, undefined);
  const instance = (m: Model) =>
    m.instances[0] ??
    (() => {
      throw new Error("no instance");
    })();

  it("lua-loads credentials.lua before publish.lua only when publishers or readers is set", () => {
    expect(luaLoads(renderHaproxyConfig(open))).not.toContain(CREDENTIALS_LUA);
    for (const m of [withAuth(PUBLISHERS, undefined), withAuth(undefined, READERS)]) {
      const loads = luaLoads(renderHaproxyConfig(m));
      expect(loads.slice(-3)).toEqual([PUBLISH_CONFIG_LUA, CREDENTIALS_LUA, PUBLISH_LUA]);
    }
  });

  it("changes nothing else in haproxy.cfg", () => {
    const lines = (m: Model) => renderHaproxyConfig(m).split("\n");
    const added = lines(withAuth(PUBLISHERS, READERS)).filter((l) => !lines(open).includes(l));
    expect(added.map((l) => l.trim())).toEqual([
      expect.stringMatching(/^# Publish\/read credentials/),
      `lua-load ${CREDENTIALS_LUA}`,
    ]);
  });

  it("keeps read and playback excluded from the hook unless readers is set", () => {
    const yml = (m: Model) => renderMediamtxConfig(m, instance(m));
    expect(yml(open)).toContain("authHTTPExclude:\n  - action: read\n  - action: playback\n");
    expect(yml(withAuth(PUBLISHERS, undefined))).toBe(yml(open));
    expect(yml(withAuth(undefined, READERS))).toContain("authHTTPExclude: []\n");
    expect(yml(withAuth(undefined, READERS))).not.toContain("action: read");
  });
});
