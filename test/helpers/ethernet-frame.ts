/** Test frames: an Ethernet II header (src/wire/ethernet.ts) around a payload. */
import { emitEthernetHeader, ETHERNET_HEADER_LENGTH, NO_TAGS } from '../../src/wire/ethernet.js';

/** `payload` behind an Ethernet II header, zero-padded to `minLength` octets (60, the IEEE 802.3 minimum without FCS; 0 for none). */
export function ethernetFrame(dst: Uint8Array, src: Uint8Array, type: number, payload: Uint8Array, minLength = 60): Uint8Array {
  const f = new Uint8Array(Math.max(minLength, ETHERNET_HEADER_LENGTH + payload.length));
  emitEthernetHeader(dst, src, NO_TAGS, type, f, 0);
  f.set(payload, ETHERNET_HEADER_LENGTH);
  return f;
}
