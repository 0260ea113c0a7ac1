import { test } from 'node:test';
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { IdGroups } from '../../src/proto/id-groups.js';

test('a group holds its ids through adds and deletes, one id or many', () => {
  const g = new IdGroups();
  assert.equal(g.ids(7), undefined);
  g.add(7, 3);
  assert.deepEqual(g.ids(7), [3]);
  g.add(7, 3); // the same id again: still one
  assert.deepEqual(g.ids(7), [3]);
  g.add(7, 9);
  g.add(7, 4);
  assert.deepEqual(g.ids(7)!.sort((a, b) => a - b), [3, 4, 9]);
  g.add(8, 0); // id 0 is an id like any other
  assert.deepEqual(g.ids(8), [0]);
  g.delete(7, 9);
  g.delete(7, 5); // not in the group: nothing
  assert.deepEqual(g.ids(7)!.sort((a, b) => a - b), [3, 4]);
  g.delete(7, 3);
  g.delete(7, 4);
  assert.equal(g.ids(7), undefined);
  assert.equal(g.has(7), false, 'an emptied group leaves the map');
  g.delete(8, 1); // another id: the group of one stays
  assert.deepEqual(g.ids(8), [0]);
  g.delete(8, 0);
  assert.equal(g.size, 0);
});

test('the ids handed out are a copy: changing the group while walking them is safe', () => {
  const g = new IdGroups();
  for (const id of [1, 2, 3]) g.add(0, id);
  const ids = g.ids(0)!;
  for (const id of ids) g.delete(0, id);
  assert.equal(ids.length, 3);
  assert.equal(g.size, 0);
});

test('groups of two keep both ids, including 0 and large ids, through every order of deletes', () => {
  for (const [a, b] of [[0, 1], [1, 0], [5, 2 ** 26 - 1], [2 ** 26 - 1, 0], [2 ** 26, 3], [7, 2 ** 30]] as const) {
    const g = new IdGroups();
    g.add(1, a);
    g.add(1, b);
    g.add(1, a); // again: no change
    assert.deepEqual(g.ids(1)!.sort((x, y) => x - y), [a, b].sort((x, y) => x - y), `${a},${b}`);
    g.delete(1, 999); // not in it
    assert.deepEqual(g.ids(1)!.sort((x, y) => x - y), [a, b].sort((x, y) => x - y));
    g.delete(1, a);
    assert.deepEqual(g.ids(1), [b]);
    g.add(1, a);
    g.delete(1, b);
    assert.deepEqual(g.ids(1), [a]);
    g.add(1, b);
    g.add(1, 12345); // a third
    assert.deepEqual(g.ids(1)!.sort((x, y) => x - y), [a, b, 12345].sort((x, y) => x - y));
    for (const id of [a, b, 12345]) g.delete(1, id);
    assert.equal(g.has(1), false);
  }
});

test('any sequence of adds, deletes and clears on small, large and negative keys gives the groups a plain Map of Sets gives', () => {
  // Keys in the array (small), past its first size (grown), beyond its range and negative (the map).
  const key = fc.constantFrom(0, 1, 15, 16, 1000, 1500, 2 ** 24 - 1, 2 ** 31, -1, 2.5);
  const id = fc.constantFrom(0, 1, 2, 7, 2 ** 26 - 1, 2 ** 26, 2 ** 30);
  const op = fc.oneof(
    fc.record({ op: fc.constant('add' as const), key, id }),
    fc.record({ op: fc.constant('delete' as const), key, id }),
    fc.record({ op: fc.constant('clear' as const), key, id: fc.constant(0) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const g = new IdGroups();
      const model = new Map<number, Set<number>>();
      for (const o of ops) {
        if (o.op === 'add') {
          g.add(o.key, o.id);
          if (!model.has(o.key)) model.set(o.key, new Set());
          model.get(o.key)!.add(o.id);
        } else if (o.op === 'delete') {
          g.delete(o.key, o.id);
          model.get(o.key)?.delete(o.id);
          if (model.get(o.key)?.size === 0) model.delete(o.key);
        } else {
          g.clear(o.key);
          model.delete(o.key);
        }
        assert.equal(g.size, model.size);
        for (const k of [0, 1, 15, 16, 1000, 1500, 2 ** 24 - 1, 2 ** 31, -1, 2.5]) {
          const want = model.get(k);
          assert.equal(g.has(k), want !== undefined);
          assert.deepEqual(g.ids(k)?.sort((a, b) => a - b), want && [...want].sort((a, b) => a - b));
        }
      }
    }),
    { numRuns: 300 },
  );
});

test('a key kept in the map while it was far stays found when the array grows over it', () => {
  const g = new IdGroups();
  g.add(1500, 4); // far beyond the groups held: the map
  for (let k = 0; k < 400; k++) g.add(k, k); // 401 groups: the array may now grow to cover 1,600
  g.add(1100, 9); // grows the array past 1,500
  assert.deepEqual(g.ids(1500), [4]);
  g.add(1500, 5);
  assert.deepEqual(g.ids(1500)!.sort((a, b) => a - b), [4, 5]);
  g.delete(1500, 4);
  g.delete(1500, 5);
  assert.equal(g.has(1500), false);
  assert.deepEqual(g.ids(1100), [9]);
  assert.equal(g.size, 401);
});
