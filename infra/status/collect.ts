// The status's I/O: scripts/pulumi (stack outputs, config, the stats password), Docker (containers: the
// default engine, or with `hosts` each host's engine), HAProxy (admin socket, else the stats page), the
// router (/router on the stats port) and each instance's MediaMTX API where the gateway dials it. Every source is collected on its own: one that fails
// becomes an error in the report, never a failed status — the status is run when things are broken.
// Parsing and merging live in the pure modules beside this one.

import { execFile, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { homedir } from "node:os";
import { resolve } from "node:path";
import { checkServerIdentity, connect as tlsConnect } from "node:tls";
import type { FloatingModel, GatewayModel, HostModel, Model } from "../config/model";
import { LABELS } from "../config/names";
import { validateConfig } from "../config/validate";
import { runtimeApi } from "../haproxy/runtime-api";
import { type MapEntry, parseShowMap, showMapCommand } from "../haproxy/show-map";
import { parseShowInfo, parseStatCsv } from "../haproxy/stats-csv";
import { fetchDroppedLogs, fetchRouterStatus, fetchStats, statsEndpoint } from "../haproxy/stats-frontend";
import { parseShowTable, showTableOverCommand } from "../haproxy/stick-table";
import { STREAMS_MAP } from "../render/paths";
import {
  adminSocketPath,
  configDrift,
  deployedInstances,
  frontendLimits,
  gatewaySocketPath,
  gatewayStatsUrl,
  instanceMetricsUrl,
  parseOutputs,
  pathsListUrl,
  pulumiFailure,
  rawConfigFromPulumiJson,
  StackNotUpError,
} from "./deployment";
import { type ContainerInfo, parseDockerInspect } from "./docker-containers";
import { chooseGateway, type FloatingInput, type GatewayInput, parseIpv4Addresses } from "./gateways";
import { type LivePath, parsePathsPage } from "./mediamtx-paths";
import type {
  FrontendLimits,
  HaproxySnapshot,
  HostInput,
  LimitInput,
  LimitTableSnapshot,
  Result,
  StatusInputs,
  TlsObservation,
} from "./report";

const PULUMI_SCRIPT = resolve(__dirname, "..", "..", "scripts", "pulumi");

/** Per-request budget: a stopped instance's address never answers, and the status must stay quick. */
const HTTP_TIMEOUT_MS = 2000;
const SOCKET_TIMEOUT_MS = 2000;
const MAX_PAGES = 100;
/**
 * Deadlines for another host's engine: `docker version` answers in well under a second when the engine
 * is there (an ssh:// engine opens one connection per call), and a host that is gone must not hold the
 * status up: tcp:// waits for a dial timeout, ssh:// for its connect timeout, both far longer.
 */
const ENGINE_VERSION_TIMEOUT_MS = 5000;
const ENGINE_LIST_TIMEOUT_MS = 10_000;
/** `docker exec … ip addr` in a running container of an engine that just answered: well under a second. */
const ADDRESS_EXEC_TIMEOUT_MS = 5000;

interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(file: string, args: readonly string[]): Promise<CommandResult> {
  return new Promise((done, fail) => {
    execFile(file, args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === "ENOENT") {
        fail(new Error(`${file} is not installed or not on PATH (scripts/bootstrap sets it up)`));
        return;
      }
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      done({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

function message(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  // fetch wraps the socket error: its code (ECONNREFUSED, EHOSTUNREACH) is the useful part.
  const cause = e.cause?.code ?? e.cause?.message;
  return cause ? `${e.message ?? String(err)} (${cause})` : (e.message ?? String(err));
}

async function attempt<T>(fn: () => Promise<T>): Promise<Result<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return { ok: false, error: message(err) };
  }
}

async function pulumi(stack: string, args: readonly string[]): Promise<string> {
  const r = await run(PULUMI_SCRIPT, [...args, "--stack", stack]);
  if (r.code !== 0) throw pulumiFailure(stack, args.join(" "), r.stderr || r.stdout);
  return r.stdout;
}

async function docker(args: readonly string[]): Promise<string> {
  const r = await run("docker", args);
  if (r.code !== 0) {
    const line = (r.stderr || r.stdout).trim().split("\n")[0] ?? "";
    throw new Error(`docker ${args[0]} failed: ${line}`);
  }
  return r.stdout;
}

/**
 * `docker -H engine args…` (the default engine when undefined) with a deadline. Its own process group (detached): the CLI's ssh helper is a
 * child of docker, and killing the group on the deadline takes it along; without a terminal it cannot
 * prompt for a password or host key either, it fails at once.
 */
function dockerOn(engine: string | undefined, args: readonly string[], timeoutMs: number): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn("docker", [...(engine === undefined ? [] : ["-H", engine]), ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }, timeoutMs);
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      fail(
        e.code === "ENOENT"
          ? new Error("docker is not installed or not on PATH (scripts/bootstrap sets it up)")
          : e,
      );
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (timedOut) {
        fail(new Error(`no answer to docker ${args[0]} within ${timeoutMs / 1000}s`));
        return;
      }
      const stdout = Buffer.concat(out).toString("utf8");
      if (code === 0) {
        done(stdout);
        return;
      }
      const line = `${Buffer.concat(err).toString("utf8")}\n${stdout}`
        .split("\n")
        .map((l) => l.trim())
        .find((l) => l !== "");
      fail(new Error(`docker ${args[0]} failed: ${line ?? `exit code ${code}`}`));
    });
  });
}

