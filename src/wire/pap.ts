/**
 * PAP (RFC 1334 §2.2): Authenticate-Request (Peer-ID, Password) and Authenticate-Ack/Nak
 * (Message). Parsing never throws; fields are subarrays of the input; unknown codes are
 * kept and re-emit exactly. Passwords are bytes and never turned into log text here.
 */
import { fail, ok, type Codec } from './result.js';
import { checkCpHeader, writeCpHeader, errors } from './ppp.js';

const HEADER_ERRORS = errors('pap');

export const PapCode = { AUTH_REQ: 1, AUTH_ACK: 2, AUTH_NAK: 3 } as const;

export const F = { CODE: 0, IDENTIFIER: 1, LENGTH: 2, PEER_ID_LENGTH: 4, MSG_LENGTH: 4 } as const;

export type PapPacket =
  | { readonly kind: 'auth-req'; readonly identifier: number; readonly peerId: Uint8Array; readonly password: Uint8Array }
  | { readonly kind: 'auth-ack' | 'auth-nak'; readonly identifier: number; readonly message: Uint8Array }
  | { readonly kind: 'other'; readonly code: number; readonly identifier: number; readonly data: Uint8Array };

export const papPacket: Codec<PapPacket> = {
  parse(b) {
    const len = checkCpHeader(b, HEADER_ERRORS);
    if (typeof len !== 'number') return len;
    const c = b[F.CODE]!;
    const identifier = b[F.IDENTIFIER]!;
    switch (c) {
      case PapCode.AUTH_REQ: {
        if (len < 5) return fail('pap.missing-peer-id-length', F.LENGTH);
        const pl = b[F.PEER_ID_LENGTH]!;
        const pw = 5 + pl;
        if (pw >= len) return fail('pap.peer-id-exceeds-packet', F.PEER_ID_LENGTH);
        const wl = b[pw]!;
        if (pw + 1 + wl > len) return fail('pap.password-exceeds-packet', pw);
        if (pw + 1 + wl < len) return fail('pap.trailing-octets', pw + 1 + wl);
        return ok({ kind: 'auth-req', identifier, peerId: b.subarray(5, pw), password: b.subarray(pw + 1, pw + 1 + wl) });
      }
      case PapCode.AUTH_ACK:
      case PapCode.AUTH_NAK: {
        if (len < 5) return fail('pap.missing-msg-length', F.LENGTH);
        const ml = b[F.MSG_LENGTH]!;
        if (5 + ml > len) return fail('pap.message-exceeds-packet', F.MSG_LENGTH);
        if (5 + ml < len) return fail('pap.trailing-octets', 5 + ml);
        return ok({ kind: c === PapCode.AUTH_ACK ? 'auth-ack' : 'auth-nak', identifier, message: b.subarray(5, 5 + ml) });
      }
      default:
        return ok({ kind: 'other', code: c, identifier, data: b.subarray(4, len) });
    }
  },
  encodedLength(p) {
    switch (p.kind) {
      case 'auth-req': return 6 + p.peerId.length + p.password.length;
      case 'auth-ack': case 'auth-nak': return 5 + p.message.length;
      default: return 4 + p.data.length;
    }
  },
  emit(p, buf, offset) {
    const len = this.encodedLength(p);
    writeCpHeader(buf, offset, p.kind === 'other' ? p.code : p.kind === 'auth-req' ? 1 : p.kind === 'auth-ack' ? 2 : 3, p.identifier, len);
    const o = offset + 4;
    switch (p.kind) {
      case 'auth-req':
        buf[o] = p.peerId.length;
        buf.set(p.peerId, o + 1);
        buf[o + 1 + p.peerId.length] = p.password.length;
        buf.set(p.password, o + 2 + p.peerId.length);
        break;
      case 'auth-ack':
      case 'auth-nak':
        buf[o] = p.message.length;
        buf.set(p.message, o + 1);
        break;
      default:
        buf.set(p.data, o);
    }
    return len;
  },
};
