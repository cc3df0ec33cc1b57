// Real WebRTC clients for WHIP (publish) and WHEP (read), built on werift (a full ICE/DTLS/SRTP stack in
// Node). ICE runs over TCP only: MediaMTX has UDP off and advertises `<publicHost>:<iceTcpPort>` passive
// candidates, so werift gathers active TCP candidates (`iceUseTcp`, `iceTcpPassive: false`) and dials
// the advertised port. The published video is real: ffmpeg encodes a test pattern to VP8 and sends RTP
// over UDP on loopback, and every packet is written into the werift track.
//
// Signalling follows MediaMTX's own publisher and reader pages: OPTIONS, POST the offer (all
// candidates included), 201 with the answer and `Location`, PATCH the candidates as a trickle fragment
// to the Location, DELETE the Location to end. A session optionally keeps cookies (a browser keeps
// WHIP_SESSION; OBS and GStreamer keep none).

import { type ChildProcess, spawn } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import {
  MediaStreamTrack,
  type MediaStreamTrack as MediaTrack,
  RTCPeerConnection,
  useH264,
  useVP8,
} from "werift";

export interface SignallingRequest {
  readonly method: string;
  readonly url: string;
  readonly status: number;
}

export interface WebRtcOptions {
  /** Send and store cookies like a browser (true) or never (false: OBS, GStreamer, ffmpeg). */
  readonly cookies: boolean;
  /**
   * Replace the port of every ICE candidate in the answer. Only for emulating a design whose instances
   * all advertise one shared ICE-TCP port (the seed design): our instances advertise their own port.
   */
  readonly candidatePort?: number;
  /** Budget for ICE + DTLS to connect. */
  readonly connectTimeoutMs?: number;
  /**
   * Start with OPTIONS, as MediaMTX's pages (browsers) do; default true. GStreamer's whipclientsink
   * and OBS go straight to POST.
   */
  readonly sendOptions?: boolean;
  /**
   * An `Authorization` header value for every signalling request (e.g. `Basic base64(user:pass)`, see
   * basicAuthorization): what MediaMTX's pages send once publishers or readers are configured.
   */
  readonly authorization?: string;
}

