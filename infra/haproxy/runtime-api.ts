// HAProxy's Runtime API over its admin socket (a Unix socket in the gateway's bind-mounted run dir).
// One command per connection, as `socat` sends it: write the command and a newline, read until HAProxy
// closes. Self-contained (Node built-ins required inside the function): the config-dir dynamic provider
// is serialized into the state together with what it calls.

/** Sends one Runtime API command and resolves with HAProxy's whole answer (often "" or "\n" on success). */
export async function runtimeApi(socketPath: string, command: string, timeoutMs = 5000): Promise<string> {
  const net = require("node:net") as typeof import("node:net");
  return new Promise((resolve, reject) => {
    let out = "";
    const sock = net.connect(socketPath, () => sock.write(`${command}\n`));
    sock.setEncoding("utf8");
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error(`no answer from ${socketPath} to "${command}"`)));
    sock.on("data", (d: string) => {
      out += d;
    });
    sock.on("end", () => resolve(out));
    sock.on("error", reject);
  });
}
