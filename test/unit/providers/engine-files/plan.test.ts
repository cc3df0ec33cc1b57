import { describe, expect, it } from "vitest";
import type { EngineFilesInputs } from "../../../../infra/providers/engine-files/inputs";
import { diffEngineFiles, fileNameProblems, planFiles } from "../../../../infra/providers/engine-files/plan";

const base: EngineFilesInputs = {
  engine: "unix:///var/run/docker.sock",
  volume: "mtx-a-config",
  image: "mediamtx-lb/mediamtx:1.20.0",
  files: { "mediamtx.yml": "logLevel: info\n" },
  labels: { "mediamtx-lb.stack": "dev" },
};

describe("diffEngineFiles", () => {
  it.each<[string, Partial<EngineFilesInputs>, readonly string[]]>([
    ["another engine", { engine: "ssh://deploy@mtx-2" }, ["engine"]],
    ["another volume", { volume: "mtx-b-config" }, ["volume"]],
    ["both", { engine: "tcp://10.0.0.2:2376", volume: "x" }, ["engine", "volume"]],
    ["new content", { files: { "mediamtx.yml": "logLevel: debug\n" } }, []],
    ["a file more", { files: { ...base.files, "extra.yml": "" } }, []],
    ["another image", { image: "mediamtx-lb/mediamtx:1.21.0" }, []],
    ["other labels", { labels: { "mediamtx-lb.stack": "prod" } }, []],
  ])("%s: changes, replacing %j, create before delete", (_case, change, replaces) => {
    expect(diffEngineFiles(base, { ...base, ...change })).toEqual({
      changes: true,
      replaces,
      deleteBeforeReplace: false,
    });
  });

  it("sees no change for the same inputs, whatever order the state keeps the keys in", () => {
    const files = { "b.yml": "b", "a.yml": "a" };
    const reordered = { ...base, files: { "a.yml": "a", "b.yml": "b" } };
    expect(diffEngineFiles({ ...base, files }, reordered)).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  it("treats missing old labels (older state) as a change, in place", () => {
    const { labels: _, ...old } = base;
    expect(diffEngineFiles(old, base)).toMatchObject({ changes: true, replaces: [] });
  });
});

describe("planFiles", () => {
  it.each<[string, Record<string, string> | undefined, Record<string, string>, string[], string[]]>([
    ["create writes all, sorted", undefined, { "b.yml": "b", "a.yml": "a" }, ["a.yml", "b.yml"], []],
    ["same files: nothing", { "a.yml": "a" }, { "a.yml": "a" }, [], []],
    ["changed content only", { "a.yml": "a", "b.yml": "b" }, { "a.yml": "A", "b.yml": "b" }, ["a.yml"], []],
    ["new file", { "a.yml": "a" }, { "a.yml": "a", "c.pem": "c" }, ["c.pem"], []],
    ["removed file", { "a.yml": "a", "b.yml": "b" }, { "a.yml": "a" }, [], ["b.yml"]],
    ["emptied content is a write", { "a.yml": "a" }, { "a.yml": "" }, ["a.yml"], []],
    ["all replaced", { "z.yml": "z", "y.yml": "y" }, { "a.yml": "a" }, ["a.yml"], ["y.yml", "z.yml"]],
  ])("%s", (_case, old, next, write, remove) => {
    expect(planFiles(old, next)).toEqual({ write, remove });
  });
});

describe("fileNameProblems", () => {
  it("accepts plain names", () => {
    expect(fileNameProblems({ "mediamtx.yml": "", "server_1.crt": "", "a-b.key": "", "1.txt": "" })).toEqual(
      [],
    );
  });

  it.each([
    ["a subdirectory", "tls/server.pem"],
    ["a hidden name (the staging file's kind)", ".mediamtx-lb.next"],
    ["a parent reference", ".."],
    ["an absolute path", "/etc/passwd"],
    ["a space", "media mtx.yml"],
    ["an empty name", ""],
    ["more than the ustar name field", `${"a".repeat(101)}`],
  ])("refuses %s, naming it", (_case, name) => {
    expect(fileNameProblems({ [name]: "x", "mediamtx.yml": "" })).toEqual([
      `EngineFiles: file name ${JSON.stringify(name)} not allowed: a plain name of letters, digits, ., _ and -, not starting with ., at most 100 bytes`,
    ]);
  });
});
