// Lookups of one event-loop turn answered by one load.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { batchByTurn } from '../../src/lib/batch-by-turn.js';

describe('batchByTurn', () => {
  it('loads the keys asked in one turn together, each once, and answers each caller its own value', async () => {
    const loads: number[][] = [];
    const lookup = batchByTurn(async (keys: number[]) => {
      loads.push(keys);
      return new Map(keys.filter((k) => k !== 3).map((k) => [k, `v${k}`]));
    });
    assert.deepEqual(await Promise.all([lookup(1), lookup(2), lookup(1), lookup(3)]), ['v1', 'v2', 'v1', undefined]);
    assert.deepEqual(loads, [[1, 2, 3]]);
    assert.equal(await lookup(4), 'v4', 'a later turn is a new load');
    assert.deepEqual(loads, [[1, 2, 3], [4]]);
  });

  it('splits a large turn into loads of at most maxBatch keys', async () => {
    const loads: number[][] = [];
    const lookup = batchByTurn(async (keys: number[]) => (loads.push(keys), new Map(keys.map((k) => [k, k * 2]))), 2);
    assert.deepEqual(await Promise.all([1, 2, 3, 4, 5].map(lookup)), [2, 4, 6, 8, 10]);
    assert.deepEqual(loads, [[1, 2], [3, 4], [5]]);
  });

  it('fails every caller of a failed load, and only those', async () => {
    let calls = 0;
    const lookup = batchByTurn(async (keys: number[]) => {
      if (calls++ === 0) throw new Error('database gone');
      return new Map(keys.map((k) => [k, k]));
    }, 2);
    const results = await Promise.allSettled([lookup(1), lookup(2), lookup(3)]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected', 'fulfilled']);
    assert.equal((results[0] as PromiseRejectedResult).reason.message, 'database gone');
  });
});
