/**
 * PPPoE (RFC 2516): the discovery packets (PADI, PADO, PADR, PADS, PADT) with their tags,
 * and the session header with a zero-copy view for the data path. Parsing never throws;
 * every tag, known or not, survives a round trip byte for byte; tag values and payloads
 * are subarrays of the input. The Ethernet header is not part of these values.
 */
import { u16, setU16, textBytes, bytesText } from './bytes.js';
import { fail, ok, type Codec, type Parsed, type WireError } from './result.js';

/** Ethertypes (RFC 2516 §4). */
export const ETHERTYPE_PPPOE_DISCOVERY = 0x8863;
export const ETHERTYPE_PPPOE_SESSION = 0x8864;

/** Header fields (RFC 2516 §4): VER|TYPE, CODE, SESSION_ID, LENGTH, then the payload. */
export const F = { VER_TYPE: 0, CODE: 1, SESSION_ID: 2, LENGTH: 4, PAYLOAD: 6 } as const;
export const PPPOE_HEADER_LENGTH = 6;
/** VER = 1 and TYPE = 1 in one octet (RFC 2516 §4: "MUST be set to 0x1"). */
export const VER_TYPE = 0x11;

/** CODE values. Unknown codes parse as numbers. */
export const PppoeCode = {
  /** Session stage (RFC 2516 §6). */
  SESSION: 0x00,
  /** PPPoE Active Discovery Offer (§5.2). */
  PADO: 0x07,
  /** PPPoE Active Discovery Initiation (§5.1). */
  PADI: 0x09,
  /** PPPoE Active Discovery Request (§5.3). */
  PADR: 0x19,
  /** PPPoE Active Discovery Session-confirmation (§5.4). */
  PADS: 0x65,
  /** PPPoE Active Discovery Terminate (§5.5). */
  PADT: 0xa7,
} as const;

export const PPPOE_CODE_NAMES: Readonly<Record<number, string>> = { 0x00: 'Session', 0x07: 'PADO', 0x09: 'PADI', 0x19: 'PADR', 0x65: 'PADS', 0xa7: 'PADT' };

/** TAG_TYPE values (RFC 2516 Appendix A, RFC 4638 §4). */
export const PppoeTagType = {
  END_OF_LIST: 0x0000,
  SERVICE_NAME: 0x0101,
  AC_NAME: 0x0102,
  HOST_UNIQ: 0x0103,
  AC_COOKIE: 0x0104,
  VENDOR_SPECIFIC: 0x0105,
  RELAY_SESSION_ID: 0x0110,
  /** RFC 4638: the largest PPP payload the sender can carry (> 1492 lifts the PPPoE limit). */
  PPP_MAX_PAYLOAD: 0x0120,
  SERVICE_NAME_ERROR: 0x0201,
  AC_SYSTEM_ERROR: 0x0202,
  GENERIC_ERROR: 0x0203,
} as const;

export const PPPOE_TAG_NAMES: Readonly<Record<number, string>> = {
  0x0000: 'End-Of-List', 0x0101: 'Service-Name', 0x0102: 'AC-Name', 0x0103: 'Host-Uniq', 0x0104: 'AC-Cookie',
  0x0105: 'Vendor-Specific', 0x0110: 'Relay-Session-Id', 0x0120: 'PPP-Max-Payload',
  0x0201: 'Service-Name-Error', 0x0202: 'AC-System-Error', 0x0203: 'Generic-Error',
};

/** One tag. Known or not, it is kept as type and value bytes so it re-emits exactly. */
export interface PppoeTag {
  readonly type: number;
  readonly data: Uint8Array;
}

/** A discovery packet (Ethertype 0x8863). VER/TYPE are always 1/1. */
export interface PppoeDiscovery {
  /** CODE: PADI 0x09, PADO 0x07, PADR 0x19, PADS 0x65, PADT 0xa7 (or any other number). */
  readonly code: number;
  /** SESSION_ID: 0 until PADS assigns one (§5.4); PADT carries the session's id (§5.5). */
  readonly sessionId: number;
  readonly tags: readonly PppoeTag[];
}

/** A session-stage packet (Ethertype 0x8864, CODE 0): the payload is a PPP frame (protocol + information). */
export interface PppoeSession {
  readonly sessionId: number;
  readonly payload: Uint8Array;
}

function checkHeader(b: Uint8Array, o = 0): WireError | undefined {
  if (b.length - o < PPPOE_HEADER_LENGTH) return { code: 'pppoe.truncated-header', offset: o };
  if (b[o + F.VER_TYPE] !== VER_TYPE) return { code: 'pppoe.bad-version-type', offset: o + F.VER_TYPE };
  if (o + PPPOE_HEADER_LENGTH + u16(b, o + F.LENGTH) > b.length) return { code: 'pppoe.length-exceeds-frame', offset: o + F.LENGTH };
  return undefined;
}

