// A client that asks one URL again and again, each time on a fresh connection, for the gateway-failover
// scenario (it runs inside the lab's client namespace, started with nsenter). Usage:
//   poller-main.ts <url> <everyMs> <timeoutMs>
// Sends a GET every <everyMs> whether or not the earlier ones ended, gives each up after <timeoutMs>,
// and prints one JSON line per request when it ends: {startedAt, endedAt, status} (status 0: no
// answer). Runs until SIGTERM. Wiring only; bench/lib/gateway-failover.ts reads the lines.
import { request } from "node:http";

function probe(url: string, timeoutMs: number): void {
  const startedAt = Date.now();
  let done = false;
  const end = (status: number) => {
    if (done) return;
    done = true;
    process.stdout.write(`${JSON.stringify({ startedAt, endedAt: Date.now(), status })}\n`);
  };
  // agent: false → a connection of its own, closed after the answer: a keep-alive connection to the old
  // holder would not show when the address moved, only when that connection died.
  const req = request(url, { agent: false }, (res) => {
    res.resume();
    res.on("end", () => end(res.statusCode ?? 0));
    res.on("error", () => end(0));
  });
  // The whole request, connect included (a SYN to a host that drops packets waits for its retransmits).
  const deadline = setTimeout(() => req.destroy(), timeoutMs);
  req.on("close", () => clearTimeout(deadline));
  req.on("error", () => end(0));
  req.end();
}

const [url, every, timeout] = process.argv.slice(2);
const everyMs = Number(every);
const timeoutMs = Number(timeout);
if (url === undefined || !(everyMs > 0) || !(timeoutMs > 0)) {
  process.stderr.write("usage: poller-main.ts <url> <everyMs> <timeoutMs>\n");
  process.exit(2);
}
const timer = setInterval(() => probe(url, timeoutMs), everyMs);
process.once("SIGTERM", () => {
  clearInterval(timer);
  process.exit(0);
});
