import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupAdd, groupDelete, groupIds, type IdGroups } from '../../src/proto/id-groups.js';

test('a group holds its ids through adds and deletes, one id or many', () => {
  const g: IdGroups = new Map();
  assert.equal(groupIds(g, 7), undefined);
  groupAdd(g, 7, 3);
  assert.deepEqual(groupIds(g, 7), [3]);
  groupAdd(g, 7, 3); // the same id again: still one
  assert.deepEqual(groupIds(g, 7), [3]);
  groupAdd(g, 7, 9);
  groupAdd(g, 7, 4);
  assert.deepEqual(groupIds(g, 7)!.sort((a, b) => a - b), [3, 4, 9]);
  groupAdd(g, 8, 0); // id 0 is an id like any other
  assert.deepEqual(groupIds(g, 8), [0]);
  groupDelete(g, 7, 9);
  groupDelete(g, 7, 5); // not in the group: nothing
  assert.deepEqual(groupIds(g, 7)!.sort((a, b) => a - b), [3, 4]);
  groupDelete(g, 7, 3);
  groupDelete(g, 7, 4);
  assert.equal(groupIds(g, 7), undefined);
  assert.equal(g.has(7), false, 'an emptied group leaves the map');
  groupDelete(g, 8, 1); // another id: the group of one stays
  assert.deepEqual(groupIds(g, 8), [0]);
  groupDelete(g, 8, 0);
  assert.equal(g.size, 0);
});

test('the ids handed out are a copy: changing the group while walking them is safe', () => {
  const g: IdGroups = new Map();
  for (const id of [1, 2, 3]) groupAdd(g, 0, id);
  const ids = groupIds(g, 0)!;
  for (const id of ids) groupDelete(g, 0, id);
  assert.equal(ids.length, 3);
  assert.equal(g.size, 0);
});

test('groups of two keep both ids, including 0 and large ids, through every order of deletes', () => {
  for (const [a, b] of [[0, 1], [1, 0], [5, 2 ** 26 - 1], [2 ** 26 - 1, 0], [2 ** 26, 3], [7, 2 ** 30]] as const) {
    const g: IdGroups = new Map();
    groupAdd(g, 1, a);
    groupAdd(g, 1, b);
    groupAdd(g, 1, a); // again: no change
    assert.deepEqual(groupIds(g, 1)!.sort((x, y) => x - y), [a, b].sort((x, y) => x - y), `${a},${b}`);
    groupDelete(g, 1, 999); // not in it
    assert.deepEqual(groupIds(g, 1)!.sort((x, y) => x - y), [a, b].sort((x, y) => x - y));
    groupDelete(g, 1, a);
    assert.deepEqual(groupIds(g, 1), [b]);
    groupAdd(g, 1, a);
    groupDelete(g, 1, b);
    assert.deepEqual(groupIds(g, 1), [a]);
    groupAdd(g, 1, b);
    groupAdd(g, 1, 12345); // a third
    assert.deepEqual(groupIds(g, 1)!.sort((x, y) => x - y), [a, b, 12345].sort((x, y) => x - y));
    for (const id of [a, b, 12345]) groupDelete(g, 1, id);
    assert.equal(g.has(1), false);
  }
});