/**
 * Every container labelled with the stack (the instances, HAProxy and anything left over), from the
 * default engine, or from `engine` (bounded by ENGINE_LIST_TIMEOUT_MS per call).
 */
async function stackContainers(stack: string, engine?: string): Promise<ContainerInfo[]> {
  const cli = (args: readonly string[]) =>
    engine === undefined ? docker(args) : dockerOn(engine, args, ENGINE_LIST_TIMEOUT_MS);
  const ids = (await cli(["ps", "-a", "-q", "--filter", `label=${LABELS.stack}=${stack}`]))
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  if (ids.length === 0) return [];
  return parseDockerInspect(JSON.parse(await cli(["inspect", "--type", "container", ...ids])));
}

interface HostContainers {
  readonly host: HostInput;
  readonly containers: readonly ContainerInfo[];
}

/**
 * One host: its engine's version, then the stack's containers there, tagged with the host. An engine that
 * does not answer (or cannot list) is an error in `engine` and no containers, never a failed status.
 */
async function hostContainers(stack: string, host: HostModel): Promise<HostContainers> {
  const base = {
    name: host.name,
    docker: host.docker,
    address: host.address,
    privateAddress: host.privateAddress ?? null,
  };
  const version = await attempt(async () =>
    (
      await dockerOn(host.docker, ["version", "--format", "{{.Server.Version}}"], ENGINE_VERSION_TIMEOUT_MS)
    ).trim(),
  );
  if (!version.ok) return { host: { ...base, engine: version }, containers: [] };
  const listed = await attempt(() => stackContainers(stack, host.docker));
  if (!listed.ok) return { host: { ...base, engine: listed }, containers: [] };
  return {
    host: { ...base, engine: version },
    containers: listed.value.map((c) => ({ ...c, host: host.name })),
  };
}

