/**
 * The RADIUS shared-secret computations: User-Password hiding (RFC 2865 §5.2),
 * Tunnel-Password salt encryption (RFC 2868 §3.5), CHAP-Password (RFC 2865 §5.3, RFC 1994),
 * Request/Response Authenticators (RFC 2865 §3, RFC 2866 §3, RFC 5176 §2.3) and
 * Message-Authenticator (RFC 3579 §3.2, RFC 5176 §3.3). Signing works in place on an
 * encoded packet; checking hashes the input in pieces and never copies or modifies it.
 */
import { textBytes, u16 } from './bytes.js';
import { hmacMd5Begin, hmacMd5Finish, hmacMd5Key, md5Context, md5Into, type HmacMd5Key } from './md5.js';
import { fail, ok, type Parsed } from './result.js';
import { AUTHENTICATOR_LENGTH, F, findAttributeValue, type RawAttribute } from './radius.js';
import { A, RadiusCode } from './radius-dictionary.js';

/** A shared secret: a string is taken as its UTF-8 octets. */
export type Secret = string | Uint8Array;

const ZERO16 = new Uint8Array(16);
const scratch = new Uint8Array(16);

interface Keyed {
  readonly bytes: Uint8Array;
  readonly hmac: HmacMd5Key;
}

/** Octets and HMAC pad states of each string secret, computed once (a server has few secrets). */
const keyed = new Map<string, Keyed>();

/** The same for byte secrets, by identity (a client keeps its secret's array for its life). */
const keyedBytes = new WeakMap<Uint8Array, Keyed>();

function key(secret: Secret): Keyed {
  if (typeof secret !== 'string') {
    let k = keyedBytes.get(secret);
    if (!k) keyedBytes.set(secret, (k = { bytes: secret, hmac: hmacMd5Key(secret) }));
    return k;
  }
  let k = keyed.get(secret);
  if (!k) {
    if (keyed.size > 1024) keyed.clear();
    const bytes = textBytes(secret);
    keyed.set(secret, (k = { bytes, hmac: hmacMd5Key(bytes) }));
  }
  return k;
}

function asBytes(x: Uint8Array | string): Uint8Array {
  return typeof x === 'string' ? key(x).bytes : x;
}

function md5(...parts: (Uint8Array | string)[]): Uint8Array {
  const out = new Uint8Array(16);
  md5Into(parts.map(asBytes), out);
  return out;
}

