import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { checkKeys } from '../../src/ops/keys';
import { decodePayloadsDeep, keyIdOf, MissingPayloadKeyError, PayloadCipher } from '../../src/temporal/codec';
import { type Stack, startStack, TEST_ADDRESS, uniqueId } from '../helpers/stack';
import { eventually, opsContext, postOrder, runCli } from '../ops/helpers';

// Two deployments of the same service (one task-queue prefix) one after the other, as a rolling deploy would be:
// the first accepts the webhook with its workers off, the second has other keys and runs the execution.

const key = () => randomBytes(32).toString('base64');

describe('key rotation and turning encryption on', () => {
  const stacks: Stack[] = [];
  afterAll(async () => {
    for (const s of stacks) await s.stop();
  });

  async function deploy(prefix: string, env: Record<string, string>, workers: boolean) {
    const stack = await startStack({ env: { TASK_QUEUE_PREFIX: prefix, ...env }, workers });
    stacks.push(stack);
    return stack;
  }

  async function inputKeyId(workflowId: string): Promise<string | undefined> {
    const connection = await Connection.connect({ address: TEST_ADDRESS() });
    try {
      const history = await new Client({ connection }).workflow.getHandle(workflowId).fetchHistory();
      const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
      return input ? keyIdOf(input) : undefined;
    } finally {
      await connection.close();
    }
  }

  test('an execution started under key A completes after key B becomes first; its history needs A to decode', async () => {
    const a = `a-${uniqueId()}:${key()}`;
    const b = `b-${uniqueId()}:${key()}`;
    const [aId, bId] = [a.split(':')[0]!, b.split(':')[0]!];
    const prefix = `${uniqueId()}-`;
    const before = await deploy(prefix, { PAYLOAD_KEYS: a }, false);
    const order = await postOrder(before);
    expect(await inputKeyId(order.workflowId)).toBe(aId);

    const after = await deploy(prefix, { PAYLOAD_KEYS: `${b},${a}` }, true);
    const result = await after.client.workflow.getHandle(order.workflowId).result();
    expect(result).toMatchObject({ orderId: order.orderId });

    const history = await after.client.workflow.getHandle(order.workflowId).fetchHistory();
    const both = new PayloadCipher(after.config.payloads.keys);
    await expect(decodePayloadsDeep(history, [both])).resolves.toBeDefined();
    const onlyB = new PayloadCipher(after.config.payloads.keys.filter((k) => k.id === bId));
    const failure = decodePayloadsDeep(history, [onlyB]);
    await expect(failure).rejects.toBeInstanceOf(MissingPayloadKeyError);
    await expect(failure).rejects.toThrow(new RegExp(`key id "${aId}"`));
  }, 60_000);

  test('keys check lists an open execution that still needs a key no longer configured, by its key id', async () => {
    const a = `a-${uniqueId()}:${key()}`;
    const b = `b-${uniqueId()}:${key()}`;
    const aId = a.split(':')[0]!;
    const prefix = `${uniqueId()}-`;
    const stack = await deploy(prefix, { PAYLOAD_KEYS: a }, false);
    const order = await postOrder(stack);
    const own = `TaskQueue = "${prefix}switchyard"`;

    // Visibility is eventually consistent: wait until the new execution is listed.
    const withoutA = await eventually(async () => {
      const r = await checkKeys(opsContext(stack), { configured: [b.split(':')[0]!], query: own });
      return r.missing.length ? r : undefined;
    });
    expect(withoutA.missing).toEqual([expect.objectContaining({ workflowId: order.workflowId, keyIds: [aId] })]);
    const withA = await checkKeys(opsContext(stack), { configured: [aId], query: own });
    expect(withA.missing).toEqual([]);
    expect(withA.checked).toBeGreaterThanOrEqual(1);

    const cli = await runCli(['keys', 'check', '--query', own], { PAYLOAD_KEYS: b });
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain(order.workflowId);
    expect(cli.stdout).toContain(aId);
    const ok = await runCli(['keys', 'check', '--query', own], { PAYLOAD_KEYS: `${b},${a}` });
    expect({ code: ok.code, stderr: ok.stderr }).toEqual({ code: 0, stderr: '' });
    expect(ok.stdout).toMatch(/no open execution needs a key that is not configured/);
  }, 90_000);

  test('an execution started before encryption was turned on completes after it', async () => {
    const prefix = `${uniqueId()}-`;
    const before = await deploy(prefix, { PAYLOAD_ENCRYPTION: 'off' }, false);
    const order = await postOrder(before);
    expect(await inputKeyId(order.workflowId)).toBeUndefined();

    const after = await deploy(prefix, { PAYLOAD_KEYS: `on-${uniqueId()}:${key()}` }, true);
    const result = await after.client.workflow.getHandle(order.workflowId).result();
    expect(result).toMatchObject({ orderId: order.orderId });
  }, 60_000);
});
