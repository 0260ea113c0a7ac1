/**
 * L2TPv2 (RFC 2661): the header with its T/L/S/O/P bits, control messages as typed AVP lists
 * (every AVP of §4.4, unknown and vendor AVPs kept with their M/H bits), hidden AVPs (§4.3)
 * both ways, and the tunnel-authentication Challenge Response (§4.4.3 / §5.1.1).
 * Data messages parse to a view whose PPP payload is a subarray of the input; the data path
 * has allocation-free header writers, a reusable view, and the PPPoE-session ⇄ L2TP swap.
 */
import { md5Into } from './md5.js';
import { u16, u32, setU16, setU32 } from './bytes.js';
import { fail, ok, type Codec, type Parsed, type WireError } from './result.js';

/** UDP port of L2TP (§8.1). */
export const L2TP_PORT = 1701;

/** Bits of the first header word (§3.1). */
export const Flag = {
  /** T: 1 = control message, 0 = data message. */
  T: 0x8000,
  /** L: the Length field is present (MUST be 1 for control messages). */
  L: 0x4000,
  /** S: Ns and Nr are present (MUST be 1 for control messages). */
  S: 0x0800,
  /** O: the Offset Size field is present (MUST be 0 for control messages). */
  O: 0x0200,
  /** P: priority data message (MUST be 0 for control messages). */
  P: 0x0100,
  VERSION: 0x000f,
} as const;

/** Message Type AVP values (§3.2). Unknown numbers are kept; these are the named ones. */
export const MessageType = {
  SCCRQ: 1,
  SCCRP: 2,
  SCCCN: 3,
  StopCCN: 4,
  HELLO: 6,
  OCRQ: 7,
  OCRP: 8,
  OCCN: 9,
  ICRQ: 10,
  ICRP: 11,
  ICCN: 12,
  CDN: 14,
  WEN: 15,
  SLI: 16,
} as const;

const MESSAGE_NAMES: Record<number, string> = Object.fromEntries(Object.entries(MessageType).map(([k, v]) => [v, k]));

export function messageTypeName(t: number): string {
  return MESSAGE_NAMES[t] ?? `type-${t}`;
}

/** Attribute types of the IETF vendor (0), §4.4. */
export const AvpType = {
  MESSAGE_TYPE: 0,
  RESULT_CODE: 1,
  PROTOCOL_VERSION: 2,
  FRAMING_CAPABILITIES: 3,
  BEARER_CAPABILITIES: 4,
  TIE_BREAKER: 5,
  FIRMWARE_REVISION: 6,
  HOST_NAME: 7,
  VENDOR_NAME: 8,
  ASSIGNED_TUNNEL_ID: 9,
  RECEIVE_WINDOW_SIZE: 10,
  CHALLENGE: 11,
  Q931_CAUSE_CODE: 12,
  CHALLENGE_RESPONSE: 13,
  ASSIGNED_SESSION_ID: 14,
  CALL_SERIAL_NUMBER: 15,
  MINIMUM_BPS: 16,
  MAXIMUM_BPS: 17,
  BEARER_TYPE: 18,
  FRAMING_TYPE: 19,
  CALLED_NUMBER: 21,
  CALLING_NUMBER: 22,
  SUB_ADDRESS: 23,
  TX_CONNECT_SPEED: 24,
  PHYSICAL_CHANNEL_ID: 25,
  INITIAL_RECEIVED_LCP_CONFREQ: 26,
  LAST_SENT_LCP_CONFREQ: 27,
  LAST_RECEIVED_LCP_CONFREQ: 28,
  PROXY_AUTHEN_TYPE: 29,
  PROXY_AUTHEN_NAME: 30,
  PROXY_AUTHEN_CHALLENGE: 31,
  PROXY_AUTHEN_ID: 32,
  PROXY_AUTHEN_RESPONSE: 33,
  CALL_ERRORS: 34,
  ACCM: 35,
  RANDOM_VECTOR: 36,
  PRIVATE_GROUP_ID: 37,
  RX_CONNECT_SPEED: 38,
  SEQUENCING_REQUIRED: 39,
} as const;

/** Result Code values for StopCCN (§4.4.2). */
export const StopCcnResult = {
  GENERAL_CLEAR: 1,
  GENERAL_ERROR: 2,
  ALREADY_EXISTS: 3,
  NOT_AUTHORIZED: 4,
  BAD_PROTOCOL_VERSION: 5,
  SHUTTING_DOWN: 6,
  FSM_ERROR: 7,
} as const;

/** Result Code values for CDN (§4.4.2). */
export const CdnResult = {
  LOST_CARRIER: 1,
  GENERAL_ERROR: 2,
  ADMINISTRATIVE: 3,
  NO_FACILITIES_TEMPORARY: 4,
  NO_FACILITIES_PERMANENT: 5,
  INVALID_DESTINATION: 6,
  NO_CARRIER: 7,
  BUSY: 8,
  NO_DIAL_TONE: 9,
  TIMEOUT: 10,
  NO_FRAMING: 11,
} as const;

/** Q.931 (ITU-T) cause 16 "normal call clearing" and the DISCONNECT message type, for the Q.931 Cause Code AVP (§4.4.4). */
export const Q931_NORMAL_CLEARING = 16;
export const Q931_DISCONNECT = 0x45;

/** General Error Codes (§4.4.2), carried in a Result Code with result GENERAL_ERROR. */
export const GeneralError = {
  NO_ERROR: 0,
  NO_CONTROL_CONNECTION: 1,
  BAD_LENGTH: 2,
  BAD_VALUE: 3,
  NO_RESOURCES: 4,
  BAD_SESSION_ID: 5,
  VENDOR_SPECIFIC: 6,
  TRY_ANOTHER: 7,
  UNKNOWN_MANDATORY_AVP: 8,
} as const;

