// Simulated Docker hosts on this one machine: each host is a network namespace with its own dockerd,
// on two bridges in the root namespace, plus a client namespace that sees only the public one.
//
//   root ns ── mtxlb-<id>-pub  10.254.90.1/24 ─┬─ host-1 10.254.90.11 ─┬─ client 10.254.90.200
//           │                                  ├─ host-2 10.254.90.12  │  (no private route)
//           └─ mtxlb-<id>-priv 10.254.91.1/24 ─┴─ host-1 10.254.91.11, host-2 10.254.91.12, ...
//
// - Engines pull through a read-only docker-registry on 10.254.90.1:5000 (their --registry-mirror),
//   serving the storage of scripts/bootstrap's registry: the stack keeps the official image names.
// - The client has no default route and the root namespace drops pub<->priv forwarding, so a private
//   address is unreachable from it (a real client on the internet cannot reach a host's private NIC).
//   The root namespace (the deploying process) reaches both.
// - Everything is named `mtxlb-<id>-…` (interfaces ≤ 15 characters) or lives under
//   /run/mtxlb-hosts/<id> and /var/lib/mtxlb-hosts/<id> (data roots are fresh per run: a reused one
//   would bring back the containers and networks of a crashed run; pulling the two images through the
//   mirror takes about a second). Clean-up goes by those labels, not by memory, so a crashed run's
//   leftovers go too. The subnets are fixed: one lab per machine at a time (e2e runs hold a lock).
//
// Engines are started with `nsenter --net=…` (`ip netns exec` remounts /sys and dockerd then fails
// with "Devices cgroup isn't mounted"). Each gets its own config file (the main engine's
// /etc/docker/daemon.json stays out), data root, exec root (so its own supervised containerd),
// pidfile, socket, cgroup parent and identity key; default bridge and iptables are per network namespace, so
// docker0 and 172.17.0.0/16 in every host do not clash.

