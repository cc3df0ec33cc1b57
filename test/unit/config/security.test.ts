// The keys that let a stack face the internet (infra/config/security.ts), through validateConfig: one
// error line per mistake, and never the text of a certificate key or password in any line.
// Certificates are made by Debian's openssl in a temporary directory; "now" is injected, so expiry is
// tested by moving the clock, not by waiting.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSecretKeys } from "../../../infra/config/read";
import { type ConfigContext, ConfigError, validateConfig } from "../../../infra/config/validate";

const ONE = [{ name: "a" }];
const SECRET = new Set(["tls", "publishers", "readers"]);
// An hour ahead: openssl dates its certificates from the moment the test makes them.
const NOW = new Date(Date.now() + 3_600_000);
const CTX: ConfigContext = {
  stack: "dev",
  homeDir: "/home/ops",
  statsPasswordSet: true,
  secretKeys: SECRET,
  now: NOW,
};
const STRONG = "correct-horse-battery";
const PREFIX_ALLOWED = "^[A-Za-z0-9_.~-][A-Za-z0-9_.~/-]{0,255}$";

function errorsOf(
  raw: Readonly<Record<string, unknown>>,
  ctx: Partial<ConfigContext> = {},
): readonly string[] {
  try {
    validateConfig({ instances: ONE, ...raw }, { ...CTX, ...ctx });
  } catch (error) {
    if (error instanceof ConfigError) return error.errors;
    throw error;
  }
  throw new Error("expected validateConfig to throw a ConfigError");
}

let dir = "";
const pem: Record<string, string> = {};

function openssl(...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
}

/** A self-signed certificate for `cn` with the given SAN, valid from now for `days`. */
function makeCert(name: string, san: string, days: number, key = `${name}.key`): void {
  openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key);
  openssl(
    "req",
    "-x509",
    "-new",
    "-key",
    key,
    "-out",
    `${name}.crt`,
    "-days",
    String(days),
    "-subj",
    `/CN=${name}`,
    "-addext",
    `subjectAltName=${san}`,
  );
  pem[`${name}.crt`] = readFileSync(join(dir, `${name}.crt`), "utf8");
  pem[key] = readFileSync(join(dir, key), "utf8");
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "mtxlb-security-"));
  makeCert("media", "DNS:media.example.com,IP:127.0.0.1", 400);
  makeCert("other", "DNS:other.example.com", 400);
  makeCert("ip", "IP:10.1.2.3", 400);
  openssl("pkey", "-in", "media.key", "-aes256", "-passout", "pass:secret-pass", "-out", "enc.key");
  pem["enc.key"] = readFileSync(join(dir, "enc.key"), "utf8");
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const provided = (cert: string, key: string, extra: Record<string, unknown> = {}) => ({
  tls: { certificate: pem[cert], key: pem[key], ...extra },
  publicHost: "media.example.com",
  bindAddress: "0.0.0.0",
});

