/**
 * RADIUS packets (RFC 2865 §3, RFC 2866 §3, RFC 5176 §2.3): Code, Identifier, Length,
 * Authenticator and the attributes as bytes in wire order, so that every packet, known
 * attributes or not, re-emits byte for byte. Vendor-Specific attributes in the RFC 2865
 * §5.26 layout are split into sub-attributes; any other layout stays raw. The dictionary
 * (radius-dictionary.ts) fixes value lengths and decodes values for people.
 * Signing, hiding and checking live in radius-crypto.ts.
 */
import { bytesText, ipv4ToString, setU32, textBytes, u16, u32, setU16 } from './bytes.js';
import { fail, ok, type Codec, type Parsed } from './result.js';
import { ipv6ToString } from './ipv6.js';
import { ATTRIBUTES, CODE_NAMES, VENDORS, fixedValueLength, type RadiusValueType } from './radius-dictionary.js';

export * from './radius-dictionary.js';

/** RFC 2865 §3 header. */
export const F = { CODE: 0, IDENTIFIER: 1, LENGTH: 2, AUTHENTICATOR: 4, ATTRIBUTES: 20 } as const;
/** RFC 2865 §5 attribute header. */
const AF = { TYPE: 0, LENGTH: 1, VALUE: 2 } as const;
/** RFC 2865 §5.26 Vendor-Specific value: Vendor-Id (4), then type(1) length(1) value sub-attributes. */
const VF = { VENDOR_ID: 0, SUB: 4 } as const;

export const HEADER_LENGTH = 20;
export const AUTHENTICATOR_LENGTH = 16;
/** RFC 2865 §3: "The maximum length is 4096." */
export const MAX_PACKET_LENGTH = 4096;
/** An attribute's Length octet covers type and length: at most 253 value octets. */
export const MAX_VALUE_LENGTH = 253;
const VENDOR_SPECIFIC = 26;

/** Any attribute, kept as its value octets (a subarray of the input). */
export interface RawAttribute {
  readonly type: number;
  readonly data: Uint8Array;
}

/** One sub-attribute of a Vendor-Specific attribute (RFC 2865 §5.26 suggested format). */
export interface VendorAttribute {
  readonly vendorType: number;
  readonly data: Uint8Array;
}

/** A Vendor-Specific attribute whose value follows the RFC 2865 §5.26 suggested format. */
export interface VendorSpecific {
  readonly type: 26;
  readonly vendorId: number;
  readonly vsas: readonly VendorAttribute[];
}

export type RadiusAttribute = RawAttribute | VendorSpecific;

export interface RadiusPacket {
  /** RFC 2865 §3 Code; see `RadiusCode`. Unknown codes are kept. */
  readonly code: number;
  /** RFC 2865 §3 Identifier: matches a response to its request. */
  readonly identifier: number;
  /** RFC 2865 §3 Authenticator (16 octets): Request or Response Authenticator. */
  readonly authenticator: Uint8Array;
  readonly attributes: readonly RadiusAttribute[];
}

export function isVendorSpecific(a: RadiusAttribute): a is VendorSpecific {
  return 'vsas' in a;
}

/** Value length (octets after type and length) of one attribute as it will be emitted. */
export function attributeValueLength(a: RadiusAttribute): number {
  if (!isVendorSpecific(a)) return a.data.length;
  let n = 4;
  for (const s of a.vsas) n += 2 + s.data.length;
  return n;
}

function parseVendorSpecific(v: Uint8Array): VendorSpecific | undefined {
  if (v.length < VF.SUB + 2) return undefined;
  const vsas: VendorAttribute[] = [];
  let o = VF.SUB;
  while (o < v.length) {
    if (o + 2 > v.length) return undefined;
    const len = v[o + 1]!;
    if (len < 2 || o + len > v.length) return undefined;
    vsas.push({ vendorType: v[o]!, data: v.subarray(o + 2, o + len) });
    o += len;
  }
  return { type: VENDOR_SPECIFIC, vendorId: u32(v, VF.VENDOR_ID), vsas };
}

