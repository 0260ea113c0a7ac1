/**
 * DHCPv6 (RFC 8415). Client/server messages (every type of §7.3 with the §8 format) with
 * their options: Client/Server Identifier with the DUID (§11: LLT, EN, LL, UUID, others
 * kept), IA_NA with IA Address and IA_PD with IA Prefix (their options nested, depth
 * bounded), Status Code, Preference, Elapsed Time, ORO, Rapid Commit, DNS servers
 * (RFC 3646). Relay-forward/reply (§9) and unknown message types are kept opaque, as are
 * Reconfigure Message / Reconfigure Accept and every other option: {code, data}, re-emitted
 * byte for byte. A known option with a length the RFC does not allow is kept raw too.
 */
import { u16, u32, setU16, setU32 } from './bytes.js';
import { fail, ok, type Codec, type Parsed } from './result.js';

/** UDP ports (§7.2). */
export const DHCPV6_CLIENT_PORT = 546;
export const DHCPV6_SERVER_PORT = 547;

/** Message types (§7.3, IANA "DHCPv6 Message Types"). Unknown values are kept. */
export const Dhcpv6MessageType = {
  SOLICIT: 1,
  ADVERTISE: 2,
  REQUEST: 3,
  CONFIRM: 4,
  RENEW: 5,
  REBIND: 6,
  REPLY: 7,
  RELEASE: 8,
  DECLINE: 9,
  RECONFIGURE: 10,
  INFORMATION_REQUEST: 11,
  RELAY_FORW: 12,
  RELAY_REPL: 13,
  /** RFC 5007 / RFC 5460 (bulk leasequery): kept opaque. */
  LEASEQUERY: 14,
  LEASEQUERY_REPLY: 15,
  LEASEQUERY_DONE: 16,
  LEASEQUERY_DATA: 17,
  /** RFC 6977: kept opaque. */
  RECONFIGURE_REQUEST: 18,
  RECONFIGURE_REPLY: 19,
  /** RFC 7341 (DHCPv4 over DHCPv6): kept opaque. */
  DHCPV4_QUERY: 20,
  DHCPV4_RESPONSE: 21,
} as const;

/** Option codes (§21, RFC 3646, IANA "DHCPv6 Option Codes"). Unknown values are kept. */
export const Dhcpv6OptionCode = {
  CLIENTID: 1,
  SERVERID: 2,
  IA_NA: 3,
  IA_TA: 4,
  IAADDR: 5,
  ORO: 6,
  PREFERENCE: 7,
  ELAPSED_TIME: 8,
  RELAY_MSG: 9,
  AUTH: 11,
  UNICAST: 12,
  STATUS_CODE: 13,
  RAPID_COMMIT: 14,
  USER_CLASS: 15,
  VENDOR_CLASS: 16,
  VENDOR_OPTS: 17,
  INTERFACE_ID: 18,
  RECONF_MSG: 19,
  RECONF_ACCEPT: 20,
  DNS_SERVERS: 23,
  DOMAIN_LIST: 24,
  IA_PD: 25,
  IAPREFIX: 26,
  SOL_MAX_RT: 82,
  INF_MAX_RT: 83,
} as const;

/** Status codes (§21.13). */
export const Dhcpv6Status = {
  SUCCESS: 0,
  UNSPEC_FAIL: 1,
  NO_ADDRS_AVAIL: 2,
  NO_BINDING: 3,
  NOT_ON_LINK: 4,
  USE_MULTICAST: 5,
  NO_PREFIX_AVAIL: 6,
} as const;

/** DUID types (§11). */
export const DuidType = { LLT: 1, EN: 2, LL: 3, UUID: 4 } as const;

/** DUID-LLT's time base: seconds since midnight UTC, 1 January 2000 (§11.2). */
export const DUID_EPOCH_MS = Date.UTC(2000, 0, 1);