/** Constant-time comparison of two 16-octet values. */
function equal16(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

// ---- User-Password (RFC 2865 §5.2) ------------------------------------------------

/**
 * c(1) = p(1) xor MD5(S + RA), c(i) = p(i) xor MD5(S + c(i-1)); the password is padded
 * with NULs to a multiple of 16 octets, at most 128.
 */
export function hideUserPassword(password: Uint8Array, secret: Secret, requestAuthenticator: Uint8Array): Uint8Array {
  if (password.length > 128) throw new RangeError('User-Password longer than 128 octets');
  const n = Math.max(16, (password.length + 15) & ~15);
  const out = new Uint8Array(n);
  out.set(password);
  let prev = requestAuthenticator;
  for (let i = 0; i < n; i += 16) {
    const b = md5(secret, prev);
    for (let j = 0; j < 16; j++) out[i + j]! ^= b[j]!;
    prev = out.subarray(i, i + 16);
  }
  return out;
}

/** The clear password with its NUL padding removed. */
export function revealUserPassword(hidden: Uint8Array, secret: Secret, requestAuthenticator: Uint8Array): Parsed<Uint8Array> {
  if (hidden.length === 0 || hidden.length % 16 !== 0 || hidden.length > 128) return fail('radius.user-password.bad-length', 0);
  const out = new Uint8Array(hidden.length);
  const s = key(secret).bytes;
  for (let i = 0; i < hidden.length; i += 16) {
    // b(i) = MD5(S + c(i-1)), c(0) = Request Authenticator; written into `out`, then xored.
    const m = md5Context.reset().update(s);
    if (i === 0) m.update(requestAuthenticator);
    else m.update(hidden, i - 16, i);
    m.finish(out, i);
    for (let j = 0; j < 16; j++) out[i + j]! ^= hidden[i + j]!;
  }
  let end = out.length;
  while (end > 0 && out[end - 1] === 0) end--;
  return ok(out.subarray(0, end));
}

// ---- Tunnel-Password (RFC 2868 §3.5) ----------------------------------------------

/**
 * Salt (2 octets, high bit set) then the encrypted String: a length octet, the password and
 * NUL padding to a multiple of 16; b(1) = MD5(S + R + A), b(i) = MD5(S + c(i-1)).
 * R is the Request Authenticator of the Access-Request this answers. The tag octet is not
 * included: see `tunnelPasswordAttr`.
 */
export function encryptTunnelPassword(password: Uint8Array, secret: Secret, requestAuthenticator: Uint8Array, salt: number): Uint8Array {
  if (password.length > 240) throw new RangeError('Tunnel-Password longer than 240 octets');
  const n = (password.length + 1 + 15) & ~15;
  const out = new Uint8Array(2 + n);
  out[0] = ((salt >>> 8) & 0xff) | 0x80;
  out[1] = salt & 0xff;
  out[2] = password.length;
  out.set(password, 3);
  let prev: Uint8Array = out.subarray(0, 2);
  let first = true;
  for (let i = 2; i < out.length; i += 16) {
    const b = first ? md5(secret, requestAuthenticator, prev) : md5(secret, prev);
    first = false;
    for (let j = 0; j < 16; j++) out[i + j]! ^= b[j]!;
    prev = out.subarray(i, i + 16);
  }
  return out;
}

/** The clear Tunnel-Password from Salt + encrypted String (the value after the tag octet). */
export function decryptTunnelPassword(value: Uint8Array, secret: Secret, requestAuthenticator: Uint8Array): Parsed<Uint8Array> {
  if (value.length < 18 || (value.length - 2) % 16 !== 0) return fail('radius.tunnel-password.bad-length', 0);
  if ((value[0]! & 0x80) === 0) return fail('radius.tunnel-password.bad-salt', 0);
  const clear = new Uint8Array(value.length - 2);
  let prev = value.subarray(0, 2);
  for (let i = 2; i < value.length; i += 16) {
    const b = i === 2 ? md5(secret, requestAuthenticator, prev) : md5(secret, prev);
    for (let j = 0; j < 16; j++) clear[i - 2 + j] = value[i + j]! ^ b[j]!;
    prev = value.subarray(i, i + 16);
  }
  const len = clear[0]!;
  if (len > clear.length - 1) return fail('radius.tunnel-password.bad-length', 2);
  return ok(clear.subarray(1, 1 + len));
}

/** A complete Tunnel-Password attribute: tag octet, salt, encrypted string. */
export function tunnelPasswordAttr(tag: number, password: Uint8Array, secret: Secret, requestAuthenticator: Uint8Array, salt: number): RawAttribute {
  const enc = encryptTunnelPassword(password, secret, requestAuthenticator, salt);
  const data = new Uint8Array(1 + enc.length);
  data[0] = tag;
  data.set(enc, 1);
  return { type: A.TUNNEL_PASSWORD, data };
}

// ---- CHAP (RFC 1994 §4.1, RFC 2865 §5.3) ------------------------------------------

/** MD5(Identifier + secret + Challenge): the Response Value of CHAP-MD5. */
export function chapResponse(identifier: number, password: Uint8Array | string, challenge: Uint8Array): Uint8Array {
  return md5(Uint8Array.of(identifier & 0xff), typeof password === 'string' ? textBytes(password) : password, challenge);
}

/** CHAP-Password value: CHAP Ident octet + 16-octet response. */
export function chapPasswordValue(identifier: number, password: Uint8Array | string, challenge: Uint8Array): Uint8Array {
  const out = new Uint8Array(17);
  out[0] = identifier;
  out.set(chapResponse(identifier, password, challenge), 1);
  return out;
}

/**
 * Whether a CHAP-Password value (17 octets) is right for `password`. The challenge is the
 * CHAP-Challenge attribute, or the Request Authenticator when there is none (§5.3).
 */
export function checkChapPassword(chapPassword: Uint8Array, password: Uint8Array | string, challenge: Uint8Array): boolean {
  if (chapPassword.length !== 17) return false;
  return equal16(chapPassword.subarray(1), chapResponse(chapPassword[0]!, password, challenge));
}

// ---- Authenticators and Message-Authenticator -------------------------------------

/** Codes whose Request Authenticator is random (RFC 2865 §3, RFC 5997 §3; Status-Client likewise). */
export function hasRandomAuthenticator(code: number): boolean {
  return code === RadiusCode.ACCESS_REQUEST || code === RadiusCode.STATUS_SERVER || code === RadiusCode.STATUS_CLIENT;
}

/** Request codes whose Request Authenticator is MD5 over the packet (RFC 2866 §3, RFC 5176 §2.3). */
export function hasComputedRequestAuthenticator(code: number): boolean {
  return code === RadiusCode.ACCOUNTING_REQUEST || code === RadiusCode.DISCONNECT_REQUEST || code === RadiusCode.COA_REQUEST;
}

export function isRequestCode(code: number): boolean {
  return hasRandomAuthenticator(code) || hasComputedRequestAuthenticator(code);
}

function packetLength(b: Uint8Array): number {
  return Math.min(b.length, u16(b, F.LENGTH));
}

/**
 * HMAC-MD5 over the packet with the Message-Authenticator value taken as 16 zeros and the
 * Authenticator field taken as `auth` (RFC 3579 §3.2), hashed in pieces, written at out[at].
 */
function computeMessageAuthenticator(b: Uint8Array, maAt: number, secret: Secret, auth: Uint8Array, out: Uint8Array, at: number): void {
  const len = packetLength(b);
  const k = key(secret).hmac;
  hmacMd5Begin(k).update(b, 0, F.AUTHENTICATOR).update(auth).update(b, F.ATTRIBUTES, maAt).update(ZERO16).update(b, maAt + 16, len);
  hmacMd5Finish(k, out, at);
}

/** MD5(Code+Identifier+Length + `auth` + Attributes + Secret), written at out[at]. */
function computeAuthenticator(b: Uint8Array, secret: Secret, auth: Uint8Array, out: Uint8Array, at: number): void {
  // The secret's octets first: deriving them may use the shared MD5 context (HMAC pads), which
  // must not happen in the middle of this hash.
  const s = asBytes(secret);
  md5Context.reset().update(b, 0, F.AUTHENTICATOR).update(auth).update(b, F.ATTRIBUTES, packetLength(b)).update(s).finish(out, at);
}

/**
 * The Authenticator field value to use while computing the Message-Authenticator:
 * Access-Request/Status-Server their own random one; Accounting/CoA/Disconnect requests
 * zeros (RFC 5176 §3.3; FreeRADIUS does the same for Accounting-Request); responses the
 * request's.
 */
function maAuthenticator(b: Uint8Array, requestAuthenticator: Uint8Array | undefined): Uint8Array | undefined {
  const code = b[F.CODE]!;
  if (hasRandomAuthenticator(code)) return b.subarray(F.AUTHENTICATOR, F.ATTRIBUTES);
  if (hasComputedRequestAuthenticator(code)) return ZERO16;
  return requestAuthenticator;
}

/**
 * Signs one encoded packet in place: fills the Message-Authenticator value if the packet
 * has that attribute, then the Authenticator field. Access-Request and Status-Server keep
 * the random authenticator they were emitted with; Accounting-, Disconnect- and
 * CoA-Requests get their computed Request Authenticator; responses need the request's
 * authenticator and get the Response Authenticator.
 */
export function signPacket(b: Uint8Array, secret: Secret, requestAuthenticator?: Uint8Array): void {
  const code = b[F.CODE]!;
  const auth = maAuthenticator(b, requestAuthenticator);
  if (auth === undefined) throw new TypeError(`signing a response (code ${code}) needs the request's authenticator`);
  const maAt = findAttributeValue(b, A.MESSAGE_AUTHENTICATOR);
  if (maAt >= 0) {
    // The value is hashed as zeros, so it may be written straight into place.
    computeMessageAuthenticator(b, maAt, secret, auth, scratch, 0);
    b.set(scratch, maAt);
  }
  if (hasRandomAuthenticator(code)) return;
  // `auth` may be the field itself (zeros for requests are a constant): compute aside first.
  computeAuthenticator(b, secret, auth, scratch, 0);
  b.set(scratch, F.AUTHENTICATOR);
}

/** Response Authenticator check (RFC 2865 §3, RFC 2866 §4, RFC 5176 §2.3). */
export function verifyResponseAuthenticator(b: Uint8Array, secret: Secret, requestAuthenticator: Uint8Array): boolean {
  if (b.length < 20 || requestAuthenticator.length !== AUTHENTICATOR_LENGTH) return false;
  computeAuthenticator(b, secret, requestAuthenticator, scratch, 0);
  return equal16(b.subarray(F.AUTHENTICATOR, F.ATTRIBUTES), scratch);
}

/** Request Authenticator check of Accounting-, Disconnect- and CoA-Requests (RFC 2866 §3, RFC 5176 §2.3). */
export function verifyRequestAuthenticator(b: Uint8Array, secret: Secret): boolean {
  if (b.length < 20) return false;
  computeAuthenticator(b, secret, ZERO16, scratch, 0);
  return equal16(b.subarray(F.AUTHENTICATOR, F.ATTRIBUTES), scratch);
}

export type MessageAuthenticatorCheck = 'absent' | 'valid' | 'invalid';

/**
 * Checks the Message-Authenticator of an encoded packet: `absent` when there is none,
 * else whether the HMAC-MD5 is right. Responses need the request's authenticator.
 */
export function checkMessageAuthenticator(b: Uint8Array, secret: Secret, requestAuthenticator?: Uint8Array): MessageAuthenticatorCheck {
  if (b.length < 20) return 'invalid';
  const maAt = findAttributeValue(b, A.MESSAGE_AUTHENTICATOR);
  if (maAt < 0) return 'absent';
  if (b[maAt - 1] !== 18 || maAt + 16 > packetLength(b)) return 'invalid';
  const auth = maAuthenticator(b, requestAuthenticator);
  if (auth === undefined || auth.length !== 16) return 'invalid';
  computeMessageAuthenticator(b, maAt, secret, auth, scratch, 0);
  return equal16(b.subarray(maAt, maAt + 16), scratch) ? 'valid' : 'invalid';
}

/** A placeholder Message-Authenticator attribute (16 zeros) for `signPacket` to fill. */
export function messageAuthenticatorAttr(): RawAttribute {
  return { type: A.MESSAGE_AUTHENTICATOR, data: new Uint8Array(16) };
}
