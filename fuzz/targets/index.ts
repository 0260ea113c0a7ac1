/** Every fuzz target, gathered from fuzz/targets/*.ts (each file's default export is a FuzzTarget[]). */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import type { FuzzTarget } from '../target.js';

export async function allTargets(): Promise<FuzzTarget[]> {
  const dir = path.dirname(fileURLToPath(import.meta.url));
  const out: FuzzTarget[] = [];
  for (const f of readdirSync(dir).sort()) {
    if (f === 'index.ts' || !f.endsWith('.ts')) continue;
    const mod = (await import(pathToFileURL(path.join(dir, f)).href)) as { default: FuzzTarget[] };
    out.push(...mod.default);
  }
  return out;
}
