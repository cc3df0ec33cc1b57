import { describe, expect, it } from "vitest";
import { cookiePairs, newestSegment, playlistUris, segmentCount } from "./hls";

const media = [
  "#EXTM3U",
  "#EXT-X-VERSION:10",
  '#EXT-X-MAP:URI="p_video1_init.mp4"',
  "#EXTINF:3.92000,",
  "p_video1_seg7.mp4",
  '#EXT-X-PART:DURATION=0.24000,URI="p_video1_part17.mp4",INDEPENDENT=YES',
  "#EXTINF:4.00000,",
  "p_video1_seg8.mp4",
  '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="p_video1_part27.mp4"',
  "",
].join("\n");

describe("playlists", () => {
  it("lists full segments only, newest last", () => {
    expect(playlistUris(media)).toEqual(["p_video1_seg7.mp4", "p_video1_seg8.mp4"]);
    expect(newestSegment(media)).toBe("p_video1_seg8.mp4");
    expect(segmentCount(media)).toBe(2);
  });
  it("finds nothing in an empty playlist", () => {
    expect(newestSegment("#EXTM3U\n")).toBeUndefined();
  });
});

describe("cookiePairs", () => {
  it("keeps name=value, drops attributes, last wins", () => {
    const pairs = cookiePairs([
      "cookieCheck=1",
      "hlsSession=abc; HttpOnly",
      "hlsSession=def; HttpOnly; Secure; SameSite=None; Partitioned",
    ]);
    expect([...pairs]).toEqual([
      ["cookieCheck", "1"],
      ["hlsSession", "def"],
    ]);
  });
});
