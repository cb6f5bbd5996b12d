import { queueFor } from '../../../src/contracts/task-queues';
import type { CredentialCheckResult } from '../../../src/flows/credential-check/workflow';
import { strongToken } from '../../config/fixtures';
import { type Stack, startStack, uniqueId } from '../../helpers/stack';

// The daily credential check on the dev server (schedules need it; the time-skipping server has none): one alert per
// credential that is expiring, expired or broken, naming its variable, owner and runbook and never its value, and no
// second alert while the state lasts.

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const ADMIN_TOKEN = strongToken('admin-token');
const CODEC_TOKEN = strongToken('codec-token');

describe('credentialCheck', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      env: {
        ADMIN_TOKEN,
        CODEC_TOKEN,
        CREDENTIAL_DATES: JSON.stringify({
          ADMIN_TOKEN: { issued: day(-360), expires: day(5) },
          CODEC_TOKEN: { expires: day(-1) },
          // Outside the 14-day window: no alert.
          TEMPORAL_API_KEY: { expires: day(30) },
        }),
      },
    });
  });
  afterAll(() => stack?.stop());

  const credentialAlerts = (run: string) =>
    stack.sandbox.data.alerts.received.filter(
      (a) => a.payload.kind === 'credential' && a.idempotency_key?.includes(run),
    );

  test('one alert per expiring or expired credential, with its variable, owner and runbook, never its value', async () => {
    const workflowId = uniqueId('credential-check-');
    const result: CredentialCheckResult = await stack.client.workflow.execute('credentialCheck', {
      workflowId,
      taskQueue: queueFor(stack.config.temporal.taskQueuePrefix, 'orchestration'),
      args: [{}],
    });
    expect(result.alerted.sort()).toEqual([`ADMIN_TOKEN:expiring:${day(5)}`, `CODEC_TOKEN:expired:${day(-1)}`]);
    const alerts = credentialAlerts(workflowId).map((a) => a.payload);
    expect(alerts).toHaveLength(2);
    expect(alerts.find((a) => a.credential === 'ADMIN_TOKEN')).toMatchObject({
      state: 'expiring',
      owner: 'operations team',
      runbook: 'docs/credentials/admin-and-codec-tokens.md',
      expires: day(5),
      text: expect.stringContaining('credential ADMIN_TOKEN is expiring'),
    });
    expect(alerts.find((a) => a.credential === 'CODEC_TOKEN')).toMatchObject({ state: 'expired' });
    const sent = JSON.stringify(alerts);
    for (const value of [ADMIN_TOKEN, CODEC_TOKEN]) {
      for (const part of [value, value.slice(0, 8), value.slice(-8)]) expect(sent).not.toContain(part);
    }
  }, 60_000);

  test('on its schedule, a credential alerts once per state, not once per run', async () => {
    const id = uniqueId(`${stack.config.temporal.taskQueuePrefix}credential-check-`);
    const schedule = await stack.client.schedule.create({
      scheduleId: id,
      spec: { intervals: [{ every: '2s' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'credentialCheck',
        args: [{}],
        taskQueue: queueFor(stack.config.temporal.taskQueuePrefix, 'orchestration'),
      },
    });
    try {
      const completed = async () => {
        let n = 0;
        for await (const wf of stack.client.workflow.list({ query: `TemporalScheduledById = "${id}"` })) {
          if (wf.status.name === 'COMPLETED') n += 1;
        }
        return n;
      };
      const deadline = Date.now() + 45_000;
      while ((await completed()) < 4) {
        if (Date.now() > deadline) throw new Error('the schedule did not complete 4 runs in time');
        await new Promise((r) => setTimeout(r, 500));
      }
      const alerts = credentialAlerts(id).map((a) => `${a.payload.credential}:${a.payload.state}`);
      expect(alerts.sort()).toEqual(['ADMIN_TOKEN:expiring', 'CODEC_TOKEN:expired']);
    } finally {
      await schedule.delete();
    }
  }, 90_000);
});