/**
 * Tags with a fixed or minimum length, checked at parse time. Anything else is opaque.
 * A tag that breaks these is a malformed packet (the RFC gives no way to use it).
 */
function checkTag(type: number, len: number, at: number): WireError | undefined {
  switch (type) {
    case PppoeTagType.END_OF_LIST:
      return len === 0 ? undefined : { code: 'pppoe.end-of-list-not-empty', offset: at + 2 };
    case PppoeTagType.PPP_MAX_PAYLOAD:
      return len === 2 ? undefined : { code: 'pppoe.bad-ppp-max-payload-length', offset: at + 2 };
    case PppoeTagType.VENDOR_SPECIFIC:
      return len >= 4 ? undefined : { code: 'pppoe.short-vendor-specific', offset: at + 2 };
    default:
      return undefined;
  }
}

/**
 * The tag list of a discovery payload, b[start, end). Every tag advances by 4 + its length,
 * so no input can make the loop stall; a list is at most (end-start)/4 tags.
 */
function parseTags(b: Uint8Array, start: number, end: number): Parsed<PppoeTag[]> {
  const tags: PppoeTag[] = [];
  let o = start;
  while (o < end) {
    if (o + 4 > end) return fail('pppoe.truncated-tag-header', o);
    const type = u16(b, o);
    const len = u16(b, o + 2);
    if (o + 4 + len > end) return fail('pppoe.tag-exceeds-payload', o + 2);
    const bad = checkTag(type, len, o);
    if (bad) return { ok: false, error: bad };
    tags.push({ type, data: b.subarray(o + 4, o + 4 + len) });
    o += 4 + len;
  }
  return ok(tags);
}

function tagsLength(tags: readonly PppoeTag[]): number {
  let n = 0;
  for (const t of tags) n += 4 + t.data.length;
  return n;
}

/** Discovery packets: header + tags. Bytes after LENGTH (Ethernet padding) are ignored. */
export const pppoeDiscovery: Codec<PppoeDiscovery> = {
  parse(b) {
    const bad = checkHeader(b);
    if (bad) return { ok: false, error: bad };
    const code = b[F.CODE]!;
    if (code === PppoeCode.SESSION) return fail('pppoe.session-code-on-discovery', F.CODE);
    const tags = parseTags(b, F.PAYLOAD, F.PAYLOAD + u16(b, F.LENGTH));
    if (!tags.ok) return tags;
    return ok({ code, sessionId: u16(b, F.SESSION_ID), tags: tags.value });
  },
  encodedLength(v) {
    return PPPOE_HEADER_LENGTH + tagsLength(v.tags);
  },
  emit(v, buf, offset) {
    const payloadLen = tagsLength(v.tags);
    buf[offset + F.VER_TYPE] = VER_TYPE;
    buf[offset + F.CODE] = v.code;
    setU16(buf, offset + F.SESSION_ID, v.sessionId);
    setU16(buf, offset + F.LENGTH, payloadLen);
    let o = offset + F.PAYLOAD;
    for (const t of v.tags) {
      setU16(buf, o, t.type);
      setU16(buf, o + 2, t.data.length);
      buf.set(t.data, o + 4);
      o += 4 + t.data.length;
    }
    return PPPOE_HEADER_LENGTH + payloadLen;
  },
};

/** Session packets (CODE 0). The payload is a subarray; bytes after LENGTH are ignored. */
export const pppoeSession: Codec<PppoeSession> = {
  parse(b) {
    const bad = checkHeader(b);
    if (bad) return { ok: false, error: bad };
    if (b[F.CODE] !== PppoeCode.SESSION) return fail('pppoe.not-session-code', F.CODE);
    return ok({ sessionId: u16(b, F.SESSION_ID), payload: b.subarray(F.PAYLOAD, F.PAYLOAD + u16(b, F.LENGTH)) });
  },
  encodedLength(v) {
    return PPPOE_HEADER_LENGTH + v.payload.length;
  },
  emit(v, buf, offset) {
    writeSessionHeader(buf, offset, v.sessionId, v.payload.length);
    buf.set(v.payload, offset + F.PAYLOAD);
    return PPPOE_HEADER_LENGTH + v.payload.length;
  },
};

/**
 * Why a received session-stage frame (Ethertype 0x8864) must be dropped, or undefined when
 * it is good: `frame` is the whole Ethernet frame, its PPPoE header at `offset` (14 without
 * VLAN tags). RFC 2516 §4: VER = 1, TYPE = 1; §6: CODE = 0x00 and a unicast
 * DESTINATION_ADDR (a session is between two stations; a group address is never one of
 * them); LENGTH must fit the frame and hold at least the 2-octet PPP protocol field.
 * Allocates nothing, so the relay can call it on every frame. Codes are stable (`pppoe.*`).
 */
