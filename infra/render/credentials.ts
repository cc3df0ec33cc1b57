// Model users + their passwords → credentials view → credentials.lua (templates/credentials.lua.mustache).
// Pure: passwords never enter the model, so the caller hands them in through a lookup (infra/index.ts
// reads them from the stack's secret config); the output holds only salts and salted hashes.
//
// Couplings:
// - publish.lua checks a client's password with HAProxy's converters: lowercase hex of sha2(salt ..
//   password, 256). hashPassword here must compute exactly that.
// - haproxy.cfg lua-loads CREDENTIALS_LUA before publish.lua only when credentialsConfigured(model)
//   (infra/render/haproxy.ts), and the gateway writes the file as a secret file only then (index.ts).

import { createHash } from "node:crypto";
import type { CredentialUser, Model } from "../config/model";
import { toLuaString } from "./router";
import { renderTemplate } from "./templates";

export type CredentialList = "publishers" | "readers";

/** The password of `user` in `list`: the caller's secret config. */
export type PasswordLookup = (list: CredentialList, user: string) => string;

const LISTS: readonly CredentialList[] = ["publishers", "readers"];

function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/**
 * The salt of `user` on `stack`: deterministic, so a config renders the same file every time (no preview
 * noise), and different per stack and user, so equal passwords never give equal hashes.
 */
export function credentialSalt(stack: string, user: string): string {
  return sha256Hex(`mediamtx-lb:${stack}:${user}`);
}

/** What publish.lua compares: lowercase hex SHA-256 of salt .. password (UTF-8). */
export function hashPassword(salt: string, password: string): string {
  return sha256Hex(salt + password);
}

/** Whether the stack has publish or read credentials, i.e. ships credentials.lua. */
export function credentialsConfigured(model: Model): boolean {
  return model.auth.publishers !== undefined || model.auth.readers !== undefined;
}

export interface CredentialUserView {
  readonly userLua: string;
  readonly saltLua: string;
  readonly sha256Lua: string;
  /** Lua list of the user's path-name prefixes: `{}` for every path. */
  readonly pathsLua: string;
}

export interface CredentialListView {
  readonly key: CredentialList;
  /** false: the list is not configured (nil in Lua: anyone may). */
  readonly hasUsers: boolean;
  readonly users: readonly CredentialUserView[];
}

export interface CredentialsView {
  readonly stack: string;
  readonly lists: readonly CredentialListView[];
}

function toCredentialsView(model: Model, password: PasswordLookup): CredentialsView {
  const userView = (list: CredentialList, { user, paths }: CredentialUser): CredentialUserView => {
    const salt = credentialSalt(model.stack, user);
    return {
      userLua: toLuaString(user),
      saltLua: toLuaString(salt),
      sha256Lua: toLuaString(hashPassword(salt, password(list, user))),
      pathsLua: paths.length === 0 ? "{}" : `{ ${paths.map(toLuaString).join(", ")} }`,
    };
  };
  return {
    stack: model.stack,
    lists: LISTS.map((key) => {
      const users = model.auth[key];
      return { key, hasUsers: users !== undefined, users: (users ?? []).map((u) => userView(key, u)) };
    }),
  };
}

/** credentials.lua (CREDENTIALS_LUA): the MTX_CREDENTIALS table, lua-loaded before publish.lua. */
export function renderCredentialsLua(model: Model, password: PasswordLookup): string {
  return renderTemplate("credentials.lua.mustache", toCredentialsView(model, password));
}

/**
 * A PasswordLookup over `{user, password}` lists as the stack config holds them (`publishers`,
 * `readers`); throws on a user the model has but the list lacks (validation makes that impossible).
 */
export function passwordsFrom(
  lists: Partial<Record<CredentialList, readonly { readonly user: string; readonly password: string }[]>>,
): PasswordLookup {
  return (list, user) => {
    const found = lists[list]?.find((entry) => entry.user === user);
    if (found === undefined) throw new Error(`credentials: no password for ${list} user ${user}`);
    return found.password;
  };
}
