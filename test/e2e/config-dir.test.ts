import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HAPROXY_ARGS } from "../../infra/components/gateway";
import { applyConfigDir, type ConfigDirInputs } from "../../infra/providers/config-dir";
import { HAPROXY_DIR } from "../../infra/render/paths";
import { eventually } from "../support/publisher";
import { docker } from "../support/stack";

// Fault injection at the step that applies HAProxy configs: a config HAProxy rejects fails the update
// with HAProxy's own message, and the running proxy keeps serving the old config untouched.
const image = "mediamtx-lb/haproxy:3.0";
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
    const logs = spawnSync("docker", ["logs", container], { encoding: "utf8" });
    expect(`${logs.stdout}${logs.stderr}`.split("Loading success.").length - 1).toBe(2);
  });
});
