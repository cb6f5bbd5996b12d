import { activityEnvironment } from '../../helpers/activity-environment';
import { createAlertActivities } from '../../../src/systems/alerts/activities';
import { createDownstreamClient } from '../../../src/kit/http/index';
import { emailHash, MAX_MESSAGE_LENGTH } from '../../../src/redaction';

// What reaches the alert inbox is read by people, kept by a third party, and forwarded: no customer's email, no
// downstream text without a bound, and nothing that acts on the reader's screen.
describe('alerts carry no email and no raw downstream text', () => {
  const EMAIL = 'K.Nowak+promo@Example.com';
  const HOSTILE = `no contact ${EMAIL} (${encodeURIComponent(EMAIL)})\u001b[2K\r\u202eTLUAF\u202c\nall good ${'x '.repeat(600)}`;
  const sent: Array<Record<string, unknown>> = [];
  const fetchStub = (async (_url: URL, init: RequestInit) => {
    sent.push(JSON.parse(String(init.body)) as Record<string, unknown>);
    return new Response('ok', { status: 200 });
  }) as unknown as typeof fetch;
  const activities = createAlertActivities({
    client: createDownstreamClient(
      { name: 'alerts', baseUrl: 'http://alerts.test/hooks/T0/B0/secret', secretUrl: true },
      { timeoutMs: 1000, fetch: fetchStub },
    ),
    temporalUiUrl: 'http://localhost:8233',
    namespace: 'default',
  });
  beforeEach(() => (sent.length = 0));

  function expectClean(body: Record<string, unknown>) {
    const text = JSON.stringify(body);
    expect(text).not.toMatch(/nowak/i);
    // JSON.stringify escapes C0 controls itself; these it would leave raw.
    expect(String(body.text)).not.toMatch(/[\p{Cc}\p{Cf}]/u);
  }

  test('a failed contact upsert names the contact by its hash, and quotes the error scrubbed, inert and bounded', async () => {
    await activityEnvironment().run(activities.sendAlert, {
      kind: 'failed' as const,
      workflowId: 'api:erp:k-1',
      runId: 'run-1',
      workflowType: 'upsertContact',
      source: 'api:erp',
      event: 'ContactUpsertRequested',
      businessKey: EMAIL.toLowerCase(),
      error: HOSTILE,
    });
    const [body] = sent;
    expectClean(body!);
    expect(body!.business_key).toBe(emailHash(EMAIL));
    expect(String(body!.text)).toContain(`upsertContact failed for ${emailHash(EMAIL)}`);
    expect(String(body!.error).length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
    expect(String(body!.error)).toContain('\\u001b[2K');
  });

  test('a dead-letter alert does not quote the platform’s message raw', async () => {
    await activityEnvironment().run(activities.sendDeadLetterAlert, {
      sync: 'contact',
      stateWorkflowId: 'contact-sync-state',
      workflowId: 'contact-sync:1',
      runId: 'run-1',
      system: 'email-platform',
      added: [{ id: 'crm_1', error: `invalid_resource: ${HOSTILE}`, firstSeen: '2024-11-12T09:41:07Z' }],
      notKept: [],
    });
    const [body] = sent;
    expectClean(body!);
    const [record] = body!.records as Array<{ error: string }>;
    expect(record!.error.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
    expect(String(body!.text).length).toBeLessThan(2 * MAX_MESSAGE_LENGTH);
  });

  test('a schedule alert shows its detail inert', async () => {
    await activityEnvironment().run(activities.sendScheduleAlert, {
      key: 'k',
      scheduleId: 'reconcile-orders',
      problem: 'failing',
      detail: `last run failed: ${HOSTILE}`,
    });
    expectClean(sent[0]!);
  });
});
