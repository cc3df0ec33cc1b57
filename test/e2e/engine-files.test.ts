import { type AddressInfo, createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EngineFilesInputs } from "../../infra/providers/engine-files/inputs";
import { applyEngineFiles, deleteEngineFiles } from "../../infra/providers/engine-files/provider";
import { localImages } from "../../scripts/lib/versions";
import { eventually } from "../support/publisher";
import { docker } from "../support/stack";

// EngineFiles' provider functions against the local engine, driven directly like config-dir.test.ts
// drives ConfigDir: files written through `docker cp` into a named volume reach a RUNNING MediaMTX that
// mounts it (it reloads in place, no restart), a removed file disappears, delete removes the volume, and
// an engine that does not answer fails with one line.
const ENGINE = "unix:///var/run/docker.sock";
const image = localImages().mediamtx;
const LABEL = "mediamtx-lb.e2e";
const volume = `e2e-enginefiles-${process.pid}`;
const mtx = `e2e-enginefiles-mtx-${process.pid}`;

/** Helper containers of this test that are still there (docker ANDs the two label filters). */
const HELPERS = [
  "ps",
  "-aq",
  "--filter",
  "label=mediamtx-lb.helper=engine-files",
  "--filter",
  `label=${LABEL}=engine-files`,
];

/** A MediaMTX config whose API answers anyone (the host reaches the container on the bridge). */
const config = (logLevel: string) => `logLevel: ${logLevel}
logDestinations: [stdout]
api: true
apiAddress: :9997
authInternalUsers:
  - user: any
    ips: []
    permissions:
      - action: api
rtsp: false
rtmp: false
hls: false
webrtc: false
srt: false
`;

/** The file as the container that mounts the volume at /config sees it; undefined when it has none. */
async function fileIn(container: string, name: string): Promise<string | undefined> {
  const { execFileSync } = await import("node:child_process");
  try {
    const tar = execFileSync("docker", ["cp", `${container}:/config/${name}`, "-"], { stdio: "pipe" });
    return execFileSync("tar", ["-xO", "-f", "-"], { input: tar, encoding: "utf8" });
  } catch (err) {
    if (/Could not find the file/.test(String((err as { stderr?: Buffer }).stderr))) return undefined;
    throw err;
  }
}

async function removeLeftovers(): Promise<void> {
  const ids = (await docker(["ps", "-aq", "--filter", `label=${LABEL}=engine-files`])).split("\n");
  if (ids.some((id) => id !== "")) await docker(["rm", "-f", ...ids.filter((id) => id !== "")]);
  const vols = (await docker(["volume", "ls", "-q", "--filter", `label=${LABEL}=engine-files`])).split("\n");
  if (vols.some((v) => v !== "")) await docker(["volume", "rm", ...vols.filter((v) => v !== "")]);
}

