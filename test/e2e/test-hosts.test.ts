import { execFile } from "node:child_process";
import { createSocket } from "node:dgram";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localImages } from "../../scripts/lib/versions";
import { eventually } from "../support/publisher";
import {
  cleanupLeftoverTestHosts,
  createTestHosts,
  DATA_ROOT,
  inNamespace,
  PREFIX,
  PRIVATE_NET,
  PUBLIC_NET,
  RUN_ROOT,
  type TestHost,
  type TestHosts,
} from "../support/test-hosts";

// The multi-host lab itself (test/support/test-hosts.ts): two hosts and a client in network
// namespaces, one dockerd each, images pulled through the read-only mirror of the bootstrap registry,
// private addresses out of the client's reach, the fault helpers, and nothing left after destroy.
const run = promisify(execFile);
const image = localImages().mediamtx;
const HLS_PORT = 8888;
const PUBLIC_PORT = 18888;
const PRIVATE_PORT = 18889;

function docker(host: TestHost, args: readonly string[]) {
  return run("docker", ["-H", host.docker, ...args], { maxBuffer: 16 * 1024 * 1024 });
}

/** A TCP connect from the root namespace: how it ended within `ms`. */
function tcpConnect(host: string, port: number, ms = 1500): Promise<string> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (how: string) => {
      s.destroy();
      resolve(how);
    };
    s.setTimeout(ms, () => done("timeout"));
    s.on("connect", () => done("connected"));
    s.on("error", (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}

/** curl from inside a namespace: the HTTP status, or curl's exit code as `exit N`. */
async function curlFrom(namespace: string, url: string): Promise<string> {
  return inNamespace(namespace, "curl", [
    "-sS",
    "-m",
    "2",
    "-o",
    "/dev/null",
    "-w",
    "%{http_code}",
    url,
  ]).then(
    (r) => r.stdout,
    (e: { code?: number }) => `exit ${e.code}`,
  );
}

describe("test hosts", () => {
  let lab: TestHosts;
  let h1: TestHost;
  let h2: TestHost;

  beforeAll(async () => {
    await cleanupLeftoverTestHosts();
    lab = await createTestHosts({ hosts: 2, client: true });
    [h1, h2] = lab.hosts as [TestHost, TestHost];
  });

  afterAll(async () => {
    await lab?.destroy();
  });

  it("gives every host its own engine, with the lab's registry mirror", async () => {
    const infos = await Promise.all(
      lab.hosts.map(async (h) => {
        const { stdout } = await docker(h, ["info", "--format", "{{json .}}"]);
        return JSON.parse(stdout) as { ID: string; RegistryConfig: { Mirrors: string[] } };
      }),
    );
    expect(new Set(infos.map((i) => i.ID)).size).toBe(2);
    for (const i of infos) expect(i.RegistryConfig.Mirrors).toEqual([`http://${lab.mirror}/`]);
    expect(lab.hosts.map((h) => [h.address, h.privateAddress])).toEqual([
      [`${PUBLIC_NET}.11`, `${PRIVATE_NET}.11`],
      [`${PUBLIC_NET}.12`, `${PRIVATE_NET}.12`],
    ]);
  });

  it("pulls the bootstrap image by its official name through the mirror", async () => {
    await Promise.all(lab.hosts.map((h) => docker(h, ["pull", "-q", image])));
    for (const h of lab.hosts) {
      const { stdout } = await docker(h, ["image", "inspect", "-f", "{{.RepoTags}}", image]);
      expect(stdout).toContain(image);
    }
  });

  it("serves a private address to the root namespace and other hosts, never to the client", async () => {
    await docker(h1, [
      "run",
      "-d",
      "--name",
      "probe",
      "-p",
      `${h1.address}:${PUBLIC_PORT}:${HLS_PORT}`,
      "-p",
      `${h1.privateAddress}:${PRIVATE_PORT}:${HLS_PORT}`,
      image,
    ]);
    const client = lab.client?.namespace ?? "";
    await eventually("the probe on the private address", async () =>
      (await tcpConnect(h1.privateAddress, PRIVATE_PORT)) === "connected" ? true : undefined,
    );
    // MediaMTX answers 404 for an unknown stream: any HTTP status proves the connection.
    expect(await curlFrom(h2.namespace, `http://${h1.privateAddress}:${PRIVATE_PORT}/`)).toMatch(/^\d{3}$/);
    expect(await curlFrom(client, `http://${h1.address}:${PUBLIC_PORT}/`)).toMatch(/^\d{3}$/);
    // curl exit 7: no route at all (the client has none to the private subnet).
    expect(await curlFrom(client, `http://${h1.privateAddress}:${PRIVATE_PORT}/`)).toBe("exit 7");
    expect(await curlFrom(client, `http://${PRIVATE_NET}.1:${PRIVATE_PORT}/`)).toBe("exit 7");
  });

  it("cutLink makes a host's packets vanish and restoreLink brings it back", async () => {
    await lab.cutLink(h1);
    // A timeout, not a refusal: no RST, as when a real host is lost.
    expect(await tcpConnect(h1.address, PUBLIC_PORT)).toBe("timeout");
    expect(await tcpConnect(h1.privateAddress, PRIVATE_PORT)).toBe("timeout");
    expect(await curlFrom(lab.client?.namespace ?? "", `http://${h1.address}:${PUBLIC_PORT}/`)).toMatch(
      /^exit (7|28)$/,
    );
    await lab.restoreLink(h1);
    await eventually("host-1 back", async () =>
      (await tcpConnect(h1.address, PUBLIC_PORT)) === "connected" ? true : undefined,
    );
    expect(await tcpConnect(h1.privateAddress, PRIVATE_PORT)).toBe("connected");
  });

  it("blockUdp drops the client's UDP, unblockUdp lets it through again", async () => {
    const client = lab.client?.namespace ?? "";
    const received: string[] = [];
    const sock = createSocket("udp4");
    sock.on("message", (m) => received.push(m.toString()));
    await new Promise<void>((r) => sock.bind(0, `${PUBLIC_NET}.1`, r));
    const port = sock.address().port;
    const send = (text: string) =>
      inNamespace(client, "bash", ["-c", `printf ${text} >/dev/udp/${PUBLIC_NET}.1/${port}`]).catch(
        () => undefined,
      );
    try {
      await send("before");
      await eventually(
        "UDP before the block",
        async () => (received.includes("before") ? true : undefined),
        5000,
      );
      await lab.blockUdp(client);
      await send("blocked");
      await new Promise((r) => setTimeout(r, 500));
      await lab.unblockUdp(client);
      await send("after");
      await eventually(
        "UDP after the block",
        async () => (received.includes("after") ? true : undefined),
        5000,
      );
      expect(received).not.toContain("blocked");
    } finally {
      sock.close();
    }
  });

  it("killEngine takes a host's engine and containers down at once, other hosts keep running", async () => {
    await lab.killEngine(h1);
    await expect(docker(h1, ["info"])).rejects.toThrow();
    expect(await tcpConnect(h1.address, PUBLIC_PORT)).not.toBe("connected");
    const { stdout } = await run("ip", ["netns", "pids", h1.namespace]);
    expect(stdout.trim()).toBe("");
    await docker(h2, ["info"]);
  });

  it("destroy leaves no namespace, engine, mirror, link, rule or directory behind", async () => {
    await lab.destroy();
    const { stdout: namespaces } = await run("ip", ["netns", "list"]);
    expect(namespaces).not.toContain(PREFIX);
    const engines = await run("pgrep", ["-f", "dockerd .*--data-root"]).then(
      (r) => r.stdout.trim(),
      () => "",
    );
    expect(engines).toBe("");
    const registries = await run("pgrep", ["-f", `docker-registry serve ${RUN_ROOT}`]).then(
      (r) => r.stdout.trim(),
      () => "",
    );
    expect(registries).toBe("");
    expect((await run("ip", ["-o", "link", "show"])).stdout).not.toContain(PREFIX);
    expect((await run("iptables", ["-S", "FORWARD"])).stdout).not.toContain(PREFIX);
    expect(existsSync(`${RUN_ROOT}/${lab.id}`)).toBe(false);
    expect(existsSync(`${DATA_ROOT}/${lab.id}`)).toBe(false);
  });
});
