import { WithStartWorkflowOperation } from '@temporalio/client';
import { closeGateUpdate, throttleGateId } from '../../../src/contracts/throttle-gate';
import { queueFor } from '../../../src/contracts/task-queues';
import { faultsSchema } from '../../../src/kit/stand-in';
import { putEmailContact } from '../../../src/systems/email-platform/contacts-stand-in';
import { emailHash } from '../../../src/logger';
import { find } from '../../../src/ops/executions';
import { putCrmContact } from '../../../src/sandbox/seed';
import { type Stack, startStack, uniqueId } from '../../helpers/stack';
import { apiClients, call } from './helpers';

// Contacts through /api/v1: writes go to the owner of the fields (the caller's system), reads are composed from the
// owners of each field, in parallel, and stay useful when one owner is down or throttling.
describe('/api/v1/contacts', () => {
  let stack: Stack;
  const clients = apiClients([
    { name: 'back-office', scopes: ['contacts:write', 'contacts:read'], system: 'crm', ratePerSecond: 1000 },
    { name: 'preferences', scopes: ['contacts:write'], system: 'email-platform', ratePerSecond: 1000 },
  ]);
  const crmKey = clients.keys['back-office']!;
  const faults = (system: 'crm' | 'email-platform', f: object) =>
    stack.sandbox.systems[system].setFaults(faultsSchema.parse(f));
  const read = (email: string, headers: Record<string, string> = {}) =>
    call(stack.apiUrl, `/api/v1/contacts/${encodeURIComponent(email)}`, { key: crmKey, headers });

  function seed(): string {
    const email = `${uniqueId('c')}@example.com`;
    const id = uniqueId('crm_');
    putCrmContact(stack.sandbox.data.crm, { id, email, name: 'Ada Lovelace', company: 'Analytical' });
    putEmailContact(stack.sandbox.data['email-platform'].contacts, {
      email,
      external_id: id,
      consent: { status: 'subscribed', at: '2026-01-02T03:04:05.000Z' },
    });
    return email;
  }

  beforeAll(async () => {
    stack = await startStack({ env: { API_CLIENTS: clients.env, API_READ_TIMEOUT_MS: '1500' } });
  });
  afterAll(() => stack.stop());
  afterEach(() => {
    faults('crm', {});
    faults('email-platform', {});
  });

  test('a CRM-speaking client creates a contact in the CRM: 201, then 200 on replay; the CRM holds one contact', async () => {
    const email = `${uniqueId('new')}@example.com`;
    const idempotencyKey = uniqueId('k-');
    const body = { email, name: 'Grace Hopper', company: 'Navy' };
    const first = await call(stack.apiUrl, '/api/v1/contacts', { key: crmKey, idempotencyKey, body });
    expect(first.status).toBe(201);
    expect(first.body.result).toEqual({ system: 'crm', id: expect.any(String), email, created: true });
    const replay = await call(stack.apiUrl, '/api/v1/contacts', { key: crmKey, idempotencyKey, body });
    expect(replay).toMatchObject({ status: 200, body: first.body });
    const held = [...stack.sandbox.data.crm.contacts.values()].filter((c) => c.email === email);
    expect(held).toMatchObject([{ name: 'Grace Hopper', company: 'Navy' }]);
    // Search attributes are not encrypted: the execution carries the email's hash, and `ops find <email>` finds it.
    const { searchAttributes } = await stack.client.workflow.getHandle(first.body.workflowId as string).describe();
    expect(searchAttributes.BusinessKey).toEqual([emailHash(email)]);
    expect(JSON.stringify(searchAttributes)).not.toContain(email.split('@')[0]);
    const ctx = { client: stack.client, namespace: stack.config.temporal.namespace, uiUrl: 'http://ui' };
    for (let i = 0; (await find(ctx, email)).length === 0; i++) {
      if (i > 100) throw new Error('ops find by email found nothing');
      await new Promise((r) => setTimeout(r, 100));
    }
    expect((await find(ctx, email)).map((e) => e.workflowId)).toEqual([first.body.workflowId]);
  });

  test('a field the caller’s system does not own is 403 field_not_owned, and nothing starts', async () => {
    const idempotencyKey = uniqueId('k-');
    const body = { email: 'x@example.com', consent: { status: 'subscribed', at: '2026-01-01T00:00:00Z' } };
    const answer = await call(stack.apiUrl, '/api/v1/contacts', { key: crmKey, idempotencyKey, body });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ error: 'field_not_owned', fields: ['consent'] });
    let n = 0;
    for await (const _ of stack.client.workflow.list({
      query: `WorkflowId = "${stack.config.temporal.taskQueuePrefix}api:back-office:${idempotencyKey}"`,
    }))
      n++;
    expect(n).toBe(0);
  });

  test('an email-platform-speaking client sets consent in the email platform', async () => {
    const email = seed();
    const consent = { status: 'unsubscribed', at: '2026-03-01T00:00:00.000Z' };
    const answer = await call(stack.apiUrl, '/api/v1/contacts', {
      key: clients.keys.preferences,
      idempotencyKey: uniqueId('k-'),
      body: { email, consent },
    });
    expect(answer.status).toBe(201);
    expect(answer.body.result).toMatchObject({ system: 'email-platform', created: false });
    const held = [...stack.sandbox.data['email-platform'].contacts.contacts.values()].find((c) => c.email === email);
    expect(held?.consent).toEqual(consent);
  });

  test('a read composes each field from its owner, with provenance; a matching If-None-Match is 304', async () => {
    const email = seed();
    const answer = await read(email);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      email,
      partial: false,
      fields: {
        email: { value: email, owner: 'crm', updatedAt: expect.any(String) },
        name: { value: 'Ada Lovelace', owner: 'crm', updatedAt: expect.any(String) },
        company: { value: 'Analytical', owner: 'crm', updatedAt: expect.any(String) },
        consent: {
          value: { status: 'subscribed', at: '2026-01-02T03:04:05.000Z' },
          owner: 'email-platform',
          updatedAt: expect.any(String),
        },
      },
    });
    const etag = answer.headers.get('etag')!;
    expect(etag).toMatch(/^".+"$/);
    const again = await read(email, { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.body).toBeUndefined();
    stack.sandbox.data.crm.contacts.forEach((c) => {
      if (c.email === email) c.name = 'Ada King';
    });
    expect((await read(email, { 'if-none-match': etag })).status).toBe(200);
  });

  test('an address no owner knows is 404', async () => {
    expect((await read(`${uniqueId('nobody')}@example.com`)).status).toBe(404);
  });

  test('one owner down: 200 with partial: true and its fields unavailable with the reason; the others present', async () => {
    const email = seed();
    faults('email-platform', { down: true });
    const answer = await read(email);
    expect(answer.status).toBe(200);
    expect(answer.body.partial).toBe(true);
    expect(answer.body.fields.consent).toEqual({
      unavailable: true,
      owner: 'email-platform',
      reason: expect.stringMatching(/^down: .*503/),
    });
    expect(answer.body.fields.name).toMatchObject({ value: 'Ada Lovelace', owner: 'crm' });
  });

  test('an owner slower than API_READ_TIMEOUT_MS: its fields come back unavailable with reason timeout', async () => {
    const email = seed();
    faults('email-platform', { holdPaths: ['/'] });
    const answer = await read(email);
    expect(answer.body.partial).toBe(true);
    expect(answer.body.fields.consent).toMatchObject({
      unavailable: true,
      reason: expect.stringMatching(/^timeout: /),
    });
    expect(answer.body.fields.email).toMatchObject({ value: email, owner: 'crm' });
  });

  // Last: the throttle gate of this API process stays closed for the Retry-After.
  test('one owner answering 429: partial within the read timeout, and the gate holds later reads off that owner', async () => {
    const email = seed();
    faults('crm', { throttle: { retryAfterSeconds: 30 } });
    const answer = await read(email);
    expect(answer.status).toBe(200);
    expect(answer.body.partial).toBe(true);
    expect(answer.body.fields.name).toMatchObject({
      unavailable: true,
      owner: 'crm',
      reason: expect.stringMatching(/^throttled: retry after 30 s/),
    });
    expect(answer.body.fields.consent).toMatchObject({ owner: 'email-platform', value: { status: 'subscribed' } });
    const callsToCrm = stack.sandbox.systems.crm.log.length;
    const later = await read(email);
    expect(later.body.fields.name).toMatchObject({ unavailable: true, reason: expect.stringMatching(/^throttled/) });
    expect(stack.sandbox.systems.crm.log.length).toBe(callsToCrm);
  });

  test('a window a worker reported to the shared gate holds reads off that owner too: no call made', async () => {
    const email = seed();
    const prefix = stack.config.temporal.taskQueuePrefix;
    await stack.client.workflow.executeUpdateWithStart(closeGateUpdate, {
      args: [{ until: Date.now() + 30_000, reason: 'answered 429: wait 30000 ms', by: 'worker-a' }],
      startWorkflowOperation: new WithStartWorkflowOperation('throttleGate', {
        workflowId: throttleGateId(prefix, 'email-platform'),
        taskQueue: queueFor(prefix, 'orchestration'),
        args: ['email-platform'],
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    });
    const callsBefore = stack.sandbox.systems['email-platform'].log.length;
    const answer = await read(email);
    // The CRM is still held off by the window of the test before: with no owner readable, the read says when to
    // come back.
    expect(answer.status).toBe(503);
    expect(answer.body).toMatchObject({ error: 'owners_throttled' });
    expect(stack.sandbox.systems['email-platform'].log.length).toBe(callsBefore);
  });

  test('every owner held off by a window: 503 with Retry-After, and a client hammering reads sends nothing nor lengthens it', async () => {
    const email = seed();
    const prefix = stack.config.temporal.taskQueuePrefix;
    const until = Date.now() + 20_000;
    for (const system of ['crm', 'email-platform']) {
      await stack.client.workflow.executeUpdateWithStart(closeGateUpdate, {
        args: [{ until, reason: 'answered 429: wait 20000 ms', by: 'worker-a' }],
        startWorkflowOperation: new WithStartWorkflowOperation('throttleGate', {
          workflowId: throttleGateId(prefix, system),
          taskQueue: queueFor(prefix, 'orchestration'),
          args: [system],
          workflowIdConflictPolicy: 'USE_EXISTING',
        }),
      });
    }
    const calls = () => stack.sandbox.systems.crm.log.length + stack.sandbox.systems['email-platform'].log.length;
    const windows = () =>
      Promise.all(
        ['crm', 'email-platform'].map(
          async (s) => (await stack.client.workflow.getHandle(throttleGateId(prefix, s)).describe()).memo?.gate,
        ),
      );
    const callsBefore = calls();
    const windowsBefore = await windows();
    const answers = await Promise.all(Array.from({ length: 30 }, () => read(email)));
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 503));
    const retryAfter = Number(answers[0]!.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(30);
    expect(answers[0]!.body).toMatchObject({ error: 'owners_throttled' });
    expect(calls()).toBe(callsBefore);
    expect(await windows()).toEqual(windowsBefore);
  });
});
