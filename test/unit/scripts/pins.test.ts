import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { pin } from "../../../scripts/lib/versions";

// One place for pins: npm versions in package.json/package-lock.json; the engine and plugins must match
// them exactly, and what the cache actually holds must match too.
const root = resolve(__dirname, "..", "..", "..");
const pkg = JSON.parse(readFileSync(resolve(root, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const lock = JSON.parse(readFileSync(resolve(root, "package-lock.json"), "utf8")) as {
  packages: Record<string, { version: string }>;
};
const locked = (name: string) => lock.packages[`node_modules/${name}`]?.version;
const pulumiScript = resolve(root, "scripts", "pulumi");
// Outside CI vitest may run before scripts/bootstrap; in CI the built CLI must be there and is checked.
const bootstrapped =
  process.env.CI === "true" ||
  existsSync(
    resolve(
      process.env.MEDIAMTX_LB_CACHE ?? resolve(process.env.HOME ?? "", ".cache", "mediamtx-lb"),
      `pulumi-${locked("@pulumi/pulumi")}`,
    ),
  );

describe("npm pins", () => {
  it.each(
    Object.entries({ ...pkg.dependencies, ...pkg.devDependencies }),
  )("%s is pinned exactly and locked at %s", (name, range) => {
    expect(range).toMatch(/^\d+\.\d+\.\d+$/);
    expect(locked(name)).toBe(range);
  });

  it("has a single copy of @pulumi/pulumi", () => {
    const copies = Object.keys(lock.packages).filter((p) => p.endsWith("node_modules/@pulumi/pulumi"));
    expect(copies).toEqual(["node_modules/@pulumi/pulumi"]);
  });
});

describe("plugin pins follow their npm packages", () => {
  it("the docker provider build maps names for the locked @pulumi/docker", () => {
    expect(pin("DOCKERPROV_SDK_VERSION")).toBe(locked("@pulumi/docker"));
  });

  it.runIf(bootstrapped)("the built CLI is the locked @pulumi/pulumi version", () => {
    const out = execFileSync(pulumiScript, ["version"], { encoding: "utf8" }).trim();
    expect(out).toBe(`v${locked("@pulumi/pulumi")}`);
  });

  it.runIf(bootstrapped)("the installed docker plugin is the locked @pulumi/docker version", () => {
    const out = execFileSync(pulumiScript, ["plugin", "ls", "--json"], { encoding: "utf8" });
    const plugins = JSON.parse(out) as { name: string; kind: string; version: string }[];
    expect(plugins.filter((p) => p.name === "docker" && p.kind === "resource").map((p) => p.version)).toEqual(
      [locked("@pulumi/docker")],
    );
  });
});
