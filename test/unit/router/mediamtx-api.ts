// MediaMTX v1.20 control API answers (internal/defs/api.go: APIPath, APIPathList), shared by the
// Lua harness cases and the fake instances of the HAProxy run.

export interface MtxPathItem {
  readonly name: string;
  readonly confName: string;
  readonly ready: boolean;
  readonly readyTime: string | null;
  readonly available: boolean;
  readonly availableTime: string | null;
  readonly online: boolean;
  readonly onlineTime: string | null;
  readonly source: { readonly type: string; readonly id: string } | null;
  readonly tracks: readonly string[];
  readonly bytesReceived: number;
  readonly bytesSent: number;
  readonly readers: readonly { readonly type: string; readonly id: string }[];
}

/** A path as /v3/paths/get and /v3/paths/list report it; not ready = configured but unpublished. */
export function mtxPath(name: string, ready = true): MtxPathItem {
  const time = ready ? "2025-01-02T03:04:05.678901234Z" : null;
  return {
    name,
    confName: "all_others",
    ready,
    readyTime: time,
    available: ready,
    availableTime: time,
    online: ready,
    onlineTime: time,
    source: ready ? { type: "rtmpConn", id: "5b3c6d1e-2f4a-4b8c-9d0e-1f2a3b4c5d6e" } : null,
    tracks: ready ? ["H264", "MPEG-4 Audio"] : [],
    bytesReceived: ready ? 123456789 : 0,
    bytesSent: ready ? 987654 : 0,
    readers: ready ? [{ type: "hlsMuxer", id: "" }] : [],
  };
}

/** One /v3/paths/list page. */
export function mtxPathList(items: readonly MtxPathItem[], pageCount = items.length === 0 ? 0 : 1): string {
  return JSON.stringify({ itemCount: items.length, pageCount, items });
}
