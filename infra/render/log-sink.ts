// Model → log-sink.cfg (templates/log-sink.cfg.mustache): the config of the request-log sink container
// (components/log-sink.ts). Pure.
//
// Couplings:
// - LOG_SOCKET is the `log` target of haproxy.cfg (render/haproxy.ts) and is bound here; both containers
//   see it at the same path because the sink mounts the gateway's run directory at HAPROXY_RUN_DIR.
// - Both ends say `format raw`: the sink forwards the gateway's line unchanged.

import type { Model } from "../config/model";
import type { LogSinkNames } from "../config/names";
import { LOG_SOCKET } from "./paths";
import { renderTemplate } from "./templates";

/** The log-forward section's name: it names the sink in HAProxy's own messages only. */
const LOG_FORWARD_NAME = "requests";

export interface LogSinkView {
  readonly stack: string;
  readonly container: string;
  readonly name: string;
  readonly socket: string;
}

function toLogSinkView(model: Model, sink: LogSinkNames): LogSinkView {
  return {
    stack: model.stack,
    container: sink.containerName,
    name: LOG_FORWARD_NAME,
    socket: LOG_SOCKET,
  };
}

/** The config of `sink` (a gateway's; the first gateway's by default). */
export function renderLogSinkConfig(model: Model, sink: LogSinkNames = model.logSink): string {
  return renderTemplate("log-sink.cfg.mustache", toLogSinkView(model, sink));
}