/** `Basic base64(user:pass)`, the form MediaMTX reads credentials from on WHIP, WHEP and HLS. */
export function basicAuthorization(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}`;
}

/** The only local address ICE uses (see the peer connection options). */
const LOCAL_ICE_HOST = "127.0.0.1";

/** Minimal cookie jar: name → value, no domain/path scoping (one origin per jar). */
class CookieJar {
  private readonly cookies = new Map<string, string>();

  header(): Record<string, string> {
    if (this.cookies.size === 0) return {};
    return { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ") };
  }

  store(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const eq = pair?.indexOf("=") ?? -1;
      if (pair && eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }

  get size(): number {
    return this.cookies.size;
  }
}

/** Rewrites the port of every `a=candidate` line (see WebRtcOptions.candidatePort). Internal. Exported for testing. */
export function rewriteCandidatePorts(sdp: string, port: number): string {
  return sdp.replace(
    /^(a=candidate:\S+ \d+ \S+ \d+ \S+ )(\d+)( typ .*)$/gm,
    (_all, head: string, _port: string, tail: string) => `${head}${port}${tail}`,
  );
}

/**
 * A trickle-ICE fragment (`application/trickle-ice-sdpfrag`, RFC 8840) with the candidates of an
 * offer, in the shape MediaMTX reads: ufrag and pwd, then the first media line with `a=mid:0` and the
 * candidates. Internal. Exported for testing.
 */
export function iceFragment(offer: string): string {
  const line = (re: RegExp) => offer.match(re)?.[0]?.trim();
  const ufrag = line(/^a=ice-ufrag:.*$/m);
  const pwd = line(/^a=ice-pwd:.*$/m);
  const media = line(/^m=.*$/m);
  const candidates = [...offer.matchAll(/^a=candidate:.*$/gm)].map((m) => m[0].trim());
  if (ufrag === undefined || pwd === undefined || media === undefined) {
    throw new Error("offer has no ice-ufrag, ice-pwd or media line");
  }
  return `${[ufrag, pwd, media, "a=mid:0", ...candidates].join("\r\n")}\r\n`;
}

/** `<addr>:<port>` of the candidates in an SDP, for diagnostics. Internal. Exported for testing. */
export function candidateEndpoints(sdp: string): string[] {
  return [...sdp.matchAll(/^a=candidate:\S+ \d+ (\S+) \d+ (\S+) (\d+) typ/gm)].map(
    (m) => `${m[1]?.toLowerCase()} ${m[2]}:${m[3]}`,
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Shared base: one peer connection, its signalling requests and the cookie jar. */
abstract class Session {
  readonly requests: SignallingRequest[] = [];
  /** Absolute session URL from the 201's Location header. */
  location: string | undefined;
  answerSdp = "";
  protected readonly jar = new CookieJar();
  protected readonly pc: RTCPeerConnection;
  private connected = false;

  constructor(
    protected readonly endpoint: string,
    protected readonly options: WebRtcOptions,
  ) {
    this.pc = new RTCPeerConnection({
      // No STUN/TURN: werift otherwise defaults to a public STUN server. Server-reflexive candidates
      // are useless here anyway (MediaMTX only offers TCP host candidates).
      iceServers: [],
      iceUseTcp: true,
      // Active only: the client dials the server's passive candidate; it never needs to accept.
      iceTcpPassive: false,
      iceUseIpv6: false,
      // One local candidate, on loopback, like a browser on a machine with one network interface.
      // werift otherwise pairs every interface of the host (each Docker bridge too) with the remote
      // candidate and dials once per pair, which would give a design with one shared, balanced
      // ICE-TCP port as many tries as the test host has interfaces.
      iceAdditionalHostAddresses: [LOCAL_ICE_HOST],
      iceFilterCandidatePair: (pair) => pair.localCandidate.host === LOCAL_ICE_HOST,
      codecs: { video: [useVP8(), useH264()], audio: [] },
    });
    this.pc.connectionStateChange.subscribe((state) => {
      if (state === "connected") this.connected = true;
    });
  }

  get cookieCount(): number {
    return this.jar.size;
  }

  /** True once ICE and DTLS connected. */
  get isConnected(): boolean {
    return this.connected;
  }

  protected async request(method: string, url: string, init: RequestInit = {}): Promise<Response> {
    const headers: Record<string, string> = {
      ...(this.options.cookies ? this.jar.header() : {}),
      ...(this.options.authorization === undefined ? {} : { authorization: this.options.authorization }),
      ...(init.headers as Record<string, string> | undefined),
    };
    const res = await fetch(url, {
      ...init,
      method,
      headers,
      redirect: "manual",
      signal: AbortSignal.timeout(10_000),
    });
    this.requests.push({ method, url, status: res.status });
    if (this.options.cookies) this.jar.store(res);
    return res;
  }

  /**
   * MediaMTX's own publisher/reader pages: OPTIONS (ICE servers), POST the offer (all candidates, after
   * gathering completes) → 201 with the answer and Location, then PATCH the candidates again as a
   * trickle fragment to the session URL. Returns the POST status (201 on success); the OPTIONS and
   * PATCH statuses are in `requests`.
   */
  protected async negotiate(): Promise<number> {
    if (this.options.sendOptions ?? true) {
      const options = await this.request("OPTIONS", this.endpoint);
      await options.arrayBuffer();
    }
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    const gatherDeadline = Date.now() + 5_000;
    while (this.pc.iceGatheringState !== "complete" && Date.now() < gatherDeadline) await sleep(20);
    const offerSdp = this.pc.localDescription?.sdp ?? offer.sdp;
    const res = await this.request("POST", this.endpoint, {
      headers: { "content-type": "application/sdp" },
      body: offerSdp,
    });
    const body = await res.text();
    if (res.status !== 201) return res.status;
    const location = res.headers.get("location");
    if (location) this.location = new URL(location, this.endpoint).toString();
    this.answerSdp =
      this.options.candidatePort === undefined
        ? body
        : rewriteCandidatePorts(body, this.options.candidatePort);
    await this.pc.setRemoteDescription({ type: "answer", sdp: this.answerSdp });
    if (this.location) {
      const patch = await this.request("PATCH", this.location, {
        headers: { "content-type": "application/trickle-ice-sdpfrag" },
        body: iceFragment(offerSdp),
      });
      await patch.arrayBuffer();
    }
    return res.status;
  }

  /** Status of the first request with this method, if one was made. */
  statusOf(method: string): number | undefined {
    return this.requests.find((r) => r.method === method)?.status;
  }

  /** Waits for ICE + DTLS; false on timeout or failure. */
  async waitConnected(timeoutMs = this.options.connectTimeoutMs ?? 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.connected) return true;
      if (this.pc.connectionState === "failed" || this.pc.connectionState === "closed") return false;
      await sleep(25);
    }
    return this.connected;
  }

  /** Remote candidate of the selected pair as `<transport> <addr>:<port>`, when connected. */
  selectedRemote(): string | undefined {
    const transport = this.pc.iceTransports[0];
    const pair = transport?.connection.nominated;
    if (!pair) return undefined;
    const c = pair.remoteCandidate;
    return `${c.transport.toLowerCase()} ${c.host}:${c.port}`;
  }

  /** DELETE the session URL (ends it on the server) and close the peer connection. Returns the DELETE status. */
  async close(): Promise<number | undefined> {
    let status: number | undefined;
    if (this.location) {
      const res = await this.request("DELETE", this.location).catch(() => undefined);
      await res?.arrayBuffer().catch(() => undefined);
      status = res?.status;
    }
    await this.pc.close().catch(() => undefined);
    return status;
  }
}

/**
 * A WHIP publisher with one real VP8 video track. `start()` negotiates; media flows once connected and
 * stops with `close()`.
 */
export class WhipPublisher extends Session {
  private readonly track: MediaTrack = new MediaStreamTrack({ kind: "video" });
  private source: RtpSource | undefined;
  /** RTP packets handed to werift (sent only while DTLS is up). */
  packetsWritten = 0;

  constructor(endpoint: string, options: WebRtcOptions) {
    super(endpoint, options);
    this.pc.addTransceiver(this.track, { direction: "sendonly" });
  }

  /** Starts the encoder and POSTs the offer. Returns the POST status. */
  async start(): Promise<number> {
    this.source = await startRtpSource((packet) => {
      this.packetsWritten++;
      this.track.writeRtp(packet);
    });
    return this.negotiate();
  }

  override async close(): Promise<number | undefined> {
    const status = await super.close();
    await this.source?.stop();
    return status;
  }
}

/** A WHEP reader: receive-only video; counts RTP packets that arrive. */
export class WhepReader extends Session {
  rtpPackets = 0;

  constructor(endpoint: string, options: WebRtcOptions) {
    super(endpoint, options);
    const transceiver = this.pc.addTransceiver("video", { direction: "recvonly" });
    transceiver.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe(() => {
        this.rtpPackets++;
      });
    });
  }

  start(): Promise<number> {
    return this.negotiate();
  }
}

interface RtpSource {
  stop(): Promise<void>;
}

/**
 * ffmpeg encoding a test pattern to VP8 RTP on a loopback UDP port that this process reads. VP8 because
 * every WebRTC stack takes it without profile negotiation; realtime settings keep one encoder cheap.
 */
async function startRtpSource(onPacket: (packet: Buffer) => void): Promise<RtpSource> {
  const socket: Socket = createSocket("udp4");
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, "127.0.0.1", () => resolve());
  });
  socket.on("message", (msg) => onPacket(msg));
  const port = socket.address().port;
  const ffmpeg: ChildProcess = spawn(
    "ffmpeg",
    [
      ...["-hide_banner", "-loglevel", "error", "-re"],
      ...["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25"],
      ...["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "300k", "-g", "25"],
      ...["-f", "rtp", `rtp://127.0.0.1:${port}?pkt_size=1200`],
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  return {
    stop: async () => {
      if (ffmpeg.exitCode === null) {
        const exited = new Promise<void>((resolve) => ffmpeg.once("exit", () => resolve()));
        ffmpeg.kill("SIGKILL");
        await exited;
      }
      socket.close();
    },
  };
}
