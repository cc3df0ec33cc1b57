// The floating address in the lab (test/support/test-hosts.ts), without Pulumi: on each of two hosts a
// HAProxy (the local image, host network) that answers HTTP with its host's name, and keepalived (the
// local image) with a config from renderKeepalivedConfig. A client in its own namespace asks through
// the floating address, so it sees what a viewer would: who answers, and how long nobody does.
// Failover times are printed (`vrrp: ...`).

import { type ChildProcess, execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KeepalivedSpec, renderKeepalivedConfig } from "../../infra/render/keepalived";
import { HAPROXY_DIR, KEEPALIVED_DIR } from "../../infra/render/paths";
import { localImages, localKeepalivedImage } from "../../scripts/lib/versions";
import { eventually } from "../support/publisher";
import {
  cleanupLeftoverTestHosts,
  createTestHosts,
  inNamespace,
  PRIVATE_NET,
  PUBLIC_NET,
  spawnInNamespace,
  type TestHost,
  type TestHosts,
} from "../support/test-hosts";

const run = promisify(execFile);
const HAPROXY_IMAGE = localImages().haproxy;
const KEEPALIVED_IMAGE = localKeepalivedImage();
const VIP = `${PUBLIC_NET}.100`;
const PRIVATE_VIP = `${PRIVATE_NET}.100`;
const PORT = 18480;
const LABEL = "mediamtx-lb.e2e=vrrp";
const HAPROXY = "vrrp-haproxy";
const KEEPALIVED = "vrrp-keepalived";
/** The budget: the standby holds the address, and answers, within 3 s of the loss. */
const BUDGET_MS = 3000;
/** Long enough for a second failover to show: several master-down intervals (1.8 s each). */
const SETTLE_MS = 5000;

