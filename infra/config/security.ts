// Readers of the keys that let a stack face the internet: `tls`, `publishers`, `readers`, `limits`.
// Same contract as fields.ts (one error line per key, `undefined` after recording it), with one rule of
// its own: certificate keys and passwords are secrets, so no error line ever shows their text (only what
// kind of value was found), and a value that is not stored as a Pulumi secret is an error of its own.
// Pure apart from node:crypto's parsers (no I/O); "now" comes from the caller, so the expiry rule is a
// table test.

import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { isIPv4 } from "node:net";
import { isRecord } from "../lib/untyped";
import { readInteger, readOneOf, readSection, reportUnknownKeys } from "./fields";
import type { CredentialUser, LimitsModel, PlainListeners } from "./model";
import type { Problems } from "./problems";

const TLS_KEYS = ["ca", "certificate", "key", "plain", "selfSigned"] as const;
const CREDENTIAL_KEYS = ["password", "paths", "user"] as const;
const LIMIT_KEYS = ["httpConnections", "httpRequestRate", "rtmpConnectionRate", "rtmpConnections"] as const;
const PLAIN: readonly PlainListeners[] = ["off", "redirect", "on"];

/** The documented defaults (README, Abuse limits): far above what one player or encoder does. */
export const LIMIT_DEFAULTS: LimitsModel = {
  // An LL-HLS player makes about 3-6 requests a second (playlist reloads, parts, segments); 200 a second
  // leaves room for dozens of players behind one NAT address.
  httpRequestRate: 2000,
  httpConnections: 500,
  // An encoder holds one connection and reconnects at most about once a second.
  rtmpConnections: 20,
  rtmpConnectionRate: 60,
};

/** Passwords: at least this long, with at least MIN_DISTINCT different characters, and not the user name. */
export const MIN_PASSWORD_LENGTH = 12;
const MIN_DISTINCT = 6;
const MAX_PASSWORD_LENGTH = 256;
/** User names: one token in RTMP query strings and Basic credentials (no `:`), no quoting in logs. */
export const CREDENTIAL_USER_PATTERN = /^[A-Za-z0-9_.@-]{1,64}$/;
/** Path prefixes: the characters a stream name may hold (haproxy-stream-from-path.cfg.mustache), not `/` first. */
const PATH_PREFIX_PATTERN = /^[A-Za-z0-9_.~-][A-Za-z0-9_.~/-]{0,255}$/;
const MAX_USERS = 100;
const MAX_PREFIXES = 32;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export interface SecretContext {
  /** Top-level keys (short form) Pulumi stores as secrets: `tls` after `config set --secret --path tls.key …`. */
  readonly secretKeys: ReadonlySet<string>;
  /** The time certificates are checked against. */
  readonly now: Date;
}

export interface TlsDraft {
  readonly source: "selfSigned" | "provided";
  readonly plain: PlainListeners;
  /** `tls.ca` was given (a provided certificate from a private CA). */
  readonly hasCa: boolean;
}

/** What a secret-bearing value was, without showing it. */
function kindOf(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string") return value === "" ? "an empty string" : "a string";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function setSecretCommand(path: string): string {
  return `pulumi config set --secret --path '${path}' …`;
}

function certificatesIn(pem: string): X509Certificate[] | undefined {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  try {
    return blocks.map((block) => new X509Certificate(block));
  } catch {
    return undefined;
  }
}

function isEncryptedKey(pem: string): boolean {
  return /-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(pem) || /^Proc-Type:\s*4,ENCRYPTED/m.test(pem);
}

function readPrivateKey(problems: Problems, value: unknown): KeyObject | undefined {
  if (typeof value !== "string" || value.trim() === "") {
    problems.add("tls.key", `must be a PEM private key, got ${kindOf(value)}`);
    return undefined;
  }
  if (isEncryptedKey(value)) {
    problems.add(
      "tls.key",
      "must be an unencrypted PEM private key (HAProxy would wait for a passphrase), got an encrypted one",
    );
    return undefined;
  }
  try {
    return createPrivateKey(value);
  } catch {
    problems.add(
      "tls.key",
      "must be a PEM private key (-----BEGIN PRIVATE KEY-----), got text that is not one",
    );
    return undefined;
  }
}

