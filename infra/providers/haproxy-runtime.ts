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

/** Internal. Exported for testing. Every `server` line's weight, keyed "backend/server". */
export function configuredWeights(cfg: string): Map<string, number> {
  const weights = new Map<string, number>();
  let section = "";
  for (const line of cfg.split("\n")) {
    const header = /^(backend|listen)\s+(\S+)/.exec(line);
    if (header) section = header[2] ?? "";
    else if (/^\S/.test(line)) section = "";
    const server = /^\s+server\s+(\S+)\s/.exec(line);
    const weight = /(?:^|\s)weight\s+(\d+)(?=\s|$)/.exec(line);
    if (section !== "" && server && weight) weights.set(`${section}/${server[1]}`, Number(weight[1]));
  }
  return weights;
}

/**
 * Internal. Exported for testing. `show servers state` output with every listed server's saved weights
 * (srv_uweight and srv_iweight) set to the new config's. HAProxy restores a saved weight only when the
 * saved srv_iweight equals the new config's weight, so a weight once set through the Runtime API (1 → 3)
 * would survive a later reload that returns the config to 1; pinning both columns makes the new config
 * win while health and admin state are still restored.
 */
export function stateWithConfiguredWeights(state: string, weights: ReadonlyMap<string, number>): string {
  const lines = state.split("\n");
  let columns: string[] = [];
  return lines
    .map((line) => {
      if (line.startsWith("#")) {
        columns = line.slice(1).trim().split(/\s+/);
        return line;
      }
      const be = columns.indexOf("be_name");
      const srv = columns.indexOf("srv_name");
      const uw = columns.indexOf("srv_uweight");
      const iw = columns.indexOf("srv_iweight");
      const fields = line.split(" ");
      if (be < 0 || srv < 0 || uw < 0 || iw < 0 || fields.length <= Math.max(be, srv, uw, iw)) return line;
      const w = weights.get(`${fields[be]}/${fields[srv]}`);
      if (w === undefined) return line;
      fields[uw] = String(w);
      fields[iw] = String(w);
      return fields.join(" ");
    })
    .join("\n");
}
