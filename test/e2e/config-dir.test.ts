import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HAPROXY_ARGS, haproxyReloadSpec } from "../../infra/components/gateway";
import { runtimeApi } from "../../infra/haproxy/runtime-api";
import { applyConfigDir, type ConfigDirInputs, type ServerWeight } from "../../infra/providers/config-dir";
import { HAPROXY_DIR } from "../../infra/render/paths";
import { localImages } from "../../scripts/lib/versions";
import { eventually } from "../support/publisher";
import { docker } from "../support/stack";

// Fault injection at the step that applies HAProxy configs: a config HAProxy rejects fails the update
// with HAProxy's own message, and the running proxy keeps serving the old config untouched.
const image = localImages().haproxy;
const container = `e2e-configdir-${process.pid}`;
const port = 25404;

const config = (extra: string) => `global
    stats socket ${HAPROXY_DIR}/run/admin.sock mode 660 level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend stats
    bind 127.0.0.1:${port}
    http-request return status 200 content-type text/plain string "serving ${extra.length}"
${extra}
`;
/** The gateway's reload spec for a config whose weights are `weights`; `weightless` is that config with them neutralized. */
const haproxyReload = (weightless: string, weights: readonly ServerWeight[]) =>
  haproxyReloadSpec(container, weights, createHash("sha256").update(weightless).digest("hex"));
const reloads = () => {
  const logs = spawnSync("docker", ["logs", container], { encoding: "utf8" });
  return `${logs.stdout}${logs.stderr}`.split("Loading success.").length - 1;
};

describe("ConfigDir applying HAProxy configs", () => {
  let dir: string;
  let inputs: ConfigDirInputs;

  beforeAll(async () => {
    dir = join(mkdtempSync(join(tmpdir(), "mlb-configdir-")), "haproxy");
    inputs = {
      dir,
      files: { "haproxy.cfg": config("") },
      secretFiles: { "secrets.cfg": "userlist stats_users\n    user admin insecure-password x\n" },
      writableDirs: ["run"],
      initialFiles: {},
      summary: "",
      validate: { image, mountPath: HAPROXY_DIR, command: [...HAPROXY_ARGS, "-c"] },
      reload: { container, signal: "SIGUSR2" },
    };
    await applyConfigDir(undefined, inputs);
    await docker(["rm", "-f", container]).catch(() => "");
    await docker([
      ...[
        "run",
        "-d",
        "--name",
        container,
        "--network",
        "host",
        "--label",
        "mediamtx-lb.stack=e2e-configdir",
      ],
      ...["-v", `${dir}:${HAPROXY_DIR}`, image, ...HAPROXY_ARGS],
    ]);
    await eventually("proxy serving", async () => {
      const r = await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined);
      return r?.status === 200 ? true : undefined;
    });
  });

  afterAll(async () => {
    await docker(["rm", "-f", container]).catch(() => "");
    rmSync(join(dir, ".."), { recursive: true, force: true });
  });

  it("rejects a config HAProxy refuses, naming the directive, and leaves the live one alone", async () => {
    const before = readFileSync(join(dir, "haproxy.cfg"), "utf8");
    const broken = { ...inputs, files: { "haproxy.cfg": config("backend oops\n    bogus-directive 1\n") } };
    await expect(applyConfigDir(inputs, broken)).rejects.toThrow(/bogus-directive/);
    expect(readFileSync(join(dir, "haproxy.cfg"), "utf8")).toBe(before);
    const r = await fetch(`http://127.0.0.1:${port}/`);
    expect(await r.text()).toBe("serving 0");
  });

  it("applies a valid change with a graceful reload the master confirms", async () => {
    const next = { ...inputs, files: { "haproxy.cfg": config("# reloaded\n") } };
    expect(await applyConfigDir(inputs, next)).toBe("written+reloaded");
    await eventually("new config served", async () => {
      const r = await fetch(`http://127.0.0.1:${port}/`);
      return (await r.text()) === "serving 11" ? true : undefined;
    });
    expect(reloads()).toBe(2);
    inputs = next;
  });

  it("keeps the stats password readable only by the user the image runs as", () => {
    const st = statSync(join(dir, "secrets.cfg"));
    expect(st.mode & 0o777).toBe(0o600);
    const ids = spawnSync("docker", ["run", "--rm", "--entrypoint", "sh", image, "-c", "id -u"], {
      encoding: "utf8",
    });
    expect(st.uid).toBe(Number(ids.stdout.trim()));
    expect(statSync(join(dir, "haproxy.cfg")).mode & 0o777).toBe(0o644);
  });

  it("puts the previous files back when the reload fails, and the next apply tries again", async () => {
    // `haproxy -c` does not bind, so a frontend on a taken port passes validation and fails the reload.
    const taken: Server = createServer();
    await new Promise<void>((r) => taken.listen(port + 1, "127.0.0.1", r));
    try {
      const withReload: ConfigDirInputs = { ...inputs, reload: haproxyReload(config("# reloaded\n"), []) };
      const before = readFileSync(join(dir, "haproxy.cfg"), "utf8");
      const clashing = config(`frontend clash\n    bind 127.0.0.1:${port + 1}\n`);
      const clash = {
        ...withReload,
        files: { "haproxy.cfg": clashing },
        reload: haproxyReload(clashing, []),
      };
      await expect(applyConfigDir(withReload, clash)).rejects.toThrow(/reload failed[\s\S]*put back/);
      expect(readFileSync(join(dir, "haproxy.cfg"), "utf8")).toBe(before);
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe("serving 11");
      // The state still records the old files: the same change is attempted (and refused) again,
      // never reported "unchanged".
      await expect(applyConfigDir(withReload, clash)).rejects.toThrow(/reload failed/);
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });

  it("sets a weights-only change over the Runtime API, with no reload", async () => {
    const withWeight = (weight: number): ConfigDirInputs => {
      const backend = (w: number) => `backend b\n    server s1 127.0.0.1:9 weight ${w}\n`;
      return {
        ...inputs,
        files: { "haproxy.cfg": config(backend(weight)) },
        reload: haproxyReload(config(backend(0)), [{ backend: "b", server: "s1", weight }]),
      };
    };
    // State without weights (as an older version wrote it) and a new backend: a reload.
    expect(await applyConfigDir(inputs, withWeight(1))).toBe("written+reloaded");
    const before = reloads();
    expect(await applyConfigDir(withWeight(1), withWeight(3))).toBe("written+runtime-api");
    expect((await runtimeApi(join(dir, "run/admin.sock"), "get weight b/s1")).trim()).toBe("3 (initial 1)");
    expect(readFileSync(join(dir, "haproxy.cfg"), "utf8")).toBe(withWeight(3).files["haproxy.cfg"]);
    expect(reloads()).toBe(before);
    inputs = withWeight(3);
  });

  it("refuses a hostDir that holds someone else's files, before writing anything", async () => {
    const foreign = join(dir, "..", "foreign");
    mkdirSync(foreign);
    writeFileSync(join(foreign, "passwd"), "not ours\n");
    await expect(applyConfigDir(undefined, { ...inputs, dir: foreign })).rejects.toThrow(
      /not empty and was not created by mediamtx-lb/,
    );
    expect(readFileSync(join(foreign, "passwd"), "utf8")).toBe("not ours\n");
  });
});
