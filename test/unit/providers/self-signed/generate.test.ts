import { createPrivateKey, X509Certificate } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type CertificateAuthority,
  createCertificateAuthority,
  issueServerCertificate,
  type ServerCertificate,
  serverPemFile,
} from "../../../../infra/providers/self-signed/generate";

const DAY = 86_400_000;
const NOW = Date.parse("2026-12-01T12:00:00Z");

describe("self-signed certificate generator", () => {
  let ca: CertificateAuthority;
  let leaf: ServerCertificate;
  beforeAll(async () => {
    ca = await createCertificateAuthority("mediamtx-lb t CA", { now: NOW });
    leaf = await issueServerCertificate(
      ca,
      { dnsNames: ["stream.example.test", "localhost"], ipAddresses: ["127.0.0.1", "::1"] },
      { now: NOW },
    );
  });

  it("makes a CA valid for ten years", () => {
    const cert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe("CN=mediamtx-lb t CA");
    expect(cert.checkIssued(cert)).toBe(true);
    expect(Date.parse(cert.validTo) - NOW).toBeGreaterThan(3649 * DAY);
    expect(cert.checkPrivateKey(createPrivateKey(ca.keyPem))).toBe(true);
  });

  it("issues a P-256 server certificate for exactly the names and addresses, signed by the CA", () => {
    const cert = new X509Certificate(leaf.certPem);
    const caCert = new X509Certificate(ca.certPem);
    expect(cert.ca).toBe(false);
    expect(cert.subject).toBe("CN=stream.example.test");
    expect(cert.subjectAltName).toBe(
      "DNS:stream.example.test, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1",
    );
    expect(cert.checkHost("stream.example.test")).toBe("stream.example.test");
    expect(cert.checkHost("other.example.test")).toBeUndefined();
    expect(cert.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(cert.checkIP("10.0.0.1")).toBeUndefined();
    expect(cert.checkIssued(caCert)).toBe(true);
    expect(cert.verify(caCert.publicKey)).toBe(true);
    // node's X509Certificate.keyUsage lists the extended key usages: serverAuth only.
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]);
    expect(cert.publicKey.asymmetricKeyDetails).toEqual({ namedCurve: "prime256v1" });
  });

  it("returns the leaf's own key, unencrypted PKCS#8", () => {
    const cert = new X509Certificate(leaf.certPem);
    expect(leaf.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(cert.checkPrivateKey(createPrivateKey(leaf.keyPem))).toBe(true);
    expect(cert.checkPrivateKey(createPrivateKey(ca.keyPem))).toBe(false);
  });

  it("makes the leaf valid for 825 days from now, starting a few minutes back", () => {
    const cert = new X509Certificate(leaf.certPem);
    expect(Date.parse(cert.validTo)).toBe(NOW + 825 * DAY);
    expect(leaf.notAfter).toBe(new Date(NOW + 825 * DAY).toISOString());
    expect(Date.parse(cert.validFrom)).toBeLessThan(NOW);
  });

  it("gives each certificate its own key and serial", async () => {
    const other = await issueServerCertificate(ca, { dnsNames: [], ipAddresses: ["10.0.0.1"] });
    const a = new X509Certificate(leaf.certPem);
    const b = new X509Certificate(other.certPem);
    expect(b.subject).toBe("CN=10.0.0.1");
    expect(b.serialNumber).not.toBe(a.serialNumber);
    expect(other.keyPem).not.toBe(leaf.keyPem);
  });

  it("refuses a certificate without names", async () => {
    await expect(issueServerCertificate(ca, { dnsNames: [], ipAddresses: [] })).rejects.toThrow(
      "no DNS name or IP address",
    );
  });

  it("writes HAProxy's crt file as certificate, then key", () => {
    const file = serverPemFile(leaf.certPem, leaf.keyPem);
    expect(file.indexOf("BEGIN CERTIFICATE")).toBeLessThan(file.indexOf("BEGIN PRIVATE KEY"));
    expect(file.endsWith("-----END PRIVATE KEY-----\n")).toBe(true);
    expect(serverPemFile("a", "b")).toBe("a\nb\n");
  });
});