/** `date` as YYYY-MM-DD (UTC). */
function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** A provided certificate chain: PEM, leaf first, valid now, naming publicHost, matching the key. */
function checkProvidedCertificate(
  problems: Problems,
  raw: Readonly<Record<string, unknown>>,
  publicHost: string | undefined,
  now: Date,
): void {
  const { certificate } = raw;
  const chain = typeof certificate === "string" ? certificatesIn(certificate) : undefined;
  const leaf = chain?.[0];
  if (leaf === undefined || chain === undefined) {
    problems.add(
      "tls.certificate",
      `must be a PEM certificate chain, leaf first (-----BEGIN CERTIFICATE-----), got ${
        typeof certificate === "string" && certificate.trim() !== ""
          ? "text that is not one"
          : kindOf(certificate)
      }`,
    );
    readPrivateKey(problems, raw.key);
    return;
  }
  const validTo = new Date(leaf.validTo);
  const validFrom = new Date(leaf.validFrom);
  if (validTo.getTime() <= now.getTime()) {
    problems.add("tls.certificate", `must be valid now, got a certificate that expired on ${day(validTo)}`);
  } else if (validFrom.getTime() > now.getTime()) {
    problems.add("tls.certificate", `must be valid now, got a certificate valid from ${day(validFrom)}`);
  }
  if (publicHost !== undefined) {
    const named = isIPv4(publicHost) ? leaf.checkIP(publicHost) : leaf.checkHost(publicHost);
    if (named === undefined) {
      problems.add(
        "tls.certificate",
        `must name publicHost ${JSON.stringify(publicHost)} (clients check it), got one for ${
          leaf.subjectAltName ?? leaf.subject.replace(/\n/g, ", ")
        }`,
      );
    }
  }
  for (let i = 0; i + 1 < chain.length; i++) {
    const [cert, issuer] = [chain[i], chain[i + 1]];
    if (cert !== undefined && issuer !== undefined && !cert.checkIssued(issuer)) {
      problems.add(
        "tls.certificate",
        `must list each certificate before the one that issued it, got certificate ${i + 2} not issuing certificate ${i + 1}`,
      );
      break;
    }
  }
  const key = readPrivateKey(problems, raw.key);
  if (key !== undefined && !leaf.checkPrivateKey(key)) {
    problems.add("tls.key", "must be the private key of tls.certificate, got a different key");
  }
  if (raw.ca !== undefined) {
    const cas = typeof raw.ca === "string" ? certificatesIn(raw.ca) : undefined;
    const last = chain[chain.length - 1];
    if (cas === undefined || cas.length === 0) {
      problems.add("tls.ca", `must be PEM CA certificates, got ${kindOf(raw.ca)}`);
    } else if (
      last !== undefined &&
      !cas.some((ca) => last.checkIssued(ca) || last.fingerprint256 === ca.fingerprint256)
    ) {
      problems.add("tls.ca", "must hold the CA that issued tls.certificate's chain, got other certificates");
    }
  }
}

/**
 * `tls`: `{selfSigned: true}` or `{certificate, key, ca?}` (secrets), each with `plain?`. Undefined when
 * the key is absent (plain listeners only).
 */
export function readTls(
  problems: Problems,
  value: unknown,
  publicHost: string | undefined,
  ctx: SecretContext,
): TlsDraft | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) {
    // kindOf, not readSection's describe: a PEM pasted at the wrong level must not be shown.
    problems.add(
      "tls",
      `must be an object {selfSigned?, certificate?, key?, ca?, plain?}, got ${kindOf(value)}`,
    );
    return undefined;
  }
  const section = readSection(problems, "tls", value, TLS_KEYS);
  const plain = readOneOf(problems, "tls.plain", section.plain, "off", PLAIN) ?? "off";
  const provided = section.certificate !== undefined || section.key !== undefined;
  if (section.selfSigned !== undefined && section.selfSigned !== true) {
    problems.add(
      "tls.selfSigned",
      `must be true (or left out with certificate and key), got ${kindOf(section.selfSigned)}`,
    );
    return undefined;
  }
  if (section.selfSigned === true) {
    if (provided) {
      problems.add("tls.selfSigned", "must not be combined with tls.certificate and tls.key, got both");
      return undefined;
    }
    if (section.ca !== undefined)
      problems.add("tls.ca", "only applies to a provided certificate, got it with selfSigned");
    return { source: "selfSigned", plain, hasCa: false };
  }
  if (!provided) {
    problems.add("tls", "must set selfSigned: true, or certificate and key (PEM, secrets), got neither");
    return undefined;
  }
  if (section.certificate === undefined) {
    problems.add("tls.certificate", "required with tls.key, got nothing");
    return undefined;
  }
  if (section.key === undefined) {
    problems.add("tls.key", "required with tls.certificate, got nothing");
    return undefined;
  }
  if (!ctx.secretKeys.has("tls")) {
    problems.add(
      "tls.key",
      `must be a Pulumi secret (it is stored in plain text): ${setSecretCommand("tls.key")} < key.pem`,
    );
  }
  checkProvidedCertificate(problems, section, publicHost, ctx.now);
  return { source: "provided", plain, hasCa: section.ca !== undefined };
}

/** Why a password is weak, or undefined. Never shows the password. */
function passwordProblem(password: string, user: string | undefined): string | undefined {
  if (password.length < MIN_PASSWORD_LENGTH) {
    return `must be at least ${MIN_PASSWORD_LENGTH} characters, got ${password.length === 0 ? "an empty one" : `${password.length}`}`;
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    return `must be at most ${MAX_PASSWORD_LENGTH} characters, got ${password.length}`;
  }
  if ([...password].some((ch) => (ch.codePointAt(0) ?? 0) < 0x20 || ch === "\u007f")) {
    return "must not contain control characters, got one that does";
  }
  if (new Set(password).size < MIN_DISTINCT) {
    return `must use at least ${MIN_DISTINCT} different characters, got ${new Set(password).size}`;
  }
  if (user !== undefined && password.toLowerCase().includes(user.toLowerCase())) {
    return "must not contain the user name, got one that does";
  }
  return undefined;
}

