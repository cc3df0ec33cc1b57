import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { httpRequest } from "../../../infra/lib/http-request";
import {
  type CertificateAuthority,
  createCertificateAuthority,
  issueServerCertificate,
} from "../../../infra/providers/self-signed/generate";

// A real HTTPS server on loopback with a certificate that names stream.example.test only: the gateway's
// situation, dialled at an address its certificate does not name.
describe("httpRequest over TLS", () => {
  let server: Server;
  let ca: CertificateAuthority;
  let other: CertificateAuthority;
  let url = "";
  beforeAll(async () => {
    ca = await createCertificateAuthority("test CA");
    other = await createCertificateAuthority("other CA");
    const leaf = await issueServerCertificate(ca, { dnsNames: ["stream.example.test"], ipAddresses: [] });
    server = createServer({ cert: leaf.certPem, key: leaf.keyPem }, (req, res) => {
      res.writeHead(200, { "set-cookie": ["a=1", "b=2"] }).end(`${req.method} ${req.url}`);
    });
    await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  it("checks the certificate against the server name, not the dialled address", async () => {
    const r = await httpRequest(`${url}/x?y=1`, {
      timeoutMs: 2000,
      tls: { serverName: "stream.example.test", ca: ca.certPem },
    });
    expect([r.status, r.body, r.headers["set-cookie"]]).toEqual([200, "GET /x?y=1", ["a=1", "b=2"]]);
  });

  it("refuses a certificate for another name", async () => {
    await expect(
      httpRequest(url, { timeoutMs: 2000, tls: { serverName: "other.example.test", ca: ca.certPem } }),
    ).rejects.toThrow(/other\.example\.test/);
  });

  it("refuses a certificate from another CA", async () => {
    await expect(
      httpRequest(url, { timeoutMs: 2000, tls: { serverName: "stream.example.test", ca: other.certPem } }),
    ).rejects.toThrow(/certificate/i);
  });

  it("refuses an https URL without a TLS setting", async () => {
    await expect(httpRequest(url, { timeoutMs: 2000 })).rejects.toThrow("needs a TLS setting");
  });
});