/** Proxy Authen Type values (§4.4.5). */
export const ProxyAuthType = {
  TEXT: 1,
  CHAP: 2,
  PAP: 3,
  NONE: 4,
  MSCHAP_V1: 5,
} as const;

/** Bits of Framing Capabilities / Framing Type (§4.4.3, §4.4.5). */
export const FramingBits = { SYNC: 1, ASYNC: 2 } as const;
/** Bits of Bearer Capabilities / Bearer Type. */
export const BearerBits = { DIGITAL: 1, ANALOG: 2 } as const;

/**
 * An AVP sent hidden (§4.3). `padding` is the plaintext after the original value, kept so a
 * parsed hidden AVP re-emits byte for byte with the same Random Vector.
 */
export interface HiddenInfo {
  readonly padding: Uint8Array;
}

/** Hide with no padding. */
export const HIDE: HiddenInfo = Object.freeze({ padding: new Uint8Array(0) });

/** The typed value of each known AVP (IETF vendor), by kind. Text is a binary string: one char per octet. */
export interface AvpValues {
  /** §4.4.1 Message Type (must be the first AVP, never hidden). */
  messageType: { messageType: number };
  /** §4.4.2 Result Code: result, optional error code, optional message (only with an error code). */
  resultCode: { result: number; error?: number; message?: string };
  /** §4.4.3 Protocol Version: 1.0 for RFC 2661. */
  protocolVersion: { version: number; revision: number };
  framingCapabilities: { bits: number };
  bearerCapabilities: { bits: number };
  /** §4.4.3 Tie Breaker: 8 octets, lower wins. */
  tieBreaker: { value: bigint };
  firmwareRevision: { revision: number };
  hostName: { name: string };
  vendorName: { name: string };
  assignedTunnelId: { id: number };
  receiveWindowSize: { size: number };
  challenge: { challenge: Uint8Array };
  /** §4.4.3 Challenge Response: 16 octets. */
  challengeResponse: { response: Uint8Array };
  /** §4.4.4 Q.931 Cause Code: cause code, cause msg, optional advisory message. */
  q931CauseCode: { cause: number; msg: number; advisory?: string };
  assignedSessionId: { id: number };
  callSerialNumber: { serial: number };
  minimumBps: { bps: number };
  maximumBps: { bps: number };
  bearerType: { bits: number };
  framingType: { bits: number };
  calledNumber: { number: string };
  callingNumber: { number: string };
  subAddress: { subAddress: string };
  /** §4.4.5 (Tx) Connect Speed. */
  txConnectSpeed: { bps: number };
  rxConnectSpeed: { bps: number };
  physicalChannelId: { id: number };
  privateGroupId: { groupId: Uint8Array };
  sequencingRequired: Record<never, never>;
  /** §4.4.5 Proxy LCP: the CONFREQ body from its first option on. */
  initialReceivedLcpConfReq: { options: Uint8Array };
  lastSentLcpConfReq: { options: Uint8Array };
  lastReceivedLcpConfReq: { options: Uint8Array };
  proxyAuthenType: { authType: number };
  proxyAuthenName: { name: string };
  proxyAuthenChallenge: { challenge: Uint8Array };
  /** §4.4.5 Proxy Authen ID: the CHAP/PAP identifier (one octet after a reserved octet). */
  proxyAuthenId: { id: number };
  proxyAuthenResponse: { response: Uint8Array };
  /** §4.4.6 Call Errors (WEN). */
  callErrors: { crcErrors: number; framingErrors: number; hardwareOverruns: number; bufferOverruns: number; timeoutErrors: number; alignmentErrors: number };
  /** §4.4.6 ACCM (SLI). */
  accm: { sendAccm: number; receiveAccm: number };
  /** §4.4.3 Random Vector, the IV for the hidden AVPs that follow it. */
  randomVector: { vector: Uint8Array };
}

export type AvpKind = keyof AvpValues;

interface AvpCommon {
  /** M bit (§4.1): an unknown mandatory AVP tears the session/tunnel down. */
  readonly mandatory: boolean;
  /** Present when the AVP is (to be) sent hidden. Emitting it needs a codec with the secret. */
  readonly hidden?: HiddenInfo;
}

export type KnownAvp = { [K in AvpKind]: { readonly kind: K } & AvpCommon & Readonly<AvpValues[K]> }[AvpKind];

/** An AVP we do not know (other vendor, unassigned type): kept as bytes. */
export interface UnknownAvp extends AvpCommon {
  readonly kind: 'unknown';
  readonly vendorId: number;
  readonly type: number;
  readonly data: Uint8Array;
}

/** A hidden AVP as it is on the wire, not revealed (no secret given): the ciphertext. */
export interface ConcealedAvp {
  readonly kind: 'concealed';
  readonly mandatory: boolean;
  readonly vendorId: number;
  readonly type: number;
  readonly data: Uint8Array;
}

export type Avp = KnownAvp | UnknownAvp | ConcealedAvp;

export type AvpOf<K extends AvpKind> = Extract<KnownAvp, { kind: K }>;

/** A control message (T=1, L=1, S=1). An empty AVP list is a ZLB acknowledgement (§5.8). */
export interface ControlMessage {
  readonly kind: 'control';
  readonly tunnelId: number;
  readonly sessionId: number;
  readonly ns: number;
  readonly nr: number;
  readonly avps: readonly Avp[];
}

