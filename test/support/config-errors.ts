import type { Model } from "../../infra/config/model";
import { type ConfigContext, ConfigError, validateConfig } from "../../infra/config/validate";

/** The context the config unit tests validate in: stack `dev`, home /home/ops, password set. */
export const TEST_CONFIG_CONTEXT: ConfigContext = {
  stack: "dev",
  homeDir: "/home/ops",
  statsPasswordSet: true,
};

export function modelOf(raw: Readonly<Record<string, unknown>>): Model {
  return validateConfig(raw, TEST_CONFIG_CONTEXT);
}

/** The error lines validateConfig gives for `raw`; fails the test when it accepts it. */
export function configErrors(raw: Readonly<Record<string, unknown>>): readonly string[] {
  try {
    validateConfig(raw, TEST_CONFIG_CONTEXT);
  } catch (error) {
    if (error instanceof ConfigError) return error.errors;
    throw error;
  }
  throw new Error("expected validateConfig to throw a ConfigError");
}
