// Publish and read credentials in a real stack (`pulumi up` on Docker, the local HAProxy 3.0 image):
// `publishers` and `readers` set the way the docs say, passwords as Pulumi secrets. Proves what the
// fast lane (test/fast/publish-hook.test.ts, host HAProxy 2.6) cannot: the secret config reaches the
// gateway as the secret file credentials.lua (salted hashes; nothing in the state in the clear), the
// 3.0 image's sha2/hex converters, and RTMP/WHIP/HLS clients through the stack's frontends.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialSalt, hashPassword } from "../../infra/render/credentials";
import { CREDENTIALS_LUA, inHaproxyDir } from "../../infra/render/paths";
import { localImages } from "../../scripts/lib/versions";
import { ownersOf, waitGone, waitReady } from "../support/instance-api";
import { eventually, publishRtmp, stopProcess } from "../support/publisher";
import type { ClusterInstance } from "../support/routing-scenarios";
import { docker, pulumi, REPO_ROOT, removeLeftoverE2eObjects, TestStack } from "../support/stack";
import { basicAuthorization, WhipPublisher } from "../support/webrtc";

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
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const ALICE = { user: "alice", password: "Tr0ub4dor-and-3x" };
const VIEWER = { user: "viewer", password: "Quiet-River-1234" };

/** ffmpeg's exit code, or "still running" after `ms`. */
function exitWithin(p: ReturnType<typeof publishRtmp>, ms: number): Promise<number | null | "still running"> {
  if (p.exitCode !== null) return Promise.resolve(p.exitCode);
  return Promise.race([
    new Promise<number | null>((resolve) => p.once("exit", (code) => resolve(code))),
    sleep(ms).then(() => "still running" as const),
  ]);
}

