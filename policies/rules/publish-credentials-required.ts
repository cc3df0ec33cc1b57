import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { load } from "js-yaml";
import { isRecord } from "../../infra/lib/untyped";
import { CREDENTIALS_LUA, inHaproxyDir } from "../../infra/render/paths";
import { parseHaproxyCfg, sectionsOfKind } from "../lib/haproxy-cfg";
import { cfgLocation, fileLocation, haproxyCfgOf, mediamtxYmlOf, secretFilesOf } from "../lib/resources";

/** credentials.lua's name in the gateway ConfigDir's secretFiles (relative to the HAProxy directory). */
const CREDENTIALS_FILE = inHaproxyDir(CREDENTIALS_LUA);
const MEDIAMTX_YML = "mediamtx.yml";
const FIX =
  "set mediamtx-lb:publishers ([{user, password, paths?}], passwords as secrets: scripts/pulumi config set --secret --path 'publishers[0].password' …)";

/**
 * `text` with Lua comments removed and every string literal replaced by `""`, so braces and `key =`
 * can be read without a Lua parser (user names or hashes can hold any character). Long brackets
 * (`[[…]]`, `--[[…]]`) are handled; anything stranger only makes the reading stricter.
 */
export function stripLuaStringsAndComments(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; ) {
    const rest = text.slice(i);
    const longComment = /^--\[(=*)\[/.exec(rest);
    const longString = /^\[(=*)\[/.exec(rest);
    const long = longComment ?? longString;
    if (long !== null) {
      const close = `]${long[1] ?? ""}]`;
      const end = rest.indexOf(close, long[0].length);
      i += end < 0 ? rest.length : end + close.length;
      if (longString !== null && longComment === null) out += '""';
      continue;
    }
    if (rest.startsWith("--")) {
      const newline = rest.indexOf("\n");
      i += newline < 0 ? rest.length : newline;
      continue;
    }
    const ch = text[i] ?? "";
    if (ch === '"' || ch === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== ch && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
      out += '""';
      i = j + 1;
      continue;
    }
    out += ch;
    i++;
  }
  return out;
}

/** The text between the `{` at `open` and its matching `}` (strings and comments already stripped). */
function tableBody(code: string, open: number): string | undefined {
  let depth = 0;
  for (let i = open; i < code.length; i++) {
    if (code[i] === "{") depth++;
    else if (code[i] === "}" && --depth === 0) return code.slice(open + 1, i);
  }
  return undefined;
}

/**
 * How many entries of credentials.lua's `publishers` table carry `user`, `salt` and `sha256`; 0 when the
 * table is `nil`, empty or absent (the publish hook then lets anyone publish). Tolerant of layout.
 */
export function countPublishers(luaText: string): number {
  const code = stripLuaStringsAndComments(luaText);
  const match = /\bpublishers\s*=\s*\{/.exec(code);
  if (match === null) return 0;
  const body = tableBody(code, match.index + match[0].length - 1);
  if (body === undefined) return 0;
  let count = 0;
  let depth = 0;
  let start = -1;
  for (let i = 0; i < body.length; i++) {
    if (body[i] === "{") {
      if (depth === 0) start = i;
      depth++;
    } else if (body[i] === "}") {
      depth--;
      if (depth === 0) {
        // Only the entry's own keys: nested tables (paths = { … }) are cut out first, innermost first.
        let entry = body.slice(start + 1, i);
        for (let prev = ""; prev !== entry; ) {
          prev = entry;
          entry = entry.replace(/\{[^{}]*\}/g, "");
        }
        if (["user", "salt", "sha256"].every((key) => new RegExp(`\\b${key}\\s*=`).test(entry))) count++;
      }
    }
  }
  return count;
}

function checkGateway(args: ResourceValidationArgs, cfgText: string, report: ReportViolation): void {
  const cfg = parseHaproxyCfg(cfgText);
  const globals = sectionsOfKind(cfg, "global");
  const loaded = globals.some((section) =>
    section.lines.some(
      ({ words: [keyword, file] }) =>
        (keyword === "lua-load" || keyword === "lua-load-per-thread") && file === CREDENTIALS_LUA,
    ),
  );
  if (!loaded) {
    report(
      `${cfgLocation(args.name, globals[0]?.lineNo ?? 1)}: global lua-loads no ${CREDENTIALS_LUA}, so the ` +
        `publish hook has no publishers and anyone who reaches RTMP, RTMPS or WHIP can publish any path; ${FIX}`,
    );
    return;
  }
  const credentials = secretFilesOf(args.props)[CREDENTIALS_FILE];
  if (credentials === undefined) {
    report(
      `ConfigDir "${args.name}": haproxy.cfg lua-loads ${CREDENTIALS_LUA} but secretFiles has no ` +
        `"${CREDENTIALS_FILE}" (HAProxy would not start); ${FIX}`,
    );
    return;
  }
  // Never quote the file: it is a secret (salted hashes), and the engine prints messages as given.
  if (countPublishers(credentials) === 0) {
    report(
      `ConfigDir "${args.name}": secretFiles["${CREDENTIALS_FILE}"] defines no publishers entry with ` +
        `user, salt and sha256 (publishers is nil, empty or absent), so anyone can publish; ${FIX}`,
    );
  }
}

/** 1-based line of the first top-level `key:` in a YAML text, for messages. */
function yamlKeyLine(text: string, key: string): number | undefined {
  const index = text.split("\n").findIndex((line) => line.startsWith(`${key}:`));
  return index < 0 ? undefined : index + 1;
}

function checkInstance(args: ResourceValidationArgs, ymlText: string, report: ReportViolation): void {
  let doc: unknown;
  try {
    doc = load(ymlText);
  } catch (err) {
    report(`${fileLocation(args.name, MEDIAMTX_YML)}: is not YAML (${String(err).split("\n")[0]})`);
    return;
  }
  const config = isRecord(doc) ? doc : {};
  const where = (key: string) => fileLocation(args.name, MEDIAMTX_YML, yamlKeyLine(ymlText, key));
  const program =
    "infra/render/mediamtx.ts renders it so that every publish asks the gateway's publish hook, which checks mediamtx-lb:publishers";
  if (config.authMethod !== "http") {
    report(
      `${where("authMethod")}: authMethod is ${JSON.stringify(config.authMethod ?? "internal")}, not http, ` +
        `so publishes never reach the publish hook's credential check; ${program}`,
    );
    return;
  }
  const excludes = Array.isArray(config.authHTTPExclude) ? config.authHTTPExclude : [];
  for (const exclude of excludes) {
    if (!isRecord(exclude) || exclude.action !== "publish") continue;
    const scope = typeof exclude.path === "string" ? `path ${JSON.stringify(exclude.path)}` : "every path";
    report(
      `${where("authHTTPExclude")}: authHTTPExclude lists action publish (${scope}), so those publishes ` +
        `skip the publish hook and need no credentials; remove it (${program})`,
    );
  }
}

/**
 * Anyone who reaches RTMP or WHIP could otherwise publish any path, including one already live (the
 * router then takes it over). Credentials are checked in one place, the gateway's publish hook, which
 * reads the publishers from credentials.lua (a secret file, salted SHA-256 only); each instance must
 * send every publish there (authMethod: http, publish not excluded).
 */
export const publishCredentialsRequired: ResourceValidationPolicy = {
  name: "publish-credentials-required",
  description:
    "Publishing needs credentials: the gateway lua-loads credentials.lua with at least one publisher, and every MediaMTX instance sends publishes to the publish hook (authMethod: http, publish not excluded).",
  enforcementLevel: "advisory",
  validateResource: (args, reportViolation) => {
    const cfg = haproxyCfgOf(args.type, args.props);
    if (cfg !== undefined) return checkGateway(args, cfg, reportViolation);
    const yml = mediamtxYmlOf(args.type, args.props);
    if (yml !== undefined) return checkInstance(args, yml, reportViolation);
    return args.notApplicable(`not a ConfigDir with files["haproxy.cfg"] or files["${MEDIAMTX_YML}"]`);
  },
};
