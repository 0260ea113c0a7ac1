/**
 * Every error path of the addon's open() after socket() closes the descriptor (issue 14
 * item 5). The N-API calls that can fail there fail for no input a test can give, so this
 * builds the addon once more with native/afpacket/fault-inject.h (each call named by
 * $FAIL_NAPI fails) and opens a veth of its own (namespace afp-<tag>-f) 20 times per call:
 * each open throws EINTERNAL, no socket descriptor is left open, no libuv handle is left
 * (the process exits by itself), and with no fault the same build opens normally.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Lab, ROOT, notRoot, requireAddon, sh } from './lab.js';

const skip = notRoot();
const lab = new Lab();
const AGENT = path.join(ROOT, 'test/real/afpacket-hardening-agent.ts');
const NS = `afp-${lab.tag}-f`;
const work = mkdtempSync(path.join(tmpdir(), 'pseudonet-afp-faults-'));
const FAULTY = path.join(work, 'pseudonet_afpacket_faults.node');
const CALLS = ['napi_get_uv_event_loop', 'napi_create_reference', 'napi_create_string_utf8', 'napi_async_init', 'napi_create_object', 'napi_create_external', 'napi_set_named_property', 'napi_create_int32', 'napi_create_arraybuffer', 'napi_create_typedarray'];

before(() => {
  if (skip) return;
  requireAddon();
  sh('cc', ['-shared', '-fPIC', '-O1', '-D_GNU_SOURCE', '-DNAPI_VERSION=8', '-DNODE_GYP_MODULE_NAME=pseudonet_afpacket', '-I/usr/include/node', '-include', path.join(ROOT, 'native/afpacket/fault-inject.h'), path.join(ROOT, 'native/afpacket/afpacket.c'), '-o', FAULTY]);
  sh('ip', ['netns', 'add', NS]);
  lab.atCleanup(() => void sh('ip', ['netns', 'del', NS]));
  sh('ip', ['-n', NS, 'link', 'add', 'afp-f0', 'type', 'veth', 'peer', 'name', 'afp-f1']);
  sh('ip', ['-n', NS, 'link', 'set', 'afp-f0', 'up']);
  sh('ip', ['-n', NS, 'link', 'set', 'afp-f1', 'up']);
});

after(async () => {
  rmSync(work, { recursive: true, force: true });
  if (skip) return;
  assert.deepEqual(await lab.cleanup(), []);
});

for (const call of ['', ...CALLS]) {
  test(call ? `${call} failing in open(): EINTERNAL, no descriptor or poll handle left` : 'the fault-injection build opens normally when nothing fails', { skip, timeout: 20_000 }, async () => {
    const p = lab.spawn(call || 'nofault', NS, process.execPath, ['--import', 'tsx', AGENT, 'faultopen', FAULTY, 'afp-f0', '20'], { FAIL_NAPI: call });
    const r = (await p.waitFor((l) => l.ev === 'faultopen', 15_000, 'the faultopen result')) as { codes: string[]; leftover: number };
    assert.deepEqual(r.codes, [call ? 'EINTERNAL' : 'opened'], p.tail());
    assert.equal(r.leftover, 0, 'no socket descriptor left open');
    const exited = await Promise.race([p.done.then(() => true), new Promise<boolean>((res) => setTimeout(() => res(false), 8_000))]);
    assert.ok(exited, 'the process exits by itself: no poll handle left running');
    assert.equal(p.exited, 0, p.tail());
  });
}
