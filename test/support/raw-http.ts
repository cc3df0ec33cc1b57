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

export interface RawRequest {
  readonly method: string;
  /** The request target exactly as sent: a string (UTF-8 encoded) or raw bytes. */
  readonly target: string | Buffer;
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export function rawHttp(
  host: string,
  port: number,
  request: RawRequest,
  timeoutMs = 5_000,
): Promise<RawResponse> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let localPort = 0;
    let received = Buffer.alloc(0);
    let done = false;
    const finish = (error?: string) => {
      if (done) return;
      done = true;
      socket.destroy();
      const line = received.subarray(0, Math.max(0, received.indexOf("\r\n"))).toString("latin1");
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(line);
      const status = match ? Number(match[1]) : undefined;
      resolve(error === undefined ? { status, localPort } : { status, localPort, error });
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
      if (received.includes("\r\n")) finish();
    });
    socket.on("end", () => finish());
  });
}