/**
 * Walks the attributes of `b[start, end)`, checking each header and the fixed value length
 * of known attributes. Returns the attributes or the first error.
 */
export function parseAttributes(b: Uint8Array, start: number, end: number): Parsed<RadiusAttribute[]> {
  const out: RadiusAttribute[] = [];
  let o = start;
  while (o < end) {
    if (o + 2 > end) return fail('radius.attr.truncated', o);
    const type = b[o + AF.TYPE]!;
    const len = b[o + AF.LENGTH]!;
    if (len < 2) return fail('radius.attr.bad-length', o + AF.LENGTH);
    if (o + len > end) return fail('radius.attr.overrun', o + AF.LENGTH);
    const def = ATTRIBUTES.get(type);
    if (def) {
      const fixed = fixedValueLength(def);
      if (fixed !== undefined && len - 2 !== fixed) return fail('radius.attr.bad-value-length', o + AF.LENGTH);
    }
    const data = b.subarray(o + AF.VALUE, o + len);
    out.push((type === VENDOR_SPECIFIC && parseVendorSpecific(data)) || { type, data });
    o += len;
  }
  return ok(out);
}

function emitAttribute(a: RadiusAttribute, buf: Uint8Array, o: number): number {
  const vlen = attributeValueLength(a);
  if (vlen > MAX_VALUE_LENGTH) throw new RangeError(`RADIUS attribute ${a.type}: value of ${vlen} octets exceeds ${MAX_VALUE_LENGTH}`);
  buf[o + AF.TYPE] = a.type;
  buf[o + AF.LENGTH] = vlen + 2;
  let p = o + AF.VALUE;
  if (isVendorSpecific(a)) {
    setU32(buf, p + VF.VENDOR_ID, a.vendorId);
    p += VF.SUB;
    for (const s of a.vsas) {
      buf[p] = s.vendorType;
      buf[p + 1] = s.data.length + 2;
      buf.set(s.data, p + 2);
      p += 2 + s.data.length;
    }
  } else {
    buf.set(a.data, p);
    p += a.data.length;
  }
  return p - o;
}

/**
 * Why `p` cannot be emitted (an attribute value over 253 octets, a packet over 4096), or
 * undefined. `emit` throws on such a packet; a caller whose attributes hold a peer's values
 * (or whose configuration may be too big) checks here first and drops, counted.
 */
export function emitProblem(p: RadiusPacket): 'radius.attr-too-long' | 'radius.packet-too-long' | undefined {
  for (const a of p.attributes) if (attributeValueLength(a) > MAX_VALUE_LENGTH) return 'radius.attr-too-long';
  return radiusPacket.encodedLength(p) > MAX_PACKET_LENGTH ? 'radius.packet-too-long' : undefined;
}

/**
 * The packet codec. `parse` takes a UDP payload: octets past the Length field are padding
 * and ignored (RFC 2865 §3), so re-emitting a padded datagram gives the packet without it.
 * `emit` writes `authenticator` as given: sign the result with radius-crypto.ts.
 */
