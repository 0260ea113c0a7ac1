/**
 * `pseudonet validate FILE` run as a user runs it, for the validate tests: each topology
 * text written to a temporary file and validated by its own CLI process (at most three at
 * once: each is a Node process with the tsx loader), the exit status and output returned.
 */
import { after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export type ValidateResult = { status: number | null; output: string };

/** The default topology's text, the base every case edits. */
export const DEFAULT_TOPOLOGY_TEXT = readFileSync('topologies/default.yaml', 'utf8');

const PARALLEL = 3;

export function validateRunner(prefix: string): { validate: (name: string, text: string) => Promise<ValidateResult>; run: (file: string) => Promise<ValidateResult>; dir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), `${prefix}-`));
  after(() => rmSync(dir, { recursive: true, force: true }));
  let running = 0;
  const waiting: (() => void)[] = [];
  const run = (file: string): Promise<ValidateResult> =>
    new Promise((resolve) => {
      const p = spawn(process.execPath, ['bin/pseudonet.js', 'validate', file], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      p.stdout.on('data', (d) => (output += d));
      p.stderr.on('data', (d) => (output += d));
      p.on('close', (status) => resolve({ status, output }));
    });
  const validate = async (name: string, text: string): Promise<ValidateResult> => {
    const file = path.join(dir, `${name}.yaml`);
    writeFileSync(file, text);
    if (running >= PARALLEL) await new Promise<void>((r) => waiting.push(r));
    running++;
    try {
      return await run(file);
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
  return { validate, run, dir };
}

/** `text` with `from` replaced, checking that it was there. */
export function edit(from: string, to: string, text = DEFAULT_TOPOLOGY_TEXT): string {
  assert.ok(text.includes(from), `the default topology has ${from}`);
  return text.replace(from, to);
}
