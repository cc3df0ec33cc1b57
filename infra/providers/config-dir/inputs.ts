// ConfigDir's inputs and outputs: plain data kept in the Pulumi state. State written by an older version
// may lack fields added since (the HAProxy weights and fingerprint), so the planner reads the old side
// through its own looser type (plan.ts, AppliedConfig) and never trusts them to be there.

export interface ValidateSpec {
  /** Image that runs the files; validation uses the same binary. */
  readonly image: string;
  /** Where the container mounts the directory; staged files are validated at that exact path. */
  readonly mountPath: string;
  /** Command run as the entrypoint's arguments, e.g. ["haproxy", "-c", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]. */
  readonly command: readonly string[];
}

/** One server's configured weight: what `set server <backend>/<server> weight <weight>` sets. */
export interface ServerWeight {
  readonly backend: string;
  readonly server: string;
  readonly weight: number;
}

/** HAProxy only; paths relative to the directory. */
export interface HaproxyReloadSpec {
  /** Admin Runtime API socket: weight-only changes go through it with no reload at all. */
  readonly socket: string;
  /** The config whose weight-only changes the socket can apply. */
  readonly config: string;
  /** Saved with `show servers state` before a reload, so health state survives it. */
  readonly serverState: string;
  /** Master log line that confirms a reload (checked in `docker logs`). */
  readonly successLog: string;
  /** Every server weight `config` sets, as data (render/haproxy.ts, haproxyWeights). */
  readonly weights: readonly ServerWeight[];
  /**
   * A digest of `config` that ignores exactly those weights (render/haproxy.ts, haproxyConfigFingerprint):
   * equal fingerprints and other files mean the weights are all that changed.
   */
  readonly configFingerprint: string;
}

export interface ReloadSpec {
  /** Container to signal after a change, if it is running. */
  readonly container: string;
  /** e.g. "SIGUSR2" for HAProxy's master-worker reload. */
  readonly signal: string;
  readonly haproxy?: HaproxyReloadSpec;
}

export interface ConfigDirInputs {
  readonly dir: string;
  /**
   * The Docker engine (DOCKER_HOST) that runs the validation, the reload signal and the logs read: the
   * engine of the gateway's host with `hosts` (its filesystem is this machine's). Unset: the default.
   */
  readonly engine?: string;
  /** File name → content. Plain, so `preview --diff` shows line diffs of each file. */
  readonly files: Readonly<Record<string, string>>;
  /** File name → content, kept secret in state and previews. */
  readonly secretFiles: Readonly<Record<string, string>>;
  /** Subdirectories the container writes to (sockets, state files); created mode 0777. */
  readonly writableDirs: readonly string[];
  /** File name (may be inside a writable dir) → content, written only when the file is missing. */
  readonly initialFiles: Readonly<Record<string, string>>;
  readonly validate?: ValidateSpec;
  readonly reload?: ReloadSpec;
  /** Not written anywhere: a human summary of what the files mean, shown by `preview --diff`. */
  readonly summary: string;
}

export interface ConfigDirOutputs extends ConfigDirInputs {
  /** What the last apply did: "unchanged" | "written" | "written+runtime-api" | "written+reloaded". */
  readonly lastApply: string;
}
