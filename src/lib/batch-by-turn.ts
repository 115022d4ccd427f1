// Lookups made in the same turn of the event loop, answered by one query for all of them. The
// scheduler starts a claimed batch of runs in one go, and each run first reads its task: one
// statement for the batch instead of one per run (a round trip each on MySQL).

/**
 * `lookup(key)` resolves to `load`'s answer for that key (undefined when it has none). Keys asked in
 * one turn are loaded together, at most `maxBatch` per call of `load`; a failing load fails them all.
 */
export function batchByTurn<K, V>(load: (keys: K[]) => Promise<Map<K, V>>, maxBatch = 50): (key: K) => Promise<V | undefined> {
  let waiting: { key: K; resolve: (value: V | undefined) => void; reject: (err: unknown) => void }[] = [];

  async function flush() {
    const asked = waiting;
    waiting = [];
    for (let i = 0; i < asked.length; i += maxBatch) {
      const part = asked.slice(i, i + maxBatch);
      try {
        const found = await load([...new Set(part.map((a) => a.key))]);
        for (const a of part) a.resolve(found.get(a.key));
      } catch (err) {
        for (const a of part) a.reject(err);
      }
    }
  }

  return (key: K) =>
    new Promise((resolve, reject) => {
      waiting.push({ key, resolve, reject });
      if (waiting.length === 1) setImmediate(() => void flush());
    });
}