export const radiusPacket: Codec<RadiusPacket> = {
  parse(b) {
    if (b.length < HEADER_LENGTH) return fail('radius.truncated', 0);
    const length = u16(b, F.LENGTH);
    if (length < HEADER_LENGTH || length > MAX_PACKET_LENGTH) return fail('radius.bad-length', F.LENGTH);
    if (length > b.length) return fail('radius.length-exceeds-data', F.LENGTH);
    const attrs = parseAttributes(b, F.ATTRIBUTES, length);
    if (!attrs.ok) return attrs;
    return ok({
      code: b[F.CODE]!,
      identifier: b[F.IDENTIFIER]!,
      authenticator: b.subarray(F.AUTHENTICATOR, F.AUTHENTICATOR + AUTHENTICATOR_LENGTH),
      attributes: attrs.value,
    });
  },
  encodedLength(p) {
    let n = HEADER_LENGTH;
    for (const a of p.attributes) n += 2 + attributeValueLength(a);
    return n;
  },
  emit(p, buf, offset) {
    const len = radiusPacket.encodedLength(p);
    if (len > MAX_PACKET_LENGTH) throw new RangeError(`RADIUS packet of ${len} octets exceeds ${MAX_PACKET_LENGTH}`);
    if (p.authenticator.length !== AUTHENTICATOR_LENGTH) throw new RangeError('RADIUS authenticator must be 16 octets');
    buf[offset + F.CODE] = p.code;
    buf[offset + F.IDENTIFIER] = p.identifier;
    setU16(buf, offset + F.LENGTH, len);
    buf.set(p.authenticator, offset + F.AUTHENTICATOR);
    let o = offset + F.ATTRIBUTES;
    for (const a of p.attributes) o += emitAttribute(a, buf, o);
    return o - offset;
  },
};

/**
 * Offset of the value of the first attribute of `type` in an encoded packet `b` (whose
 * framing has been checked by `radiusPacket.parse`), or -1.
 */
export function findAttributeValue(b: Uint8Array, type: number): number {
  const end = Math.min(b.length, u16(b, F.LENGTH));
  for (let o = F.ATTRIBUTES; o + 2 <= end; ) {
    const len = b[o + AF.LENGTH]!;
    if (len < 2) return -1;
    if (b[o + AF.TYPE] === type) return o + AF.VALUE;
    o += len;
  }
  return -1;
}

// ---- building attributes ------------------------------------------------------------

export function octetsAttr(type: number, data: Uint8Array): RawAttribute {
  return { type, data };
}

export function textAttr(type: number, s: string): RawAttribute {
  return { type, data: textBytes(s) };
}

/**
 * intAttr's attributes of the small values (a Service-Type, a Framed-Protocol, an
 * Acct-Status-Type, an Acct-Authentic: several in every request), each made once and shared:
 * nothing writes into an attribute once it is made (the encoder copies its data).
 */
const SMALL_INT = 32;
const smallIntAttrs: (RawAttribute | undefined)[] = new Array<RawAttribute | undefined>(256 * SMALL_INT).fill(undefined);

export function intAttr(type: number, n: number): RawAttribute {
  if (n >>> 0 === n && n < SMALL_INT && type >>> 0 === type && type < 256) return (smallIntAttrs[type * SMALL_INT + n] ??= Object.freeze(newIntAttr(type, n)));
  return newIntAttr(type, n);
}

function newIntAttr(type: number, n: number): RawAttribute {
  const data = new Uint8Array(4);
  setU32(data, 0, n >>> 0);
  return { type, data };
}

/**
 * An ipv6prefix value (RFC 3162 §2.3, RFC 4818 §3, RFC 8044 §3.10): Reserved 0, Prefix-Length,
 * then the prefix cut to the octets its length needs (the form FreeRADIUS sends; 16 octets
 * are also allowed and read).
 */
export function ipv6PrefixValue(prefix: Uint8Array, length: number): Uint8Array {
  const n = Math.ceil(length / 8);
  const out = new Uint8Array(2 + n);
  out[1] = length;
  out.set(prefix.subarray(0, n), 2);
  return out;
}

/**
 * Reads an ipv6prefix value from a peer: Prefix-Length 0..128, enough prefix octets for it
 * and at most 16, no bit set past the length (RFC 8044 §3.10 "MUST be zero"); undefined
 * otherwise. The prefix is a fresh 16-octet address.
 */
export function parseIpv6PrefixValue(data: Uint8Array): { prefix: Uint8Array; length: number } | undefined {
  if (data.length < 2 || data.length > 18) return undefined;
  const length = data[1]!;
  if (length > 128 || data.length - 2 < Math.ceil(length / 8)) return undefined;
  const prefix = new Uint8Array(16);
  prefix.set(data.subarray(2));
  for (let bit = length; bit < 128; bit++) if (prefix[bit >> 3]! & (0x80 >> (bit & 7))) return undefined;
  return { prefix, length };
}