export type Duid =
  /** Link-layer address plus time (§11.2). */
  | { readonly kind: 'llt'; readonly hardwareType: number; readonly time: number; readonly linkLayer: Uint8Array }
  /** Vendor-assigned, based on enterprise number (§11.3). */
  | { readonly kind: 'en'; readonly enterprise: number; readonly identifier: Uint8Array }
  /** Link-layer address (§11.4). */
  | { readonly kind: 'll'; readonly hardwareType: number; readonly linkLayer: Uint8Array }
  /** UUID (RFC 6355). */
  | { readonly kind: 'uuid'; readonly uuid: Uint8Array }
  /** A type this codec does not read, or a known one too short for its fields. */
  | { readonly kind: 'raw'; readonly type: number; readonly data: Uint8Array };

export type Dhcpv6Option =
  | { readonly kind: 'client-id' | 'server-id'; readonly duid: Duid }
  /** IA_NA (§21.4). */
  | { readonly kind: 'ia-na'; readonly iaid: number; readonly t1: number; readonly t2: number; readonly options: readonly Dhcpv6Option[] }
  /** IA Address (§21.6). */
  | { readonly kind: 'ia-address'; readonly address: Uint8Array; readonly preferredLifetime: number; readonly validLifetime: number; readonly options: readonly Dhcpv6Option[] }
  /** IA_PD (§21.21). */
  | { readonly kind: 'ia-pd'; readonly iaid: number; readonly t1: number; readonly t2: number; readonly options: readonly Dhcpv6Option[] }
  /** IA Prefix (§21.22). */
  | { readonly kind: 'ia-prefix'; readonly preferredLifetime: number; readonly validLifetime: number; readonly prefixLength: number; readonly prefix: Uint8Array; readonly options: readonly Dhcpv6Option[] }
  /** Option Request (§21.7). */
  | { readonly kind: 'oro'; readonly codes: readonly number[] }
  /** Preference (§21.8). */
  | { readonly kind: 'preference'; readonly value: number }
  /** Elapsed Time (§21.9), hundredths of a second. */
  | { readonly kind: 'elapsed-time'; readonly value: number }
  /** Status Code (§21.13): the message is UTF-8 text. */
  | { readonly kind: 'status'; readonly status: number; readonly message: Uint8Array }
  /** Rapid Commit (§21.14). */
  | { readonly kind: 'rapid-commit' }
  /** DNS Recursive Name Server (RFC 3646 §3). */
  | { readonly kind: 'dns-servers'; readonly servers: readonly Uint8Array[] }
  /** Any other option (Reconfigure Message and Accept, Relay Message, Auth, vendor...). */
  | { readonly kind: 'raw'; readonly code: number; readonly data: Uint8Array };

/** A client/server message (§8). */
export interface Dhcpv6ClientServer {
  readonly kind: 'message';
  readonly msgType: number;
  /** 24 bits. */
  readonly transactionId: number;
  readonly options: readonly Dhcpv6Option[];
}

/** A relay message (§9) or a type this codec does not know: the octets after msg-type. */
export interface Dhcpv6Opaque {
  readonly kind: 'opaque';
  readonly msgType: number;
  readonly body: Uint8Array;
}

export type Dhcpv6Message = Dhcpv6ClientServer | Dhcpv6Opaque;

export const F = { MSG_TYPE: 0, TRANSACTION_ID: 1, OPTIONS: 4 } as const;
const OPT = { CODE: 0, LENGTH: 2, DATA: 4 } as const;
const IA = { IAID: 0, T1: 4, T2: 8, OPTIONS: 12 } as const;
const IAADDR = { ADDRESS: 0, PREFERRED: 16, VALID: 20, OPTIONS: 24 } as const;
const IAPREFIX = { PREFERRED: 0, VALID: 4, PREFIX_LENGTH: 8, PREFIX: 9, OPTIONS: 25 } as const;
const DUID = { TYPE: 0, HW: 2, LLT_TIME: 4, LLT_LL: 8, LL_LL: 4, EN_ENTERPRISE: 2, EN_ID: 6, UUID: 2 } as const;

