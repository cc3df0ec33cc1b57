// A fetch for HTTPS test clients (HlsPlayer) that trusts one CA: node's global fetch takes neither a CA
// nor a dispatcher from outside its bundled undici. Redirects are answers, as with redirect: "manual".

import { request } from "node:https";

export function fetchTrusting(ca: string): typeof fetch {
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const headers = new Headers(init?.headers);
      const req = request(
        url,
        {
          method: init?.method ?? "GET",
          headers: Object.fromEntries(headers.entries()),
          ca,
          signal: init?.signal ?? undefined,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("error", reject);
          res.on("end", () => {
            const out = new Headers();
            for (const [name, value] of Object.entries(res.headers)) {
              for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value])
                out.append(name, v);
            }
            const status = res.statusCode ?? 0;
            const body = status === 204 || status === 304 ? null : Buffer.concat(chunks);
            resolve(new Response(body, { status, headers: out }));
          });
        },
      );
      req.on("error", reject);
      req.end(typeof init?.body === "string" ? init.body : undefined);
    });
}