/** A data message (T=0) carrying one PPP frame. */
export interface DataMessage {
  readonly kind: 'data';
  readonly tunnelId: number;
  readonly sessionId: number;
  /** L bit: a Length field is present. */
  readonly hasLength: boolean;
  /** S bit: Ns (and Nr, reserved for data) are present. */
  readonly sequence?: { readonly ns: number; readonly nr: number };
  /** O bit: the offset padding (its length is the Offset Size). */
  readonly offsetPad?: Uint8Array;
  /** P bit. */
  readonly priority: boolean;
  /** The PPP frame (address/control onwards), a subarray of the input. */
  readonly payload: Uint8Array;
}

export type L2tpMessage = ControlMessage | DataMessage;

// ---------------------------------------------------------------------------------------------
// AVP table: each known AVP's type, default M bit, whether it may be hidden, and its value codec.

const enum Fixed {
  ANY = -1,
}

interface AvpSpec<K extends AvpKind> {
  readonly type: number;
  readonly kind: K;
  /** The M bit the RFC prescribes for this AVP (used by `avp()`). */
  readonly mandatory: boolean;
  /** §4.4: "This AVP MAY be hidden". */
  readonly hideable: boolean;
  /** Exact value length, or a minimum with `min`. */
  readonly len: number;
  readonly min?: number;
  readonly max?: number;
  decode(b: Uint8Array, o: number, n: number): AvpValues[K];
  size(v: AvpValues[K]): number;
  encode(v: AvpValues[K], b: Uint8Array, o: number): void;
}

/**
 * One flat string of the octets (an AVP is at most 1,023 of them): built with `+=` a string
 * past 12 characters becomes a chain of 32-octet cons nodes, one per character added, and a
 * session keeps its Calling Number for its life.
 */
function latin1(b: Uint8Array, o: number, n: number): string {
  return String.fromCharCode.apply(null, b.subarray(o, o + n) as unknown as number[]);
}

function putLatin1(s: string, b: Uint8Array, o: number): void {
  for (let i = 0; i < s.length; i++) b[o + i] = s.charCodeAt(i) & 0xff;
}

const u16Spec = <K extends AvpKind>(type: number, kind: K, field: string, mandatory: boolean, hideable: boolean): AvpSpec<K> => ({
  type, kind, mandatory, hideable, len: 2,
  decode: (b, o) => ({ [field]: u16(b, o) }) as AvpValues[K],
  size: () => 2,
  encode: (v, b, o) => setU16(b, o, (v as Record<string, number>)[field]!),
});

const u32Spec = <K extends AvpKind>(type: number, kind: K, field: string, mandatory: boolean, hideable: boolean): AvpSpec<K> => ({
  type, kind, mandatory, hideable, len: 4,
  decode: (b, o) => ({ [field]: u32(b, o) }) as AvpValues[K],
  size: () => 4,
  encode: (v, b, o) => setU32(b, o, (v as Record<string, number>)[field]!),
});

const textSpec = <K extends AvpKind>(type: number, kind: K, field: string, mandatory: boolean, hideable: boolean, min = 0): AvpSpec<K> => ({
  type, kind, mandatory, hideable, len: Fixed.ANY, min,
  decode: (b, o, n) => ({ [field]: latin1(b, o, n) }) as AvpValues[K],
  size: (v) => ((v as Record<string, string>)[field]!).length,
  encode: (v, b, o) => putLatin1((v as Record<string, string>)[field]!, b, o),
});

const bytesSpec = <K extends AvpKind>(type: number, kind: K, field: string, mandatory: boolean, hideable: boolean, min = 0, exact?: number): AvpSpec<K> => ({
  type, kind, mandatory, hideable, len: exact ?? Fixed.ANY, min,
  decode: (b, o, n) => ({ [field]: b.subarray(o, o + n) }) as AvpValues[K],
  size: (v) => ((v as Record<string, Uint8Array>)[field]!).length,
  encode: (v, b, o) => b.set((v as Record<string, Uint8Array>)[field]!, o),
});

