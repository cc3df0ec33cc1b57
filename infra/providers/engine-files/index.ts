// EngineFiles: config files in a named volume on a (possibly remote) Docker engine, changed in place.
// - provider.ts: the dynamic resource and its thin shell (plan → reachable? → volume → copy)
// - plan.ts: the pure decisions: replace or update, which files to write and remove, allowed names
// - engine.ts: the docker CLI calls, each with a deadline and a one-line error
// - tar.ts: the streams `docker cp -` extracts (staged write + hard-link swap, removal)
export type { EngineFilesInputs, EngineFilesOutputs } from "./inputs";
export { applyEngineFiles, deleteEngineFiles, EngineFiles, type EngineFilesArgs } from "./provider";
