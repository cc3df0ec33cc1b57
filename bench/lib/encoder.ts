// A reconnecting RTMP encoder in a lab namespace, for the scenarios that cut hosts (host-loss,
// gateway-failover): a dropped connection is dialled again, as OBS and a supervised ffmpeg do.
import type { ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { spawnInNamespace } from "../../test/support/test-hosts";

/**
 * An encoder that reconnects: ffmpeg (`-c copy` of a clip) in a network namespace, started again
 * `reconnectDelayMs` after it exits. `restartNow` drops the current connection and dials at once,
 * as an encoder that noticed its connection died.
 */
export class Encoder {
  starts = 0;
  /** When each ffmpeg started (ms since the epoch). */
  readonly startedAt: number[] = [];
  private child: ChildProcess | undefined;
  private running = true;

  constructor(
    private readonly namespace: string,
    private readonly clip: string,
    private readonly url: string,
    private readonly log: string,
    private readonly reconnectDelayMs: number,
  ) {
    this.spawn();
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  restartNow(): void {
    const old = this.child;
    this.child = undefined;
    old?.removeAllListeners("exit");
    old?.kill("SIGKILL");
    this.spawn();
  }

  stop(): void {
    this.running = false;
    this.child?.removeAllListeners("exit");
    this.child?.kill("SIGKILL");
  }

  private spawn(): void {
    if (!this.running) return;
    this.starts++;
    this.startedAt.push(Date.now());
    const fd = openSync(this.log, "a");
    const child = spawnInNamespace(
      this.namespace,
      "ffmpeg",
      [
        ...["-hide_banner", "-loglevel", "warning", "-re", "-stream_loop", "-1", "-i", this.clip],
        ...["-c", "copy", "-f", "flv", this.url],
      ],
      { stdio: ["ignore", fd, fd] },
    );
    closeSync(fd);
    child.once("exit", () => {
      if (this.child === child) setTimeout(() => this.spawn(), this.reconnectDelayMs);
    });
    this.child = child;
  }
}
