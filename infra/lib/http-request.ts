// One HTTP(S) request from the deploying host to the gateway, for the smoke checks and the status.
// node:http(s) rather than fetch: fetch cannot take a CA or check the certificate against a name other
// than the URL's host, and the gateway is dialled at its bind address while its certificate names the
// public host. Self-contained (the smoke checks are serialized into the state): built-ins are required
// inside the function.

/** How to check the gateway's certificate. */
export interface HttpTls {
  /** The name the certificate must cover (the stack's publicHost), whatever address is dialled. */
  readonly serverName: string;
  /** PEM CA certificates to trust instead of the system's; undefined: the system's. */
  readonly ca: string | undefined;
}

export interface HttpAnswer {
  readonly status: number;
  /** Lowercase names; `set-cookie` is a list, everything else a string. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export interface HttpRequestOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly timeoutMs: number;
  /** For https: URLs; required there, so no request silently trusts the system's CAs by omission. */
  readonly tls?: HttpTls;
}

/** Sends one request (redirects are answers, not followed) and reads the whole body. */
export function httpRequest(url: string, opts: HttpRequestOptions): Promise<HttpAnswer> {
  const http = require("node:http") as typeof import("node:http");
  const https = require("node:https") as typeof import("node:https");
  const net = require("node:net") as typeof import("node:net");
  const tls = require("node:tls") as typeof import("node:tls");
  const target = new URL(url);
  const secure = target.protocol === "https:";
  if (secure && opts.tls === undefined) {
    return Promise.reject(new Error(`httpRequest: ${url} needs a TLS setting (server name, CA)`));
  }
  return new Promise((resolve, reject) => {
    const common = {
      method: opts.method ?? "GET",
      headers:
        opts.body === undefined
          ? opts.headers
          : { ...opts.headers, "content-length": Buffer.byteLength(opts.body) },
      timeout: opts.timeoutMs,
      agent: false as const,
    };
    const onResponse = (res: import("node:http").IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
    };
    const req = secure
      ? https.request(
          target,
          {
            ...common,
            ca: opts.tls?.ca,
            // SNI takes names only (RFC 6066); the identity check below covers addresses too.
            servername: net.isIP(opts.tls?.serverName ?? "") ? undefined : opts.tls?.serverName,
            checkServerIdentity: (_host, cert) => tls.checkServerIdentity(opts.tls?.serverName ?? "", cert),
          },
          onResponse,
        )
      : http.request(target, common, onResponse);
    req.on("timeout", () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.on("error", reject);
    req.end(opts.body);
  });
}