/**
 * How deep options may nest (IA_PD → IA Prefix → Status Code is 3). A message of 64 KiB
 * could otherwise nest thousands of IAs; deeper ones fail `dhcpv6.options-too-deep`.
 */
export const DHCPV6_MAX_OPTION_DEPTH = 4;

/** True for the types with the client/server format of §8. */
export function isClientServerType(t: number): boolean {
  return t >= Dhcpv6MessageType.SOLICIT && t <= Dhcpv6MessageType.INFORMATION_REQUEST;
}

// ---- DUID ---------------------------------------------------------------------------

export function parseDuid(b: Uint8Array): Duid | undefined {
  if (b.length < 2) return undefined;
  const type = u16(b, DUID.TYPE);
  const n = b.length;
  switch (type) {
    case DuidType.LLT:
      if (n >= DUID.LLT_LL) return { kind: 'llt', hardwareType: u16(b, DUID.HW), time: u32(b, DUID.LLT_TIME), linkLayer: b.subarray(DUID.LLT_LL) };
      break;
    case DuidType.EN:
      if (n >= DUID.EN_ID) return { kind: 'en', enterprise: u32(b, DUID.EN_ENTERPRISE), identifier: b.subarray(DUID.EN_ID) };
      break;
    case DuidType.LL:
      if (n >= DUID.LL_LL) return { kind: 'll', hardwareType: u16(b, DUID.HW), linkLayer: b.subarray(DUID.LL_LL) };
      break;
    case DuidType.UUID:
      if (n === DUID.UUID + 16) return { kind: 'uuid', uuid: b.subarray(DUID.UUID) };
      break;
  }
  return { kind: 'raw', type, data: b.subarray(2) };
}

export function duidLength(d: Duid): number {
  switch (d.kind) {
    case 'llt': return DUID.LLT_LL + d.linkLayer.length;
    case 'en': return DUID.EN_ID + d.identifier.length;
    case 'll': return DUID.LL_LL + d.linkLayer.length;
    case 'uuid': return DUID.UUID + 16;
    case 'raw': return 2 + d.data.length;
  }
}

export function emitDuid(d: Duid, buf: Uint8Array, o: number): number {
  switch (d.kind) {
    case 'llt':
      setU16(buf, o, DuidType.LLT);
      setU16(buf, o + DUID.HW, d.hardwareType);
      setU32(buf, o + DUID.LLT_TIME, d.time);
      buf.set(d.linkLayer, o + DUID.LLT_LL);
      break;
    case 'en':
      setU16(buf, o, DuidType.EN);
      setU32(buf, o + DUID.EN_ENTERPRISE, d.enterprise);
      buf.set(d.identifier, o + DUID.EN_ID);
      break;
    case 'll':
      setU16(buf, o, DuidType.LL);
      setU16(buf, o + DUID.HW, d.hardwareType);
      buf.set(d.linkLayer, o + DUID.LL_LL);
      break;
    case 'uuid':
      setU16(buf, o, DuidType.UUID);
      buf.set(d.uuid.subarray(0, 16), o + DUID.UUID);
      break;
    case 'raw':
      setU16(buf, o, d.type);
      buf.set(d.data, o + 2);
      break;
  }
  return duidLength(d);
}

/** The DUID-LL of an Ethernet interface (hardware type 1, RFC 826). */
export function duidLl(mac: Uint8Array): Duid {
  return { kind: 'll', hardwareType: 1, linkLayer: mac.slice(0, 6) };
}

// ---- options ------------------------------------------------------------------------

function rawOption(code: number, b: Uint8Array, s: number, e: number): Parsed<Dhcpv6Option> {
  return ok({ kind: 'raw', code, data: b.subarray(s, e) });
}