async function httpGet(url: string): Promise<string> {
  const res = await fetch(url, {
    redirect: "manual",
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
  });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}`);
  return body;
}

/**
 * The certificate the gateway serves on `port`, and whether it is trusted: signed by `caFile`'s CA (the
 * system's when undefined) and naming `serverName`. Read even when it is not trusted, so the status can
 * say which one is served and why it fails.
 */
function servedCertificate(
  host: string,
  port: number,
  serverName: string,
  caFile: string | undefined,
): Promise<TlsObservation> {
  const ca = caFile === undefined ? undefined : readFileSync(caFile, "utf8");
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({
      host,
      port,
      ca,
      servername: isIP(serverName) ? undefined : serverName,
      rejectUnauthorized: false,
      timeout: HTTP_TIMEOUT_MS,
    });
    socket.once("secureConnect", () => {
      const cert = socket.getPeerCertificate();
      const identity = checkServerIdentity(serverName, cert);
      const chain = socket.authorizationError ? String(socket.authorizationError) : undefined;
      socket.end();
      resolve({
        endpoint: `${host}:${port}`,
        subject: Object.entries(cert.subject ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(","),
        subjectAltName: cert.subjectaltname ?? "",
        validTo: new Date(cert.valid_to).toISOString(),
        untrusted: chain ?? identity?.message ?? null,
      });
    });
    socket.once("timeout", () => socket.destroy(new Error(`no TLS handshake within ${HTTP_TIMEOUT_MS} ms`)));
    socket.once("error", reject);
  });
}

async function instancePaths(address: string, port: number | undefined): Promise<readonly LivePath[]> {
  const items: LivePath[] = [];
  for (let page = 0, pageCount = 1; page < pageCount && page < MAX_PAGES; page++) {
    const parsed = parsePathsPage(JSON.parse(await httpGet(pathsListUrl(address, page, port))));
    items.push(...parsed.items);
    pageCount = parsed.pageCount;
  }
  return items;
}

/**
 * Server states: the admin socket first (no password, `show info` too); the stats page's CSV when the
 * socket cannot be used (another user than the one Docker runs as, or HAProxy reloading), with only
 * DroppedLogs of `show info`, read from /metrics.
 * Internal. Exported for testing.
 */
export async function haproxySnapshot(
  socketPath: string,
  statsUrl: string,
  auth: Result<string>,
): Promise<HaproxySnapshot> {
  const ask = (command: string) =>
    runtimeApi(socketPath, command, SOCKET_TIMEOUT_MS).catch((err: unknown) => {
      throw new Error(`admin socket ${socketPath}: ${message(err)}`);
    });
  let socketError: string;
  try {
    const stats = parseStatCsv(await ask("show stat"));
    const info = parseShowInfo(await ask("show info"));
    return { stats, info, via: "admin socket" };
  } catch (err) {
    socketError = message(err);
  }
  if (!auth.ok) throw new Error(`${socketError}; stats page: ${auth.error}`);
  try {
    const endpoint = { base: statsUrl, authorization: auth.value };
    const [stats, dropped] = await Promise.all([
      fetchStats(endpoint, HTTP_TIMEOUT_MS),
      // The exporter has the same counter; a failure here only leaves it unknown.
      fetchDroppedLogs(endpoint, HTTP_TIMEOUT_MS).catch(() => undefined),
    ]);
    return {
      stats,
      info: dropped === undefined ? {} : { DroppedLogs: String(dropped) },
      via: "stats page",
    };
  } catch (err) {
    throw new Error(`${socketError}; stats page: ${message(err)}`);
  }
}

/**
 * A limited frontend's stick table over the admin socket: one filtered `show table` per limit (only the
 * rows over it come back, however many addresses the table holds); each answer's header counts them
 * all. No stats-page fallback: only the Runtime API shows tables.
 * Internal. Exported for testing.
 */
export async function limitTable(socketPath: string, frontend: FrontendLimits): Promise<LimitTableSnapshot> {
  let tracked = 0;
  const over = new Set<string>();
  for (const { counter, limit } of frontend.limits) {
    const command = showTableOverCommand(frontend.frontend, counter, limit);
    const answer = await runtimeApi(socketPath, command, SOCKET_TIMEOUT_MS).catch((err: unknown) => {
      throw new Error(`admin socket ${socketPath}: ${message(err)}`);
    });
    const table = parseShowTable(answer);
    tracked = table.used;
    for (const entry of table.entries) over.add(entry.key);
  }
  return { trackedAddresses: tracked, overLimit: [...over].sort() };
}

/**
 * Whether a gateway's host holds the floating address: keepalived runs with the host's network, so its
 * addresses are the host's. keepalived's image has iproute2 (it runs `ip` itself); HAProxy's may not.
 */
async function holdsAddress(
  engine: string | undefined,
  keepalived: string,
  address: string,
): Promise<boolean> {
  const out = await dockerOn(
    engine,
    ["exec", keepalived, "ip", "-o", "-4", "addr", "show"],
    ADDRESS_EXEC_TIMEOUT_MS,
  );
  return parseIpv4Addresses(out).includes(address);
}

/** A gateway's stream map over its own admin socket (bounded by SOCKET_TIMEOUT_MS). */
async function streamMap(socketPath: string): Promise<MapEntry[]> {
  const answer = await runtimeApi(socketPath, showMapCommand(STREAMS_MAP), SOCKET_TIMEOUT_MS).catch(
    (err: unknown) => {
      throw new Error(`admin socket ${socketPath}: ${message(err)}`);
    },
  );
  return parseShowMap(answer);
}

/**
 * Every gateway of a pair at once: whether its host holds the address (not asked when its engine did not
 * answer: the status already waited for it once) and its stream map.
 */
async function collectFloating(
  model: Model,
  floating: FloatingModel,
  containers: readonly ContainerInfo[],
  engineDown: ReadonlySet<string>,
): Promise<FloatingInput> {
  const gateways = await Promise.all(
    model.gateways.map(async (g): Promise<GatewayInput> => {
      const keepalived = g.keepalived?.containerName ?? "";
      const engine = model.hosts.find((h) => h.name === g.host)?.docker;
      const socketPath = gatewaySocketPath(g, gatewayContainer(g, containers));
      const [holds, map] = await Promise.all([
        g.host !== undefined && engineDown.has(g.host)
          ? Promise.resolve<Result<boolean>>({ ok: false, error: `engine of ${g.host} did not answer` })
          : attempt(() => holdsAddress(engine, keepalived, floating.address)),
        attempt(() => streamMap(socketPath)),
      ]);
      return {
        name: g.name,
        host: g.host,
        haproxyContainer: g.containerName,
        keepalivedContainer: keepalived,
        holds,
        map,
      };
    }),
  );
  return { address: floating.address, gateways };
}

/** A gateway's HAProxy container as its host's engine listed it. */
function gatewayContainer(g: GatewayModel, containers: readonly ContainerInfo[]): ContainerInfo | undefined {
  return containers.find((c) => c.name === g.containerName && c.host === g.host);
}

export interface CollectOptions {
  readonly stack: string;
  readonly stream?: string;
}

/** Everything buildReport needs. Throws StackNotUpError (one line) when there is no running stack. */
export async function collectStatus(options: CollectOptions): Promise<StatusInputs> {
  const { stack } = options;
  const outputsText = pulumi(stack, ["stack", "output", "--json"]);
  // --show-secrets: `tls` and `publishers` become secret as a whole once one value in them is, and the
  // model needs their shape (source, users). Nothing read here is printed; passwords never leave the model
  // builder (validateConfig keeps users and prefixes only).
  const configText = pulumi(stack, ["config", "--json", "--show-secrets"]);
  // The secret, only ever used in an Authorization header. A stack without one still gets a report.
  const authorization = attempt(async () =>
    (await pulumi(stack, ["config", "get", "statsPassword"])).replace(/\n$/, ""),
  );
  // Settle every branch (attempt() never rejects) so an early throw leaves no rejection unhandled.
  const [outputsResult, configResult] = await Promise.allSettled([outputsText, configText]);
  if (outputsResult.status === "rejected") throw outputsResult.reason;
  const outputs = parseOutputs(stack, JSON.parse(outputsResult.value));
  if (configResult.status === "rejected") throw configResult.reason;
  // Status reads the secret itself (and reports its absence), so the validator is told it is set.
  const model = validateConfig(rawConfigFromPulumiJson(JSON.parse(configResult.value)), {
    stack,
    homeDir: homedir(),
    statsPasswordSet: true,
  });

  // With `hosts`: every engine at once, each bounded; the stack is "not up" only when all answered.
  const perHost = await Promise.all(model.hosts.map((h) => hostContainers(stack, h)));
  const hosts = model.hosts.length === 0 ? undefined : perHost.map((h) => h.host);
  const containers =
    hosts === undefined ? await stackContainers(stack) : perHost.flatMap((h) => h.containers);
  const engineDown = new Set(perHost.filter((h) => !h.host.engine.ok).map((h) => h.host.name));
  if (containers.length === 0 && engineDown.size === 0) {
    throw new StackNotUpError(
      `stack ${stack} is not up: Docker has none of its containers (state says deployed: scripts/pulumi up --refresh --stack ${stack} recreates them)`,
    );
  }
  const instances = deployedInstances(outputs, model, containers);
  // A pair: servers, router and tables are read from the gateway that holds the address (chooseGateway).
  const floating =
    model.floating === undefined
      ? undefined
      : await collectFloating(model, model.floating, containers, engineDown);
  const used =
    floating === undefined ? undefined : model.gateways.find((g) => g.name === chooseGateway(floating).name);
  const haproxyContainer = used?.containerName ?? model.gateway.containerName;
  const gatewayHost = used === undefined ? model.gatewayHost : used.host;
  const statsUrl = used === undefined ? model.local.stats : gatewayStatsUrl(used);
  const password = await authorization;
  const auth: Result<string> = password.ok
    ? { ok: true, value: statsEndpoint(statsUrl, model.stats.user, password.value).authorization ?? "" }
    : { ok: false, error: `no stats password (${password.error})` };

  const running = new Set(containers.filter((c) => c.running).map((c) => `${c.host ?? ""}/${c.name}`));
  const socketPath =
    used === undefined
      ? adminSocketPath(
          model,
          containers.find((c) => c.name === haproxyContainer && c.host === model.gatewayHost),
        )
      : gatewaySocketPath(used, gatewayContainer(used, containers));
  const limited = frontendLimits(model);
  const tables = Promise.all(
    limited.map(
      async (f): Promise<LimitInput> => ({
        ...f,
        table: f.limits.length === 0 ? null : await attempt(() => limitTable(socketPath, f)),
      }),
    ),
  );
  const [haproxy, router, ...paths] = await Promise.all([
    attempt(() => haproxySnapshot(socketPath, statsUrl, auth)),
    attempt(async () => {
      if (!auth.ok) throw new Error(auth.error);
      return fetchRouterStatus({ base: statsUrl, authorization: auth.value }, HTTP_TIMEOUT_MS);
    }),
    // An instance whose engine did not answer may still be running: its API is asked regardless.
    ...instances.map((i) =>
      running.has(`${i.host ?? ""}/${i.containerName}`) || (i.host !== undefined && engineDown.has(i.host))
        ? attempt(() => instancePaths(i.dial?.address ?? i.address, i.dial?.api))
        : Promise.resolve<Result<readonly LivePath[]>>({ ok: false, error: "container not running" }),
    ),
  ]);

  // The HLS listener stands for all TLS listeners: they serve the same certificate file.
  const localTls = model.local.tls;
  const tls =
    localTls === undefined
      ? undefined
      : await attempt(() =>
          servedCertificate(model.local.host, model.ports.hlsTls, localTls.serverName, localTls.caFile),
        );

  return {
    stack,
    collectedAt: new Date().toISOString(),
    pollIntervalMs: model.routing.pollIntervalMs,
    haproxyContainer,
    logSinkContainer: used?.logSink.containerName ?? model.logSink.containerName,
    instances,
    containers,
    haproxy,
    router,
    paths: Object.fromEntries(
      instances.map((i, n) => [i.name, paths[n] ?? { ok: false, error: "not asked" }]),
    ),
    endpoints: { stats: `${statsUrl}/stats`, metrics: `${statsUrl}/metrics`, router: `${statsUrl}/router` },
    metricsUrls: Object.fromEntries(
      instances.map((i) => [i.name, instanceMetricsUrl(i.dial?.address ?? i.address, i.dial?.metrics)]),
    ),
    drift: configDrift(outputs, model),
    limits: await tables,
    ...(options.stream === undefined ? {} : { stream: options.stream }),
    ...(tls === undefined ? {} : { tls }),
    ...(hosts === undefined ? {} : { hosts, gatewayHost }),
    ...(floating === undefined ? {} : { floating }),
  };
}