describe("tls", () => {
  it("selfSigned: names publicHost, the bind address and loopback; the CA lives in the gateway dir", () => {
    const model = validateConfig(
      { instances: ONE, tls: { selfSigned: true }, publicHost: "media.example.com", bindAddress: "10.1.2.3" },
      CTX,
    );
    expect(model.tls).toEqual({
      source: "selfSigned",
      plain: "off",
      dnsNames: ["localhost", "media.example.com"],
      ipAddresses: ["10.1.2.3", "127.0.0.1"],
      caFile: "/home/ops/.local/state/mediamtx-lb/dev/haproxy/tls/ca.pem",
    });
    expect(model.endpoints).toEqual({
      rtmps: "rtmps://media.example.com:1936",
      hls: "https://media.example.com:8443",
      webrtc: "https://media.example.com:8444",
      stats: "http://media.example.com:8404/stats",
      metrics: "http://media.example.com:8404/metrics",
    });
    expect(model.local.hls).toBe("https://10.1.2.3:8443");
    expect(model.local.tls).toEqual({ serverName: "media.example.com", caFile: model.tls?.caFile });
  });

  it("plain: on keeps plain RTMP in the endpoints", () => {
    const model = validateConfig({ instances: ONE, tls: { selfSigned: true, plain: "on" } }, CTX);
    expect(model.endpoints.rtmp).toBe("rtmp://127.0.0.1:1935");
    expect(model.endpoints.rtmps).toBe("rtmps://127.0.0.1:1936");
  });

  it("a provided certificate that names publicHost and matches its key is accepted; no CA file", () => {
    const model = validateConfig({ instances: ONE, ...provided("media.crt", "media.key") }, CTX);
    expect(model.tls?.source).toBe("provided");
    expect(model.tls?.caFile).toBeUndefined();
    expect(JSON.stringify(model)).not.toContain("BEGIN");
  });

  it("tls.ca given: the CA file is written and checked", () => {
    const model = validateConfig(
      { instances: ONE, ...provided("media.crt", "media.key", { ca: pem["media.crt"] }) },
      CTX,
    );
    expect(model.tls?.caFile).toMatch(/haproxy\/tls\/ca\.pem$/);
  });

  it("an IP publicHost is checked against the IP SANs", () => {
    expect(() =>
      validateConfig({ instances: ONE, ...provided("ip.crt", "ip.key"), publicHost: "10.1.2.3" }, CTX),
    ).not.toThrow();
  });

  const bad = (): {
    name: string;
    raw: () => Record<string, unknown>;
    ctx?: Partial<ConfigContext>;
    error: string;
  }[] => [
    {
      name: "neither selfSigned nor a certificate",
      raw: () => ({ tls: {} }),
      error: "mediamtx-lb:tls: must set selfSigned: true, or certificate and key (PEM, secrets), got neither",
    },
    {
      name: "selfSigned false",
      raw: () => ({ tls: { selfSigned: "yes" } }),
      error: "mediamtx-lb:tls.selfSigned: must be true (or left out with certificate and key), got a string",
    },
    {
      name: "selfSigned with a certificate",
      raw: () => ({ tls: { selfSigned: true, certificate: pem["media.crt"], key: pem["media.key"] } }),
      error: "mediamtx-lb:tls.selfSigned: must not be combined with tls.certificate and tls.key, got both",
    },
    {
      name: "unknown tls key",
      raw: () => ({ tls: { selfSigned: true, chain: "x" } }),
      error: "mediamtx-lb:tls.chain: unknown key (allowed: ca, certificate, key, plain, selfSigned)",
    },
    {
      name: "bad plain",
      raw: () => ({ tls: { selfSigned: true, plain: "yes" } }),
      error: 'mediamtx-lb:tls.plain: must be one of off, redirect, on, got "yes"',
    },
    {
      name: "certificate without key",
      raw: () => ({ tls: { certificate: pem["media.crt"] } }),
      error: "mediamtx-lb:tls.key: required with tls.certificate, got nothing",
    },
    {
      name: "not PEM",
      raw: () => ({
        ...provided("media.crt", "media.key"),
        tls: { certificate: "hello", key: pem["media.key"] },
      }),
      error:
        "mediamtx-lb:tls.certificate: must be a PEM certificate chain, leaf first (-----BEGIN CERTIFICATE-----), got text that is not one",
    },
    {
      name: "key is not a key",
      raw: () => ({
        ...provided("media.crt", "media.key"),
        tls: { certificate: pem["media.crt"], key: "nope" },
      }),
      error:
        "mediamtx-lb:tls.key: must be a PEM private key (-----BEGIN PRIVATE KEY-----), got text that is not one",
    },
    {
      name: "encrypted key",
      raw: () => provided("media.crt", "enc.key"),
      error:
        "mediamtx-lb:tls.key: must be an unencrypted PEM private key (HAProxy would wait for a passphrase), got an encrypted one",
    },
    {
      name: "key of another certificate",
      raw: () => provided("media.crt", "other.key"),
      error: "mediamtx-lb:tls.key: must be the private key of tls.certificate, got a different key",
    },
    {
      name: "expired",
      raw: () => provided("media.crt", "media.key"),
      ctx: { now: new Date("2040-01-01T00:00:00Z") },
      error: expect.stringMatching(
        /^mediamtx-lb:tls\.certificate: must be valid now, got a certificate that expired on \d{4}-\d{2}-\d{2}$/,
      ) as unknown as string,
    },
    {
      name: "does not name publicHost",
      raw: () => provided("other.crt", "other.key"),
      error:
        'mediamtx-lb:tls.certificate: must name publicHost "media.example.com" (clients check it), got one for DNS:other.example.com',
    },
    {
      name: "not stored as a secret",
      raw: () => provided("media.crt", "media.key"),
      ctx: { secretKeys: new Set() },
      error:
        "mediamtx-lb:tls.key: must be a Pulumi secret (it is stored in plain text): pulumi config set --secret --path 'tls.key' … < key.pem",
    },
    {
      name: "ca that did not issue the certificate",
      raw: () => provided("media.crt", "media.key", { ca: pem["other.crt"] }),
      error:
        "mediamtx-lb:tls.ca: must hold the CA that issued tls.certificate's chain, got other certificates",
    },
    {
      name: "a TLS port on a plain port",
      raw: () => ({ tls: { selfSigned: true, plain: "redirect" }, ports: { hlsTls: 8888 } }),
      error: "mediamtx-lb:ports.hlsTls: must differ from mediamtx-lb:ports.hls, got 8888 for both",
    },
  ];

  it.each(bad().map((c) => [c.name, c] as const))("%s: one line", (_name, c) => {
    const lines = errorsOf(c.raw(), c.ctx);
    expect(lines).toEqual([c.error]);
    // No line shows any part of a PEM body (the second line of each file is base64 of the DER).
    const bodies = Object.values(pem).map((text) => text.split("\n")[1] ?? "");
    for (const line of lines) for (const body of bodies) expect(line).not.toContain(body.slice(0, 20));
  });

  it("plain: off frees the plain ports (TLS ports may reuse nothing else)", () => {
    expect(() =>
      validateConfig(
        { instances: ONE, tls: { selfSigned: true }, ports: { hlsTls: 8888, webrtcTls: 8889 } },
        CTX,
      ),
    ).not.toThrow();
  });
});

