// What an apply has to do, decided from typed old and new inputs plus three facts the shell gathers
// (what the directory holds, whether the container runs). Like haproxy-ingress's dynupdate: when only
// server weights changed, the Runtime API sets them (`set server rtmp/mtx-2 weight 3`) and no worker is
// replaced; anything else gets a validated reload, with the reason. Weights are compared as data from
// the model (ServerWeight) and the rest of haproxy.cfg through a weight-independent fingerprint: the
// config text is never parsed. Whenever the inputs cannot prove a change is weights-only (state from an
// older version without them, inconsistent data), the plan is a reload, which is always correct.
// Pure, and self-contained: the dynamic provider that calls it is serialized into the state.

import type { ServerWeight } from "./inputs";

/** One side of the comparison. The old side comes from the state and may predate the weights. */
export interface AppliedConfig {
  /** Every file, plain and secret: name → content. */
  readonly files: Readonly<Record<string, string>>;
  readonly reload?: {
    readonly haproxy?: {
      readonly config: string;
      readonly weights?: readonly ServerWeight[];
      readonly configFingerprint?: string;
    };
  };
}

export interface PlanFacts {
  /** The inputs of the last successful apply; undefined on create. */
  readonly old: AppliedConfig | undefined;
  readonly next: AppliedConfig;
  /** The directory already holds next's files, writable dirs and initial files. */
  readonly liveIsNext: boolean;
  /** The directory holds old's files: what the running container last loaded. */
  readonly liveIsOld: boolean;
  /** The container named by next's reload spec is running. */
  readonly running: boolean;
}

export type ApplyPlan =
  /** Nothing to write, nothing to signal. */
  | { readonly action: "unchanged" }
  /** Write the files; nobody to tell (no reload spec, first create, container stopped). */
  | { readonly action: "write"; readonly reason: string }
  /** Write the files, then send these Runtime API commands, in order. */
  | { readonly action: "runtime"; readonly commands: readonly string[] }
  /**
   * Write the files (validated first), then signal the container. With `haproxy`: save
   * `show servers state` with these weights pinned first, and wait for the master's confirmation.
   */
  | {
      readonly action: "reload";
      readonly reason: string;
      readonly haproxy?: { readonly pinWeights: readonly ServerWeight[] };
    };

function has(record: Readonly<Record<string, string>>, key: string): boolean {
  return Object.keys(record).includes(key);
}

/** Internal. Exported for testing. */
export function planApply(facts: PlanFacts): ApplyPlan {
  const { old, next } = facts;
  const changedFiles = (a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>) =>
    [...new Set([...Object.keys(a), ...Object.keys(b)])]
      // Not Object.hasOwn: the engine compiles the program with ts-node's own lib (below ES2022).
      .filter((name) => !has(a, name) || !has(b, name) || a[name] !== b[name])
      .sort();

  const sameFiles = old !== undefined && changedFiles(old.files, next.files).length === 0;
  if (sameFiles && facts.liveIsNext) return { action: "unchanged" };
  if (next.reload === undefined) return { action: "write", reason: "no container to signal" };
  if (old === undefined) {
    return { action: "write", reason: "created: the container reads the files when it starts" };
  }
  if (!facts.running) {
    return { action: "write", reason: "the container is not running: it reads the files when it starts" };
  }
  if (sameFiles && facts.liveIsOld) {
    return {
      action: "write",
      reason: "only writable dirs or initial files were missing; the config is the same",
    };
  }
  const h = next.reload.haproxy;
  if (h === undefined) return { action: "reload", reason: "the files changed" };

  const reload = (reason: string): ApplyPlan => ({
    action: "reload",
    reason,
    haproxy: { pinWeights: h.weights ?? [] },
  });
  const o = old.reload?.haproxy;
  if (!facts.liveIsOld) return reload("the directory did not hold the last applied files");
  const others = changedFiles(old.files, next.files).filter((name) => name !== h.config);
  if (others.length > 0) return reload(`${others.join(", ")} changed`);
  if (o?.weights === undefined || o.configFingerprint === undefined || o.config !== h.config) {
    return reload(`the state records no weights for the running ${h.config} (an older version wrote it)`);
  }
  if (h.weights === undefined || h.configFingerprint === undefined) {
    return reload(`no weights given for the new ${h.config}`);
  }
  if (o.configFingerprint !== h.configFingerprint) return reload(`${h.config} changed beyond server weights`);

  const key = (w: ServerWeight) => `${w.backend}/${w.server}`;
  const before = new Map(o.weights.map((w) => [key(w), w.weight]));
  const sameServers =
    before.size === o.weights.length &&
    new Set(h.weights.map(key)).size === h.weights.length &&
    h.weights.length === before.size &&
    h.weights.every((w) => before.has(key(w)));
  if (!sameServers) return reload("the servers changed");
  const changes = h.weights.filter((w) => before.get(key(w)) !== w.weight);
  // Only the config differs here (the other files are the same). If its description says nothing
  // changed, the description is wrong: trust the text.
  if (changes.length === 0) {
    return reload(`${h.config} changed but neither its fingerprint nor its weights did`);
  }
  // HAProxy's name characters only, and the weights the Runtime API takes: a `;` would start a second
  // command on the admin socket.
  const name = /^[A-Za-z0-9_.:-]+$/;
  const usable = (w: ServerWeight) =>
    name.test(w.backend) &&
    name.test(w.server) &&
    Number.isInteger(w.weight) &&
    w.weight >= 0 &&
    w.weight <= 256;
  if (!changes.every(usable)) return reload("a weight cannot be sent over the Runtime API");
  return {
    action: "runtime",
    commands: changes.map((w) => `set server ${w.backend}/${w.server} weight ${w.weight}`),
  };
}