export function ipv4Attr(type: number, address: number): RawAttribute {
  return intAttr(type, address);
}

/** RFC 2868 tagged integer: tag octet then a 24-bit value. */
export function taggedIntAttr(type: number, tag: number, n: number): RawAttribute {
  const data = new Uint8Array(4);
  setU32(data, 0, n & 0xffffff);
  data[0] = tag;
  return { type, data };
}

/**
 * RFC 2868 tagged text: with tag 0 no tag octet is sent, unless the text itself starts
 * with an octet 0x00..0x1F, when a 0 tag octet keeps the text from being read as a tag.
 */
export function taggedTextAttr(type: number, tag: number, s: string): RawAttribute {
  const t = textBytes(s);
  if (tag === 0 && (t.length === 0 || t[0]! > 0x1f)) return { type, data: t };
  const data = new Uint8Array(t.length + 1);
  data[0] = tag;
  data.set(t, 1);
  return { type, data };
}

export function vendorAttr(vendorId: number, vsas: VendorAttribute[]): VendorSpecific {
  return { type: VENDOR_SPECIFIC, vendorId, vsas };
}

// ---- reading attributes -------------------------------------------------------------

/** The first non-vendor attribute of `type`. */
export function getAttr(p: RadiusPacket, type: number): RawAttribute | undefined {
  for (const a of p.attributes) if (a.type === type && !isVendorSpecific(a)) return a;
  return undefined;
}

export function getAttrs(p: RadiusPacket, type: number): RawAttribute[] {
  return p.attributes.filter((a): a is RawAttribute => a.type === type && !isVendorSpecific(a));
}

export function getText(p: RadiusPacket, type: number): string | undefined {
  const a = getAttr(p, type);
  return a && bytesText(a.data);
}

export function getInt(p: RadiusPacket, type: number): number | undefined {
  const a = getAttr(p, type);
  return a && a.data.length === 4 ? u32(a.data, 0) : undefined;
}

/** Splits an RFC 2868 tagged value. Integers always carry the tag octet; text only when it is 0x00..0x1F. */
export function splitTag(type: number, data: Uint8Array): { tag: number; value: Uint8Array } {
  const def = ATTRIBUTES.get(type);
  if (def?.valueType === 'integer' || def?.encrypt === 2) return { tag: data[0] ?? 0, value: data.subarray(1) };
  if (data.length > 0 && data[0]! <= 0x1f) return { tag: data[0]!, value: data.subarray(1) };
  return { tag: 0, value: data };
}

/** Vendor sub-attributes of `vendorId` (and `vendorType` when given). */
export function getVendorAttrs(p: RadiusPacket, vendorId: number, vendorType?: number): VendorAttribute[] {
  const out: VendorAttribute[] = [];
  for (const a of p.attributes) {
    if (isVendorSpecific(a) && a.vendorId === vendorId) for (const s of a.vsas) if (vendorType === undefined || s.vendorType === vendorType) out.push(s);
  }
  return out;
}

// ---- decoding for people (logs, accounting lines) -----------------------------------

export type DecodedValue = string | number | Uint8Array;

export interface DecodedAttribute {
  readonly type: number;
  /** Dictionary name, or `Attr-N` / `Vendor-V-Attr-N` when unknown. */
  readonly name: string;
  readonly tag?: number;
  readonly value: DecodedValue;
  /** Named value of an enumerated integer, when the dictionary has one. */
  readonly valueName?: string;
  readonly vendorId?: number;
}

/**
 * A value of `valueType` as decodeAttribute gives it (octets stay a view), or undefined when
 * `data` is not one: the core of decodeAttribute without its result wrapper, for a caller on a
 * hot path (an accounting record's every attribute) that reads the dictionary itself.
 */
