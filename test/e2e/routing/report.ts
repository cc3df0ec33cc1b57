// Collects the routing suite's measurements and renders docs/routing.md from routing.md.mustache. The
// table has a fixed row order and fixed wording; only the numbers change between runs.

import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import Mustache from "mustache";
import type { Measurement } from "../../support/routing-scenarios";

const DESIGNS = ["ours", "seed"] as const;
export type DesignLabel = (typeof DESIGNS)[number];

/** Table rows, in order. `unit` says what one counted item is. */
export const SCENARIOS = [
  { key: "rtmp-publish", title: "RTMP publish through the RTMP frontend, K = 8", unit: "streams ready" },
  { key: "rtmp-weights", title: "RTMP placement follows weights 2/1/1", unit: "streams placed as weighted" },
  {
    key: "hls-lowlatency",
    title: "HLS lowLatency playback from the first request after the publish",
    unit: "requests answered 2xx/3xx",
  },
  {
    key: "hls-mpegts",
    title: "HLS mpegts playback from the first request after the publish",
    unit: "requests answered 2xx/3xx",
  },
  { key: "whip-cookies", title: "WHIP publish, client keeps cookies", unit: "sessions fully OK" },
  { key: "whip-no-cookies", title: "WHIP publish, client keeps no cookies", unit: "sessions fully OK" },
  { key: "whep", title: "WHEP read of RTMP streams on non-first instances", unit: "reads with RTP" },
  {
    key: "move",
    title: "Stream moved to another instance: requests after the poll interval",
    unit: "requests answered",
  },
  { key: "fault-down", title: "Killed instance marked DOWN within inter × fall + 1 s", unit: "kills" },
  {
    key: "fault-viewers",
    title: "Viewers of streams on the other instances during kill and restart",
    unit: "requests answered",
  },
  { key: "fault-up", title: "Restarted instance marked UP within inter × rise + 1 s", unit: "restarts" },
  { key: "hostile", title: "Hostile paths: 4xx, no instance contacted, proxy still up", unit: "requests" },
] as const;

export type ScenarioKey = (typeof SCENARIOS)[number]["key"];

export class RoutingResults {
  private readonly cells = new Map<string, Measurement>();
  private readonly timings = new Map<string, number | undefined>();

  record(scenario: ScenarioKey, design: DesignLabel, m: Measurement): void {
    this.cells.set(`${scenario}/${design}`, m);
  }

  get(scenario: ScenarioKey, design: DesignLabel): Measurement | undefined {
    return this.cells.get(`${scenario}/${design}`);
  }

  /** A measured duration shown below the table (e.g. "down/ours"). */
  recordTiming(name: string, design: DesignLabel, ms: number | undefined): void {
    this.timings.set(`${name}/${design}`, ms);
  }

  complete(): boolean {
    return SCENARIOS.every((s) => DESIGNS.every((d) => this.cells.has(`${s.key}/${d}`)));
  }

  render(): string {
    const cell = (key: ScenarioKey, design: DesignLabel): string => {
      const m = this.get(key, design);
      if (m === undefined) return "not run";
      const pct = m.total === 0 ? "n/a" : `${((100 * m.ok) / m.total).toFixed(1)}%`;
      return `${pct} (${formatCount(m.ok)}/${m.total})`;
    };
    const timing = (name: string, design: DesignLabel): string => {
      const v = this.timings.get(`${name}/${design}`);
      return v === undefined ? "never" : `${v} ms`;
    };
    const view = {
      rows: SCENARIOS.map((s, n) => ({
        n: n + 1,
        title: s.title,
        unit: s.unit,
        ours: cell(s.key, "ours"),
        seed: cell(s.key, "seed"),
      })),
      timings: [
        { what: "DOWN after the kill", name: "down" },
        { what: "UP after the restart", name: "up" },
        { what: "last failed viewer request after the moved stream was ready", name: "move" },
      ].map((t) => ({ what: t.what, ours: timing(t.name, "ours"), seed: timing(t.name, "seed") })),
    };
    const template = readFileSync(resolve(__dirname, "routing.md.mustache"), "utf8");
    return `${Mustache.render(template, view, {}, { escape: String }).replace(/\n+$/, "")}\n`;
  }

  /** The table alone, for the test output. */
  summary(): string {
    return this.render()
      .split("\n")
      .filter((line) => line.startsWith("|"))
      .join("\n");
  }

  write(path: string): void {
    writeFileSync(path, this.render());
  }
}

/** Placement scores can be fractional (min of counts and weighted shares); others are integers. */
function formatCount(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(2);
}
