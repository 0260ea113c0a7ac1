#!/usr/bin/env node
// Builds the AF_PACKET addon (native/afpacket, binding.gyp) with node-gyp against the local
// Node headers. Run by `npm install` / `npm ci` (the "install" script) and by scripts/deps.sh.
// A failed build does not fail the install: the rest of pseudonet works without the addon,
// and src/io/afpacket.ts says why it is missing when something asks for real interfaces.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync, rmSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const failFile = path.join(root, 'build', 'afpacket-build-error.txt');
if (process.platform !== 'linux') {
  console.log(`afpacket: not built (AF_PACKET is Linux only; platform ${process.platform})`);
  process.exit(0);
}

function nodeGyp() {
  // npm puts its own node-gyp on PATH for lifecycle scripts; outside npm find npm's copy.
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  const npmDir = path.resolve(path.dirname(process.execPath), '../lib/node_modules/npm');
  candidates.push(path.join(npmDir, 'node_modules/node-gyp/bin/node-gyp.js'));
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch { /* not a dependency */ }
  return candidates.find((c) => existsSync(c));
}

const gyp = nodeGyp();
const args = ['rebuild'];
// Build against installed headers: no download (none is possible on the lab machines).
const nodedir = process.env.npm_config_nodedir || (existsSync('/usr/include/node/node_api.h') ? '/usr' : undefined);
if (nodedir) args.push(`--nodedir=${nodedir}`);
let r;
if (gyp) r = spawnSync(process.execPath, [gyp, ...args], { cwd: root, encoding: 'utf8' });
else r = spawnSync('node-gyp', args, { cwd: root, encoding: 'utf8' });
if (r.status === 0) {
  rmSync(failFile, { force: true });
  console.log('afpacket: built build/Release/pseudonet_afpacket.node');
} else {
  const why = `node-gyp ${args.join(' ')} failed (${r.error ? r.error.message : `exit ${r.status}`})\n${(r.stderr ?? '').split('\n').slice(-25).join('\n')}`;
  mkdirSync(path.dirname(failFile), { recursive: true });
  writeFileSync(failFile, why + '\n');
  console.warn(`afpacket: the AF_PACKET addon was NOT built; real interfaces are unavailable (simulation still works).\n${why}`);
}
process.exit(0);