describe("publishers and readers (real stack)", () => {
  let stack: TestStack;
  const config = {
    images: localImages(),
    instances: [
      { name: "mtx-1", weight: 1 },
      { name: "mtx-2", weight: 1 },
    ],
    ports,
    subnet: "10.213.226.0/24",
    hostDir: `/tmp/mediamtx-lb-e2e/cred-${process.pid}`,
    health: { interval: "1s", timeout: "500ms", fall: 2, rise: 1 },
    routing: { pollInterval: "1s" },
    // TLS with the plain listeners kept: RTMPS publishes are checked like RTMP ones, and the other cases
    // use the plain ports (plainHls/plainWebrtc below).
    tls: { selfSigned: true, plain: "on" },
  };
  const plainHls = `http://127.0.0.1:${ports.hls}`;
  const plainWebrtc = `http://127.0.0.1:${ports.webrtc}`;
  const instances = (): ClusterInstance[] =>
    stack.model.instances.map((i) => ({
      name: i.name,
      weight: i.weight,
      iceTcpPort: i.iceTcpPort,
      apiUrl: `http://${i.address}:9997`,
    }));
  const rtmp = (stream: string, creds?: { user: string; password: string }) =>
    `rtmp://127.0.0.1:${ports.rtmp}/${stream}` +
    (creds ? `?user=${encodeURIComponent(creds.user)}&pass=${encodeURIComponent(creds.password)}` : "");
  const gatewayLogs = () => docker(["logs", stack.model.logSink.containerName]).catch(() => "");
  const instanceLogs = async () =>
    (
      await Promise.all(
        stack.model.instances.map((i) =>
          docker(["logs", i.containerName]).catch(
            (err: { stdout?: string; stderr?: string }) => `${err.stdout ?? ""}${err.stderr ?? ""}`,
          ),
        ),
      )
    ).join("\n");

  beforeAll(async () => {
    await removeLeftoverE2eObjects();
    stack = new TestStack("cred", config);
    await stack.init();
    // As docs/operations.md says: the user in the clear, the password as a secret.
    await stack.setConfig("publishers[0].user", ALICE.user);
    await stack.setConfig("publishers[0].password", ALICE.password, { secret: true });
    await stack.setConfig("publishers[0].paths[0]", "cam/");
    await stack.setConfig("readers[0].user", VIEWER.user);
    await stack.setConfig("readers[0].password", VIEWER.password, { secret: true });
  }, 120_000);

  afterAll(async () => {
    await stack?.destroy();
  });

  it("comes up with the passwords only as secrets: hashes in credentials.lua, nothing in the clear", async () => {
    const r = await stack.up();
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const stackFile = readFileSync(join(REPO_ROOT, `Pulumi.${stack.name}.yaml`), "utf8");
    expect(stackFile).not.toContain(ALICE.password);
    const hash = hashPassword(credentialSalt(stack.name, ALICE.user), ALICE.password);
    const onDisk = readFileSync(join(stack.model.gateway.configDir, inHaproxyDir(CREDENTIALS_LUA)), "utf8");
    expect(onDisk).toContain(hash);
    expect(onDisk).not.toContain(ALICE.password);
    const exported = await pulumi(["stack", "export", "--stack", stack.name]);
    expect(exported.code).toBe(0);
    expect(exported.stdout).not.toContain(ALICE.password);
    expect(exported.stdout, "the state holds credentials.lua only encrypted").not.toContain(hash);
    // Deterministic salts: the same config renders the same file, so a preview has nothing to do.
    const preview = await stack.preview(["--expect-no-changes"]);
    expect(preview.code, preview.stderr + preview.stdout).toBe(0);
  }, 600_000);

  it("RTMP: the right password publishes; none or a wrong one is refused and logged", async () => {
    const good = publishRtmp(rtmp("cam/ok", ALICE));
    const none = publishRtmp(rtmp("cam/none"));
    const wrong = publishRtmp(rtmp("cam/wrong", { user: ALICE.user, password: "Wrong-Pass-123" }));
    try {
      await waitReady(instances(), "cam/ok", 30_000);
      // Track detection (~2 s), the hook, then MediaMTX's 0-4 s pause before it closes.
      const [noneCode, wrongCode] = await Promise.all([exitWithin(none, 20_000), exitWithin(wrong, 20_000)]);
      expect(noneCode, "no credentials refused").not.toBe("still running");
      expect(wrongCode, "wrong password refused").not.toBe("still running");
      expect(good.exitCode, "the right publisher still runs").toBeNull();
      expect(await ownersOf(instances(), "cam/none")).toEqual([]);
      expect(await ownersOf(instances(), "cam/wrong")).toEqual([]);
      const logs = await eventually("both refusals in the gateway log", async () => {
        const text = await gatewayLogs();
        return /refused publish cam\/none on mtx-\d from \S+: no credentials/.test(text) &&
          /refused publish cam\/wrong on mtx-\d from \S+: wrong password for alice/.test(text)
          ? text
          : undefined;
      });
      expect(logs).not.toContain("Wrong-Pass-123");
      expect(await instanceLogs()).toContain("failed to authenticate: server replied with code 401");
    } finally {
      await stopProcess(good);
      await stopProcess(none);
      await stopProcess(wrong);
      await waitGone(instances(), "cam/ok").catch(() => undefined);
    }
  }, 120_000);

  it("RTMPS (TLS ended in HAProxy, checked against the stack's CA): the same credentials rule", async () => {
    const caFile = stack.model.tls?.caFile;
    expect(caFile).toBeDefined();
    const rtmps = (stream: string, creds?: { user: string; password: string }) =>
      `rtmps://127.0.0.1:${ports.rtmps}/${stream}` +
      (creds ? `?user=${encodeURIComponent(creds.user)}&pass=${encodeURIComponent(creds.password)}` : "");
    const verify = ["-tls_verify", "1", "-ca_file", caFile ?? ""];
    const good = publishRtmp(rtmps("cam/tls-ok", ALICE), verify);
    const none = publishRtmp(rtmps("cam/tls-none"), verify);
    const wrong = publishRtmp(
      rtmps("cam/tls-wrong", { user: ALICE.user, password: "Wrong-Pass-456" }),
      verify,
    );
    try {
      await waitReady(instances(), "cam/tls-ok", 30_000);
      const [noneCode, wrongCode] = await Promise.all([exitWithin(none, 20_000), exitWithin(wrong, 20_000)]);
      expect(noneCode, "no credentials refused").not.toBe("still running");
      expect(wrongCode, "wrong password refused").not.toBe("still running");
      expect(good.exitCode, "the right publisher still runs over RTMPS").toBeNull();
      expect(await ownersOf(instances(), "cam/tls-none")).toEqual([]);
      expect(await ownersOf(instances(), "cam/tls-wrong")).toEqual([]);
      await eventually("both RTMPS refusals in the gateway log", async () => {
        const text = await gatewayLogs();
        return /refused publish cam\/tls-none on mtx-\d from \S+: no credentials/.test(text) &&
          /refused publish cam\/tls-wrong on mtx-\d from \S+: wrong password for alice/.test(text)
          ? text
          : undefined;
      });
    } finally {
      await stopProcess(good);
      await stopProcess(none);
      await stopProcess(wrong);
      await waitGone(instances(), "cam/tls-ok").catch(() => undefined);
    }
  }, 120_000);

  it("WHIP: Basic credentials publish (201); none get 401", async () => {
    const url = (stream: string) => `${plainWebrtc}/${stream}/whip`;
    const anonymous = new WhipPublisher(url("cam/whip-none"), { cookies: true });
    const right = new WhipPublisher(url("cam/whip"), {
      cookies: true,
      authorization: basicAuthorization(ALICE.user, ALICE.password),
    });
    try {
      expect(await anonymous.start()).toBe(401);
      expect(await right.start()).toBe(201);
      await waitReady(instances(), "cam/whip", 30_000);
    } finally {
      await anonymous.close();
      await right.close();
    }
  }, 120_000);

  it("HLS: reading needs a reader's Basic credentials", async () => {
    const stream = "cam/read";
    const ffmpeg = publishRtmp(rtmp(stream, ALICE));
    try {
      await waitReady(instances(), stream, 30_000);
      const index = `${plainHls}/${stream}/index.m3u8`;
      const first = await fetch(index, { redirect: "manual" });
      expect(first.status).toBe(302);
      const cookie = first.headers
        .getSetCookie()
        .map((c) => c.split(";")[0])
        .join("; ");
      const next = new URL(first.headers.get("location") ?? "", index).toString();
      const anonymous = await fetch(next, { headers: { cookie }, redirect: "manual" });
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get("www-authenticate")).toContain("Basic");
      const viewer = await fetch(next, {
        headers: { cookie, authorization: basicAuthorization(VIEWER.user, VIEWER.password) },
        redirect: "manual",
      });
      expect(viewer.status).toBe(200);
      expect(await viewer.text()).toContain("#EXTM3U");
    } finally {
      await stopProcess(ffmpeg);
    }
  }, 120_000);

  it("a password change reloads the gateway: the old password is refused, the new one publishes", async () => {
    const renewed = { user: ALICE.user, password: "Fresh-Password-2027" };
    await stack.setConfig("publishers[0].password", renewed.password, { secret: true });
    const preview = await stack.preview(["--diff"]);
    expect(preview.code, preview.stderr + preview.stdout).toBe(0);
    expect(preview.stdout + preview.stderr).not.toContain(renewed.password);
    const r = await stack.up();
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const stale = publishRtmp(rtmp("cam/stale", ALICE));
    const fresh = publishRtmp(rtmp("cam/fresh", renewed));
    try {
      await waitReady(instances(), "cam/fresh", 30_000);
      expect(await exitWithin(stale, 20_000), "the old password is refused").not.toBe("still running");
      await eventually("the refusal in the gateway log", async () =>
        /refused publish cam\/stale on mtx-\d from \S+: wrong password for alice/.test(await gatewayLogs())
          ? true
          : undefined,
      );
    } finally {
      await stopProcess(stale);
      await stopProcess(fresh);
    }
  }, 600_000);
});
