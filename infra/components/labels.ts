import type { Model } from "../config/model";

/** Every Docker object carries these, so tests and operators can find (and clean up) a stack's leftovers by label. */
export const PROJECT_LABEL = "mediamtx-lb.project";
export const STACK_LABEL = "mediamtx-lb.stack";
export const ROLE_LABEL = "mediamtx-lb.role";

export function dockerLabels(model: Model, role: string): { label: string; value: string }[] {
  return [
    { label: PROJECT_LABEL, value: "mediamtx-lb" },
    { label: ROLE_LABEL, value: role },
    { label: STACK_LABEL, value: model.stack },
  ];
}