describe("publishers and readers", () => {
  it("keeps users and sorted prefixes, never passwords", () => {
    const model = validateConfig(
      {
        instances: ONE,
        publishers: [
          { user: "studio", password: STRONG, paths: ["studio/", "cam/"] },
          { user: "obs", password: "another-strong-one" },
        ],
        readers: [{ user: "viewer", password: "watch-only-2026" }],
      },
      CTX,
    );
    expect(model.auth).toEqual({
      publishers: [
        { user: "obs", paths: [] },
        { user: "studio", paths: ["cam/", "studio/"] },
      ],
      readers: [{ user: "viewer", paths: [] }],
    });
    expect(JSON.stringify(model)).not.toContain(STRONG);
  });

  it("absent: anyone may publish and read", () => {
    expect(validateConfig({ instances: ONE }, CTX).auth).toEqual({
      publishers: undefined,
      readers: undefined,
    });
  });

  const bad: readonly [string, Record<string, unknown>, Partial<ConfigContext>, string][] = [
    [
      "empty list",
      { publishers: [] },
      {},
      "mediamtx-lb:publishers: must be a list of 1-100 {user, password, paths?} (leave the key out to let anyone publish), got a list",
    ],
    [
      "empty password",
      { publishers: [{ user: "obs", password: "" }] },
      {},
      "mediamtx-lb:publishers[0].password: must be at least 12 characters, got an empty one",
    ],
    [
      "short password",
      { publishers: [{ user: "obs", password: "abc123" }] },
      {},
      "mediamtx-lb:publishers[0].password: must be at least 12 characters, got 6",
    ],
    [
      "few distinct characters",
      { publishers: [{ user: "obs", password: "aaaaaaaaaaaabbbb" }] },
      {},
      "mediamtx-lb:publishers[0].password: must use at least 6 different characters, got 2",
    ],
    [
      "password holds the user name",
      { publishers: [{ user: "studio", password: "my-Studio-2026!" }] },
      {},
      "mediamtx-lb:publishers[0].password: must not contain the user name, got one that does",
    ],
    [
      "password missing",
      { readers: [{ user: "v" }] },
      {},
      "mediamtx-lb:readers[0].password: must be a password (a Pulumi secret), got nothing",
    ],
    [
      "unknown user field",
      { publishers: [{ user: "obs", password: STRONG, role: "admin" }] },
      {},
      "mediamtx-lb:publishers[0].role: unknown key (allowed: password, paths, user)",
    ],
    [
      "bad user",
      { publishers: [{ user: "o:bs", password: STRONG }] },
      {},
      'mediamtx-lb:publishers[0].user: must be a user name matching ^[A-Za-z0-9_.@-]{1,64}$, got "o:bs"',
    ],
    [
      "duplicate user",
      {
        publishers: [
          { user: "obs", password: STRONG },
          { user: "obs", password: "another-strong-one" },
        ],
      },
      {},
      'mediamtx-lb:publishers[1].user: must be unique, got "obs" as in publishers[0]',
    ],
    [
      "bad prefix",
      { publishers: [{ user: "obs", password: STRONG, paths: ["/cam"] }] },
      {},
      `mediamtx-lb:publishers[0].paths[0]: must be a path-name prefix matching ${PREFIX_ALLOWED}, got "/cam"`,
    ],
    [
      "empty prefix list",
      { publishers: [{ user: "obs", password: STRONG, paths: [] }] },
      {},
      "mediamtx-lb:publishers[0].paths: must be a list of 1-32 path-name prefixes (leave it out for every path), got a list",
    ],
    [
      "not a secret",
      { publishers: [{ user: "obs", password: STRONG }] },
      { secretKeys: new Set() },
      "mediamtx-lb:publishers[0].password: must be a Pulumi secret (it is stored in plain text): pulumi config set --secret --path 'publishers[0].password' …",
    ],
  ];

  it.each(bad)("%s: one line, no password in it", (_name, raw, ctx, error) => {
    const lines = errorsOf(raw, ctx);
    expect(lines).toEqual([error]);
    for (const line of lines) expect(line).not.toContain(STRONG);
  });
});

describe("limits", () => {
  it("defaults far above one player; 0 turns a limit off", () => {
    expect(validateConfig({ instances: ONE, limits: { httpRequestRate: 0 } }, CTX).limits).toEqual({
      httpRequestRate: 0,
      httpConnections: 500,
      rtmpConnections: 20,
      rtmpConnectionRate: 60,
    });
  });

  it.each([
    [
      { limits: { httpRequestRate: -1 } },
      "mediamtx-lb:limits.httpRequestRate: must be an integer 0-1000000, got -1",
    ],
    [
      { limits: { burst: 5 } },
      "mediamtx-lb:limits.burst: unknown key (allowed: httpConnections, httpRequestRate, rtmpConnectionRate, rtmpConnections)",
    ],
  ])("%j: one line", (raw, error) => {
    expect(errorsOf(raw)).toEqual([error]);
  });
});

describe("parseSecretKeys", () => {
  it.each([
    [undefined, undefined],
    ["not json", undefined],
    ['{"a":1}', undefined],
    ['["mediamtx-lb:tls","other:x","mediamtx-lb:statsPassword"]', new Set(["tls", "statsPassword"])],
  ])("%j", (text, expected) => {
    expect(parseSecretKeys(text)).toEqual(expected);
  });
});