// No closures in here: this runs once per option, and a closure per call costs more than the parse.
function parseOption(code: number, b: Uint8Array, s: number, e: number, depth: number): Parsed<Dhcpv6Option> {
  const n = e - s;
  switch (code) {
    case Dhcpv6OptionCode.CLIENTID:
    case Dhcpv6OptionCode.SERVERID: {
      const duid = parseDuid(b.subarray(s, e));
      if (!duid) return rawOption(code, b, s, e);
      return ok({ kind: code === Dhcpv6OptionCode.CLIENTID ? 'client-id' : 'server-id', duid });
    }
    case Dhcpv6OptionCode.IA_NA:
    case Dhcpv6OptionCode.IA_PD: {
      if (n < IA.OPTIONS) return rawOption(code, b, s, e);
      const opts = parseOptionList(b, s + IA.OPTIONS, e, depth + 1);
      if (!opts.ok) return opts;
      return ok({ kind: code === Dhcpv6OptionCode.IA_NA ? 'ia-na' : 'ia-pd', iaid: u32(b, s + IA.IAID), t1: u32(b, s + IA.T1), t2: u32(b, s + IA.T2), options: opts.value });
    }
    case Dhcpv6OptionCode.IAADDR: {
      if (n < IAADDR.OPTIONS) return rawOption(code, b, s, e);
      const opts = parseOptionList(b, s + IAADDR.OPTIONS, e, depth + 1);
      if (!opts.ok) return opts;
      return ok({ kind: 'ia-address', address: b.subarray(s, s + 16), preferredLifetime: u32(b, s + IAADDR.PREFERRED), validLifetime: u32(b, s + IAADDR.VALID), options: opts.value });
    }
    case Dhcpv6OptionCode.IAPREFIX: {
      if (n < IAPREFIX.OPTIONS) return rawOption(code, b, s, e);
      const opts = parseOptionList(b, s + IAPREFIX.OPTIONS, e, depth + 1);
      if (!opts.ok) return opts;
      return ok({
        kind: 'ia-prefix', preferredLifetime: u32(b, s + IAPREFIX.PREFERRED), validLifetime: u32(b, s + IAPREFIX.VALID),
        prefixLength: b[s + IAPREFIX.PREFIX_LENGTH]!, prefix: b.subarray(s + IAPREFIX.PREFIX, s + IAPREFIX.PREFIX + 16), options: opts.value,
      });
    }
    case Dhcpv6OptionCode.ORO: {
      if (n % 2 !== 0) return rawOption(code, b, s, e);
      const codes: number[] = [];
      for (let p = s; p < e; p += 2) codes.push(u16(b, p));
      return ok({ kind: 'oro', codes });
    }
    case Dhcpv6OptionCode.PREFERENCE:
      return n === 1 ? ok({ kind: 'preference', value: b[s]! }) : rawOption(code, b, s, e);
    case Dhcpv6OptionCode.ELAPSED_TIME:
      return n === 2 ? ok({ kind: 'elapsed-time', value: u16(b, s) }) : rawOption(code, b, s, e);
    case Dhcpv6OptionCode.STATUS_CODE:
      return n >= 2 ? ok({ kind: 'status', status: u16(b, s), message: b.subarray(s + 2, e) }) : rawOption(code, b, s, e);
    case Dhcpv6OptionCode.RAPID_COMMIT:
      return n === 0 ? ok({ kind: 'rapid-commit' }) : rawOption(code, b, s, e);
    case Dhcpv6OptionCode.DNS_SERVERS: {
      if (n % 16 !== 0) return rawOption(code, b, s, e);
      const servers: Uint8Array[] = [];
      for (let p = s; p < e; p += 16) servers.push(b.subarray(p, p + 16));
      return ok({ kind: 'dns-servers', servers });
    }
    default:
      return rawOption(code, b, s, e);
  }
}