const SPECS: AvpSpec<AvpKind>[] = [
  u16Spec(0, 'messageType', 'messageType', true, false),
  {
    type: 1, kind: 'resultCode', mandatory: true, hideable: false, len: Fixed.ANY, min: 2,
    decode: (b, o, n) => {
      const v: AvpValues['resultCode'] = { result: u16(b, o) };
      if (n >= 4) v.error = u16(b, o + 2);
      if (n > 4) v.message = latin1(b, o + 4, n - 4);
      return v;
    },
    size: (v) => (v.error === undefined ? 2 : 4 + (v.message?.length ?? 0)),
    encode: (v, b, o) => {
      setU16(b, o, v.result);
      if (v.error === undefined) return;
      setU16(b, o + 2, v.error);
      if (v.message !== undefined) putLatin1(v.message, b, o + 4);
    },
  } satisfies AvpSpec<'resultCode'> as unknown as AvpSpec<AvpKind>,
  {
    type: 2, kind: 'protocolVersion', mandatory: true, hideable: false, len: 2,
    decode: (b, o) => ({ version: b[o]!, revision: b[o + 1]! }),
    size: () => 2,
    encode: (v, b, o) => { b[o] = v.version; b[o + 1] = v.revision; },
  } satisfies AvpSpec<'protocolVersion'> as unknown as AvpSpec<AvpKind>,
  u32Spec(3, 'framingCapabilities', 'bits', true, true),
  u32Spec(4, 'bearerCapabilities', 'bits', true, true),
  {
    type: 5, kind: 'tieBreaker', mandatory: false, hideable: false, len: 8,
    decode: (b, o) => ({ value: (BigInt(u32(b, o)) << 32n) | BigInt(u32(b, o + 4)) }),
    size: () => 8,
    encode: (v, b, o) => { setU32(b, o, Number((v.value >> 32n) & 0xffffffffn)); setU32(b, o + 4, Number(v.value & 0xffffffffn)); },
  } satisfies AvpSpec<'tieBreaker'> as unknown as AvpSpec<AvpKind>,
  u16Spec(6, 'firmwareRevision', 'revision', false, true),
  textSpec(7, 'hostName', 'name', true, false, 1),
  textSpec(8, 'vendorName', 'name', false, true),
  u16Spec(9, 'assignedTunnelId', 'id', true, true),
  u16Spec(10, 'receiveWindowSize', 'size', true, false),
  bytesSpec(11, 'challenge', 'challenge', true, true, 1),
  {
    type: 12, kind: 'q931CauseCode', mandatory: true, hideable: false, len: Fixed.ANY, min: 3,
    decode: (b, o, n) => {
      const v: AvpValues['q931CauseCode'] = { cause: u16(b, o), msg: b[o + 2]! };
      if (n > 3) v.advisory = latin1(b, o + 3, n - 3);
      return v;
    },
    size: (v) => 3 + (v.advisory?.length ?? 0),
    encode: (v, b, o) => { setU16(b, o, v.cause); b[o + 2] = v.msg; if (v.advisory !== undefined) putLatin1(v.advisory, b, o + 3); },
  } satisfies AvpSpec<'q931CauseCode'> as unknown as AvpSpec<AvpKind>,
  bytesSpec(13, 'challengeResponse', 'response', true, true, 16, 16),
  u16Spec(14, 'assignedSessionId', 'id', true, true),
  u32Spec(15, 'callSerialNumber', 'serial', true, true),
  u32Spec(16, 'minimumBps', 'bps', true, true),
  u32Spec(17, 'maximumBps', 'bps', true, true),
  u32Spec(18, 'bearerType', 'bits', true, true),
  u32Spec(19, 'framingType', 'bits', true, true),
  textSpec(21, 'calledNumber', 'number', true, true),
  textSpec(22, 'callingNumber', 'number', true, true),
  textSpec(23, 'subAddress', 'subAddress', true, true),
  u32Spec(24, 'txConnectSpeed', 'bps', true, true),
  u32Spec(25, 'physicalChannelId', 'id', false, true),
  bytesSpec(26, 'initialReceivedLcpConfReq', 'options', false, true),
  bytesSpec(27, 'lastSentLcpConfReq', 'options', false, true),
  bytesSpec(28, 'lastReceivedLcpConfReq', 'options', false, true),
  u16Spec(29, 'proxyAuthenType', 'authType', false, true),
  textSpec(30, 'proxyAuthenName', 'name', false, true),
  bytesSpec(31, 'proxyAuthenChallenge', 'challenge', false, true),
  {
    type: 32, kind: 'proxyAuthenId', mandatory: false, hideable: true, len: 2,
    decode: (b, o) => ({ id: b[o + 1]! }),
    size: () => 2,
    encode: (v, b, o) => { b[o] = 0; b[o + 1] = v.id; },
  } satisfies AvpSpec<'proxyAuthenId'> as unknown as AvpSpec<AvpKind>,
  bytesSpec(33, 'proxyAuthenResponse', 'response', false, true),
  {
    type: 34, kind: 'callErrors', mandatory: true, hideable: true, len: 26,
    decode: (b, o) => ({
      crcErrors: u32(b, o + 2), framingErrors: u32(b, o + 6), hardwareOverruns: u32(b, o + 10),
      bufferOverruns: u32(b, o + 14), timeoutErrors: u32(b, o + 18), alignmentErrors: u32(b, o + 22),
    }),
    size: () => 26,
    encode: (v, b, o) => {
      setU16(b, o, 0);
      setU32(b, o + 2, v.crcErrors); setU32(b, o + 6, v.framingErrors); setU32(b, o + 10, v.hardwareOverruns);
      setU32(b, o + 14, v.bufferOverruns); setU32(b, o + 18, v.timeoutErrors); setU32(b, o + 22, v.alignmentErrors);
    },
  } satisfies AvpSpec<'callErrors'> as unknown as AvpSpec<AvpKind>,
  {
    type: 35, kind: 'accm', mandatory: true, hideable: true, len: 10,
    decode: (b, o) => ({ sendAccm: u32(b, o + 2), receiveAccm: u32(b, o + 6) }),
    size: () => 10,
    encode: (v, b, o) => { setU16(b, o, 0); setU32(b, o + 2, v.sendAccm); setU32(b, o + 6, v.receiveAccm); },
  } satisfies AvpSpec<'accm'> as unknown as AvpSpec<AvpKind>,
  bytesSpec(36, 'randomVector', 'vector', true, false, 1),
  bytesSpec(37, 'privateGroupId', 'groupId', false, true),
  u32Spec(38, 'rxConnectSpeed', 'bps', false, true),
  {
    type: 39, kind: 'sequencingRequired', mandatory: true, hideable: false, len: 0,
    decode: () => ({}),
    size: () => 0,
    encode: () => undefined,
  } satisfies AvpSpec<'sequencingRequired'> as unknown as AvpSpec<AvpKind>,
];

const SPEC_BY_TYPE: (AvpSpec<AvpKind> | undefined)[] = [];
const SPEC_BY_KIND = new Map<string, AvpSpec<AvpKind>>();
for (const s of SPECS) {
  SPEC_BY_TYPE[s.type] = s;
  SPEC_BY_KIND.set(s.kind, s);
}

