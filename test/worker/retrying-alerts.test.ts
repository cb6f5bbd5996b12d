import type { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { ConnectionFailure, FailureType } from '../../src/contracts/failures';
import { createLogger } from '../../src/logger';
import type { AlertInput } from '../../src/systems/alerts/activities';
import { retryingAlertInterceptor } from '../../src/worker/retrying-alerts';

// The retrying alert at attempt N, on the interceptor alone: the activity context is the few fields it reads, and the
// workflow handle records the signals it would send.

function attemptOf(attempt: number, activityType = 'createInvoice') {
  const signals: string[] = [];
  const ctx = {
    info: {
      attempt,
      activityId: '1',
      activityType,
      workflowType: 'orderPaid',
      workflowExecution: { workflowId: 'shop:evt_1', runId: 'run-1' },
      retryPolicy: { maximumAttempts: 0, nonRetryableErrorTypes: [] },
    },
    client: {
      workflow: {
        getHandle: () => ({ signal: async (def: { name: string }) => void signals.push(def.name) }),
      },
    },
  } as unknown as Context;
  return { ctx, signals };
}

async function fail(err: Error, attempt = 5) {
  const alerts: AlertInput[] = [];
  const factory = retryingAlertInterceptor({
    afterAttempts: 5,
    sendAlert: async (a) => void alerts.push(a),
    logger: createLogger({ level: 'silent' }),
  });
  const { ctx, signals } = attemptOf(attempt);
  const inbound = factory(ctx).inbound!;
  await expect(inbound.execute!({ args: [], headers: {} }, () => Promise.reject(err))).rejects.toBe(err);
  return { alerts, signals };
}

describe('the retrying alert', () => {
  test('attempt 5 of a failing call alerts once and marks the run retrying; attempt 4 and 6 do neither', async () => {
    const err = ApplicationFailure.create({ message: 'accounting answered 503', type: FailureType.unavailable });
    const fifth = await fail(err);
    expect(fifth.alerts).toMatchObject([{ kind: 'retrying', activityType: 'createInvoice', attempt: 5 }]);
    expect(fifth.signals).toHaveLength(1);
    for (const attempt of [4, 6]) expect(await fail(err, attempt)).toEqual({ alerts: [], signals: [] });
  });

  test('a call held by a broken connection is marked retrying without an alert: the connection alerted once for all', async () => {
    const err = ApplicationFailure.create({
      message: 'the accounting connection is broken',
      type: ConnectionFailure.broken,
    });
    const held = await fail(err);
    expect(held.alerts).toEqual([]);
    expect(held.signals).toHaveLength(1);
  });

  test('a call waiting for a connection never authorised still alerts: no connection alert exists for it', async () => {
    const err = ApplicationFailure.create({ message: 'not authorised', type: ConnectionFailure.notAuthorized });
    expect((await fail(err)).alerts).toHaveLength(1);
  });
});
