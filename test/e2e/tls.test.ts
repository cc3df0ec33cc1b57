// TLS at the gateway in a real stack (`pulumi up` on Docker), bound on a non-loopback address of this
// machine, as a stack facing the internet would be. The address sits on an empty bridge the test creates
// (a dummy interface would do, but this kernel has no dummy module); local traffic to it never leaves
// the host.
// - the stack's own CA and certificate (tls.selfSigned), the plain ports answering 308 to HTTPS;
// - Chromium trusting that CA plays HLS and WebRTC over HTTPS and publishes its fake camera over WHIP
//   (a secure context on an address that is not loopback, which getUserMedia requires);
// - a switch to a provided certificate, then a rotation to another one under HLS load over HTTPS:
//   no failed request, no container replaced, the new certificate served afterwards.
// One stack for every case, to keep the run short.

import { execFile, execFileSync, spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect } from "node:tls";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type CertificateAuthority,
  createCertificateAuthority,
  issueServerCertificate,
  type ServerCertificate,
} from "../../infra/providers/self-signed/generate";
import { localImages } from "../../scripts/lib/versions";
import { Chromium, chromiumAvailable } from "../support/chromium";
import { HlsPlayer, isAnswered } from "../support/hls-player";
import { getPath } from "../support/instance-api";
import { eventually, publishRtmp, stopProcess } from "../support/publisher";
import { docker, pulumi, removeLeftoverE2eObjects, TestStack } from "../support/stack";
import { runStatus, statusReport } from "../support/status-cli";
import { fetchTrusting } from "../support/tls-fetch";

const IFACE_PREFIX = "mtxlbtls";
const IFACE = `${IFACE_PREFIX}0`;
const ADDRESS = "10.254.77.1";
const ports = {
  rtmp: 26935,
  hls: 26888,
  webrtc: 26889,
  iceTcpBase: 26189,
  stats: 26404,
  rtmps: 26936,
  hlsTls: 26443,
  webrtcTls: 26444,
};
const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Removes every interface an earlier run of this file left (by name prefix). */
function removeInterfaces(): void {
  const links = spawnSync("ip", ["-o", "link", "show"], { encoding: "utf8" }).stdout ?? "";
  for (const name of links.matchAll(/^\d+: ([^:@]+)/gm)) {
    if (name[1]?.startsWith(IFACE_PREFIX)) spawnSync("ip", ["link", "del", name[1]]);
  }
}

/** The certificate a TLS listener serves, checked against `ca` and the address. */
function servedCertificate(port: number, ca: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: ADDRESS, port, ca, timeout: 5000 }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      resolve(new X509Certificate(raw));
    });
    socket.once("error", reject);
    socket.once("timeout", () => socket.destroy(new Error("timeout")));
  });
}

