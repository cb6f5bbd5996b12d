import { Worker as Thread } from 'node:worker_threads';
import { limitWorkflowThreadHeap } from '../../src/worker/workers';

// What the workflow thread is given, read from a thread created afterwards as the SDK creates it (no resource limits).
function heapOfNewThread(): Promise<{ limitMb: number; newSpaceMb: number }> {
  const code = `
    const v8 = require('node:v8');
    const { parentPort } = require('node:worker_threads');
    const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    parentPort.postMessage({ limitMb: v8.getHeapStatistics().heap_size_limit / 1048576, newSpaceMb: young.space_size / 1048576 });
  `;
  return new Promise((resolve, reject) => {
    const thread = new Thread(code, { eval: true });
    thread.once('message', (m: { limitMb: number; newSpaceMb: number }) => {
      resolve(m);
      void thread.terminate();
    });
    thread.once('error', reject);
  });
}

describe('the workflow thread heap', () => {
  it('when the cache holds 100 workflows, a thread created afterwards gets a heap of the SDK budget, not the machine', async () => {
    limitWorkflowThreadHeap(100);
    const heap = await heapOfNewThread();
    // 200 MB + 100 × 1024 / 600 MB of old generation, plus V8's young generation of 2 MB semi-spaces.
    expect(heap.limitMb).toBeGreaterThanOrEqual(371);
    expect(heap.limitMb).toBeLessThan(400);
    expect(heap.newSpaceMb).toBeLessThanOrEqual(4);
  });
});
