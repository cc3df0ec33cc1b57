// Runs `haproxy -c` on rendered files placed exactly where the gateway container sees them
// (HAPROXY_DIR), because haproxy.cfg names absolute paths: lua-load, the streams map, the server-state
// file. `-c` executes the Lua file bodies and opens map files, so those must be present too.

import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { Model } from "../../infra/config/model";
import {
  createCertificateAuthority,
  issueServerCertificate,
  serverPemFile,
} from "../../infra/providers/self-signed/generate";
import {
  credentialsConfigured,
  type PasswordLookup,
  renderCredentialsLua,
} from "../../infra/render/credentials";
import { renderGatewayFiles } from "../../infra/render/gateway-files";
import { INITIAL_SERVER_STATE, renderHaproxySecrets } from "../../infra/render/haproxy";
import {
  CREDENTIALS_LUA,
  HAPROXY_CONFIG,
  HAPROXY_DIR,
  HAPROXY_SECRETS,
  inHaproxyDir,
  SERVER_STATE_FILE,
  TLS_CA_FILE,
  TLS_CERT_FILE,
} from "../../infra/render/paths";

export type HaproxyRunner = "host" | { readonly image: string };

export interface HaproxyCheckResult {
  /** haproxy exited 0. Warnings alone do not make it false; look at `output` for them. */
  readonly ok: boolean;
  /** stdout and stderr, trimmed. */
  readonly output: string;
}

/** The host's HAProxy (Debian bookworm: 2.6). */
export const HOST_HAPROXY = "/usr/sbin/haproxy";

/**
 * Everything HAPROXY_DIR holds when the gateway runs: renderGatewayFiles (what the stack ships) plus
 * the stats secret, credentials.lua when the model has publishers or readers (their passwords from
 * `passwords`), and the server-state file the gateway seeds.
 */
export function haproxyDirFiles(
  model: Model,
  statsPassword: string,
  passwords?: PasswordLookup,
): Record<string, string> {
  const credentials: Record<string, string> = {};
  if (credentialsConfigured(model)) {
    if (passwords === undefined)
      throw new Error("haproxyDirFiles: the model has credentials, pass their passwords");
    credentials[inHaproxyDir(CREDENTIALS_LUA)] = renderCredentialsLua(model, passwords);
  }
  return {
    ...renderGatewayFiles(model),
    [inHaproxyDir(HAPROXY_SECRETS)]: renderHaproxySecrets(model.stats.user, statsPassword),
    ...credentials,
    [inHaproxyDir(SERVER_STATE_FILE)]: INITIAL_SERVER_STATE,
  };
}

/**
 * A certificate for `model`'s TLS names as the gateway directory holds it (TLS_CERT_FILE, TLS_CA_FILE),
 * made by the stack's own generator; empty without TLS. `haproxy -c` loads every `crt` file, so a check
 * of a TLS config needs one.
 */
export async function testTlsFiles(model: Model): Promise<Record<string, string>> {
  if (model.tls === undefined) return {};
  const ca = await createCertificateAuthority("mediamtx-lb test CA");
  const leaf = await issueServerCertificate(ca, model.tls);
  return {
    [inHaproxyDir(TLS_CERT_FILE)]: serverPemFile(leaf.certPem, leaf.keyPem),
    [inHaproxyDir(TLS_CA_FILE)]: ca.certPem,
  };
}

/**
 * Writes `files` (paths relative to HAPROXY_DIR, subdirectories created) into `dir`. World-readable:
 * the official image runs as user haproxy.
 */
export function writeHaproxyDir(dir: string, files: Readonly<Record<string, string>>): void {
  chmodSync(dir, 0o755);
  for (const [relative, content] of Object.entries(files)) {
    if (relative.startsWith("/") || relative.split("/").includes("..")) {
      throw new Error(`writeHaproxyDir: file names must be relative to ${HAPROXY_DIR}, got ${relative}`);
    }
    const target = join(dir, relative);
    mkdirSync(dirname(target), { recursive: true, mode: 0o755 });
    writeFileSync(target, content, { mode: 0o644 });
  }
}

/** Command line run inside HAPROXY_DIR's view: the same two files the gateway container loads. */
const CHECK_ARGS = ["-c", "-f", HAPROXY_CONFIG, "-f", HAPROXY_SECRETS];

/**
 * Writes `files` (paths relative to HAPROXY_DIR, e.g. haproxyDirFiles(model, password)) into a fresh
 * temp dir and checks them.
 * - "host": /usr/sbin/haproxy in a private mount namespace (`unshare --mount`, needs root) with the temp
 *   dir bind-mounted on HAPROXY_DIR, so the host's own filesystem is not touched beyond creating the
 *   empty mount point.
 * - `{ image }`: `docker run --rm --network none` with the temp dir mounted read-only on HAPROXY_DIR.
 */
export function checkHaproxyConfig(
  files: Readonly<Record<string, string>>,
  opts: {
    readonly runner: HaproxyRunner;
    /** HAProxy's arguments; default: the gateway's two files with -c. */
    readonly args?: readonly string[];
  },
): HaproxyCheckResult {
  const args = opts.args ?? CHECK_ARGS;
  const dir = mkdtempSync(join(tmpdir(), "mediamtx-lb-haproxy-check-"));
  try {
    writeHaproxyDir(dir, files);
    const result =
      opts.runner === "host"
        ? runOnHost(dir, args)
        : run("docker", [
            "run",
            "--rm",
            "--network",
            "none",
            "-v",
            `${dir}:${HAPROXY_DIR}:ro`,
            // Whatever the image's entrypoint script does, run haproxy itself.
            "--entrypoint",
            "haproxy",
            opts.runner.image,
            ...args,
          ]);
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Whether the local Docker engine has `image` (scripts/bootstrap builds the local HAProxy 3.0 image). */
export function imageExists(image: string): boolean {
  const result = spawnSync("docker", ["image", "inspect", image], { stdio: "ignore", timeout: 30_000 });
  return result.status === 0;
}

function runOnHost(dir: string, args: readonly string[]): HaproxyCheckResult {
  mkdirSync(HAPROXY_DIR, { recursive: true });
  return run("unshare", withDirOnHaproxyDir(dir, args));
}

/**
 * `unshare` arguments that run the host's HAProxy with `dir` bind-mounted on HAPROXY_DIR. unshare
 * --mount makes mounts private to the new namespace (util-linux default propagation), so the bind
 * mount disappears with the process and other users of the host never see it; exec keeps one pid.
 */
export function withDirOnHaproxyDir(dir: string, haproxyArgs: readonly string[]): string[] {
  return [
    "--mount",
    "sh",
    "-c",
    'mkdir -p "$2" && mount --bind "$1" "$2" && shift 2 && exec "$@"',
    "sh",
    dir,
    HAPROXY_DIR,
    HOST_HAPROXY,
    ...haproxyArgs,
  ];
}

function run(command: string, args: readonly string[]): HaproxyCheckResult {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 60_000 });
  if (result.error !== undefined) {
    return { ok: false, output: `${command}: ${result.error.message}` };
  }
  const output = `${result.stdout}${result.stderr}`.trim();
  return { ok: result.status === 0, output };
}
