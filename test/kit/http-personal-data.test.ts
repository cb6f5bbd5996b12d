import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ApplicationFailure } from '@temporalio/common';
import { activityEnvironment } from '../helpers/activity-environment';
import { createCrmActivities } from '../../src/systems/crm/activities';
import { createEmailPlatformActivities, type UpsertResult } from '../../src/systems/email-platform/activities';
import { createDownstreamClient, downstreamDetails } from '../../src/kit/http/index';
import { MAX_MESSAGE_LENGTH } from '../../src/redaction';
import { closeServer } from '../helpers/stack';

// A contact write names the contact by its email in the URL, and a downstream that rejects it quotes the address back,
// often with a page of text: none of that may reach a span, a failure message or its details.
describe('what a failed contact call leaves behind holds no email address', () => {
  const EMAIL = 'K.Nowak+promo@Example.com';
  let server: Server;
  let base: string;
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

  beforeAll(async () => {
    trace.setGlobalTracerProvider(provider);
    server = http.createServer((req, res) => {
      const url = decodeURIComponent(req.url ?? '');
      // As real APIs do: the rejection quotes the address it was given, raw and encoded, with a long explanation.
      const message = `no contact ${url.split('/').pop()} (${req.url}): ${'the address must be confirmed first. '.repeat(40)}`;
      res.writeHead(422, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'invalid', message }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await closeServer(server);
    await provider.shutdown();
    trace.disable();
  });
  beforeEach(() => exporter.reset());

  /** Every spelling of the address the redactor must have removed: raw, lowercase, percent-encoded once and twice. */
  function leaks(text: string): string[] {
    const spellings = [
      EMAIL,
      EMAIL.toLowerCase(),
      encodeURIComponent(EMAIL),
      encodeURIComponent(encodeURIComponent(EMAIL)),
    ];
    return [
      ...spellings.filter((s) => text.toLowerCase().includes(s.toLowerCase())),
      ...(/nowak/i.test(text) ? ['nowak'] : []),
    ];
  }

  const client = (name: string) =>
    createDownstreamClient({ name, baseUrl: base, apiKey: 'k_test_123456' }, { timeoutMs: 2000 });

  test.each([
    [
      'the CRM',
      () => createCrmActivities({ client: client('crm'), temporalUiUrl: '', namespace: 'default' }).upsertCrmContact,
    ],
    [
      'the email platform',
      () =>
        createEmailPlatformActivities({ client: client('email-platform'), temporalUiUrl: '', namespace: 'default' })
          .upsertEmailContactConsent,
    ],
  ])('a rejected contact write to %s', async (_system, activity) => {
    const upsert = activity() as (input: { email: string; values: object; key: string }) => Promise<unknown>;
    const err = await activityEnvironment()
      .run(() => upsert({ email: EMAIL, values: {}, key: 'api:erp:k-1' }))
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(ApplicationFailure);
    const f = err as ApplicationFailure;
    const details = downstreamDetails(f)!;
    expect(leaks(JSON.stringify({ message: f.message, details: f.details, stack: f.stack }))).toEqual([]);
    expect(details.path).toBe('/contacts/by-email/{email}');
    expect(f.message).toMatch(/ PUT \/contacts\/by-email\/\{email\} answered 422: no contact email:[0-9a-f]{12}/);
    expect(details.responseMessage!.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);

    const [span] = exporter.getFinishedSpans();
    expect(span).toBeDefined();
    expect(leaks(JSON.stringify({ name: span!.name, attributes: span!.attributes, status: span!.status }))).toEqual([]);
    expect(span!.attributes).toMatchObject({
      'url.path': '/contacts/by-email/{email}',
      'http.route': '/contacts/by-email/{email}',
      'url.full': `${base}/contacts/by-email/{email}`,
      'http.response.status_code': 422,
    });
    expect(span!.status.message!.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
  });

  test('an email in a query parameter is redacted in url.full and the failure', async () => {
    const err = await client('crm')
      .request('GET', '/contacts', { query: { email: EMAIL, limit: 1 } })
      .then(
        () => undefined,
        (e: unknown) => e as ApplicationFailure,
      );
    expect(leaks(JSON.stringify({ message: err?.message, details: err?.details }))).toEqual([]);
    const [span] = exporter.getFinishedSpans();
    expect(leaks(JSON.stringify(span!.attributes))).toEqual([]);
    expect(span!.attributes['url.full']).toMatch(
      /^http:\/\/127\.0\.0\.1:\d+\/contacts\?email=email%3A[0-9a-f]{12}&limit=1$/,
    );
  });

  test('a path built around the template still carries no address (the client redacts what it is given)', async () => {
    const err = await client('crm')
      .request('PUT', `/contacts/by-email/${encodeURIComponent(EMAIL)}`, { idempotencyKey: 'k-2' })
      .then(
        () => undefined,
        (e: unknown) => e as ApplicationFailure,
      );
    expect(leaks(JSON.stringify({ message: err?.message, details: err?.details }))).toEqual([]);
    expect(leaks(JSON.stringify(exporter.getFinishedSpans()[0]!.attributes))).toEqual([]);
  });

  test('a record the platform rejects in a batch is listed with its error scrubbed and bounded', async () => {
    const answer = {
      received: 1,
      created: 0,
      updated: 0,
      errors: [
        { external_id: 'crm_1', error_code: 'invalid_resource', message: `${EMAIL} bounced. ${'why '.repeat(300)}` },
      ],
    };
    const platform = createEmailPlatformActivities({
      client: createDownstreamClient(
        { name: 'email-platform', baseUrl: base, apiKey: 'k_test_123456' },
        {
          timeoutMs: 2000,
          fetch: (async () =>
            new Response(JSON.stringify(answer), { headers: { 'content-type': 'application/json' } })) as typeof fetch,
        },
      ),
      temporalUiUrl: '',
      namespace: 'default',
    });
    const contact = { externalId: 'crm_1', email: EMAIL, name: 'K', company: null, consent: null };
    const result = (await activityEnvironment().run(platform.upsertEmailContacts, {
      contacts: [contact],
    })) as UpsertResult;
    expect(leaks(JSON.stringify(result.rejected))).toEqual([]);
    expect(result.rejected[0]!.error).toMatch(/^invalid_resource: email:[0-9a-f]{12} bounced/);
    expect(result.rejected[0]!.error.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH);
  });
});
