// One WHEP read per URL with werift, for a client that must run elsewhere (inside a network namespace:
// test/e2e/hosts.test.ts starts it with nsenter). Prints one JSON line per URL: every signalling
// request's status, the RTP packets received and the selected candidate pair. Wiring only.

import { WhepReader } from "./webrtc";

export interface WhepRead {
  readonly url: string;
  readonly requests: readonly { readonly method: string; readonly status: number }[];
  readonly connected: boolean;
  readonly rtpPackets: number;
  readonly selected: string | undefined;
}

async function readOnce(url: string): Promise<WhepRead> {
  const reader = new WhepReader(url, { cookies: false, connectTimeoutMs: 10_000 });
  let connected = false;
  let selected: string | undefined;
  try {
    if ((await reader.start()) === 201) {
      connected = await reader.waitConnected(10_000);
      const deadline = Date.now() + 5_000;
      while (connected && reader.rtpPackets < 10 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      selected = reader.selectedRemote();
    }
  } finally {
    await reader.close().catch(() => undefined);
  }
  // After close(): its DELETE is among the requests.
  const requests = reader.requests.map((r) => ({ method: r.method, status: r.status }));
  return { url, requests, connected, rtpPackets: reader.rtpPackets, selected };
}

async function main(urls: readonly string[]): Promise<void> {
  for (const url of urls) {
    const reader = await readOnce(url).catch((err: unknown) => ({
      url,
      requests: [],
      connected: false,
      rtpPackets: 0,
      selected: undefined,
      error: err instanceof Error ? err.message : String(err),
    }));
    process.stdout.write(`${JSON.stringify(reader)}\n`);
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