/** Parses the options in b[start, end) (§21.1: code, length, data, repeated to the end). */
export function parseOptionList(b: Uint8Array, start: number, end: number, depth = 0): Parsed<Dhcpv6Option[]> {
  if (depth > DHCPV6_MAX_OPTION_DEPTH && start < end) return fail('dhcpv6.options-too-deep', start);
  const out: Dhcpv6Option[] = [];
  let o = start;
  while (o < end) {
    if (o + OPT.DATA > end) return fail('dhcpv6.option-truncated', o);
    const code = u16(b, o + OPT.CODE);
    const len = u16(b, o + OPT.LENGTH);
    if (o + OPT.DATA + len > end) return fail('dhcpv6.option-exceeds-container', o + OPT.LENGTH);
    const r = parseOption(code, b, o + OPT.DATA, o + OPT.DATA + len, depth);
    if (!r.ok) return r;
    out.push(r.value);
    o += OPT.DATA + len;
  }
  return ok(out);
}

export function optionCode(o: Dhcpv6Option): number {
  switch (o.kind) {
    case 'client-id': return Dhcpv6OptionCode.CLIENTID;
    case 'server-id': return Dhcpv6OptionCode.SERVERID;
    case 'ia-na': return Dhcpv6OptionCode.IA_NA;
    case 'ia-address': return Dhcpv6OptionCode.IAADDR;
    case 'ia-pd': return Dhcpv6OptionCode.IA_PD;
    case 'ia-prefix': return Dhcpv6OptionCode.IAPREFIX;
    case 'oro': return Dhcpv6OptionCode.ORO;
    case 'preference': return Dhcpv6OptionCode.PREFERENCE;
    case 'elapsed-time': return Dhcpv6OptionCode.ELAPSED_TIME;
    case 'status': return Dhcpv6OptionCode.STATUS_CODE;
    case 'rapid-commit': return Dhcpv6OptionCode.RAPID_COMMIT;
    case 'dns-servers': return Dhcpv6OptionCode.DNS_SERVERS;
    case 'raw': return o.code;
  }
}

function listLength(opts: readonly Dhcpv6Option[]): number {
  let n = 0;
  for (const o of opts) n += OPT.DATA + optionDataLength(o);
  return n;
}

/** Octets of the option's data (after code and length). */
export function optionDataLength(o: Dhcpv6Option): number {
  switch (o.kind) {
    case 'client-id':
    case 'server-id': return duidLength(o.duid);
    case 'ia-na':
    case 'ia-pd': return IA.OPTIONS + listLength(o.options);
    case 'ia-address': return IAADDR.OPTIONS + listLength(o.options);
    case 'ia-prefix': return IAPREFIX.OPTIONS + listLength(o.options);
    case 'oro': return 2 * o.codes.length;
    case 'preference': return 1;
    case 'elapsed-time': return 2;
    case 'status': return 2 + o.message.length;
    case 'rapid-commit': return 0;
    case 'dns-servers': return 16 * o.servers.length;
    case 'raw': return o.data.length;
  }
}

