import { type ChildProcess, spawn } from "node:child_process";

/**
 * An RTMP publisher: ffmpeg with a synthetic source, small and cheap (one keyframe a second). `output`:
 * options for the output, e.g. `["-tls_verify", "1", "-ca_file", ca]` for rtmps:// (ffmpeg does not
 * check certificates unless told to).
 */
export function publishRtmp(url: string, output: readonly string[] = []): ChildProcess {
  return spawn("ffmpeg", rtmpPublishArgs(url, output), { stdio: ["ignore", "ignore", "pipe"] });
}

/** ffmpeg's arguments for publishRtmp, for running it elsewhere (inside a network namespace). */
export function rtmpPublishArgs(url: string, output: readonly string[] = []): string[] {
  return [
    ...["-hide_banner", "-loglevel", "error", "-re"],
    ...["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25"],
    ...["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"],
    ...["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25", "-pix_fmt", "yuv420p"],
    ...["-c:a", "aac", "-b:a", "64k", ...output, "-f", "flv", url],
  ];
}

export async function stopProcess(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null) return;
  const exited = new Promise<void>((r) => p.once("exit", () => r()));
  p.kill("SIGINT");
  const timer = setTimeout(() => p.kill("SIGKILL"), 3000);
  await exited;
  clearTimeout(timer);
}

export async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ""}`);
}