/** Every known AVP kind, in attribute-type order. */
export const AVP_KINDS: readonly AvpKind[] = SPECS.map((s) => s.kind);

/** The attribute type number of a known AVP kind. */
export function avpTypeOf(kind: AvpKind): number {
  return SPEC_BY_KIND.get(kind)!.type;
}

/** Whether §4.4 allows this AVP to be hidden. */
export function avpHideable(kind: AvpKind): boolean {
  return SPEC_BY_KIND.get(kind)!.hideable;
}

/**
 * Build a known AVP with the M bit §4.4 prescribes: `avp('hostName', { name: 'lac' })`.
 * `opts.hidden` asks for it to be sent hidden (needs a Random Vector before it and a secret).
 */
export function avp<K extends AvpKind>(kind: K, value: AvpValues[K], opts: { mandatory?: boolean; hidden?: HiddenInfo } = {}): AvpOf<K> {
  const spec = SPEC_BY_KIND.get(kind)!;
  const a: Record<string, unknown> = { kind, mandatory: opts.mandatory ?? spec.mandatory, ...value };
  if (opts.hidden) a.hidden = opts.hidden;
  return a as unknown as AvpOf<K>;
}

/** The first AVP of `kind` in a list, typed. */
export function findAvp<K extends AvpKind>(avps: readonly Avp[], kind: K): AvpOf<K> | undefined {
  for (const a of avps) if (a.kind === kind) return a as AvpOf<K>;
  return undefined;
}

/** The message type of a control message, or undefined for a ZLB. */
export function controlMessageType(m: ControlMessage): number | undefined {
  const first = m.avps[0];
  return first && first.kind === 'messageType' ? first.messageType : undefined;
}

// ---------------------------------------------------------------------------------------------
// Hidden AVPs (§4.3) and the Challenge Response (§4.4.3).

export type Secret = Uint8Array;

function md5(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(16);
  md5Into(parts, out);
  return out;
}

/**
 * §4.3: the hidden value is (original length ‖ value ‖ padding) XOR a key stream of 16-octet
 * blocks: b1 = MD5(attribute type ‖ secret ‖ random vector), bi = MD5(secret ‖ c(i-1)), where
 * c are the ciphertext blocks. A last partial block uses the prefix of its key block.
 */
function hideBytes(type: number, secret: Secret, rv: Uint8Array, plain: Uint8Array, out: Uint8Array, o: number): void {
  const at = new Uint8Array([type >>> 8, type & 0xff]);
  let key = md5(at, secret, rv);
  for (let i = 0; i < plain.length; i += 16) {
    const n = Math.min(16, plain.length - i);
    for (let j = 0; j < n; j++) out[o + i + j] = plain[i + j]! ^ key[j]!;
    if (i + 16 < plain.length) key = md5(secret, out.subarray(o + i, o + i + 16));
  }
}

function revealBytes(type: number, secret: Secret, rv: Uint8Array, cipher: Uint8Array): Uint8Array {
  const out = new Uint8Array(cipher.length);
  const at = new Uint8Array([type >>> 8, type & 0xff]);
  let key = md5(at, secret, rv);
  for (let i = 0; i < cipher.length; i += 16) {
    const n = Math.min(16, cipher.length - i);
    for (let j = 0; j < n; j++) out[i + j] = cipher[i + j]! ^ key[j]!;
    if (i + 16 < cipher.length) key = md5(secret, cipher.subarray(i, i + 16));
  }
  return out;
}

/**
 * §4.2/§4.4.3: Challenge Response = MD5(message type of the message carrying the response, as one
 * octet ‖ secret ‖ challenge). SCCRP answers with type 2, SCCCN with type 3.
 */
export function challengeResponse(messageType: number, secret: Secret, challenge: Uint8Array): Uint8Array {
  return md5(new Uint8Array([messageType & 0xff]), secret, challenge);
}

// ---------------------------------------------------------------------------------------------
// Parsing.

const AVP_HEADER = 6;
const AVP_M = 0x8000;
const AVP_H = 0x4000;
const AVP_LENGTH_MASK = 0x03ff;
/**
 * The most value octets an AVP carries (RFC 2661 §4.1: a 10-bit Length covering the 6-octet
 * header), less the 2-octet original-length field a hidden AVP adds (§4.3). A value from a
 * peer (a name, a recorded Configure-Request) must be checked against it before it is put in
 * an AVP: emitting a longer one is a programming error and throws.
 */
export const AVP_MAX_VALUE_LENGTH = AVP_LENGTH_MASK - AVP_HEADER - 2;

/** A value length the AVP's definition does not allow, or undefined when it fits. */
function badValueLength(spec: AvpSpec<AvpKind>, n: number, at: number): { ok: false; error: WireError } | undefined {
  if (spec.len !== Fixed.ANY && n !== spec.len) return fail('l2tp.avp-bad-length', at, `${spec.kind} value must be ${spec.len} octets, is ${n}`);
  if (spec.min !== undefined && n < spec.min) return fail('l2tp.avp-bad-length', at, `${spec.kind} value needs at least ${spec.min} octets, has ${n}`);
  return undefined;
}

