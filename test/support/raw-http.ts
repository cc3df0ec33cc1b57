// One HTTP/1.1 request written byte for byte on a fresh TCP connection. fetch() normalises targets
// (resolves `..`, percent-encodes non-ASCII), which is exactly what hostile-path tests must not do.

import { connect } from "node:net";

export interface RawResponse {
  /** Status code of the response line, or undefined when the connection closed without one. */
  readonly status: number | undefined;
  /** Our side of the connection: identifies the request in HAProxy's log (`%ci:%cp`). */
  readonly localPort: number;
  readonly error?: string;
}

export interface RawTextResponse extends RawResponse {
  /** Header lines after the status line, names lower-cased (the last of repeated names wins). */
  readonly headers: Readonly<Record<string, string>>;
  /** Everything after the header block, as UTF-8 (as are header values). */
  readonly body: string;
}

export interface RawRequest {
  readonly method: string;
  /** The request target exactly as sent: a string (UTF-8 encoded) or raw bytes. */
  readonly target: string | Buffer;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Status line only: resolves as soon as it has arrived. */
export async function rawHttp(
  host: string,
  port: number,
  request: RawRequest,
  timeoutMs = 5_000,
): Promise<RawResponse> {
  const { received, ...rest } = await exchange(host, port, request, timeoutMs, (r) => r.includes("\r\n"));
  return { status: statusOf(received), ...rest };
}

/** The whole response: the request asks for `connection: close`, so it ends when the server closes. */
export async function rawHttpText(
  host: string,
  port: number,
  request: RawRequest,
  timeoutMs = 5_000,
): Promise<RawTextResponse> {
  const { received, ...rest } = await exchange(host, port, request, timeoutMs, () => false);
  const split = received.indexOf("\r\n\r\n");
  const head = received.subarray(0, split < 0 ? received.length : split).toString("utf8");
  const headers: Record<string, string> = {};
  for (const line of head.split("\r\n").slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = split < 0 ? "" : received.subarray(split + 4).toString("utf8");
  return { status: statusOf(received), headers, body, ...rest };
}

function statusOf(received: Buffer): number | undefined {
  const line = received.subarray(0, Math.max(0, received.indexOf("\r\n"))).toString("latin1");
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(line);
  return match ? Number(match[1]) : undefined;
}

/** Sends `request`; resolves with what arrived once `complete` says so, the server closes, or on error. */
function exchange(
  host: string,
  port: number,
  request: RawRequest,
  timeoutMs: number,
  complete: (received: Buffer) => boolean,
): Promise<{ received: Buffer; localPort: number; error?: string }> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let localPort = 0;
    let received = Buffer.alloc(0);
    let done = false;
    const finish = (error?: string) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(error === undefined ? { received, localPort } : { received, localPort, error });
    };
    socket.setTimeout(timeoutMs, () => finish("timeout"));
    socket.on("error", (err) => finish(err.message));
    socket.on("connect", () => {
      localPort = socket.localPort ?? 0;
      const body = Buffer.from(request.body ?? "", "utf8");
      const headers = {
        host: `${host}:${port}`,
        connection: "close",
        "content-length": String(body.length),
        ...request.headers,
      };
      const head = Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join("");
      socket.write(
        Buffer.concat([
          Buffer.from(`${request.method} `, "latin1"),
          typeof request.target === "string" ? Buffer.from(request.target, "utf8") : request.target,
          Buffer.from(` HTTP/1.1\r\n${head}\r\n`, "latin1"),
          body,
        ]),
      );
    });
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (complete(received)) finish();
    });
    socket.on("end", () => finish());
  });
}
