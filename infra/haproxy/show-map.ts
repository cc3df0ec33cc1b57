// The Runtime API's `show map <file>` (runtime-api.ts sends it) → the stream map's entries. Pure. The map
// is STREAMS_MAP (render/paths.ts), filled by the router with core.set_map: the owner HAProxy routes a
// stream to (`use-server`), the same on every gateway when their polls agree.
//
// What HAProxy prints (2.6 and 3.0 alike, test/unit/status/fixtures/show-map.txt): one entry a line,
//   0x561ed17440f0 cam/1 b1
// then an empty line. `add map` can add a key twice (the router only uses set_map, which never does);
// a lookup answers the first one, and so does this parser. A file HAProxy did not load answers
// "Unknown map identifier".

/** One key of the map: the stream and the server (instance) HAProxy sends it to. */
export interface MapEntry {
  readonly stream: string;
  readonly server: string;
}

/** The Runtime API command that lists a map file's entries (the path as haproxy.cfg loads it). */
export function showMapCommand(file: string): string {
  return `show map ${file}`;
}

/** `show map <file>` → its entries in HAProxy's order, first of a duplicate key only; throws on anything else. */
export function parseShowMap(text: string): MapEntry[] {
  const entries: MapEntry[] = [];
  const seen = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === "") continue;
    const [id, stream, server, ...rest] = line.trim().split(/\s+/);
    if (
      id === undefined ||
      !id.startsWith("0x") ||
      stream === undefined ||
      server === undefined ||
      rest.length > 0
    ) {
      throw new Error(`show map: ${JSON.stringify(line.slice(0, 120))}`);
    }
    if (seen.has(stream)) continue;
    seen.add(stream);
    entries.push({ stream, server });
  }
  return entries;
}
