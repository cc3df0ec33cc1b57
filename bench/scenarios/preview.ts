// 6. Preview cost: a no-op `pulumi preview` of the bench stack against the engine's floor, a preview of
// an empty TypeScript program in a scratch project. Both go through scripts/pulumi (same CLI, plugins,
// backend and environment); the floor runs with `--cwd`, since scripts/pulumi cd's into the repository.
// Interleaved: bench, floor, build, ... The third series is a diagnostic: scripts/pulumi's no-op build of
// the program's JavaScript alone (scripts/lib/build-program.mts), which every bench preview includes.
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pulumi, REPO_ROOT } from "../lib/bench-stack";
import type { BenchContext } from "../lib/context";
import { run } from "../lib/process";
import type { PreviewResult } from "../lib/results";

const FLOOR_STACK = "floor";

async function prepareFloor(ctx: BenchContext): Promise<void> {
  const dir = ctx.work.floor;
  mkdirSync(dir, { recursive: true });
  // Same runtime options as the real project (nodejs, TypeScript through ts-node).
  writeFileSync(
    `${dir}/Pulumi.yaml`,
    "name: mediamtx-lb-floor\nruntime:\n  name: nodejs\n  options:\n    typescript: true\nmain: index.ts\n",
  );
  writeFileSync(
    `${dir}/index.ts`,
    "// Empty program: what any preview costs before it does anything.\nexport {};\n",
  );
  writeFileSync(`${dir}/package.json`, '{ "name": "mediamtx-lb-floor", "private": true }\n');
  // The language host loads @pulumi/pulumi from the program's node_modules: the repository's copy.
  if (!existsSync(`${dir}/node_modules`))
    symlinkSync(resolve(REPO_ROOT, "node_modules"), `${dir}/node_modules`);
  const r = await pulumi(ctx.work, ["--cwd", dir, "stack", "select", "--create", FLOOR_STACK]);
  if (r.code !== 0) throw new Error(`floor stack: ${r.stderr}${r.stdout}`);
}

export async function runPreview(ctx: BenchContext): Promise<PreviewResult> {
  await prepareFloor(ctx);
  const bench = () => ctx.stack.preview(["--expect-no-changes"]);
  const build = async () => {
    const started = performance.now();
    const r = await run("node", [resolve(REPO_ROOT, "scripts/lib/build-program.mts"), REPO_ROOT]);
    return { ...r, durationMs: performance.now() - started };
  };
  const floor = () => pulumi(ctx.work, ["--cwd", ctx.work.floor, "preview", "--stack", FLOOR_STACK]);
  ctx.log(`preview: 1 warm-up + ${ctx.profile.preview.runs} interleaved runs each`);
  const warm = await bench();
  if (warm.code !== 0)
    throw new Error(`bench preview is not a no-op:\n${warm.stdout.slice(-3000)}${warm.stderr}`);
  const warmFloor = await floor();
  if (warmFloor.code !== 0) throw new Error(`floor preview failed:\n${warmFloor.stdout}${warmFloor.stderr}`);
  const benchResources = Number(/(\d+) unchanged/.exec(warm.stdout)?.[1] ?? Number.NaN);
  const benchMs: number[] = [];
  const floorMs: number[] = [];
  const buildMs: number[] = [];
  const timed = async (what: string, fn: () => ReturnType<typeof bench>, into: number[]) => {
    const r = await fn();
    if (r.code !== 0) throw new Error(`${what} preview failed:\n${r.stdout.slice(-2000)}${r.stderr}`);
    into.push(r.durationMs);
    return (r.durationMs / 1000).toFixed(2);
  };
  for (let i = 0; i < ctx.profile.preview.runs; i++) {
    const b = await timed("bench", bench, benchMs);
    const f = await timed("floor", floor, floorMs);
    const t = await timed("build", build, buildMs);
    ctx.log(`  run ${i}: bench ${b} s, floor ${f} s, no-op build ${t} s`);
  }
  return { benchMs, floorMs, buildMs, benchResources };
}
