import type { ResourceValidationPolicy } from "@pulumi/policy";
import {
  type CfgLine,
  type CfgSection,
  httpAuthUserlists,
  linesStartingWith,
  parseHaproxyCfg,
  sectionsOfKind,
} from "../lib/haproxy-cfg";
import { cfgLocation, requireHaproxyCfg, secretFilesOf } from "../lib/resources";

/** The ConfigDir input that holds the userlist; ConfigDir declares it in additionalSecretOutputs. */
const SECRET_FILES = "secretFiles";

/** Whether a frontend/listen section serves HAProxy's stats page. */
function servesStats(section: CfgSection): boolean {
  return section.lines.some(
    ({ words: [first, second] }) => first === "stats" && (second === "enable" || second === "uri"),
  );
}

/** `http-request auth … unless { http_auth(<list>) }` (or the `stats http-request auth` form). */
function isAuthRule(line: CfgLine): boolean {
  const [a, b, c, d] = line.words;
  const rule = a === "stats" ? [b, c, d] : [a, b];
  return rule[0] === "http-request" && rule[1] === "auth" && line.words.includes("unless");
}

/**
 * The stats frontend also serves /metrics and the router's status, and its runtime view names every
 * instance. It must ask for credentials before anything else answers, and the credentials must never be
 * in haproxy.cfg, which is a plain input shown in `preview --diff` and stored unencrypted in the state.
 *
 * What policies can see of secrets: @pulumi/policy 1.21 unwraps secret values before calling
 * validateResource and validateStack (deserializeProperties(…, false); only remediations get `Secret`
 * wrappers), so `secretFiles` arrives as plain text and its secretness cannot be read from the value.
 * The rule checks what is visible instead: the resource option additionalSecretOutputs names secretFiles
 * (ConfigDir sets it next to pulumi.secret(...)). policies/tests/secrets.test.ts pins this behaviour.
 */
export const statsAuthSecret: ResourceValidationPolicy = {
  name: "stats-auth-secret",
  description:
    "The HAProxy stats page requires http_auth, and its userlist lives only in the ConfigDir's secret secretFiles.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    const cfg = requireHaproxyCfg(args);
    const where = (lineNo: number) => cfgLocation(args.name, lineNo);
    const required = new Set<string>();

    for (const section of sectionsOfKind(cfg, "frontend", "listen").filter(servesStats)) {
      const authLines = section.lines.filter(isAuthRule);
      const userlists = authLines.flatMap(httpAuthUserlists);
      const label = `${section.kind} ${section.name}`;
      if (userlists.length === 0) {
        reportViolation(
          `${where(section.lineNo)}: ${label} serves the stats page without authentication; add ` +
            '"http-request auth realm mediamtx-lb unless { http_auth(stats_users) }" before any use-service',
        );
      }
      for (const name of userlists) required.add(name);
      const firstAuth = authLines[0]?.lineNo ?? Number.POSITIVE_INFINITY;
      for (const line of linesStartingWith(section, "http-request", "use-service")) {
        if (line.lineNo < firstAuth && userlists.length > 0) {
          reportViolation(
            `${where(line.lineNo)}: ${label} answers "${line.words[2] ?? "use-service"}" before the auth ` +
              `rule (line ${firstAuth}), so it needs no credentials; move the http-request auth line first`,
          );
        }
      }
      for (const line of linesStartingWith(section, "stats", "auth")) {
        reportViolation(
          `${where(line.lineNo)}: "stats auth" in ${label} writes credentials into haproxy.cfg (plain in ` +
            `previews and state); remove it and use http_auth with a userlist in ${SECRET_FILES}`,
        );
      }
    }

    for (const section of sectionsOfKind(cfg, "userlist")) {
      reportViolation(
        `${where(section.lineNo)}: userlist ${section.name} is defined in haproxy.cfg (plain in previews ` +
          `and state); move it to ${SECRET_FILES} (secrets.cfg, rendered by renderHaproxySecrets)`,
      );
    }

    if (required.size === 0) return;
    const secretCfgs = Object.values(secretFilesOf(args.props)).map(parseHaproxyCfg);
    for (const name of [...required].sort()) {
      const defined = secretCfgs.some((secret) =>
        sectionsOfKind(secret, "userlist").some((section) => section.name === name),
      );
      if (!defined) {
        reportViolation(
          `ConfigDir "${args.name}": haproxy.cfg requires http_auth(${name}) but no file in ${SECRET_FILES} ` +
            `defines userlist ${name}; add it to ${SECRET_FILES} (secrets.cfg, loaded with a second -f)`,
        );
      }
    }
    if (!args.opts.additionalSecretOutputs.includes(SECRET_FILES)) {
      reportViolation(
        `ConfigDir "${args.name}": ${SECRET_FILES} is not in additionalSecretOutputs, so the userlist can ` +
          `land in the state unencrypted; pass it as pulumi.secret(...) and add additionalSecretOutputs: ["${SECRET_FILES}"]`,
      );
    }
  },
};
