// `docker inspect` JSON → the few container facts the status needs. Pure.

import { isRecord, numberOr, recordsIn, stringOr } from "../lib/untyped";

export interface ContainerInfo {
  /** Without Docker's leading "/". */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Docker's state: created, running, restarting, paused, exited, dead. */
  readonly status: string;
  readonly running: boolean;
  readonly exitCode: number;
  readonly oomKilled: boolean;
  /** Docker's own error (failed start), empty when none. */
  readonly error: string;
  /** RFC 3339, or undefined for Docker's zero time. */
  readonly startedAt: string | undefined;
  readonly finishedAt: string | undefined;
  readonly restartCount: number;
  /** Network name → IPv4 address (empty while stopped). */
  readonly addresses: Readonly<Record<string, string>>;
  readonly mounts: readonly { readonly source: string; readonly destination: string }[];
  /**
   * With `hosts`: the host whose engine reported it (set by the collector, not by Docker); undefined for
   * the default engine. Two engines may each hold a container of the same name (an instance moved).
   */
  readonly host?: string;
}

function str(value: unknown): string {
  return stringOr(value, "");
}

/** Docker prints "0001-01-01T00:00:00Z" for a time that never happened. */
function time(value: unknown): string | undefined {
  const text = str(value);
  return text === "" || text.startsWith("0001-") ? undefined : text;
}

/** Parsed `docker inspect` output (an array of containers). Throws on anything else. */
export function parseDockerInspect(json: unknown): ContainerInfo[] {
  if (!Array.isArray(json)) throw new Error("docker inspect: expected a JSON array");
  return json.map((item, i) => {
    if (!isRecord(item) || !isRecord(item.State)) {
      throw new Error(`docker inspect: item ${i} has no State object`);
    }
    const state = item.State;
    const config = isRecord(item.Config) ? item.Config : {};
    const labels: Record<string, string> = {};
    if (isRecord(config.Labels)) {
      for (const [k, v] of Object.entries(config.Labels)) labels[k] = str(v);
    }
    const addresses: Record<string, string> = {};
    const networks = isRecord(item.NetworkSettings) ? item.NetworkSettings.Networks : undefined;
    if (isRecord(networks)) {
      for (const [k, v] of Object.entries(networks)) addresses[k] = isRecord(v) ? str(v.IPAddress) : "";
    }
    const mounts = recordsIn(item.Mounts).map((m) => ({
      source: str(m.Source),
      destination: str(m.Destination),
    }));
    return {
      name: str(item.Name).replace(/^\//, ""),
      labels,
      status: str(state.Status),
      running: state.Running === true,
      exitCode: numberOr(state.ExitCode, 0),
      oomKilled: state.OOMKilled === true,
      error: str(state.Error),
      startedAt: time(state.StartedAt),
      finishedAt: time(state.FinishedAt),
      restartCount: numberOr(item.RestartCount, 0),
      addresses,
      mounts,
    };
  });
}
