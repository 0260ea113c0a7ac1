import { l2tp, l2tpWithSecret, L2tpDataView } from '../../src/wire/l2tp.js';
import { encode, fail, ok } from '../../src/wire/result.js';
import { udpPayload } from '../../test/helpers/udp-frame.js';
import { loadCapture } from '../../test/helpers/captures.js';
import { everyMessage, SAMPLE_SECRET } from '../../test/helpers/l2tp-samples.js';
import type { FuzzTarget } from '../target.js';

/** Real L2TP datagrams from the xl2tpd capture plus one of every message our codec emits. */
function seeds(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const p of loadCapture('xl2tpd-lac-lns-chap-ipcp-ping.pcap').packets) {
    const u = udpPayload(p.data);
    if (u && u.dstPort === 1701) out.push(u.payload);
  }
  for (const { message, secret } of everyMessage()) out.push(encode(secret ? l2tpWithSecret(SAMPLE_SECRET) : l2tp, message));
  return out;
}

const withSecret = l2tpWithSecret(SAMPLE_SECRET);
const view = new L2tpDataView();

export default [
  { name: 'l2tp', parse: l2tp.parse, seeds },
  { name: 'l2tp-secret', parse: withSecret.parse, seeds },
  {
    name: 'l2tp-data-view',
    parse: (b: Uint8Array) => {
      if (!view.parse(b)) return fail(view.error, 0);
      if (view.payloadOffset + view.payloadLength > b.length || view.payloadOffset < 0) throw new Error('view outside the buffer');
      return ok(view.payloadLength);
    },
    seeds,
  },
] satisfies FuzzTarget[];