import { type ChildProcess, execFile, type SpawnOptions, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { request } from "node:http";
import { basename, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export const PREFIX = "mtxlb-";
export const RUN_ROOT = "/run/mtxlb-hosts";
export const DATA_ROOT = "/var/lib/mtxlb-hosts";
/** The bridge every host and the client attach to; the root namespace holds `.1`. */
export const PUBLIC_NET = "10.254.90";
/** The bridge only hosts attach to; the root namespace holds `.1`. */
export const PRIVATE_NET = "10.254.91";
/** Host i (0-based) gets `.(HOST_OFFSET + 1 + i)` on both bridges: host-1 → .11. */
const HOST_OFFSET = 10;
const CLIENT_OCTET = 200;
const ROOT_OCTET = 1;
const MAX_HOSTS = 89;
/**
 * The mirror's port on the public root address.
 * Couplings: MLB_REGISTRY_PORT and MLB_REGISTRY_DIR in scripts/lib/common.sh (same port, same storage).
 */
const MIRROR_PORT = 5000;
const REGISTRY_STORAGE = join(
  process.env.MEDIAMTX_LB_CACHE ?? join(process.env.HOME ?? "/root", ".cache/mediamtx-lb"),
  "registry",
);

export interface TestHost {
  readonly name: string;
  readonly namespace: string;
  /** Docker endpoint for `docker -H` and the Docker provider's `host`. */
  readonly docker: string;
  readonly address: string;
  readonly privateAddress: string;
}

export interface TestClient {
  readonly namespace: string;
  readonly address: string;
}

export interface TestHostsOptions {
  /** 1-4 lowercase letters or digits; random by default. */
  readonly id?: string;
  readonly hosts: number;
  readonly client?: boolean;
}

export interface TestHosts {
  readonly id: string;
  readonly hosts: readonly TestHost[];
  readonly client?: TestClient;
  /** `address:port` of the read-only registry the engines use as their mirror. */
  readonly mirror: string;
  /** The host's links go down: its packets vanish (no RST), as when a real host is lost. */
  cutLink(host: TestHost | string): Promise<void>;
  restoreLink(host: TestHost | string): Promise<void>;
  /** SIGKILL of the host's dockerd, containerd, shims and containers, as in a power loss. */
  killEngine(host: TestHost | string): Promise<void>;
  /** Drops every UDP packet of the namespace except on loopback (WebRTC must fall back to TCP). */
  blockUdp(namespace: string): Promise<void>;
  unblockUdp(namespace: string): Promise<void>;
  /** Stops engines, containers and the mirror; removes namespaces, links, rules and directories. */
  destroy(): Promise<void>;
}

/** What the state file (/run/mtxlb-hosts/<id>/state.json) records. */
interface TestHostsState {
  readonly id: string;
  readonly hosts: readonly TestHost[];
  readonly client?: TestClient;
  readonly mirror: string;
  readonly namespaces: readonly string[];
  readonly links: readonly string[];
  readonly forwardRules: readonly (readonly string[])[];
  readonly dirs: readonly string[];
}

const ID = /^[a-z0-9]{1,4}$/;

/** Names of one lab. Interface names stay ≤ 15 characters (IFNAMSIZ): `mtxlb-abcd-priv`. */
export function labNames(id: string, hosts: number) {
  if (!ID.test(id)) throw new Error(`test hosts id: must be 1-4 lowercase letters or digits, got ${id}`);
  if (!Number.isInteger(hosts) || hosts < 1 || hosts > MAX_HOSTS)
    throw new Error(`test hosts: hosts must be an integer 1-${MAX_HOSTS}, got ${hosts}`);
  const p = `${PREFIX}${id}-`;
  const runDir = join(RUN_ROOT, id);
  return {
    publicBridge: `${p}pub`,
    privateBridge: `${p}priv`,
    clientNamespace: `${p}client`,
    clientVeth: `${p}cp`,
    runDir,
    dataDir: join(DATA_ROOT, id),
    mirror: `${PUBLIC_NET}.${ROOT_OCTET}:${MIRROR_PORT}`,
    hosts: Array.from({ length: hosts }, (_, i) => {
      const name = `host-${i + 1}`;
      return {
        name,
        namespace: `${p}${name}`,
        publicVeth: `${p}${i + 1}p`,
        privateVeth: `${p}${i + 1}v`,
        runDir: join(runDir, name),
        dataRoot: join(DATA_ROOT, id, name),
        docker: `unix://${join(runDir, name, "docker.sock")}`,
        address: `${PUBLIC_NET}.${HOST_OFFSET + 1 + i}`,
        privateAddress: `${PRIVATE_NET}.${HOST_OFFSET + 1 + i}`,
      };
    }),
  };
}

type LabNames = ReturnType<typeof labNames>;
type HostNames = LabNames["hosts"][number];

/** FORWARD rules in the root namespace (inserted at the top, above Docker's policy DROP). */
function forwardRules(n: LabNames): string[][] {
  return [
    ["-i", n.publicBridge, "-o", n.publicBridge, "-j", "ACCEPT"],
    ["-i", n.privateBridge, "-o", n.privateBridge, "-j", "ACCEPT"],
    ["-i", n.publicBridge, "-o", n.privateBridge, "-j", "DROP"],
    ["-i", n.privateBridge, "-o", n.publicBridge, "-j", "DROP"],
  ];
}

/** The engine's command line (run inside the host's namespace). */
function dockerdArgs(h: HostNames, mirror: string): string[] {
  return [
    "--config-file",
    join(h.runDir, "daemon.json"),
    "--data-root",
    h.dataRoot,
    "--exec-root",
    join(h.runDir, "exec"),
    "--pidfile",
    join(h.runDir, "docker.pid"),
    "-H",
    h.docker,
    // Container cgroups under /mtxlb-<id>-host-N: killEngine finds a host's containers there.
    "--cgroup-parent",
    `/${h.namespace}`,
    "--registry-mirror",
    `http://${mirror}`,
    "--insecure-registry",
    mirror,
  ];
}

/**
 * The engine's own config file. The engine ID comes from a key file: by default every engine would
 * share /etc/docker/key.json and report the same ID. Docker 20.10 sets its path only here (no flag;
 * the key is gone in 23.0, where the ID lives in the data root).
 */
function daemonJson(h: HostNames): string {
  return `${JSON.stringify({ "deprecated-key-path": join(h.runDir, "key.json") }, null, 2)}\n`;
}

function mirrorConfig(storage: string, mirror: string): string {
  return [
    "# Written by test/support/test-hosts.ts: the test hosts' registry mirror (read-only).",
    "version: 0.1",
    "log:",
    "  level: warn",
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${storage}`,
    "  maintenance:",
    "    readonly:",
    "      enabled: true",
    "    uploadpurging:",
    "      enabled: false",
    "http:",
    `  addr: ${mirror}`,
    "",
  ].join("\n");
}

async function sh(cmd: string, args: readonly string[]): Promise<string> {
  try {
    return (await run(cmd, args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")}: ${(e.stderr ?? "").trim() || e.message}`);
  }
}

async function quiet(cmd: string, args: readonly string[]): Promise<void> {
  await run(cmd, args).catch(() => undefined);
}

function nsArgs(namespace: string): string {
  return `--net=/var/run/netns/${namespace}`;
}

/** Runs a program inside a network namespace (only the network: files and mounts are the host's). */
export async function inNamespace(
  namespace: string,
  cmd: string,
  args: readonly string[] = [],
  opts: { readonly timeoutMs?: number } = {},
): Promise<{ stdout: string; stderr: string }> {
  return run("nsenter", [nsArgs(namespace), cmd, ...args], {
    maxBuffer: 64 * 1024 * 1024,
    timeout: opts.timeoutMs ?? 60_000,
  });
}

/** Starts a long-running program (ffmpeg, chromium, …) inside a network namespace. */
export function spawnInNamespace(
  namespace: string,
  cmd: string,
  args: readonly string[] = [],
  opts: SpawnOptions = {},
): ChildProcess {
  return spawn("nsenter", [nsArgs(namespace), cmd, ...args], opts);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** GET over a unix socket or TCP; resolves to the status code, or undefined when nothing answers. */
function httpStatus(target: { socketPath: string } | { host: string; port: number }, path: string) {
  return new Promise<number | undefined>((resolve) => {
    const req = request({ ...target, path, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(undefined));
    req.end();
  });
}

/** Polls `check` until it passes; fails at once when `proc` exits (its log tail in the message). */
async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  proc: ChildProcess,
  log: string,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && proc.exitCode === null && proc.signalCode === null) {
    if (await check()) return;
    await sleep(100);
  }
  const tail =
    log && existsSync(log) ? `\n${readFileSync(log, "utf8").split("\n").slice(-15).join("\n")}` : "";
  throw new Error(`${what} did not answer within ${timeoutMs / 1000} s${log ? ` (log: ${log})` : ""}${tail}`);
}

/** A detached process with its output in `log`: it outlives the caller (`scripts/testhosts up`). */
function startDetached(cmd: string, args: readonly string[], log: string, cwd: string): ChildProcess {
  const fd = openSync(log, "a");
  const child = spawn(cmd, args, { detached: true, stdio: ["ignore", fd, fd], cwd });
  closeSync(fd);
  child.unref();
  return child;
}

async function addNamespace(ns: string): Promise<void> {
  await sh("ip", ["netns", "add", ns]);
  await sh("nsenter", [nsArgs(ns), "ip", "link", "set", "lo", "up"]);
}

/** A veth from `bridge` into `ns`, named `inner` there, with `address`/24. */
async function attach(bridge: string, veth: string, ns: string, inner: string, address: string) {
  await sh("ip", ["link", "add", veth, "type", "veth", "peer", "name", inner, "netns", ns]);
  await sh("ip", ["link", "set", veth, "master", bridge, "up"]);
  await sh("nsenter", [nsArgs(ns), "ip", "addr", "add", `${address}/24`, "dev", inner]);
  await sh("nsenter", [nsArgs(ns), "ip", "link", "set", inner, "up"]);
}

async function addBridge(name: string, address: string): Promise<void> {
  await sh("ip", ["link", "add", name, "type", "bridge"]);
  await sh("ip", ["addr", "add", `${address}/24`, "dev", name]);
  await sh("ip", ["link", "set", name, "up"]);
}

/** Creates the lab. Call cleanupLeftoverTestHosts() first: the subnets are fixed. */
export async function createTestHosts(opts: TestHostsOptions): Promise<TestHosts> {
  const id = opts.id ?? randomBytes(2).toString("hex");
  const n = labNames(id, opts.hosts);
  if (!existsSync(join(REGISTRY_STORAGE, "docker/registry/v2/repositories")))
    throw new Error(`no registry storage at ${REGISTRY_STORAGE}: run scripts/bootstrap`);
  const taken = await sh("ip", ["-o", "addr", "show"]);
  if (taken.includes(` ${PUBLIC_NET}.${ROOT_OCTET}/`) || taken.includes(` ${PRIVATE_NET}.${ROOT_OCTET}/`))
    throw new Error(
      `${PUBLIC_NET}.0/24 or ${PRIVATE_NET}.0/24 is in use (another test-hosts lab?): scripts/testhosts clean`,
    );

  const hosts: TestHost[] = n.hosts.map(({ name, namespace, docker, address, privateAddress }) => ({
    name,
    namespace,
    docker,
    address,
    privateAddress,
  }));
  const client = opts.client
    ? { namespace: n.clientNamespace, address: `${PUBLIC_NET}.${CLIENT_OCTET}` }
    : undefined;
  const state: TestHostsState = {
    id,
    hosts,
    ...(client ? { client } : {}),
    mirror: n.mirror,
    namespaces: [...n.hosts.map((h) => h.namespace), ...(client ? [client.namespace] : [])],
    links: [n.publicBridge, n.privateBridge, ...n.hosts.flatMap((h) => [h.publicVeth, h.privateVeth])],
    forwardRules: forwardRules(n),
    dirs: [n.runDir, n.dataDir],
  };
  // The label file first: whatever follows fails, clean-up knows the lab by it (and by its names).
  mkdirSync(n.runDir, { recursive: true });
  writeFileSync(join(n.runDir, "state.json"), `${JSON.stringify(state, null, 2)}\n`);

  const lab = labHandle(state);
  try {
    await addBridge(n.publicBridge, `${PUBLIC_NET}.${ROOT_OCTET}`);
    await addBridge(n.privateBridge, `${PRIVATE_NET}.${ROOT_OCTET}`);
    // Docker sets FORWARD to DROP and br_netfilter sends bridged frames through it.
    for (const rule of forwardRules(n)) await sh("iptables", ["-I", "FORWARD", "1", ...rule]);

    const mirrorYml = join(n.runDir, "registry.yml");
    writeFileSync(mirrorYml, mirrorConfig(REGISTRY_STORAGE, n.mirror));
    const registryLog = join(n.runDir, "registry.log");
    const registry = startDetached("docker-registry", ["serve", mirrorYml], registryLog, n.runDir);
    const engines: ChildProcess[] = [];

    for (const h of n.hosts) {
      await addNamespace(h.namespace);
      await attach(n.publicBridge, h.publicVeth, h.namespace, "pub0", h.address);
      await attach(n.privateBridge, h.privateVeth, h.namespace, "priv0", h.privateAddress);
      await sh("nsenter", [nsArgs(h.namespace), "sysctl", "-qw", "net.ipv4.ip_forward=1"]);
      mkdirSync(h.runDir, { recursive: true });
      mkdirSync(h.dataRoot, { recursive: true });
      writeFileSync(join(h.runDir, "daemon.json"), daemonJson(h));
      engines.push(
        startDetached(
          "nsenter",
          [nsArgs(h.namespace), "dockerd", ...dockerdArgs(h, n.mirror)],
          join(h.runDir, "dockerd.log"),
          h.runDir,
        ),
      );
    }
    if (client) {
      await addNamespace(client.namespace);
      await attach(n.publicBridge, n.clientVeth, client.namespace, "pub0", client.address);
    }

    const [mirrorHost, mirrorPort] = n.mirror.split(":");
    await waitFor(
      `registry mirror ${n.mirror}`,
      async () => (await httpStatus({ host: mirrorHost ?? "", port: Number(mirrorPort) }, "/v2/")) === 200,
      10_000,
      registry,
      registryLog,
    );
    await Promise.all(
      n.hosts.map((h, i) =>
        waitFor(
          `dockerd of ${h.name}`,
          async () => (await httpStatus({ socketPath: join(h.runDir, "docker.sock") }, "/_ping")) === 200,
          60_000,
          engines[i] as ChildProcess,
          join(h.runDir, "dockerd.log"),
        ),
      ),
    );
  } catch (err) {
    await lab.destroy().catch(() => undefined);
    throw err;
  }
  return lab;
}

/** The handle of a lab described by its state (a new lab's, or one read back from its state file). */
function labHandle(state: TestHostsState): TestHosts {
  const n = labNames(state.id, state.hosts.length);
  const hostNames = (host: TestHost | string): HostNames => {
    const name = typeof host === "string" ? host : host.name;
    const h = n.hosts.find((x) => x.name === name);
    if (!h)
      throw new Error(`test hosts ${state.id}: no host ${name} (have ${state.hosts.map((x) => x.name)})`);
    return h;
  };
  const udpRules = [
    ["OUTPUT", "-p", "udp", "!", "-o", "lo", "-j", "DROP"],
    ["INPUT", "-p", "udp", "!", "-i", "lo", "-j", "DROP"],
  ];
  return {
    id: state.id,
    hosts: state.hosts,
    ...(state.client ? { client: state.client } : {}),
    mirror: state.mirror,
    async cutLink(host) {
      const h = hostNames(host);
      for (const veth of [h.publicVeth, h.privateVeth]) await sh("ip", ["link", "set", veth, "down"]);
    },
    async restoreLink(host) {
      const h = hostNames(host);
      for (const veth of [h.publicVeth, h.privateVeth]) await sh("ip", ["link", "set", veth, "up"]);
    },
    async killEngine(host) {
      const h = hostNames(host);
      await killUntilGone(() => engineProcesses(`${h.runDir}/`, [h.namespace], (c) => c === h.namespace));
    },
    async blockUdp(namespace) {
      for (const rule of udpRules) await sh("nsenter", [nsArgs(namespace), "iptables", "-I", ...rule]);
    },
    async unblockUdp(namespace) {
      for (const rule of udpRules) await quiet("nsenter", [nsArgs(namespace), "iptables", "-D", ...rule]);
    },
    destroy: () => removeLabs(state.id),
  };
}

// ---- clean-up by label ----------------------------------------------------------------------------

/** Programs a lab starts; only these are ever killed by command line. */
const LAB_PROGRAMS = new Set([
  "dockerd",
  "containerd",
  "containerd-shim-runc-v2",
  "containerd-shim",
  "docker-registry",
  "docker-proxy",
  "nsenter",
]);

function cmdline(pid: string): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  } catch {
    return [];
  }
}

