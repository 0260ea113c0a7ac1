/**
 * The import rules of src/ (.dependency-cruiser.cjs, docs/CONVENTIONS.md): layers with arrows
 * only downward, no cycle, sim and io apart, roles read no files. The check runs on the real
 * tree, and on a small tree that breaks each rule, to show that a broken rule is caught.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const depcruise = path.join(root, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');

function cruise(cwd: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [depcruise, 'src', '--config', path.join(root, '.dependency-cruiser.cjs'), '--output-type', 'err'], { cwd, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

test('src/ keeps every import rule', () => {
  const r = cruise(root);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /no dependency violations found \((\d+) modules/);
  const modules = Number(/\((\d+) modules/.exec(r.out)![1]);
  assert.ok(modules > 80, `only ${modules} modules cruised: is the TypeScript transpiler missing?`);
});

test('a tree that breaks the rules fails the check, each rule by name', (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'layers-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (p: string, text: string): void => {
    mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    writeFileSync(path.join(dir, p), text);
  };
  copyFileSync(path.join(root, 'tsconfig.json'), path.join(dir, 'tsconfig.json'));
  file('src/wire/a.ts', "import { b } from '../roles/b.js';\nexport const a = b;\n");
  file('src/roles/b.ts', "import { readFileSync } from 'node:fs';\nexport const b = readFileSync;\n");
  file('src/sim/c.ts', "import { d } from '../io/d.js';\nexport const c = d;\n");
  file('src/io/d.ts', "export const d = 1;\n");
  file('src/proto/e.ts', "import { f } from './f.js';\nexport const e = () => f;\n");
  file('src/proto/f.ts', "import { e } from './e.js';\nexport const f = () => e;\n");
  const r = cruise(dir);
  assert.notEqual(r.status, 0, r.out);
  for (const rule of ['no-upward-from-wire', 'engines-read-no-files', 'sim-not-io', 'no-circular']) assert.match(r.out, new RegExp(`error ${rule}:`), `${rule} not reported:\n${r.out}`);
});