describe("EngineFiles on the local engine", () => {
  let inputs: EngineFilesInputs;
  let apiUrl: string;

  beforeAll(async () => {
    await removeLeftovers();
    // scripts/bootstrap builds the image; in a fresh checkout it may still be at work.
    await eventually(
      "image built by scripts/bootstrap",
      async () =>
        (await docker(["image", "inspect", "-f", "{{.Id}}", image]).catch(() => "")) === ""
          ? undefined
          : true,
      840_000,
    );
    inputs = {
      engine: ENGINE,
      volume,
      image,
      files: { "mediamtx.yml": config("info"), "notes.txt": "to be removed\n" },
      labels: { [LABEL]: "engine-files", "mediamtx-lb.stack": "e2e-enginefiles" },
    };
  });

  afterAll(async () => {
    await removeLeftovers();
  });

  it("creates the volume with the labels and writes the files a container then reads", async () => {
    expect(await applyEngineFiles(undefined, inputs)).toBe("created");
    const labels = JSON.parse(await docker(["volume", "inspect", "-f", "{{json .Labels}}", volume]));
    expect(labels).toMatchObject(inputs.labels);
    await docker([
      ...["run", "-d", "--name", mtx, "--label", `${LABEL}=engine-files`, "-v", `${volume}:/config`],
      ...[image, "/config/mediamtx.yml"],
    ]);
    const ip = await docker([
      "inspect",
      "-f",
      "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
      mtx,
    ]);
    apiUrl = `http://${ip}:9997`;
    const logLevel = async () => {
      const r = await fetch(`${apiUrl}/v3/config/global/get`, { signal: AbortSignal.timeout(2_000) });
      return ((await r.json()) as { logLevel?: string }).logLevel;
    };
    expect(await eventually("MediaMTX API", logLevel)).toBe("info");
    expect(await fileIn(mtx, "notes.txt")).toBe("to be removed\n");
  });

  it("does nothing for the same files", async () => {
    expect(await applyEngineFiles(inputs, inputs)).toBe("unchanged");
    expect(await docker(HELPERS)).toBe("");
  });

  it("changes a file under the RUNNING container, which reloads it in place, and removes a dropped file", async () => {
    const before = await docker(["inspect", "-f", "{{.Id}} {{.State.StartedAt}} {{.RestartCount}}", mtx]);
    const next: EngineFilesInputs = { ...inputs, files: { "mediamtx.yml": config("debug") } };
    const started = Date.now();
    expect(await applyEngineFiles(inputs, next)).toBe("updated");
    const took = Date.now() - started;
    console.info(`EngineFiles update (1 file written, 1 removed) took ${took} ms`);
    const logLevel = async () => {
      const r = await fetch(`${apiUrl}/v3/config/global/get`, { signal: AbortSignal.timeout(2_000) });
      const level = ((await r.json()) as { logLevel?: string }).logLevel;
      return level === "debug" ? level : undefined;
    };
    expect(await eventually("MediaMTX reloaded the new file", logLevel)).toBe("debug");
    expect(await fileIn(mtx, "mediamtx.yml")).toBe(config("debug"));
    expect(await fileIn(mtx, "notes.txt")).toBeUndefined();
    // Same container, never restarted: it reloaded the file itself.
    expect(await docker(["inspect", "-f", "{{.Id}} {{.State.StartedAt}} {{.RestartCount}}", mtx])).toBe(
      before,
    );
    const logs = await docker(["logs", mtx]).catch(() => "");
    expect(logs).not.toMatch(/ERR/);
    // One reload: the hard link's create event; the staging file and the removal are other names.
    expect(logs.split("reloading configuration (file changed)").length - 1).toBe(1);
    // Every helper container is gone.
    expect(await docker(HELPERS)).toBe("");
    inputs = next;
  });

  it("fails with one line and leaves no helper when the image is not on the engine", async () => {
    const next = { ...inputs, image: "mediamtx-lb/absent:0", files: { "mediamtx.yml": config("warn") } };
    const err = await applyEngineFiles(inputs, next).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(
      new RegExp(
        `^EngineFiles: create helper container failed on engine ${ENGINE} \\(volume ${volume}\\): .+`,
      ),
    );
    expect(err?.message).not.toContain("\n");
    expect(await docker(HELPERS)).toBe("");
  });

  it("refuses to remove the volume while a container mounts it, naming engine and volume", async () => {
    await expect(deleteEngineFiles(inputs)).rejects.toThrow(
      new RegExp(`^EngineFiles: volume rm failed on engine ${ENGINE} \\(volume ${volume}\\): .*in use`),
    );
  });

  it("removes the volume on delete, and a second delete finds nothing to do", async () => {
    await docker(["rm", "-f", mtx]);
    await deleteEngineFiles(inputs);
    await expect(docker(["volume", "inspect", volume])).rejects.toThrow(/no such volume/i);
    await deleteEngineFiles(inputs);
  });

  it.each([
    ["apply", () => applyEngineFiles(undefined, { ...inputs, engine: "unix:///nonexistent.sock" })],
    ["delete", () => deleteEngineFiles({ ...inputs, engine: "unix:///nonexistent.sock" })],
  ])("%s on an engine that is not there fails with one line naming it", async (_case, call) => {
    const err = await call().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(
      new RegExp(
        `^EngineFiles: engine unix:///nonexistent.sock not reachable \\(volume ${volume}\\): .*Cannot connect to the Docker daemon`,
      ),
    );
    expect(err?.message).not.toContain("\n");
  });

  it("gives up on an engine that accepts the connection and never answers", async () => {
    // A host that hangs (dead daemon behind a live socket, stalled ssh): the CLI would wait forever.
    const silent: Server = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const engine = `tcp://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const started = Date.now();
      await expect(deleteEngineFiles({ ...inputs, engine })).rejects.toThrow(
        new RegExp(
          `^EngineFiles: engine ${engine} not reachable \\(volume ${volume}\\): no answer within 20s$`,
        ),
      );
      expect(Date.now() - started).toBeLessThan(30_000);
    } finally {
      silent.close();
    }
  });
});
