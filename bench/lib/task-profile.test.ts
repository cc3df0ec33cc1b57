import { describe, expect, it } from "vitest";
import { parseDurationMs, parseTaskProfile, taskCpu } from "./task-profile";

// Shape of HAProxy 3.0's `show profiling tasks` (columns: function calls cpu_tot cpu_avg lat_tot lat_avg).
const sample = `Tasks activity over 5.000 sec till 0.000 sec ago:
  function                      calls   cpu_tot   cpu_avg   lat_tot   lat_avg
  sc_conn_io_cb+0                 623   420.7us   675.0ns   1.349ms   2.164us <- sc_app_chk_rcv_conn@src/stconn.c:840 tasklet_wakeup
  hlua_process_task+0              25   1.768ms   70.71us   871.1us   34.84us <- hlua_httpclient_cb@src/hlua.c:7942 task_wakeup
  hlua_process_task+0              10   501.1us   50.10us   464.8us   46.48us <- run_tasks_from_lists@src/task.c:657 task_queue
  task_process_applet               1      -         -      700.0ns   700.0ns <- sc_app_chk_snd_applet@src/stconn.c:1038 appctx_wakeup
`;

describe("task profiling", () => {
  it.each([
    ["420.7us", 0.4207],
    ["1.768ms", 1.768],
    ["675.0ns", 0.000675],
    ["2s", 2000],
    ["-", 0],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDurationMs(text)).toBeCloseTo(ms, 9);
  });

  it("sums a function over its wake-up sites", () => {
    const rows = parseTaskProfile(sample);
    expect(rows).toHaveLength(4);
    const lua = taskCpu(rows, "hlua_process_task");
    expect(lua.calls).toBe(35);
    expect(lua.cpuMs).toBeCloseTo(2.2691, 6);
  });
});
