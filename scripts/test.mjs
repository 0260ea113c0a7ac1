#!/usr/bin/env node
// Runs every test file (test/**/*.test.ts) with Node's test runner and the tsx loader.
// Node 20's --test does not expand globs itself. Extra arguments are passed to node --test
// (e.g. npm test -- --test-name-pattern=pppoe), or name test files to run only those.
import { readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';

function walk(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.test.ts') ? [p] : [];
  });
}
const args = process.argv.slice(2);
const named = args.filter((a) => a.endsWith('.test.ts'));
const flags = args.filter((a) => !a.endsWith('.test.ts'));
const files = named.length ? named : walk('test').sort();
const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...flags, ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