/** Writes the options at buf[o]; returns the octets written. Throws on an option over 65535 octets (API misuse). */
export function emitOptionList(opts: readonly Dhcpv6Option[], buf: Uint8Array, o: number): number {
  let p = o;
  for (const opt of opts) {
    const len = optionDataLength(opt);
    if (len > 0xffff) throw new Error(`dhcpv6: option ${optionCode(opt)} of ${len} octets`);
    setU16(buf, p + OPT.CODE, optionCode(opt));
    setU16(buf, p + OPT.LENGTH, len);
    const d = p + OPT.DATA;
    switch (opt.kind) {
      case 'client-id':
      case 'server-id':
        emitDuid(opt.duid, buf, d);
        break;
      case 'ia-na':
      case 'ia-pd':
        setU32(buf, d + IA.IAID, opt.iaid);
        setU32(buf, d + IA.T1, opt.t1);
        setU32(buf, d + IA.T2, opt.t2);
        emitOptionList(opt.options, buf, d + IA.OPTIONS);
        break;
      case 'ia-address':
        buf.set(opt.address.subarray(0, 16), d + IAADDR.ADDRESS);
        setU32(buf, d + IAADDR.PREFERRED, opt.preferredLifetime);
        setU32(buf, d + IAADDR.VALID, opt.validLifetime);
        emitOptionList(opt.options, buf, d + IAADDR.OPTIONS);
        break;
      case 'ia-prefix':
        setU32(buf, d + IAPREFIX.PREFERRED, opt.preferredLifetime);
        setU32(buf, d + IAPREFIX.VALID, opt.validLifetime);
        buf[d + IAPREFIX.PREFIX_LENGTH] = opt.prefixLength;
        buf.set(opt.prefix.subarray(0, 16), d + IAPREFIX.PREFIX);
        emitOptionList(opt.options, buf, d + IAPREFIX.OPTIONS);
        break;
      case 'oro':
        opt.codes.forEach((c, i) => setU16(buf, d + 2 * i, c));
        break;
      case 'preference':
        buf[d] = opt.value;
        break;
      case 'elapsed-time':
        setU16(buf, d, opt.value);
        break;
      case 'status':
        setU16(buf, d, opt.status);
        buf.set(opt.message, d + 2);
        break;
      case 'rapid-commit':
        break;
      case 'dns-servers':
        opt.servers.forEach((s, i) => buf.set(s.subarray(0, 16), d + 16 * i));
        break;
      case 'raw':
        buf.set(opt.data, d);
        break;
    }
    p = d + len;
  }
  return p - o;
}

// ---- messages -----------------------------------------------------------------------

export function parseDhcpv6(b: Uint8Array): Parsed<Dhcpv6Message> {
  if (b.length < 1) return fail('dhcpv6.truncated', 0);
  const msgType = b[F.MSG_TYPE]!;
  if (!isClientServerType(msgType)) return ok({ kind: 'opaque', msgType, body: b.subarray(1) });
  if (b.length < F.OPTIONS) return fail('dhcpv6.truncated', 1);
  const opts = parseOptionList(b, F.OPTIONS, b.length);
  if (!opts.ok) return opts;
  return ok({ kind: 'message', msgType, transactionId: (b[1]! << 16) | (b[2]! << 8) | b[3]!, options: opts.value });
}

export const dhcpv6: Codec<Dhcpv6Message> = {
  parse: parseDhcpv6,
  encodedLength: (m) => (m.kind === 'opaque' ? 1 + m.body.length : F.OPTIONS + listLength(m.options)),
  emit(m, buf, o) {
    buf[o + F.MSG_TYPE] = m.msgType;
    if (m.kind === 'opaque') {
      buf.set(m.body, o + 1);
      return 1 + m.body.length;
    }
    buf[o + 1] = (m.transactionId >>> 16) & 0xff;
    buf[o + 2] = (m.transactionId >>> 8) & 0xff;
    buf[o + 3] = m.transactionId & 0xff;
    return F.OPTIONS + emitOptionList(m.options, buf, o + F.OPTIONS);
  },
};

/** The option value whose kind is `K` (client-id and server-id share one shape). */
export type Dhcpv6OptionOf<K extends Dhcpv6Option['kind']> = Dhcpv6Option extends infer O ? (O extends { readonly kind: infer OK } ? (K extends OK ? O : never) : never) : never;

/** The first option of `kind` in a list (not searching nested ones). */
export function findOption<K extends Dhcpv6Option['kind']>(opts: readonly Dhcpv6Option[], kind: K): Dhcpv6OptionOf<K> | undefined {
  for (const o of opts) if (o.kind === kind) return o as Dhcpv6OptionOf<K>;
  return undefined;
}
