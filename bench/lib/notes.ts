// The report's notes: how to read the numbers, and their limits. Static text where it always holds;
// sentences about results only where the run measured the fact they state. Pure.
import { summarizeDiscovery } from "./analysis";
import type { BenchReport } from "./results";

export function buildNotes(r: BenchReport, errors: readonly string[]): string[] {
  const notes: string[] = [];
  for (const e of errors) notes.push(`**Measurement failed** (${e}); its section is missing.`);
  if (!r.env.calmReached) {
    notes.push(
      "The machine was not quiet (other work kept the 1-min load ≥ 1): absolute numbers are pessimistic and noisier; the ratios still compare targets measured back to back.",
    );
  }
  notes.push(
    `Everything shares one ${r.env.machine.cores}-core machine: wrk, both HAProxy processes, every MediaMTX instance, ffmpeg and Docker's log driver. Saturated req/s are CPU-bound here, so read them as ratios between targets measured side by side, not as capacity.`,
    "The router's `hls` frontend logs one line per request: a non-blocking datagram to the log sink container, which writes it to Docker's json-file driver at the lowest CPU weight and sheds (counted) lines when the proxy needs the CPU; the plain proxy's `plain` listeners send the same line to the same sink, its `bare` listeners log nothing. router/plain is the routing cost (stream rules, map lookup, `use-server`) with logging equal on both sides; router/bare adds the log send; the sink's CPU is not charged to either proxy.",
    "API calls are counted on the wire (tcpdump on the stack's bridge, GET requests to :9997), so they include HAProxy's health checks, which the router does not make and which do not depend on viewer traffic. The bench's own API queries (owner discovery, growth listings) never overlap a counted window.",
  );
  if (r.dataPlane) {
    notes.push(
      "The media playlist is live (LL-HLS): its size follows the segment cycle, so bytes per request differ from run to run; each segment run fetches one fixed segment through all three paths.",
    );
  }
  if (r.discovery) {
    const eager = summarizeDiscovery(r.discovery.eager);
    if (eager.misrouted > 0) {
      notes.push(
        `Eager viewers: ${eager.misrouted} requests sent after ready reached a non-owner (${eager.misses} of them got an error), ${eager.misroutedByHash} of those with no owner known to the router (owner=- in the log: the hash fallback chose). ` +
          "In router.lua a lookup that finds the stream nowhere is remembered for one poll interval (remember_miss); until that entry expires or a poll lists the path, the viewer that asked before the publish is hashed instead of looked up.",
      );
    }
    const late = summarizeDiscovery(r.discovery.afterReady);
    if (late.readyToRoutedMs.n > 0 && late.readyToPlayableMs.p50 > late.readyToRoutedMs.p50) {
      notes.push(
        '"Ready → first 200" is mostly MediaMTX, not routing: the request reaches the owner at "ready → first routed", and MediaMTX holds a new stream\'s first playlist until its HLS muxer has segments.',
      );
    }
  }
  if (r.growth) {
    notes.push(
      "Growth paths are live RTMP publishes from ffmpeg's tee muxer (20 outputs per process: MediaMTX closes RTMP connections idle for 10 s, and tee connects all outputs before sending). Nobody reads them, so they cost MediaMTX a demuxer each, no HLS muxer.",
    );
  }
  return notes;
}
