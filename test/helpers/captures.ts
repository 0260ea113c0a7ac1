/** The real captures in ../shared/captures, parsed once. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parseCapture, type Capture } from '../../src/wire/pcap.js';

export const CAPTURES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/captures');

export function loadCapture(name: string): Capture {
  const r = parseCapture(new Uint8Array(readFileSync(path.join(CAPTURES_DIR, name))));
  if (!r.ok) throw new Error(`${name}: ${JSON.stringify(r.error)}`);
  return r.value;
}
