// The typed inputs and outputs of EngineFiles, shared by the planner, the Docker shell and the resource.

export interface EngineFilesInputs {
  /** Docker endpoint, as the docker CLI's -H takes it: unix:///var/run/docker.sock, tcp://h:2376, ssh://u@h. */
  readonly engine: string;
  /** Named volume on that engine that holds the files; created if missing, removed on delete. */
  readonly volume: string;
  /** An image already on that engine; only a container is created from it, never started (no shell needed). */
  readonly image: string;
  /** Plain file name (no directories) → content. */
  readonly files: Readonly<Record<string, string>>;
  /** Docker labels on the volume (when it is created) and on every helper container. */
  readonly labels: Readonly<Record<string, string>>;
}

export interface EngineFilesOutputs extends EngineFilesInputs {
  /** What the last apply did: "created" | "updated" | "unchanged". */
  readonly lastApply: string;
}
