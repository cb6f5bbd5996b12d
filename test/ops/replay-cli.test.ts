import { type Stack, startStack } from '../helpers/stack';
import { opsContext, postOrder, runCli } from './helpers';
import { find } from '../../src/ops/executions';

// Before a deploy: fetch live histories and replay them against the workflow code in the working tree.
describe('ops replay', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack.stop());

  test('replay <workflowId> fetches the history from the server and reports it deterministic against the current code', async () => {
    const order = await postOrder(stack);
    await stack.client.workflow.getHandle(order.workflowId).result();
    const [execution] = await find(opsContext(stack), order.workflowId);

    const cli = await runCli(['--json', 'replay', order.workflowId]);
    expect(cli.code).toBe(0);
    const outcomes = JSON.parse(cli.stdout) as Array<{
      workflowId: string;
      runId: string;
      deterministic: boolean;
      link: string;
    }>;
    expect(outcomes).toEqual([
      expect.objectContaining({ workflowId: order.workflowId, runId: execution!.runId, deterministic: true }),
    ]);
    expect(outcomes[0]!.link).toContain(execution!.runId);
  }, 120_000);
});
