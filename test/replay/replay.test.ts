import path from 'node:path';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { replayHistories, type ReplayOutcome } from '../../src/ops/replay';
import * as workflows from '../../src/flows/bundle';
import { REPLAY_NAME } from '../../src/contracts/task-queues';
import { scenariosOf } from '../flows/recording';
import { testDataConverter } from '../helpers/stack';
import { loadRecordedHistories } from './histories';

// The deploy guard: every recorded history must replay against the workflow code as it is now. A failure here
// means in-flight executions would break on deploy; version the change with patched() (docs/development.md, "Changing a
// workflow safely") instead of editing the recorded history.

const recorded = loadRecordedHistories();
// Through the service's own converter: the recorded histories predate encryption and replay through its pass-through.
const bundle = () => ({
  workflowBundle: { codePath: process.env.SWITCHYARD_TEST_WORKFLOW_BUNDLE! },
  dataConverter: testDataConverter(),
});

describe('recorded histories replay against the current workflow code', () => {
  let outcomes: Map<string, ReplayOutcome>;
  beforeAll(async () => {
    const results = await replayHistories(
      recorded.map((r) => ({ workflowId: r.file, history: r.history })),
      bundle(),
    );
    outcomes = new Map(results.map((o) => [o.workflowId, o]));
  });

  test('there are recorded histories to replay', () => {
    expect(recorded.length).toBeGreaterThanOrEqual(3);
  });

  test.each(recorded.map((r) => [r.file]))('%s replays deterministically', (file) => {
    const outcome = outcomes.get(file);
    expect(outcome).toBeDefined();
    expect({ file, error: outcome?.error }).toEqual({ file, error: undefined });
    expect(outcome?.deterministic).toBe(true);
  });

  // success, retry and failure, unless the type cannot fail for good (SCENARIOS_BY_TYPE says what it records instead).
  test.each(
    Object.keys(workflows)
      .sort()
      .map((t) => [t, scenariosOf(t).join(', ')]),
  )('workflow type %s has a recorded %s (npm run record-histories)', (type) => {
    const files = recorded.filter((r) => r.workflowType === type).map((r) => path.basename(r.file, '.json'));
    expect(files).toEqual(expect.arrayContaining([...scenariosOf(type)]));
  });
});

describe('the replay guard has teeth', () => {
  test('when orderPaid is edited to email before it invoices, replaying its recorded history fails with DeterminismViolationError naming the diverging command', async () => {
    const success = recorded.find((r) => r.file === 'orderPaid/success.json');
    expect(success).toBeDefined();
    const reordered = await bundleWorkflowCode({
      workflowsPath: require.resolve('./fixtures/order-paid-reordered'),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    });

    await expect(
      Worker.runReplayHistory({ workflowBundle: reordered, replayName: REPLAY_NAME }, success!.history),
    ).rejects.toBeInstanceOf(DeterminismViolationError);

    const [outcome] = await replayHistories([{ workflowId: 'tampered', history: success!.history }], {
      workflowBundle: reordered,
    });
    expect(outcome).toMatchObject({ deterministic: false, errorName: 'DeterminismViolationError' });
    // The history scheduled createInvoice where the edited code now schedules sendInvoiceEmail.
    expect(outcome?.divergence).toMatch(/scheduled event 'createInvoice' does not match .* command 'sendInvoiceEmail'/);
  }, 120_000);
});
