import { mapConcurrent } from '../../src/ops/concurrency';

describe('mapConcurrent', () => {
  // Each call waits until the test releases it, so the number in flight is observed, not timed.
  function gated() {
    let inFlight = 0;
    let maxInFlight = 0;
    const waiting: Array<() => void> = [];
    const fn = async (n: number) => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise<void>((resolve) => waiting.push(resolve));
      inFlight -= 1;
      return n * 10;
    };
    const releaseAll = async (until: () => boolean) => {
      while (!until()) {
        waiting.splice(0).forEach((r) => r());
        await new Promise((r) => setImmediate(r));
      }
    };
    return { fn, releaseAll, stats: () => ({ inFlight, maxInFlight, waiting: waiting.length }) };
  }

  test('with 50 items and a limit of 8, never more than 8 calls are in flight, and results keep the input order', async () => {
    const g = gated();
    const items = Array.from({ length: 50 }, (_, i) => i);
    let done = false;
    const result = mapConcurrent(items, 8, g.fn).finally(() => {
      done = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(g.stats()).toMatchObject({ inFlight: 8, waiting: 8 });
    await g.releaseAll(() => done);
    expect(await result).toEqual(items.map((i) => i * 10));
    expect(g.stats().maxInFlight).toBe(8);
  });

  test('after a call fails, no further item is started and the error is the one thrown', async () => {
    const started: number[] = [];
    const err = new Error('describe failed for item 2');
    await expect(
      mapConcurrent([0, 1, 2, 3, 4, 5, 6], 2, async (n) => {
        started.push(n);
        await new Promise((r) => setImmediate(r));
        if (n === 2) throw err;
        return n;
      }),
    ).rejects.toBe(err);
    expect(started).not.toContain(5);
    expect(started).not.toContain(6);
  });

  test('an empty list resolves to an empty list; a limit below 1 is a programming error', async () => {
    expect(await mapConcurrent([], 8, async () => 1)).toEqual([]);
    await expect(mapConcurrent([1], 0, async () => 1)).rejects.toThrow(/limit/);
  });
});
