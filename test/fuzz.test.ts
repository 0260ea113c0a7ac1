/** Every registered decoder gets 100,000 random and mutated inputs and must never throw. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allTargets } from '../fuzz/targets/index.js';
import { fuzzDecoder } from './helpers/codec.js';

for (const t of await allTargets()) {
  test(`fuzz ${t.name}: 100,000 inputs, no throw`, () => {
    const seeds = t.seeds();
    assert.ok(seeds.length > 0, 'has real seeds');
    const r = fuzzDecoder(t.parse, seeds, 100_000, 0x5eed);
    // Mutated real packets must sometimes still parse, or the fuzzer only tests the first check.
    assert.ok(r.ok > 0, `${t.name}: some inputs parsed`);
    assert.ok(r.errors.size > 0, `${t.name}: some inputs rejected`);
  });
}