/** Parse the AVPs in b[start, end). With a secret, hidden AVPs are revealed; without, kept concealed. */
export function parseAvps(b: Uint8Array, start: number, end: number, secret?: Secret): Parsed<Avp[]> {
  const avps: Avp[] = [];
  let rv: Uint8Array | undefined;
  let o = start;
  while (o < end) {
    if (end - o < AVP_HEADER) return fail('l2tp.avp-truncated', o);
    const w = u16(b, o);
    const len = w & AVP_LENGTH_MASK;
    if (len < AVP_HEADER) return fail('l2tp.avp-short-length', o, `AVP length ${len} is less than its 6-octet header`);
    if (o + len > end) return fail('l2tp.avp-overrun', o, `AVP length ${len} runs past the message`);
    const mandatory = (w & AVP_M) !== 0;
    const isHidden = (w & AVP_H) !== 0;
    const vendorId = u16(b, o + 2);
    const type = u16(b, o + 4);
    const vo = o + AVP_HEADER;
    const vn = len - AVP_HEADER;
    const spec = vendorId === 0 ? SPEC_BY_TYPE[type] : undefined;
    if (avps.length === 0 && !(spec?.kind === 'messageType')) return fail('l2tp.first-avp-not-message-type', o);
    if (isHidden) {
      if (rv === undefined) return fail('l2tp.hidden-without-random-vector', o);
      if (spec && !spec.hideable) return fail('l2tp.avp-must-not-be-hidden', o, `${spec.kind} must not be hidden`);
      if (secret === undefined) {
        avps.push({ kind: 'concealed', mandatory, vendorId, type, data: b.subarray(vo, vo + vn) });
      } else {
        if (vn < 2) return fail('l2tp.hidden-too-short', o);
        const plain = revealBytes(type, secret, rv, b.subarray(vo, vo + vn));
        const olen = u16(plain, 0);
        if (2 + olen > vn) return fail('l2tp.hidden-bad-length', o, 'hidden original length exceeds the AVP (wrong secret?)');
        const padding = plain.subarray(2 + olen);
        if (spec) {
          const bad = badValueLength(spec, olen, o);
          if (bad) return bad;
          avps.push({ kind: spec.kind, mandatory, hidden: { padding }, ...spec.decode(plain, 2, olen) } as unknown as Avp);
        } else {
          avps.push({ kind: 'unknown', mandatory, hidden: { padding }, vendorId, type, data: plain.subarray(2, 2 + olen) });
        }
      }
    } else if (spec) {
      const bad = badValueLength(spec, vn, o);
      if (bad) return bad;
      const value = spec.decode(b, vo, vn);
      if (spec.kind === 'randomVector') rv = (value as AvpValues['randomVector']).vector;
      avps.push({ kind: spec.kind, mandatory, ...value } as unknown as Avp);
    } else {
      avps.push({ kind: 'unknown', mandatory, vendorId, type, data: b.subarray(vo, vo + vn) });
    }
    o += len;
  }
  return ok(avps);
}

/** Where the payload/AVPs of a message start and what its header says; shared by all parsers. */
interface HeaderFields {
  flags: number;
  tunnelId: number;
  sessionId: number;
  ns: number;
  nr: number;
  bodyStart: number;
  end: number;
  padStart: number;
}

function parseHeader(b: Uint8Array, h: HeaderFields): WireError | undefined {
  if (b.length < 6) return { code: 'l2tp.truncated', offset: 0 };
  const flags = u16(b, 0);
  if ((flags & Flag.VERSION) !== 2) return { code: 'l2tp.bad-version', offset: 1, message: `version ${flags & Flag.VERSION}` };
  const control = (flags & Flag.T) !== 0;
  if (control) {
    if (!(flags & Flag.L)) return { code: 'l2tp.control-without-length', offset: 0 };
    if (!(flags & Flag.S)) return { code: 'l2tp.control-without-sequence', offset: 0 };
    if (flags & Flag.O) return { code: 'l2tp.control-with-offset', offset: 0 };
    if (flags & Flag.P) return { code: 'l2tp.control-with-priority', offset: 0 };
  }
  let o = 2;
  let end = b.length;
  if (flags & Flag.L) {
    const len = u16(b, 2);
    o = 4;
    if (len > b.length) return { code: 'l2tp.truncated', offset: 2, message: `length ${len} > ${b.length} octets` };
    end = len;
  }
  const need = o + 4 + (flags & Flag.S ? 4 : 0) + (flags & Flag.O ? 2 : 0);
  if (end < need) return { code: flags & Flag.L ? 'l2tp.bad-length' : 'l2tp.truncated', offset: flags & Flag.L ? 2 : 0 };
  h.flags = flags;
  h.tunnelId = u16(b, o);
  h.sessionId = u16(b, o + 2);
  o += 4;
  h.ns = 0;
  h.nr = 0;
  if (flags & Flag.S) {
    h.ns = u16(b, o);
    h.nr = u16(b, o + 2);
    o += 4;
  }
  h.padStart = o;
  if (flags & Flag.O) {
    const size = u16(b, o);
    o += 2;
    h.padStart = o;
    if (o + size > end) return { code: 'l2tp.offset-overrun', offset: o - 2 };
    o += size;
  }
  h.bodyStart = o;
  h.end = end;
  return undefined;
}

function newHeaderFields(): HeaderFields {
  return { flags: 0, tunnelId: 0, sessionId: 0, ns: 0, nr: 0, bodyStart: 0, end: 0, padStart: 0 };
}

function parseMessage(b: Uint8Array, secret: Secret | undefined): Parsed<L2tpMessage> {
  const h = newHeaderFields();
  const e = parseHeader(b, h);
  if (e) return { ok: false, error: e };
  if (h.flags & Flag.T) {
    const avps = parseAvps(b, h.bodyStart, h.end, secret);
    if (!avps.ok) return avps;
    return ok({ kind: 'control', tunnelId: h.tunnelId, sessionId: h.sessionId, ns: h.ns, nr: h.nr, avps: avps.value });
  }
  const m: { -readonly [K in keyof DataMessage]: DataMessage[K] } = {
    kind: 'data',
    tunnelId: h.tunnelId,
    sessionId: h.sessionId,
    hasLength: (h.flags & Flag.L) !== 0,
    priority: (h.flags & Flag.P) !== 0,
    payload: b.subarray(h.bodyStart, h.end),
  };
  if (h.flags & Flag.S) m.sequence = { ns: h.ns, nr: h.nr };
  if (h.flags & Flag.O) m.offsetPad = b.subarray(h.padStart, h.bodyStart);
  return ok(m);
}

