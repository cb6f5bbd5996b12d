import { seedCrmContacts } from '../../../src/sandbox/seed';
import type { ContactSyncResult } from '../../../src/flows/contact-sync/workflow';
import { type Stack, startStack, uniqueId } from '../../helpers/stack';

// One run of 20,000 changed contacts on the real dev server and sandbox: bounded history, the report in the output.
describe('contactSync at scale', () => {
  let stack: Stack;
  beforeAll(async () => {
    // The email platform's limit is raised so the test is quick; pacing itself is what the queue's limit does.
    stack = await startStack({
      env: { EMAIL_PLATFORM_RATE_LIMIT_PER_SECOND: '200', CRM_RATE_LIMIT_PER_SECOND: '200' },
    });
  });
  afterAll(() => stack.stop());

  test('20,000 changed contacts reach the email platform in 200 batches, each run under 2,500 history events', async () => {
    seedCrmContacts(stack.sandbox.data.crm, 20_000, 'scale_');
    const workflowId = uniqueId('contact-sync-scale-');
    const started = Date.now();
    const result: ContactSyncResult = await stack.client.workflow.execute('contactSync', {
      workflowId,
      taskQueue: `${stack.config.temporal.taskQueuePrefix}switchyard`,
      args: [{}],
    });
    const seconds = (Date.now() - started) / 1000;

    const lengths: number[] = [];
    for await (const run of stack.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
      lengths.push(run.historyLength);
    }
    process.stdout.write(
      `contactSync 20,000 contacts: ${seconds.toFixed(1)} s, ${Math.round(20_000 / seconds)} records/s, ` +
        `${result.runs} runs (continueAsNew), history events per run: ${lengths.join(', ')}\n`,
    );

    expect(result).toMatchObject({ crmScanned: 20_000, sentToEmail: 20_000, upsertCalls: 200, conflicts: 0 });
    expect(stack.sandbox.data['email-platform'].contacts.contacts.size).toBe(20_000);
    expect(result.runs).toBeGreaterThan(1);
    expect(lengths).toHaveLength(result.runs);
    for (const n of lengths) expect(n).toBeLessThan(2_500);
    // No time is asserted: a benchmark is not a test (the pace against the allowed rate is `npm run bench -- p5`).
  }, 180_000);
});
