// ConfigDir: a bind-mounted host directory of config files, changed without replacing the container.
// - provider.ts: the dynamic resource and its thin shell (gather facts → plan → write → act)
// - plan.ts: the pure planner: unchanged / write / Runtime API commands / validated reload
// - files.ts: the generic file writer (stage → validate → atomic swap → put back on failure)
// - haproxy.ts: carrying a plan out (Runtime API, server state, signal and confirmation)
export type {
  ConfigDirInputs,
  ConfigDirOutputs,
  HaproxyReloadSpec,
  ReloadSpec,
  ServerWeight,
  ValidateSpec,
} from "./inputs";
export { applyConfigDir, ConfigDir } from "./provider";