// ---------------------------------------------------------------------------------------------
// Emitting.

function avpLength(a: Avp): number {
  if (a.kind === 'concealed') return AVP_HEADER + a.data.length;
  const valueLen = a.kind === 'unknown' ? a.data.length : SPEC_BY_KIND.get(a.kind)!.size(a as never);
  return AVP_HEADER + (a.hidden ? 2 + valueLen + a.hidden.padding.length : valueLen);
}

function avpsLength(avps: readonly Avp[]): number {
  let n = 0;
  for (const a of avps) n += avpLength(a);
  return n;
}

function emitAvps(avps: readonly Avp[], b: Uint8Array, start: number, secret: Secret | undefined): number {
  let o = start;
  let rv: Uint8Array | undefined;
  for (const a of avps) {
    const len = avpLength(a);
    if (len > AVP_LENGTH_MASK) throw new RangeError(`AVP ${a.kind} is ${len} octets, more than the 1023 an AVP can carry`);
    let vendorId = 0;
    let type: number;
    if (a.kind === 'concealed' || a.kind === 'unknown') {
      vendorId = a.vendorId;
      type = a.type;
    } else {
      type = SPEC_BY_KIND.get(a.kind)!.type;
    }
    const hiddenBit = a.kind === 'concealed' || a.hidden !== undefined;
    setU16(b, o, (a.mandatory ? AVP_M : 0) | (hiddenBit ? AVP_H : 0) | len);
    setU16(b, o + 2, vendorId);
    setU16(b, o + 4, type);
    const vo = o + AVP_HEADER;
    if (a.kind === 'concealed') {
      b.set(a.data, vo);
    } else if (a.hidden) {
      if (secret === undefined) throw new Error(`AVP ${a.kind} is marked hidden: emit it with l2tpWithSecret(secret) or hideAvps() first`);
      if (rv === undefined) throw new Error(`AVP ${a.kind} is marked hidden but no Random Vector AVP precedes it`);
      const plain = new Uint8Array(len - AVP_HEADER);
      setU16(plain, 0, len - AVP_HEADER - 2 - a.hidden.padding.length);
      if (a.kind === 'unknown') plain.set(a.data, 2);
      else SPEC_BY_KIND.get(a.kind)!.encode(a as never, plain, 2);
      plain.set(a.hidden.padding, len - AVP_HEADER - a.hidden.padding.length);
      hideBytes(type, secret, rv, plain, b, vo);
    } else if (a.kind === 'unknown') {
      b.set(a.data, vo);
    } else {
      SPEC_BY_KIND.get(a.kind)!.encode(a as never, b, vo);
      if (a.kind === 'randomVector') rv = a.vector;
    }
    o += len;
  }
  return o - start;
}

/** Header length for a data message with these options. */
export function dataHeaderLength(hasLength: boolean, sequenced: boolean, offsetPadLength?: number): number {
  return 6 + (hasLength ? 2 : 0) + (sequenced ? 4 : 0) + (offsetPadLength === undefined ? 0 : 2 + offsetPadLength);
}

const CONTROL_HEADER = 12;

function encodedLength(m: L2tpMessage): number {
  if (m.kind === 'control') return CONTROL_HEADER + avpsLength(m.avps);
  return dataHeaderLength(m.hasLength, m.sequence !== undefined, m.offsetPad?.length) + m.payload.length;
}

function emitMessage(m: L2tpMessage, b: Uint8Array, o: number, secret: Secret | undefined): number {
  const len = encodedLength(m);
  if (len > 0xffff && (m.kind === 'control' || m.hasLength)) throw new RangeError(`L2TP message of ${len} octets does not fit the Length field`);
  if (m.kind === 'control') {
    setU16(b, o, Flag.T | Flag.L | Flag.S | 2);
    setU16(b, o + 2, len);
    setU16(b, o + 4, m.tunnelId);
    setU16(b, o + 6, m.sessionId);
    setU16(b, o + 8, m.ns);
    setU16(b, o + 10, m.nr);
    emitAvps(m.avps, b, o + CONTROL_HEADER, secret);
    return len;
  }
  let p = writeDataHeader(b, o, m.tunnelId, m.sessionId, len, m.hasLength, m.sequence?.ns, m.priority, m.offsetPad?.length, m.sequence?.nr ?? 0);
  if (m.offsetPad) {
    b.set(m.offsetPad, p - m.offsetPad.length);
  }
  b.set(m.payload, p);
  p += m.payload.length;
  return p - o;
}

/**
 * Writes a data-message header at b[o] and returns where the payload starts. No allocation.
 * `totalLength` (header + payload) is used only when `hasLength`. With `offsetPadLength`, the
 * Offset Size is written and the pad is zero-filled.
 */
