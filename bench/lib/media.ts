// Publishers. Encoding once and republishing with `-c copy` keeps ffmpeg's CPU near zero during the
// measurements, so the two cores go to HAProxy, MediaMTX and the load generator.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync } from "node:fs";
import { mustRun } from "./process";

export interface Clips {
  /** 640x360 H.264 1.5 Mbit/s + AAC, a keyframe every 4 s: ~4 s, ~780 kB segments (data plane). */
  readonly main: string;
  /** 160x90 H.264 ~30 kbit/s at 5 fps, a keyframe every second: many cheap live paths. */
  readonly tiny: string;
}

/** Encodes the two clips into `dir` (a few seconds of CPU, before any measurement). */
export async function prepareClips(dir: string): Promise<Clips> {
  mkdirSync(dir, { recursive: true });
  const main = `${dir}/main-640x360-1500k-gop4s.flv`;
  const tiny = `${dir}/tiny-160x90-5fps-gop1s.flv`;
  const common = ["-hide_banner", "-loglevel", "error", "-y"];
  const x264 = ["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-sc_threshold", "0"];
  if (!existsSync(main)) {
    await mustRun("ffmpeg", [
      ...common,
      ...["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=25"],
      ...["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100"],
      ...["-t", "24", ...x264, "-b:v", "1500k", "-maxrate", "1500k", "-bufsize", "3000k"],
      ...["-g", "100", "-keyint_min", "100", "-c:a", "aac", "-b:a", "64k", "-f", "flv", main],
    ]);
  }
  if (!existsSync(tiny)) {
    await mustRun("ffmpeg", [
      ...common,
      ...["-f", "lavfi", "-i", "testsrc2=size=160x90:rate=5"],
      ...["-t", "20", ...x264, "-b:v", "30k", "-g", "5", "-keyint_min", "5", "-an", "-f", "flv", tiny],
    ]);
  }
  return { main, tiny };
}

/**
 * MediaMTX drops an RTMP connection that sends nothing for readTimeout (10 s). ffmpeg's tee muxer
 * connects all its outputs before sending the first packet, about 0.2 s each, so a group is kept small
 * enough to connect well within that.
 */
const TEE_GROUP_SIZE = 20;

/** Splits stream names into tee groups. Internal. Exported for testing. */
export function teeGroups(streams: readonly string[], size = TEE_GROUP_SIZE): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < streams.length; i += size) out.push(streams.slice(i, i + size));
  return out;
}

/** The tee muxer's output list; onfail=ignore keeps the other outputs going if one drops. Internal. */
export function teeTarget(rtmpBase: string, streams: readonly string[]): string {
  return streams.map((s) => `[f=flv:onfail=ignore]${rtmpBase}/${s}`).join("|");
}

export class Publishers {
  private readonly children = new Set<ChildProcess>();

  constructor(
    private readonly rtmpBase: string,
    private readonly logDir: string,
  ) {
    mkdirSync(logDir, { recursive: true });
  }

  /** One looping `-c copy` publisher per call: one RTMP connection, one path. */
  one(clip: string, stream: string): ChildProcess {
    return this.spawn(clip, ["-f", "flv", `${this.rtmpBase}/${stream}`], stream.replaceAll("/", "_"));
  }

  /** Many paths from few processes: one ffmpeg (tee muxer) per TEE_GROUP_SIZE streams. */
  many(clip: string, streams: readonly string[]): ChildProcess[] {
    return teeGroups(streams).map((group) =>
      this.spawn(
        clip,
        ["-map", "0", "-f", "tee", teeTarget(this.rtmpBase, group)],
        `tee_${(group[0] ?? "").replaceAll("/", "_")}`,
      ),
    );
  }

  get count(): number {
    return this.children.size;
  }

  async stop(child: ChildProcess): Promise<void> {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(timer);
    }
    this.children.delete(child);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.children].map((c) => this.stop(c)));
  }

  private spawn(clip: string, output: readonly string[], logName: string): ChildProcess {
    const log = openSync(`${this.logDir}/ffmpeg-${logName}.log`, "a");
    const child = spawn(
      "ffmpeg",
      [
        "-hide_banner",
        "-loglevel",
        "warning",
        "-re",
        "-stream_loop",
        "-1",
        "-i",
        clip,
        "-c",
        "copy",
        ...output,
      ],
      { stdio: ["ignore", log, log] },
    );
    this.children.add(child);
    child.once("exit", () => this.children.delete(child));
    return child;
  }
}