export function sessionFrameProblem(frame: Uint8Array, offset: number): string | undefined {
  if (frame.length < 6 || (frame[0]! & 1) !== 0) return frame.length < 6 ? 'pppoe.truncated-header' : 'pppoe.group-destination';
  const bad = checkHeader(frame, offset);
  if (bad) return bad.code;
  if (frame[offset + F.CODE] !== PppoeCode.SESSION) return 'pppoe.not-session-code';
  if (u16(frame, offset + F.LENGTH) < 2) return 'pppoe.no-ppp-protocol';
  return undefined;
}

/**
 * RFC 2516 §5: only a PADI is sent to the broadcast address; PADO, PADR, PADS and PADT go to
 * the peer's unicast address. 'pppoe.group-destination' for any other discovery packet sent
 * to a group address, else undefined (the rest is `pppoeDiscovery.parse`'s job).
 */
export function discoveryDestinationProblem(frame: Uint8Array, offset: number): string | undefined {
  if (frame.length <= offset + F.CODE || (frame[0]! & 1) === 0) return undefined;
  return frame[offset + F.CODE] === PppoeCode.PADI ? undefined : 'pppoe.group-destination';
}

/** Writes a session header (CODE 0) at `offset` for a payload of `payloadLength` that follows it. */
export function writeSessionHeader(buf: Uint8Array, offset: number, sessionId: number, payloadLength: number): void {
  buf[offset + F.VER_TYPE] = VER_TYPE;
  buf[offset + F.CODE] = PppoeCode.SESSION;
  setU16(buf, offset + F.SESSION_ID, sessionId);
  setU16(buf, offset + F.LENGTH, payloadLength);
}

/**
 * A checked view of a session packet in place, for the data path: after `check` succeeds
 * no accessor can fail and nothing is copied. Session id and length can be rewritten in place.
 */
export class PppoeSessionView {
  private constructor(
    readonly buf: Uint8Array,
    readonly offset: number,
  ) {}

  /** Checks VER/TYPE, CODE 0 and that LENGTH fits in `buf`; returns the view or the error. */
  static check(buf: Uint8Array, offset = 0): PppoeSessionView | WireError {
    const bad = checkHeader(buf, offset);
    if (bad) return bad;
    if (buf[offset + F.CODE] !== PppoeCode.SESSION) return { code: 'pppoe.not-session-code', offset: offset + F.CODE };
    return new PppoeSessionView(buf, offset);
  }

  get sessionId(): number {
    return u16(this.buf, this.offset + F.SESSION_ID);
  }
  set sessionId(v: number) {
    setU16(this.buf, this.offset + F.SESSION_ID, v);
  }
  /** LENGTH: octets of PPP frame after the header. */
  get length(): number {
    return u16(this.buf, this.offset + F.LENGTH);
  }
  /** Offset of the PPP frame (protocol field) in `buf`. */
  get payloadOffset(): number {
    return this.offset + F.PAYLOAD;
  }
  /** The PPP protocol field (2 octets; RFC 2516 §7 says PFC is not recommended, so it is the usual case). */
  get protocol(): number {
    return this.length >= 2 ? u16(this.buf, this.offset + F.PAYLOAD) : -1;
  }
  /** The PPP frame, a subarray (no copy). */
  get payload(): Uint8Array {
    return this.buf.subarray(this.offset + F.PAYLOAD, this.offset + F.PAYLOAD + this.length);
  }
}

// ---- tag helpers ----------------------------------------------------------------------

export function tag(type: number, data: Uint8Array | string = new Uint8Array(0)): PppoeTag {
  return { type, data: typeof data === 'string' ? textBytes(data) : data };
}

/** PPP-Max-Payload (RFC 4638 §4) carrying `n`. */
export function pppMaxPayloadTag(n: number): PppoeTag {
  const d = new Uint8Array(2);
  setU16(d, 0, n);
  return { type: PppoeTagType.PPP_MAX_PAYLOAD, data: d };
}

/** The first tag of `type`, or undefined. RFC 2516 gives no meaning to repeats of the single-valued tags. */
export function findTag(tags: readonly PppoeTag[], type: number): PppoeTag | undefined {
  for (const t of tags) if (t.type === type) return t;
  return undefined;
}

export function tagText(t: PppoeTag | undefined): string | undefined {
  return t === undefined ? undefined : bytesText(t.data);
}

/** The PPP-Max-Payload value, or undefined when the tag is absent. */
export function pppMaxPayload(tags: readonly PppoeTag[]): number | undefined {
  const t = findTag(tags, PppoeTagType.PPP_MAX_PAYLOAD);
  return t === undefined ? undefined : u16(t.data, 0);
}

/** The first error tag (Service-Name-Error, AC-System-Error, Generic-Error), or undefined. */
export function errorTag(tags: readonly PppoeTag[]): PppoeTag | undefined {
  for (const t of tags) if (t.type >= PppoeTagType.SERVICE_NAME_ERROR && t.type <= PppoeTagType.GENERIC_ERROR) return t;
  return undefined;
}