function pidsWhere(match: (argv: string[]) => boolean): number[] {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)
    .filter((p) => {
      const argv = cmdline(p);
      return LAB_PROGRAMS.has(basename(argv[0] ?? "")) && match(argv);
    })
    .map(Number);
}

/** Processes of every top-level cgroup whose name passes `isOurs` (the engines' --cgroup-parent). */
function cgroupPids(isOurs: (name: string) => boolean): number[] {
  const base = "/sys/fs/cgroup/pids";
  const pids: number[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      walk(join(dir, e.name));
    }
    for (const line of readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n"))
      if (line !== "") pids.push(Number(line));
  };
  if (!existsSync(base)) return pids;
  for (const e of readdirSync(base, { withFileTypes: true }))
    if (e.isDirectory() && isOurs(e.name)) walk(join(base, e.name));
  return pids;
}

async function namespacePids(namespaces: readonly string[]): Promise<number[]> {
  const pids: number[] = [];
  for (const ns of namespaces) {
    const out = await run("ip", ["netns", "pids", ns]).catch(() => ({ stdout: "" }));
    for (const l of out.stdout.split("\n")) if (l.trim() !== "") pids.push(Number(l));
  }
  return pids;
}

/** Every process of an engine: ours by command line, in its namespace, or in its containers' cgroups. */
async function engineProcesses(
  runPrefix: string,
  namespaces: readonly string[],
  isOurCgroup: (name: string) => boolean,
) {
  const pids = new Set<number>([
    ...pidsWhere((argv) => argv.some((a) => a.includes(runPrefix))),
    ...(await namespacePids(namespaces)),
    ...cgroupPids(isOurCgroup),
  ]);
  pids.delete(process.pid);
  return [...pids];
}