async function curl(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run("curl", ["-sS", "--max-time", "10", ...args]);
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

describe("TLS at the gateway (real stack)", () => {
  let stack: TestStack;
  let testCa: CertificateAuthority;
  let certA: ServerCertificate;
  let certB: ServerCertificate;
  const base = {
    images: localImages(),
    instances: [
      { name: "mtx-1", weight: 1 },
      { name: "mtx-2", weight: 1 },
    ],
    bindAddress: ADDRESS,
    publicHost: ADDRESS,
    ports,
    subnet: "10.213.226.0/24",
    hostDir: `/tmp/mediamtx-lb-e2e/tls-${process.pid}`,
    health: { interval: "1s", timeout: "500ms", fall: 2, rise: 1 },
    routing: { pollInterval: "1s" },
  };
  const caFile = () => stack.model.gateway.caFile;
  const ca = () => readFileSync(caFile(), "utf8");
  const hlsUrl = (stream: string) => `https://${ADDRESS}:${ports.hlsTls}/${stream}`;
  const webrtcUrl = (stream: string) => `https://${ADDRESS}:${ports.webrtcTls}/${stream}`;
  const rtmps = (stream: string) => `rtmps://${ADDRESS}:${ports.rtmps}/${stream}`;
  const containerIds = async () =>
    docker([
      "inspect",
      "-f",
      "{{.Name}} {{.Id}}",
      stack.model.gateway.containerName,
      ...stack.model.instances.map((i) => i.containerName),
    ]);
  const replaceCount = async () => {
    const r = await pulumi(["preview", "--stack", stack.name, "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { steps: { op: string; urn: string }[] };
    return out.steps.filter((s) => s.op === "replace" && s.urn.includes("docker:index/container")).length;
  };
  /** Sets `tls` to a provided certificate, as an operator would: secrets through `config set --secret`. */
  const provide = async (cert: ServerCertificate) => {
    stack.writeConfig({ ...base });
    for (const [key, value] of [
      ["tls.certificate", cert.certPem],
      ["tls.key", cert.keyPem],
      ["tls.ca", testCa.certPem],
    ] as const) {
      const r = await pulumi([
        "config",
        "set",
        "--stack",
        stack.name,
        "--path",
        "--secret",
        "--",
        key,
        value,
      ]);
      expect(r.code, r.stderr).toBe(0);
    }
    const r = await pulumi(["config", "set", "--stack", stack.name, "--path", "--", "tls.plain", "redirect"]);
    expect(r.code, r.stderr).toBe(0);
  };

  beforeAll(async () => {
    removeInterfaces();
    execFileSync("ip", ["link", "add", IFACE, "type", "bridge"]);
    execFileSync("ip", ["addr", "add", `${ADDRESS}/32`, "dev", IFACE]);
    execFileSync("ip", ["link", "set", IFACE, "up"]);
    await removeLeftoverE2eObjects("e2e-tls-");
    testCa = await createCertificateAuthority("mediamtx-lb e2e operator CA");
    const names = { dnsNames: [], ipAddresses: [ADDRESS] };
    [certA, certB] = [
      await issueServerCertificate(testCa, names),
      await issueServerCertificate(testCa, names),
    ];
    stack = new TestStack("tls", { ...base, tls: { selfSigned: true, plain: "redirect" } });
    await stack.init();
  });

  afterAll(async () => {
    await stack?.destroy();
    removeInterfaces();
  });

  it("comes up with its own CA: https and rtmps endpoints, output tls, smoke checks over HTTPS", async () => {
    const t0 = Date.now();
    const r = await stack.up();
    expect(r.code, r.stderr + r.stdout).toBe(0);
    console.log(`tls e2e: first up ${Date.now() - t0} ms`);
    const out = await stack.outputs();
    expect(out.endpoints).toMatchObject({
      rtmps: `rtmps://${ADDRESS}:${ports.rtmps}`,
      hls: `https://${ADDRESS}:${ports.hlsTls}`,
      webrtc: `https://${ADDRESS}:${ports.webrtcTls}`,
    });
    expect(out.endpoints).not.toHaveProperty("rtmp");
    expect(out.tls).toEqual({ caFile: caFile(), source: "selfSigned" });
    const caCert = new X509Certificate(ca());
    expect(caCert.ca).toBe(true);
    const served = await servedCertificate(ports.hlsTls, ca());
    expect(served.checkIssued(caCert)).toBe(true);
    expect(served.checkIP(ADDRESS)).toBe(ADDRESS);
  });

  it("scripts/status shows the served certificate, trusted through the stack's CA", async () => {
    const report = await statusReport(stack.name);
    expect(report.tls).toMatchObject({
      endpoint: `${ADDRESS}:${ports.hlsTls}`,
      untrusted: null,
      error: null,
    });
    expect(report.tls?.subjectAltName).toContain(`IP Address:${ADDRESS}`);
    expect(report.tls?.daysLeft).toBeGreaterThanOrEqual(824);
    expect(report.problems.filter((p) => p.startsWith("tls:"))).toEqual([]);
    const text = await runStatus([stack.name]);
    expect(text.stdout).toMatch(/^tls {6}10\.254\.77\.1:26443 · .* \(82[45] days\) · trusted$/m);
  });

  it("answers 308 to HTTPS on the plain ports; curl verifies with the stack's CA and fails without it", async () => {
    for (const [plain, secure] of [
      [ports.hls, ports.hlsTls],
      [ports.webrtc, ports.webrtcTls],
    ] as const) {
      const r = await curl(["-i", `http://${ADDRESS}:${plain}/cam/x/index.m3u8?a=1`]);
      expect(r.out).toMatch(/^HTTP\/1\.1 308/);
      expect(r.out).toContain(`location: https://${ADDRESS}:${secure}/cam/x/index.m3u8?a=1`);
    }
    const ok = await curl([
      "--cacert",
      caFile(),
      "-o",
      "/dev/null",
      "-w",
      "%{http_code} %{http_version}",
      `${hlsUrl("nothing")}/index.m3u8`,
    ]);
    expect(ok.code, ok.out).toBe(0);
    // MediaMTX's cookie check (302) or its 404: the request reached an instance, over HTTP/2 (ALPN).
    expect(ok.out).toMatch(/^(302|404) 2$/);
    const untrusted = await curl(["-o", "/dev/null", `${hlsUrl("nothing")}/index.m3u8`]);
    expect(untrusted.code).toBe(60);
    // No plain RTMP with plain: redirect.
    const rtmpPlain = await curl(["--connect-timeout", "2", `telnet://${ADDRESS}:${ports.rtmp}`]);
    expect(rtmpPlain.code).toBe(7);
  });

  // Outside CI a developer may lack Debian's chromium and libnss3-tools (certutil); in CI they must exist.
  it.skipIf(!chromiumAvailable() && process.env.CI !== "true")(
    "Chromium trusting the CA plays HLS and WebRTC over HTTPS and publishes over WHIP",
    async () => {
      const publisher = publishRtmp(rtmps("tls/cam"));
      const browser = Chromium.launch(ca());
      try {
        await eventually("the RTMPS stream plays over HTTPS", async () => {
          const res = await fetchTrusting(ca())(`${hlsUrl("tls/cam")}/index.m3u8`, { redirect: "manual" });
          return res.status < 500 ? true : undefined;
        });
        const playing = (session: string, what: string) =>
          eventually(`${what} plays`, async () => {
            const t = await browser.evaluate<number>(
              session,
              "document.querySelector('video')?.currentTime ?? 0",
            );
            return t > 2 ? t : undefined;
          });
        const hls = await browser.open(`${hlsUrl("tls/cam")}/`);
        console.log(`tls e2e: Chromium HLS currentTime ${await playing(hls, "HLS")}`);
        const whep = await browser.open(`${webrtcUrl("tls/cam")}/`);
        console.log(`tls e2e: Chromium WebRTC currentTime ${await playing(whep, "WebRTC")}`);

        const whip = await browser.open(`${webrtcUrl("tls/browser")}/publish`);
        expect(await browser.evaluate<boolean>(whip, "window.isSecureContext")).toBe(true);
        // The page attaches the button's handler only after it listed the devices (its message goes from
        // "loading devices" back to empty); a click that starts publishing says "connecting". VP8 at
        // 640x360: the page's default (AV1, 1080p, 10 Mbit/s) is more than software encoding on a
        // two-core runner sends in a few seconds.
        const clicked = `(() => {
          const message = document.getElementById("message");
          const button = document.getElementById("publish-button");
          const codec = document.getElementById("video-codec");
          if (!message || !button || !codec || message.innerText !== "" || codec.options.length === 0) return "";
          for (const o of codec.options) if (o.text === "VP8") codec.value = o.value;
          document.getElementById("video-width").value = "640";
          document.getElementById("video-height").value = "360";
          document.getElementById("video-bitrate").value = "1000";
          button.click();
          return message.innerText;
        })()`;
        await eventually("the publish button to start publishing", async () =>
          (await browser.evaluate<string>(whip, clicked)) !== "" ? true : undefined,
        );
        // The browser's camera reaches an instance over WebRTC (WHIP through HAProxy's HTTPS listener,
        // media over ICE-TCP) and keeps flowing; the browser's codecs need not be ones HLS can mux.
        const instances = stack.model.instances.map((i) => ({
          name: i.name,
          apiUrl: `http://${i.address}:9997`,
        }));
        const publishing = async () => {
          for (const i of instances) {
            const p = await getPath(i, "tls/browser");
            if (p?.ready && p.sourceType === "webRTCSession") return p.bytesReceived;
          }
          return undefined;
        };
        const first = await eventually("the browser's WHIP session on an instance", publishing).catch(
          async (err) => {
            const page = await browser.evaluate<string>(whip, "document.body.innerText").catch(() => "?");
            throw new Error(`${(err as Error).message}; publish page says: ${page}`);
          },
        );
        // Video, not only signalling: at least 50 kB more within the wait.
        const later = await eventually("more media from the browser", async () => {
          const bytes = await publishing();
          return bytes !== undefined && bytes > first + 50_000 ? bytes : undefined;
        });
        console.log(`tls e2e: Chromium WHIP publish: ${first} → ${later} bytes received`);
        // And it plays back in the browser over WHEP on the HTTPS port.
        const back = await browser.open(`${webrtcUrl("tls/browser")}/`);
        console.log(
          `tls e2e: Chromium plays its own WHIP stream: currentTime ${await playing(back, "WHIP → WHEP")}`,
        );
      } finally {
        await browser.close();
        await stopProcess(publisher);
      }
    },
  );

  it("switches to a provided certificate, then rotates it under HTTPS load: no failure, no replacement", async () => {
    const before = await containerIds();
    await provide(certA);
    expect(await replaceCount()).toBe(0);
    const toA = await stack.up();
    expect(toA.code, toA.stderr + toA.stdout).toBe(0);
    expect((await servedCertificate(ports.hlsTls, testCa.certPem)).fingerprint256).toBe(
      new X509Certificate(certA.certPem).fingerprint256,
    );
    expect(ca()).toBe(testCa.certPem);

    const publisher = publishRtmp(rtmps("tls/load"));
    const player = new HlsPlayer(`${hlsUrl("tls/load")}/index.m3u8`, {
      cookies: true,
      retryDelayMs: 100,
      fetch: fetchTrusting(testCa.certPem),
    });
    try {
      await eventually("the RTMPS stream plays over HTTPS", async () => {
        const p = new HlsPlayer(`${hlsUrl("tls/load")}/index.m3u8`, {
          cookies: true,
          fetch: fetchTrusting(testCa.certPem),
        });
        await p.playFor(2000);
        return p.mediaBytes > 0 && p.requests.every((q) => isAnswered(q.status)) ? true : undefined;
      });
      player.start();
      await sleep(3000);
      await provide(certB);
      expect(await replaceCount()).toBe(0);
      const t0 = Date.now();
      const toB = await stack.up();
      console.log(`tls e2e: rotation up ${Date.now() - t0} ms`);
      expect(toB.code, toB.stderr + toB.stdout).toBe(0);
      await sleep(5000);
    } finally {
      await player.stop();
      await stopProcess(publisher);
    }
    const failed = player.requests.filter((q) => !isAnswered(q.status));
    console.log(
      `tls e2e: rotation under load: ${player.requests.length} requests, ${failed.length} failed, ${player.mediaBytes} media bytes`,
    );
    expect(player.requests.length).toBeGreaterThan(20);
    expect(failed).toEqual([]);
    expect((await servedCertificate(ports.hlsTls, testCa.certPem)).fingerprint256).toBe(
      new X509Certificate(certB.certPem).fingerprint256,
    );
    expect((await servedCertificate(ports.rtmps, testCa.certPem)).fingerprint256).toBe(
      new X509Certificate(certB.certPem).fingerprint256,
    );
    expect(await containerIds()).toBe(before);
  });
});