function readPrefixes(problems: Problems, path: string, value: unknown): readonly string[] | undefined {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_PREFIXES) {
    problems.add(
      path,
      `must be a list of 1-${MAX_PREFIXES} path-name prefixes (leave it out for every path), got ${kindOf(value)}`,
    );
    return undefined;
  }
  let ok = true;
  value.forEach((prefix, i) => {
    if (typeof prefix !== "string" || !PATH_PREFIX_PATTERN.test(prefix)) {
      problems.add(
        `${path}[${i}]`,
        `must be a path-name prefix matching ${PATH_PREFIX_PATTERN.source}, got ${
          typeof prefix === "string" ? JSON.stringify(prefix.slice(0, 80)) : kindOf(prefix)
        }`,
      );
      ok = false;
    }
  });
  return ok ? [...new Set(value as string[])].sort() : undefined;
}

/**
 * `publishers` / `readers`: `[{user, password, paths?}]`, passwords secret and strong, users unique.
 * Undefined when absent (anyone may); `null` after an error.
 */
export function readCredentials(
  problems: Problems,
  key: "publishers" | "readers",
  value: unknown,
  ctx: SecretContext,
): readonly CredentialUser[] | undefined | null {
  if (value === undefined) return undefined;
  const shape = "{user, password, paths?}";
  if (!Array.isArray(value) || value.length === 0 || value.length > MAX_USERS) {
    problems.add(
      key,
      `must be a list of 1-${MAX_USERS} ${shape} (leave the key out to let anyone ${
        key === "publishers" ? "publish" : "read"
      }), got ${kindOf(value)}`,
    );
    return null;
  }
  const users: CredentialUser[] = [];
  const seen = new Map<string, number>();
  let ok = true;
  let secretReported = false;
  value.forEach((item, index) => {
    const path = `${key}[${index}]`;
    if (!isRecord(item)) {
      problems.add(path, `must be an object ${shape}, got ${kindOf(item)}`);
      ok = false;
      return;
    }
    reportUnknownKeys(problems, `${path}.`, item, CREDENTIAL_KEYS);
    const user =
      typeof item.user === "string" && CREDENTIAL_USER_PATTERN.test(item.user) ? item.user : undefined;
    if (user === undefined) {
      problems.add(
        `${path}.user`,
        `must be a user name matching ${CREDENTIAL_USER_PATTERN.source}, got ${
          typeof item.user === "string" ? JSON.stringify(item.user.slice(0, 80)) : kindOf(item.user)
        }`,
      );
      ok = false;
    } else {
      const first = seen.get(user);
      if (first !== undefined) {
        problems.add(`${path}.user`, `must be unique, got ${JSON.stringify(user)} as in ${key}[${first}]`);
        ok = false;
      } else {
        seen.set(user, index);
      }
    }
    const { password } = item;
    if (typeof password !== "string") {
      problems.add(`${path}.password`, `must be a password (a Pulumi secret), got ${kindOf(password)}`);
      ok = false;
    } else {
      const weak = passwordProblem(password, user);
      if (weak !== undefined) {
        problems.add(`${path}.password`, weak);
        ok = false;
      } else if (!ctx.secretKeys.has(key) && !secretReported) {
        problems.add(
          `${path}.password`,
          `must be a Pulumi secret (it is stored in plain text): ${setSecretCommand(`${path}.password`)}`,
        );
        secretReported = true;
        ok = false;
      }
    }
    const paths = readPrefixes(problems, `${path}.paths`, item.paths);
    if (paths === undefined) ok = false;
    if (user !== undefined && paths !== undefined) users.push({ user, paths });
  });
  return ok ? users.sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0)) : null;
}

/** `limits`: per-address abuse limits, each an integer 0 (off) to 1 000 000. */
export function readLimits(problems: Problems, value: unknown): Partial<LimitsModel> {
  const section = readSection(problems, "limits", value, LIMIT_KEYS);
  const limits: Partial<Record<(typeof LIMIT_KEYS)[number], number>> = {};
  for (const key of LIMIT_KEYS) {
    limits[key] = readInteger(problems, `limits.${key}`, section[key], 0, 1_000_000, LIMIT_DEFAULTS[key]);
  }
  return limits;
}

/** Names and addresses a self-signed certificate covers: publicHost, the bind address, loopback. */
export function selfSignedNames(
  publicHost: string,
  bindAddress: string,
): { readonly dnsNames: readonly string[]; readonly ipAddresses: readonly string[] } {
  const dns = new Set<string>(["localhost"]);
  const ips = new Set<string>(["127.0.0.1"]);
  for (const host of [publicHost, bindAddress]) {
    if (host === "0.0.0.0") continue;
    (isIPv4(host) ? ips : dns).add(host);
  }
  return { dnsNames: [...dns].sort(), ipAddresses: [...ips].sort() };
}
