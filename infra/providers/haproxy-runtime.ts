// What can change in a running HAProxy without a reload. Like haproxy-ingress's dynupdate: compare the
// old and new config; if they differ only in server weights, the Runtime API applies the change
// (`set server <backend>/<server> weight <n>`) and no worker is replaced. Anything else needs a reload.
// Self-contained (used inside a dynamic provider, which is serialized): no imports.

export interface WeightChange {
  readonly backend: string;
  readonly server: string;
  readonly weight: number;
}

/**
 * Internal. Exported for testing. The weight changes that turn `oldCfg` into `newCfg`, or undefined
 * when anything else differs (then a reload is needed). Equal configs give [].
 */
export function weightOnlyChanges(oldCfg: string, newCfg: string): WeightChange[] | undefined {
  const a = oldCfg.split("\n");
  const b = newCfg.split("\n");
  if (a.length !== b.length) return undefined;
  const weight = /(^|\s)weight\s+(\d+)(?=\s|$)/;
  const changes: WeightChange[] = [];
  let section = "";
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? "";
    const y = b[i] ?? "";
    const header = /^(backend|listen)\s+(\S+)/.exec(y);
    if (header) section = header[2] ?? "";
    else if (/^\S/.test(y)) section = "";
    if (x === y) continue;
    const server = /^\s+server\s+(\S+)\s/.exec(y);
    const wx = weight.exec(x);
    const wy = weight.exec(y);
    if (!server || !wx || !wy || section === "") return undefined;
    if (x.replace(weight, "$1weight _") !== y.replace(weight, "$1weight _")) return undefined;
    changes.push({ backend: section, server: server[1] ?? "", weight: Number(wy[2]) });
  }
  return changes;
}

/** Internal. Exported for testing. Runtime API commands for weight changes, in config order. */
export function weightCommands(changes: readonly WeightChange[]): string[] {
  return changes.map((c) => `set server ${c.backend}/${c.server} weight ${c.weight}`);
}
