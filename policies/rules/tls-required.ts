import type { ResourceValidationPolicy } from "@pulumi/policy";
import { instanceOfIceProxy, PROXIES } from "../../infra/config/names";
import { type CfgLine, type CfgSection, linesStartingWith, sectionsOfKind } from "../lib/haproxy-cfg";
import { cfgLocation, requireHaproxyCfg } from "../lib/resources";

/** The publish hook's Lua service (infra/lua/publish.lua): MediaMTX's auth hook, never a client's. */
const PUBLISH_HOOK_SERVICE = "lua.mtx_publish_hook";

/**
 * Frontends clients never reach for media: the stats page (its own concern: stats-auth-secret), the
 * publish hook (bound on the stack network's gateway address, asked only by the instances) and ICE-TCP
 * (DTLS inside, issue 14 keeps it as it is). Recognised by what they serve, and by the program's names.
 */
function isInternal(section: CfgSection): boolean {
  if (section.name === PROXIES.stats || section.name === PROXIES.publishHook) return true;
  if (instanceOfIceProxy(section.name) !== undefined) return true;
  return section.lines.some(({ words }) => {
    const [a, b, c] = words;
    return (
      (a === "stats" && (b === "enable" || b === "uri")) ||
      (a === "http-request" && b === "use-service" && c === PUBLISH_HOOK_SERVICE)
    );
  });
}

/** `ssl` on a bind line turns TLS on for its addresses (its certificate comes from `crt`/`crt-list`). */
const hasSsl = (bind: CfgLine) => bind.words.slice(2).includes("ssl");

/** Whether `words` (after the target) only apply to plain connections: none, `if !{ ssl_fc }`, `unless { ssl_fc }`. */
function appliesToPlain(condition: readonly string[]): boolean {
  const text = condition.join(" ");
  return text === "" || /^if !\{ ssl_fc \}$/.test(text) || /^unless \{ ssl_fc \}$/.test(text);
}

/**
 * Whether the section answers every plain request with a redirect to HTTPS before anything else can
 * answer it: an `http-request redirect` (or legacy `redirect`) to `https://…` or scheme https, without a
 * condition other than "not TLS", ahead of any use-service or return. `code N` may follow the target.
 */
function redirectsPlainToHttps(section: CfgSection): boolean {
  for (const { words } of section.lines) {
    const rule = words[0] === "http-request" ? words.slice(1) : words[0] === "redirect" ? words : undefined;
    if (rule === undefined) continue;
    const [action, kind, target, ...rest] = rule;
    if (action !== "redirect") {
      if (action === "use-service" || action === "return" || action === "deny" || action === "tarpit") {
        return false;
      }
      continue;
    }
    const toHttps =
      ((kind === "prefix" || kind === "location") && target?.startsWith("https://") === true) ||
      (kind === "scheme" && target === "https");
    const condition = rest[0] === "code" ? rest.slice(2) : rest;
    if (toHttps && appliesToPlain(condition)) return true;
  }
  return false;
}

/**
 * Media in clear text on the internet: stream keys and passwords (RTMP `?user=&pass=`, WHIP
 * Authorization) and the media itself readable on the way, and browsers refuse camera access to a WHIP
 * page off a secure context. So every client-facing frontend binds with `ssl crt …`, except one whose
 * plain listeners only redirect to HTTPS (tls.plain: redirect). tls.plain: on is a deliberate choice,
 * but it serves the same media in clear beside TLS, so it is a finding too, naming that key.
 * Judged by HAProxy semantics (bind lines without `ssl`), not by the renderer's exact text.
 */
export const tlsRequired: ResourceValidationPolicy = {
  name: "tls-required",
  description:
    "Client-facing HAProxy frontends (HLS, WebRTC, RTMP) bind with ssl crt, or only redirect to https; the stats page, the publish hook and ICE-TCP are out of scope.",
  enforcementLevel: "advisory",
  validateResource: (args, reportViolation) => {
    const cfg = requireHaproxyCfg(args);
    const clientFacing = sectionsOfKind(cfg, "frontend", "listen").filter((s) => !isInternal(s));
    const binds = clientFacing.flatMap((section) =>
      linesStartingWith(section, "bind").map((line) => ({ section, line })),
    );
    // With TLS configured somewhere, a plain listener beside it is tls.plain: on.
    const tlsConfigured = binds.some(({ line }) => hasSsl(line));
    for (const { section, line } of binds) {
      if (hasSsl(line) || redirectsPlainToHttps(section)) continue;
      const fix = tlsConfigured
        ? "set mediamtx-lb:tls.plain to redirect or off (on serves the same media in clear beside TLS)"
        : "set mediamtx-lb:tls ({selfSigned: true} or a provided certificate and key), which binds it with ssl crt";
      reportViolation(
        `${cfgLocation(args.name, line.lineNo)}: ${section.kind} ${section.name} binds ${line.words[1] ?? "?"} ` +
          `without ssl, so clients reach it in clear text; ${fix}`,
      );
    }
  },
};
