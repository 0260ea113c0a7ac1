/**
 * CHAP (RFC 1994 §4): Challenge, Response, Success, Failure, and the MD5 response
 * computation (§4.1: MD5 over Identifier, secret, Challenge). Parsing never throws; values
 * and names are subarrays of the input; unknown codes are kept and re-emit exactly.
 */
import { timingSafeEqual } from 'node:crypto';
import { md5Context } from './md5.js';
import { fail, ok, type Codec } from './result.js';
import { checkCpHeader, writeCpHeader, errors } from './ppp.js';

const HEADER_ERRORS = errors('chap');

export const ChapCode = { CHALLENGE: 1, RESPONSE: 2, SUCCESS: 3, FAILURE: 4 } as const;

export const F = { CODE: 0, IDENTIFIER: 1, LENGTH: 2, VALUE_SIZE: 4, VALUE: 5, MESSAGE: 4 } as const;

export type ChapPacket =
  /** Challenge (code 1) and Response (code 2): Value-Size, Value, then Name to the end. */
  | { readonly kind: 'challenge' | 'response'; readonly identifier: number; readonly value: Uint8Array; readonly name: Uint8Array }
  /** Success (3) and Failure (4): an implementation-dependent Message to the end. */
  | { readonly kind: 'success' | 'failure'; readonly identifier: number; readonly message: Uint8Array }
  | { readonly kind: 'other'; readonly code: number; readonly identifier: number; readonly data: Uint8Array };

const KIND = [undefined, 'challenge', 'response', 'success', 'failure'] as const;

function code(p: ChapPacket): number {
  switch (p.kind) {
    case 'challenge': return 1;
    case 'response': return 2;
    case 'success': return 3;
    case 'failure': return 4;
    default: return p.code;
  }
}

export const chapPacket: Codec<ChapPacket> = {
  parse(b) {
    const len = checkCpHeader(b, HEADER_ERRORS);
    if (typeof len !== 'number') return len;
    const c = b[F.CODE]!;
    const identifier = b[F.IDENTIFIER]!;
    const kind = c <= 4 ? KIND[c] : undefined;
    switch (kind) {
      case 'challenge':
      case 'response': {
        if (len < 5) return fail('chap.missing-value-size', F.LENGTH);
        const vs = b[F.VALUE_SIZE]!;
        if (F.VALUE + vs > len) return fail('chap.value-exceeds-packet', F.VALUE_SIZE);
        return ok({ kind, identifier, value: b.subarray(F.VALUE, F.VALUE + vs), name: b.subarray(F.VALUE + vs, len) });
      }
      case 'success':
      case 'failure':
        return ok({ kind, identifier, message: b.subarray(F.MESSAGE, len) });
      default:
        return ok({ kind: 'other', code: c, identifier, data: b.subarray(4, len) });
    }
  },
  encodedLength(p) {
    switch (p.kind) {
      case 'challenge':
      case 'response':
        return 5 + p.value.length + p.name.length;
      case 'success':
      case 'failure':
        return 4 + p.message.length;
      default:
        return 4 + p.data.length;
    }
  },
  emit(p, buf, offset) {
    const len = this.encodedLength(p);
    writeCpHeader(buf, offset, code(p), p.identifier, len);
    switch (p.kind) {
      case 'challenge':
      case 'response':
        buf[offset + F.VALUE_SIZE] = p.value.length;
        buf.set(p.value, offset + F.VALUE);
        buf.set(p.name, offset + F.VALUE + p.value.length);
        break;
      case 'success':
      case 'failure':
        buf.set(p.message, offset + F.MESSAGE);
        break;
      default:
        buf.set(p.data, offset + 4);
    }
    return len;
  },
};

/** RFC 1994 §4.1 with MD5 (algorithm 5): MD5(Identifier || secret || Challenge), 16 octets. */
export function chapMd5Response(identifier: number, secret: Uint8Array, challenge: Uint8Array): Uint8Array {
  const out = new Uint8Array(16);
  md5Context.reset().update(ID_OCTET[identifier & 0xff]!).update(secret).update(challenge).finish(out, 0);
  return out;
}

const ID_OCTET: readonly Uint8Array[] = Array.from({ length: 256 }, (_, i) => Uint8Array.of(i));

/** Checks a received MD5 Response in constant time. */
export function chapMd5Verify(identifier: number, secret: Uint8Array, challenge: Uint8Array, response: Uint8Array): boolean {
  if (response.length !== 16) return false;
  return timingSafeEqual(chapMd5Response(identifier, secret, challenge), response);
}