function docker(host: TestHost, args: readonly string[]) {
  return run("docker", ["-H", host.docker, ...args], { maxBuffer: 16 * 1024 * 1024 });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A HAProxy that answers every request with `name`: the client can tell which gateway served. */
function haproxyConfig(name: string): string {
  return [
    "defaults",
    "    mode http",
    "    timeout connect 1s",
    "    timeout client 5s",
    "    timeout server 5s",
    "",
    "frontend who",
    `    bind :${PORT}`,
    `    http-request return status 200 content-type text/plain string ${name}`,
    "",
  ].join("\n");
}

interface Answer {
  readonly t: number;
  readonly who: string;
}

/**
 * curl through the floating address from the client namespace, one request (a new connection) every
 * 50 ms, each allowed 400 ms; `none` when nothing answered. Timestamps are this machine's clock.
 */
function startClient(namespace: string): { proc: ChildProcess; answers: Answer[] } {
  const loop = [
    "while :; do",
    `  r=$(curl -s -m 0.4 http://${VIP}:${PORT}/ 2>/dev/null) || r=none`,
    '  printf "%s %s\\n" "$(date +%s%3N)" "$r"',
    "  sleep 0.05",
    "done",
  ].join("\n");
  const proc = spawnInNamespace(namespace, "bash", ["-c", loop], { stdio: ["ignore", "pipe", "ignore"] });
  const answers: Answer[] = [];
  if (proc.stdout) {
    createInterface({ input: proc.stdout }).on("line", (line) => {
      const [t, who] = line.split(" ");
      answers.push({ t: Number(t), who: who ?? "none" });
    });
  }
  return { proc, answers };
}

describe("floating address (keepalived, VRRP) across two gateway hosts", () => {
  let lab: TestHosts;
  let h1: TestHost;
  let h2: TestHost;
  let client: { proc: ChildProcess; answers: Answer[] } | undefined;
  const dirs = new Map<string, { haproxy: string; keepalived: string }>();
  const root = mkdtempSync(join(tmpdir(), "mlb-vrrp-"));

  /** The hosts whose public interface holds the floating address. */
  async function holders(): Promise<string[]> {
    const held = await Promise.all(
      lab.hosts.map(async (h) => {
        const { stdout } = await inNamespace(h.namespace, "ip", [
          "-o",
          "-4",
          "addr",
          "show",
          "to",
          `${VIP}/32`,
        ]);
        return stdout.trim() === "" ? undefined : h.name;
      }),
    );
    return held.filter((h): h is string => h !== undefined);
  }

  /** The hosts (and interface) holding the private floating address. */
  async function privateHolders(): Promise<string[]> {
    const held: string[] = [];
    for (const h of lab.hosts) {
      const { stdout } = await inNamespace(h.namespace, "ip", [
        "-o",
        "-4",
        "addr",
        "show",
        "to",
        `${PRIVATE_VIP}/32`,
      ]);
      const iface = /^\d+:\s+(\S+)/.exec(stdout.trim())?.[1];
      if (iface !== undefined) held.push(`${h.name} ${iface}`);
    }
    return held;
  }

  /** ms from `start` until exactly `host` holds the address (polled every 20 ms). */
  async function heldBy(host: TestHost, start: number, timeoutMs = 10_000): Promise<number> {
    while (Date.now() - start < timeoutMs) {
      const h = await holders();
      if (h.length === 1 && h[0] === host.name) return Date.now() - start;
      await sleep(20);
    }
    throw new Error(
      `${host.name} did not hold ${VIP} alone within ${timeoutMs} ms (holders: ${await holders()})`,
    );
  }

  /** ms from `start` until the client's first answer from `host` after it. */
  async function answeredBy(host: TestHost, start: number, timeoutMs = 10_000): Promise<number> {
    const deadline = start + timeoutMs;
    while (Date.now() < deadline) {
      const a = client?.answers.find((x) => x.t >= start && x.who === host.name);
      if (a) return a.t - start;
      await sleep(20);
    }
    throw new Error(`the client got no answer from ${host.name} within ${timeoutMs} ms`);
  }

  /** The longest stretch between `from` and `to` in which the client got no answer at all, in ms. */
  function longestSilence(from: number, to: number): number {
    const answered = (client?.answers ?? []).filter((a) => a.t >= from && a.t <= to && a.who !== "none");
    let worst = 0;
    let prev = from;
    for (const a of answered) {
      worst = Math.max(worst, a.t - prev);
      prev = a.t;
    }
    return Math.max(worst, to - prev);
  }

  function spec(host: TestHost, over: Partial<KeepalivedSpec> = {}): KeepalivedSpec {
    return {
      stack: "e2e",
      gateway: host.name,
      routerId: 100,
      priority: 100,
      preempt: false,
      source: host.address,
      peers: lab.hosts.filter((h) => h !== host).map((h) => h.address),
      floatingAddress: VIP,
      privateSource: host.privateAddress,
      privateFloatingAddress: PRIVATE_VIP,
      checkPort: PORT,
      advertIntervalMs: 500,
      ...over,
    };
  }

  function writeKeepalived(host: TestHost, over: Partial<KeepalivedSpec> = {}): void {
    const dir = dirs.get(host.name)?.keepalived ?? "";
    writeFileSync(join(dir, "keepalived.conf"), renderKeepalivedConfig(spec(host, over)));
  }

  async function startHaproxy(host: TestHost): Promise<void> {
    const dir = dirs.get(host.name)?.haproxy ?? "";
    await docker(host, [
      ...["run", "-d", "--name", HAPROXY, "--network", "host", "--label", LABEL],
      ...["-v", `${dir}:${HAPROXY_DIR}:ro`, HAPROXY_IMAGE],
    ]);
  }

  async function startKeepalived(host: TestHost): Promise<void> {
    const dir = dirs.get(host.name)?.keepalived ?? "";
    await docker(host, [
      ...["run", "-d", "--name", KEEPALIVED, "--network", "host", "--label", LABEL],
      // The address is added and removed (NET_ADMIN), VRRP is IP protocol 112 on a raw socket (NET_RAW),
      // gratuitous ARPs go to the broadcast address (NET_BROADCAST).
      ...["--cap-add", "NET_ADMIN", "--cap-add", "NET_BROADCAST", "--cap-add", "NET_RAW"],
      ...["-v", `${dir}:${KEEPALIVED_DIR}:ro`, KEEPALIVED_IMAGE],
    ]);
  }

  /** keepalived's state transitions on a host, for the log of a run. */
  async function transitions(host: TestHost): Promise<string[]> {
    const { stdout, stderr } = await docker(host, ["logs", KEEPALIVED]).catch(() => ({
      stdout: "",
      stderr: "",
    }));
    return `${stdout}${stderr}`
      .split("\n")
      .filter((l) =>
        /Entering|NO-CARRIER|link|Script|removing|adding|preempt|keepalived-entrypoint/i.test(l),
      );
  }

  beforeAll(async () => {
    await cleanupLeftoverTestHosts();
    lab = await createTestHosts({ hosts: 2, client: true });
    [h1, h2] = lab.hosts as [TestHost, TestHost];
    for (const h of lab.hosts) {
      const haproxy = join(root, h.name, "haproxy");
      const keepalived = join(root, h.name, "keepalived");
      mkdirSync(haproxy, { recursive: true });
      mkdirSync(keepalived, { recursive: true });
      // HAProxy runs as its own user: it must read the bind-mounted directory.
      for (const d of [root, join(root, h.name), haproxy, keepalived]) chmodSync(d, 0o755);
      writeFileSync(join(haproxy, "haproxy.cfg"), haproxyConfig(h.name), { mode: 0o644 });
      dirs.set(h.name, { haproxy, keepalived });
    }
    await Promise.all(
      lab.hosts.map(async (h) => {
        await docker(h, ["pull", "-q", HAPROXY_IMAGE]);
        await docker(h, ["pull", "-q", KEEPALIVED_IMAGE]);
        writeKeepalived(h);
        await startHaproxy(h);
      }),
    );
    // host-1 first, so it is the active one: two nodes starting together both become MASTER after
    // the master-down interval and the lower address then yields, a flap the tests need not see.
    await startKeepalived(h1);
    await heldBy(h1, Date.now());
    await startKeepalived(h2);
    client = startClient(lab.client?.namespace ?? "");
  });

  afterAll(async () => {
    client?.proc.kill("SIGKILL");
    if (lab) {
      for (const h of lab.hosts) {
        console.log(`vrrp: keepalived on ${h.name}:\n  ${(await transitions(h)).join("\n  ")}`);
        const { stdout } = await docker(h, ["ps", "-aq", "--filter", `label=${LABEL}`]).catch(() => ({
          stdout: "",
        }));
        const ids = stdout.split("\n").filter((id) => id !== "");
        if (ids.length > 0) await docker(h, ["rm", "-f", ...ids]).catch(() => undefined);
      }
      await lab.destroy();
    }
    rmSync(root, { recursive: true, force: true });
  });

  it("gives the address to exactly one gateway, which the client reaches through it", async () => {
    // host-2 has heard host-1's adverts for a while: it stays BACKUP.
    await sleep(2000);
    expect(await holders()).toEqual([h1.name]);
    expect(await privateHolders()).toEqual([`${h1.name} priv0`]);
    const start = Date.now();
    expect(await answeredBy(h1, start, 5000)).toBeLessThan(5000);
    expect((await transitions(h2)).some((l) => l.includes("Entering BACKUP STATE"))).toBe(true);
  });

  it("moves the address to the standby within 3 s when the active host's link is cut", async () => {
    const start = Date.now();
    await lab.cutLink(h1);
    const moved = await heldBy(h2, start);
    const answered = await answeredBy(h2, start);
    console.log(
      `vrrp: link cut → address on ${h2.name} after ${moved} ms, client answered after ${answered} ms`,
    );
    expect(moved).toBeLessThan(BUDGET_MS);
    expect(answered).toBeLessThan(BUDGET_MS);
    console.log(`vrrp: longest stretch without an answer: ${longestSilence(start, Date.now())} ms`);
    // The cut host went FAULT on the lost carrier and dropped the address itself.
    await eventually("host-1 in FAULT", async () =>
      (await transitions(h1)).some((l) => l.includes("Entering FAULT STATE")) ? true : undefined,
    );
    expect(await holders()).toEqual([h2.name]);
    // The private floating address moved with it, onto the private interface.
    expect(await privateHolders()).toEqual([`${h2.name} priv0`]);
  });

  it("keeps the address where it is when the old active comes back (equal priorities)", async () => {
    const restored = Date.now();
    await lab.restoreLink(h1);
    await sleep(SETTLE_MS);
    expect(await holders()).toEqual([h2.name]);
    const after = client?.answers.filter((a) => a.t >= restored + 500) ?? [];
    expect(after.length).toBeGreaterThan(20);
    expect(after.filter((a) => a.who !== h2.name)).toEqual([]);
    expect((await transitions(h1)).some((l) => l.includes("Entering BACKUP STATE"))).toBe(true);
  });

  it("moves the address when the active gateway's HAProxy stops, and leaves it when it is back", async () => {
    const start = Date.now();
    await docker(h2, ["stop", HAPROXY]);
    const stopped = Date.now() - start;
    const moved = await heldBy(h1, start);
    const answered = await answeredBy(h1, start);
    console.log(
      `vrrp: HAProxy stopped (docker stop took ${stopped} ms) → address on ${h1.name} after ${moved} ms, client answered after ${answered} ms`,
    );
    expect(moved).toBeLessThan(BUDGET_MS);
    expect(answered).toBeLessThan(BUDGET_MS);

    const back = Date.now();
    await docker(h2, ["start", HAPROXY]);
    await sleep(SETTLE_MS);
    expect(await holders()).toEqual([h1.name]);
    expect(client?.answers.filter((a) => a.t >= back && a.who !== h1.name)).toEqual([]);
  });

  it("hands the address over at once when the active keepalived stops (docker stop), and keeps it there", async () => {
    const start = Date.now();
    await docker(h1, ["stop", KEEPALIVED]);
    // A stopping MASTER drops the address and sends a priority-0 advert: the standby takes over after
    // its skew (0.3 s), not the whole master-down interval. The figure includes docker stop itself.
    const moved = await heldBy(h2, start);
    console.log(`vrrp: keepalived stopped on ${h1.name} → address on ${h2.name} after ${moved} ms`);
    expect(moved).toBeLessThan(BUDGET_MS);
    await docker(h1, ["start", KEEPALIVED]);
    await sleep(SETTLE_MS);
    expect(await holders()).toEqual([h2.name]);
  });

  it("with different priorities (preempt) the higher one takes the address back when it returns", async () => {
    // host-1 preferred, while host-2 holds the address; SIGHUP reloads keepalived with the new config.
    writeKeepalived(h1, { preempt: true, priority: 200 });
    writeKeepalived(h2, { preempt: true, priority: 100 });
    await docker(h2, ["kill", "-s", "HUP", KEEPALIVED]);
    await docker(h1, ["kill", "-s", "HUP", KEEPALIVED]);
    const reloaded = Date.now();
    console.log(`vrrp: preempt on → address on ${h1.name} after ${await heldBy(h1, reloaded)} ms`);

    const cut = Date.now();
    await lab.cutLink(h1);
    console.log(`vrrp: preferred host cut → address on ${h2.name} after ${await heldBy(h2, cut)} ms`);
    const restored = Date.now();
    await lab.restoreLink(h1);
    const back = await heldBy(h1, restored);
    const answered = await answeredBy(h1, restored);
    console.log(
      `vrrp: preferred host back → address on ${h1.name} after ${back} ms, client answered after ${answered} ms`,
    );
    expect(back).toBeLessThan(BUDGET_MS);
    await sleep(2000);
    expect(await holders()).toEqual([h1.name]);
    // The lower-priority MASTER serves until the preferred one's first advert: a takeover, not an outage.
    const silence = longestSilence(restored, Date.now());
    console.log(`vrrp: longest stretch without an answer around the takeover: ${silence} ms`);
    expect(silence).toBeLessThan(1000);
  });
});