export function decodeValueOf(valueType: RadiusValueType, data: Uint8Array): DecodedValue | undefined {
  switch (valueType) {
    case 'integer':
    case 'date':
      return data.length === 4 ? u32(data, 0) : undefined;
    case 'ipaddr':
      return data.length === 4 ? ipv4ToString(u32(data, 0)) : undefined;
    case 'ipv6addr':
      return data.length === 16 ? ipv6ToString(data) : undefined;
    case 'ipv6prefix': {
      const p = parseIpv6PrefixValue(data);
      return p ? `${ipv6ToString(p.prefix)}/${p.length}` : undefined;
    }
    case 'text':
      return bytesText(data);
    default:
      return data;
  }
}

const VALUE_ERRORS: Partial<Record<RadiusValueType, string>> = {
  integer: 'radius.value.bad-integer',
  date: 'radius.value.bad-integer',
  ipaddr: 'radius.value.bad-ipaddr',
  ipv6addr: 'radius.value.bad-ipv6addr',
  ipv6prefix: 'radius.value.bad-ipv6prefix',
};

function decodeValue(valueType: RadiusValueType, data: Uint8Array, at: number): Parsed<DecodedValue> {
  const v = decodeValueOf(valueType, data);
  return v === undefined ? fail(VALUE_ERRORS[valueType]!, at) : ok(v);
}

/**
 * Decodes one attribute through the dictionary. Hidden values (User-Password,
 * Tunnel-Password) stay octets: revealing them needs the secret (radius-crypto.ts).
 * `at` is the offset reported in errors.
 */
export function decodeAttribute(a: RadiusAttribute, at = 0): Parsed<DecodedAttribute[]> {
  if (isVendorSpecific(a)) {
    const vendor = VENDORS.get(a.vendorId);
    const out: DecodedAttribute[] = [];
    for (const s of a.vsas) {
      const def = vendor?.attributes.get(s.vendorType);
      const v = decodeValue(def?.valueType ?? 'string', s.data, at);
      if (!v.ok) return v;
      out.push({ type: VENDOR_SPECIFIC, vendorId: a.vendorId, name: def?.name ?? `Vendor-${a.vendorId}-Attr-${s.vendorType}`, value: v.value });
    }
    return ok(out);
  }
  const def = ATTRIBUTES.get(a.type);
  if (!def) return ok([{ type: a.type, name: `Attr-${a.type}`, value: a.data }]);
  let data = a.data;
  let tag: number | undefined;
  if (def.tagged) {
    const s = splitTag(a.type, data);
    tag = s.tag;
    data = def.valueType === 'integer' ? a.data : s.value;
    if (def.valueType === 'integer' && data.length === 4) {
      const n = u32(data, 0) & 0xffffff;
      const valueName = def.values?.[n];
      return ok([valueName === undefined ? { type: a.type, name: def.name, tag, value: n } : { type: a.type, name: def.name, tag, value: n, valueName }]);
    }
  }
  const v = decodeValue(def.encrypt ? 'string' : def.valueType, data, at);
  if (!v.ok) return v;
  const valueName = typeof v.value === 'number' ? def.values?.[v.value] : undefined;
  const d: DecodedAttribute = { type: a.type, name: def.name, value: v.value, ...(tag === undefined ? {} : { tag }), ...(valueName === undefined ? {} : { valueName }) };
  return ok([d]);
}

/** Every attribute of a packet decoded, in order. */
export function decodeAttributes(p: RadiusPacket): Parsed<DecodedAttribute[]> {
  const out: DecodedAttribute[] = [];
  for (const a of p.attributes) {
    const d = decodeAttribute(a);
    if (!d.ok) return d;
    out.push(...d.value);
  }
  return ok(out);
}

export function codeName(code: number): string {
  return CODE_NAMES[code] ?? `Code-${code}`;
}
