// The stream-name cases both implementations share: stream_from_path in infra/lua/router.lua (under
// Lua 5.3 and 5.4) and the native rules of templates/haproxy-stream-from-path.cfg.mustache (in
// HAProxy 2.6 and 3.0).

/** A WHIP/WHEP session id as MediaMTX issues them. */
export const UUID = "0f8e2a3c-1b2d-4e5f-8a9b-0c1d2e3f4a5b";
/** The longest valid stream name (256 bytes), in two segments. */
export const NAME_256 = `${"a".repeat(127)}/${"b".repeat(128)}`;

/**
 * [request path as HAProxy's `path` fetch gives it (no query), expected stream or null]: the
 * specification of the stream a request belongs to. router-lua.test.ts holds stream_from_path
 * (router.lua) to it; stream-from-path.test.ts holds the native rules in HAProxy to it.
 */
export const STREAM_CASES: readonly (readonly [string, string | null])[] = [
  // HLS: the stream is everything before the last '/'
  ["/cam/index.m3u8", "cam"],
  ["/cam/1/index.m3u8", "cam/1"],
  ["/a/b/c/index.m3u8", "a/b/c"],
  ["/cam/main_stream.m3u8", "cam"],
  ["/cam/video1_stream.m3u8", "cam"],
  ["/cam/1/abc_video1_seg3.mp4", "cam/1"],
  ["/cam/3f9a_video1_init.mp4", "cam"],
  ["/cam/init.mp4", "cam"],
  ["/cam/3f9a_video1_part7.mp4", "cam"],
  ["/cam/3f9a_main_seg4.ts", "cam"],
  ["/cam/3f9a_video1_seg12.mp", "cam"],
  ["/cam/1/hls.min.js", "cam/1"],
  ["/cam.v2/index.m3u8", "cam.v2"],
  ["/my_cam-01~x/index.m3u8", "my_cam-01~x"],
  // WebRTC: WHIP/WHEP endpoints and session URLs
  ["/cam/whip", "cam"],
  ["/cam/whep", "cam"],
  ["/cam/1/whip", "cam/1"],
  [`/cam/whip/${UUID}`, "cam"],
  [`/cam/1/whep/${UUID.toUpperCase()}`, "cam/1"],
  ["/cam/whip/not-a-session-id", null],
  [`/whip/${UUID}`, null],
  ["/whip", "whip"],
  ["/cam/publish", "cam"],
  ["/publish", "publish"],
  ["/whip/whep", "whip"],
  ["/cam/whip/whip", "cam/whip"],
  [`/cam/whip/${UUID}.ts`, null],
  [`/cam/whip/${UUID}/x`, `cam/whip/${UUID}/x`],
  [`//whip/${UUID}`, null],
  // MediaMTX pages, with and without the trailing slash (MediaMTX redirects to it)
  ["/cam/", "cam"],
  ["/cam/1/", "cam/1"],
  ["/cam/whip/", "cam/whip"],
  ["/cam.ts/", "cam.ts"],
  ["/cam", "cam"],
  ["/cam/1", "cam/1"],
  [`/cam/${UUID}`, `cam/${UUID}`],
  // Suffixes: a file needs a name before its suffix, and the suffix is case-sensitive
  ["/cam/.ts", "cam/.ts"],
  ["/.ts", ".ts"],
  ["/cam/..ts", "cam"],
  ["/cam/x.M3U8", "cam/x.M3U8"],
  // Length
  [`/${NAME_256}/index.m3u8`, NAME_256],
  [`/${NAME_256}x/index.m3u8`, null],
  [`/${"a".repeat(4096)}/index.m3u8`, null],
  [`/${NAME_256}/`, NAME_256],
  [`/${NAME_256}x/`, null],
  [`/cam/${"x".repeat(504)}.ts`, "cam"], // 512 bytes
  [`/cam/${"x".repeat(505)}.ts`, null], // 513 bytes
  // Hostile or malformed
  ["", null],
  ["/", null],
  ["cam/index.m3u8", null],
  ["//cam/index.m3u8", null],
  ["/cam//index.m3u8", null],
  ["/cam//", null],
  ["/../index.m3u8", null],
  ["/./index.m3u8", null],
  ["/cam/../secret/index.m3u8", null],
  ["/cam/./index.m3u8", null],
  ["/cam/..", null],
  ["/cam%2Fx/index.m3u8", null],
  ["/cam/%2e%2e/index.m3u8", null],
  ["/caméra/index.m3u8", null],
  ["/カメラ/index.m3u8", null],
  ["/cam era/index.m3u8", null],
  ["/cam\u0000/index.m3u8", null],
  ["/cam\n/index.m3u8", null],
  // HAProxy's `path` never carries the query; a raw one is not a stream character
  ["/cam/index.m3u8?session=abc", null],
  // Root-level files belong to no stream
  ["/favicon.ico", null],
  ["/index.m3u8", null],
];
