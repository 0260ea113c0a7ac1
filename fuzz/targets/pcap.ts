import { parseCapture, PcapngWriter } from '../../src/wire/pcap.js';
import type { FuzzTarget } from '../target.js';

export default [
  {
    name: 'pcap',
    parse: parseCapture,
    seeds: () => {
      const w = new PcapngWriter();
      w.addInterface(1, 'x');
      w.write(0, 1, new Uint8Array(64));
      return [w.bytes()];
    },
  },
] satisfies FuzzTarget[];