export function writeDataHeader(
  b: Uint8Array, o: number, tunnelId: number, sessionId: number, totalLength: number,
  hasLength = false, ns?: number, priority = false, offsetPadLength?: number, nr = 0,
): number {
  let flags = 2;
  if (hasLength) flags |= Flag.L;
  if (ns !== undefined) flags |= Flag.S;
  if (offsetPadLength !== undefined) flags |= Flag.O;
  if (priority) flags |= Flag.P;
  setU16(b, o, flags);
  let p = o + 2;
  if (hasLength) {
    setU16(b, p, totalLength);
    p += 2;
  }
  setU16(b, p, tunnelId);
  setU16(b, p + 2, sessionId);
  p += 4;
  if (ns !== undefined) {
    setU16(b, p, ns);
    setU16(b, p + 2, nr);
    p += 4;
  }
  if (offsetPadLength !== undefined) {
    setU16(b, p, offsetPadLength);
    p += 2;
    b.fill(0, p, p + offsetPadLength);
    p += offsetPadLength;
  }
  return p;
}

/** The L2TP codec without a secret: hidden AVPs parse to `concealed` and emit as they are. */
export const l2tp: Codec<L2tpMessage> = {
  parse: (b) => parseMessage(b, undefined),
  encodedLength,
  emit: (m, b, o) => emitMessage(m, b, o, undefined),
};

/** The L2TP codec of a tunnel with a shared secret: hidden AVPs are revealed on parse and hidden on emit. */
export function l2tpWithSecret(secret: Secret): Codec<L2tpMessage> {
  return {
    parse: (b) => parseMessage(b, secret),
    encodedLength,
    emit: (m, b, o) => emitMessage(m, b, o, secret),
  };
}

/**
 * Replace every AVP marked `hidden` by its concealed (encrypted) form, using the Random Vector
 * that precedes it, so the message can be emitted with the plain `l2tp` codec. Throws on misuse
 * (a hidden AVP with no Random Vector before it).
 */
export function hideAvps(avps: readonly Avp[], secret: Secret): Avp[] {
  let rv: Uint8Array | undefined;
  return avps.map((a) => {
    if (a.kind === 'randomVector' && !a.hidden) rv = a.vector;
    if (a.kind === 'concealed' || !a.hidden) return a;
    if (rv === undefined) throw new Error(`AVP ${a.kind} is marked hidden but no Random Vector AVP precedes it`);
    const len = avpLength(a);
    const tmp = new Uint8Array(len + (rv.length + 6));
    // Emit [RV][AVP] so emitAvps sees the vector, then take the AVP's ciphertext.
    const rvAvp: Avp = { kind: 'randomVector', mandatory: true, vector: rv };
    const rvLen = avpLength(rvAvp);
    emitAvps([rvAvp, a], tmp, 0, secret);
    const type = a.kind === 'unknown' ? a.type : SPEC_BY_KIND.get(a.kind)!.type;
    const vendorId = a.kind === 'unknown' ? a.vendorId : 0;
    return { kind: 'concealed', mandatory: a.mandatory, vendorId, type, data: tmp.slice(rvLen + AVP_HEADER, rvLen + len) };
  });
}

/**
 * Reveal the concealed AVPs of a message with the secret (for a caller that parsed with the plain
 * codec before it knew which secret applies). Errors carry no offset into the original bytes (0).
 */
export function revealAvps(avps: readonly Avp[], secret: Secret): Parsed<Avp[]> {
  if (!avps.some((a) => a.kind === 'concealed')) return ok(avps.slice());
  const len = avpsLength(avps);
  const tmp = new Uint8Array(len);
  emitAvps(avps, tmp, 0, undefined);
  return parseAvps(tmp, 0, len, secret);
}

// ---------------------------------------------------------------------------------------------
// The data path: a reusable, allocation-free view and the in-place PPPoE ⇄ L2TP swap.

/**
 * A checked view over a data message, reused across packets (no allocation per packet).
 * `parse` returns false (and sets `error`) for anything that is not a valid data message.
 */
export class L2tpDataView {
  tunnelId = 0;
  sessionId = 0;
  /** Ns when `sequenced`. */
  ns = 0;
  sequenced = false;
  hasLength = false;
  priority = false;
  /** Where the PPP frame starts and how long it is, in the buffer given to `parse`. */
  payloadOffset = 0;
  payloadLength = 0;
  error = '';
  private readonly h = newHeaderFields();

  /** Parses b[o, o+len). Control messages are refused with `error = 'l2tp.not-data'`. */
  parse(b: Uint8Array, o = 0, len = b.length - o): boolean {
    if (len < 6) return this.bad('l2tp.truncated');
    const flags = (b[o]! << 8) | b[o + 1]!;
    if (flags & Flag.T) return this.bad('l2tp.not-data');
    if ((flags & Flag.VERSION) !== 2) return this.bad('l2tp.bad-version');
    // Fast path: no L, no S, no O — the common case for data (xl2tpd, the Linux kernel).
    if ((flags & (Flag.L | Flag.S | Flag.O)) === 0) {
      this.tunnelId = (b[o + 2]! << 8) | b[o + 3]!;
      this.sessionId = (b[o + 4]! << 8) | b[o + 5]!;
      this.sequenced = false;
      this.hasLength = false;
      this.priority = (flags & Flag.P) !== 0;
      this.payloadOffset = o + 6;
      this.payloadLength = len - 6;
      return true;
    }
    const view = o === 0 && len === b.length ? b : b.subarray(o, o + len);
    const e = parseHeader(view, this.h);
    if (e) return this.bad(e.code);
    this.tunnelId = this.h.tunnelId;
    this.sessionId = this.h.sessionId;
    this.sequenced = (flags & Flag.S) !== 0;
    this.ns = this.h.ns;
    this.hasLength = (flags & Flag.L) !== 0;
    this.priority = (flags & Flag.P) !== 0;
    this.payloadOffset = o + this.h.bodyStart;
    this.payloadLength = this.h.end - this.h.bodyStart;
    return true;
  }

  private bad(code: string): false {
    this.error = code;
    return false;
  }
}