async function killUntilGone(find: () => Promise<number[]>): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const pids = await find();
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await sleep(100);
  }
  throw new Error(`processes still alive after SIGKILL: ${(await find()).join(" ")}`);
}

/** Removes one lab (`id`) or every lab (no id), by names and paths alone. */
async function removeLabs(id?: string): Promise<void> {
  const namePrefix = id ? `${PREFIX}${id}-` : PREFIX;
  const dirs = id ? [join(RUN_ROOT, id), join(DATA_ROOT, id)] : [RUN_ROOT, DATA_ROOT];
  const namespaces = (await sh("ip", ["netns", "list"]))
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((ns) => ns.startsWith(namePrefix));

  // Power off: engines, containerds, shims, containers, the mirror and anything run in the namespaces.
  // A graceful stop buys nothing here (the data roots go too) and takes seconds per container.
  await killUntilGone(() => engineProcesses(`${dirs[0]}/`, namespaces, (c) => c.startsWith(namePrefix)));

  // Mounts the engines leave behind when killed (overlay, shm, netns files), deepest first.
  const mounts = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[4] ?? "")
    .filter((m) => dirs.some((d) => m === d || m.startsWith(`${d}/`)))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) await quiet("umount", ["-l", m]);

  for (const ns of namespaces) await quiet("ip", ["netns", "del", ns]);
  const links = (await sh("ip", ["-o", "link", "show"]))
    .split("\n")
    .map((l) => (l.split(": ")[1] ?? "").split("@")[0] ?? "")
    .filter((name) => name.startsWith(namePrefix));
  // Veths first (their peers go with them), then the bridges.
  links.sort(
    (a, b) =>
      Number(a.endsWith("pub") || a.endsWith("priv")) - Number(b.endsWith("pub") || b.endsWith("priv")),
  );
  for (const link of links) await quiet("ip", ["link", "del", link]);

  for (const line of (await sh("iptables", ["-S", "FORWARD"])).split("\n")) {
    if (!line.startsWith("-A FORWARD ") || !line.includes(namePrefix)) continue;
    await sh("iptables", ["-D", ...line.split(" ").slice(1)]);
  }

  // Container cgroups of killed engines stay behind (empty): children first.
  for (const ctrl of existsSync("/sys/fs/cgroup") ? readdirSync("/sys/fs/cgroup") : []) {
    const base = join("/sys/fs/cgroup", ctrl);
    let entries: string[];
    try {
      entries = readdirSync(base).filter((e) => e.startsWith(namePrefix));
    } catch {
      continue;
    }
    for (const e of entries)
      await quiet("find", [join(base, e), "-depth", "-type", "d", "-exec", "rmdir", "{}", ";"]);
  }

  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

/** The labs whose state file exists under /run/mtxlb-hosts (what `scripts/testhosts up` left running). */
export function recordedTestHosts(): TestHosts[] {
  if (!existsSync(RUN_ROOT)) return [];
  return readdirSync(RUN_ROOT)
    .map((id) => join(RUN_ROOT, id, "state.json"))
    .filter((f) => existsSync(f))
    .map((f) => labHandle(JSON.parse(readFileSync(f, "utf8")) as TestHostsState));
}

/** Removes every lab of any run, recorded or not, by the `mtxlb-` prefix and the two directories. */
export async function cleanupLeftoverTestHosts(): Promise<void> {
  await removeLabs();
}
