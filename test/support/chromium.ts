// Debian's Chromium, headless, driven over the DevTools protocol on a pipe (--remote-debugging-pipe:
// NUL-separated JSON on fds 3 and 4), so no WebSocket client or browser library is needed. Enough for
// the TLS tests: open a page, evaluate expressions in it, trust a CA through an NSS database in a
// throw-away HOME (where Chromium on Linux reads user-trusted certificates), fake camera and microphone.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable, Writable } from "node:stream";

export const CHROMIUM = "/usr/bin/chromium";
export const CERTUTIL = "/usr/bin/certutil";

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM) && existsSync(CERTUTIL);
}

interface Pending {
  resolve: (value: Record<string, unknown>) => void;
  reject: (err: Error) => void;
}

export class Chromium {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private buffer = "";
  private readonly toBrowser: Writable;

  private constructor(
    private readonly process: ChildProcess,
    private readonly home: string,
  ) {
    this.toBrowser = process.stdio[3] as Writable;
    const fromBrowser = process.stdio[4] as Readable;
    fromBrowser.setEncoding("utf8");
    fromBrowser.on("data", (chunk: string) => {
      this.buffer += chunk;
      for (let end = this.buffer.indexOf("\0"); end >= 0; end = this.buffer.indexOf("\0")) {
        const message = JSON.parse(this.buffer.slice(0, end)) as {
          id?: number;
          result?: Record<string, unknown>;
          error?: { message: string };
        };
        this.buffer = this.buffer.slice(end + 1);
        const waiting = message.id === undefined ? undefined : this.pending.get(message.id);
        if (waiting === undefined || message.id === undefined) continue;
        this.pending.delete(message.id);
        if (message.error) waiting.reject(new Error(message.error.message));
        else waiting.resolve(message.result ?? {});
      }
    });
  }

  /**
   * Starts Chromium trusting the PEM CA `caPem` (added to a fresh NSS db in a temp HOME), if given;
   * `namespace`: inside that network namespace (a test client, test/support/test-hosts.ts).
   */
  static launch(caPem?: string, opts: { readonly namespace?: string } = {}): Chromium {
    const home = mkdtempSync(join(tmpdir(), "mediamtx-lb-chromium-"));
    if (caPem !== undefined) trustCa(home, caPem);
    const args = [
      "--headless=new",
      // Tests run as root, where Chromium's sandbox cannot start.
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
      "--use-fake-device-for-media-stream",
      "--use-fake-ui-for-media-stream",
      "--autoplay-policy=no-user-gesture-required",
      `--user-data-dir=${join(home, "profile")}`,
      "--remote-debugging-pipe",
      "about:blank",
    ];
    const [cmd, argv] =
      opts.namespace === undefined
        ? [CHROMIUM, args]
        : ["nsenter", [`--net=/var/run/netns/${opts.namespace}`, CHROMIUM, ...args]];
    const child = spawn(cmd, argv, {
      env: { ...process.env, HOME: home },
      stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"],
    });
    return new Chromium(child, home);
  }

  /** One DevTools command; `sessionId` addresses a page attached with `open`. */
  send(
    method: string,
    params: Record<string, unknown> = {},
    sessionId?: string,
  ): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const done = new Promise<Record<string, unknown>>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
    });
    this.toBrowser.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    return done;
  }

  /**
   * Opens `url` in a new tab; returns the session to evaluate in. `initScript` runs in the page before
   * any of its own scripts.
   */
  async open(url: string, opts: { readonly initScript?: string } = {}): Promise<string> {
    const { targetId } = (await this.send("Target.createTarget", { url: "about:blank" })) as {
      targetId: string;
    };
    const { sessionId } = (await this.send("Target.attachToTarget", { targetId, flatten: true })) as {
      sessionId: string;
    };
    await this.send("Page.enable", {}, sessionId);
    if (opts.initScript !== undefined)
      await this.send("Page.addScriptToEvaluateOnNewDocument", { source: opts.initScript }, sessionId);
    const nav = (await this.send("Page.navigate", { url }, sessionId)) as { errorText?: string };
    if (nav.errorText) throw new Error(`navigating to ${url}: ${nav.errorText}`);
    return sessionId;
  }

  /** The value of `expression` in the page (awaited if it is a promise). */
  async evaluate<T>(sessionId: string, expression: string): Promise<T> {
    const r = (await this.send(
      "Runtime.evaluate",
      { expression, returnByValue: true, awaitPromise: true },
      sessionId,
    )) as { result: { value?: T }; exceptionDetails?: { text: string } };
    if (r.exceptionDetails) throw new Error(`${expression}: ${r.exceptionDetails.text}`);
    return r.result.value as T;
  }

  async close(): Promise<void> {
    const exited = new Promise<void>((r) => this.process.once("exit", () => r()));
    await this.send("Browser.close").catch(() => undefined);
    const timer = setTimeout(() => this.process.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
    rmSync(this.home, { recursive: true, force: true });
  }
}

/** A fresh NSS database in `home` (where Chromium on Linux reads user-trusted CAs) trusting `caPem`. */
function trustCa(home: string, caPem: string): void {
  const nss = join(home, ".pki", "nssdb");
  mkdirSync(nss, { recursive: true });
  execFileSync(CERTUTIL, ["-d", `sql:${nss}`, "-N", "--empty-password"]);
  writeFileSync(join(home, "ca.pem"), caPem);
  // C,, : a CA trusted to issue server certificates.
  execFileSync(CERTUTIL, [
    "-d",
    `sql:${nss}`,
    "-A",
    "-t",
    "C,,",
    "-n",
    "mediamtx-lb test",
    "-i",
    join(home, "ca.pem"),
  ]);
}
