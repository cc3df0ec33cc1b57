// Certificates for `tls.selfSigned`: an ECDSA P-256 CA and a server certificate it signs, as PEM text.
// @peculiar/x509 builds them offline from WebCrypto keys (node:crypto can verify certificates but not
// issue them, and the openssl CLI is not on every deploying host).
// Self-contained: the dynamic provider (provider.ts) is serialized into the state, so modules are
// required inside each function and nothing refers to module-level values but functions.
//
// Coupling: HAProxy's `crt` file (TLS_CERT_FILE) is certPem, then keyPem (render via serverPemFile).

import type * as X509 from "@peculiar/x509";

/** A CA that can sign: its certificate and PKCS#8 key, PEM. */
export interface CertificateAuthority {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface ServerCertificate {
  /** The leaf, PEM, with a trailing newline. */
  readonly certPem: string;
  /** Its PKCS#8 key (`BEGIN PRIVATE KEY`), PEM. */
  readonly keyPem: string;
  /** ISO time the leaf stops being valid. */
  readonly notAfter: string;
}

export interface ServerNames {
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
}

type X509Crypto = NonNullable<Parameters<typeof X509.X509CertificateGenerator.create>[1]>;
type KeyPair = Parameters<typeof X509.X509CertificateGenerator.createSelfSigned>[0]["keys"];

/** @peculiar/x509 with node's WebCrypto; reflect-metadata must load first (tsyringe needs it at require time). */
function x509Lib(): { x509: typeof X509; crypto: X509Crypto } {
  require("reflect-metadata");
  const x509 = require("@peculiar/x509") as typeof X509;
  const { webcrypto } = require("node:crypto") as typeof import("node:crypto");
  // x509 declares WebCrypto with its own DOM-style types, which differ slightly from node's.
  const crypto = webcrypto as unknown as X509Crypto;
  x509.cryptoProvider.set(crypto);
  return { x509, crypto };
}

const EC_PARAMS = () => ({ name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" });

function newKeys(crypto: X509Crypto): Promise<KeyPair> {
  return crypto.subtle.generateKey(EC_PARAMS(), true, ["sign", "verify"]) as Promise<KeyPair>;
}

/** A positive random serial (RFC 5280: unique per CA, at most 20 octets). */
function serial(): string {
  const { randomBytes } = require("node:crypto") as typeof import("node:crypto");
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x01;
  return bytes.toString("hex");
}

function pkcs8Pem(key: CryptoKeyLike): string {
  const { KeyObject } = require("node:crypto") as typeof import("node:crypto");
  return KeyObject.from(key as unknown as import("node:crypto").webcrypto.CryptoKey).export({
    type: "pkcs8",
    format: "pem",
  }) as string;
}
type CryptoKeyLike = KeyPair["privateKey"];

/** Validity starts a few minutes back so a client whose clock is slightly behind accepts it at once. */
function validity(now: number, days: number): { notBefore: Date; notAfter: Date } {
  return { notBefore: new Date(now - 5 * 60_000), notAfter: new Date(now + days * 86_400_000) };
}

/** A CA (basicConstraints CA:TRUE, pathlen 0; keyCertSign) valid `days` (default 10 years). */
export async function createCertificateAuthority(
  commonName: string,
  opts: { readonly now?: number; readonly days?: number } = {},
): Promise<CertificateAuthority> {
  const { x509, crypto } = x509Lib();
  const keys = await newKeys(crypto);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: new x509.Name([{ CN: [commonName] }]).toString(),
    ...validity(opts.now ?? Date.now(), opts.days ?? 3650),
    keys,
    signingAlgorithm: EC_PARAMS(),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: `${cert.toString("pem")}\n`, keyPem: pkcs8Pem(keys.privateKey) };
}

/**
 * A server certificate signed by `ca` for `names` (serverAuth, digitalSignature), valid `days` (default
 * 825, the longest validity browsers have accepted for a TLS leaf). The subject CN is the first name.
 */
export async function issueServerCertificate(
  ca: CertificateAuthority,
  names: ServerNames,
  opts: { readonly now?: number; readonly days?: number } = {},
): Promise<ServerCertificate> {
  const { x509, crypto } = x509Lib();
  const first = names.dnsNames[0] ?? names.ipAddresses[0];
  if (first === undefined) throw new Error("issueServerCertificate: no DNS name or IP address given");
  const caCert = new x509.X509Certificate(ca.certPem);
  const { createPrivateKey } = require("node:crypto") as typeof import("node:crypto");
  const caKey = (await crypto.subtle.importKey(
    "pkcs8",
    createPrivateKey(ca.keyPem).export({ type: "pkcs8", format: "der" }),
    EC_PARAMS(),
    false,
    ["sign"],
  )) as CryptoKeyLike;
  const keys = await newKeys(crypto);
  const { notBefore, notAfter } = validity(opts.now ?? Date.now(), opts.days ?? 825);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: new x509.Name([{ CN: [first] }]).toString(),
    issuer: caCert.subject,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: EC_PARAMS(),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...names.dnsNames.map((value) => ({ type: "dns" as const, value })),
        ...names.ipAddresses.map((value) => ({ type: "ip" as const, value })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return {
    certPem: `${cert.toString("pem")}\n`,
    keyPem: pkcs8Pem(keys.privateKey),
    notAfter: notAfter.toISOString(),
  };
}

/** HAProxy's `crt` file: the certificate (chain) first, then the key; each block ends in a newline. */
export function serverPemFile(certChainPem: string, keyPem: string): string {
  const line = (pem: string) => (pem.endsWith("\n") ? pem : `${pem}\n`);
  return `${line(certChainPem)}${line(keyPem)}`;
}
