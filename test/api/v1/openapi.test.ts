import { openApiDocument, responsesOf, ROUTES } from '../../../src/api/v1/openapi';
import { type Stack, startStack, uniqueId } from '../../helpers/stack';
import { apiClients, call, checkDocumented } from './helpers';

// The document is served without a key, generated from the zod schemas the handlers use; the API tests check every
// answer they receive against it (helpers.call → checkDocumented).
describe('GET /api/v1/openapi.json', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ workers: false });
  });
  afterAll(() => stack.stop());

  test('is an OpenAPI 3.1 document of every route and answer, with JSON Schema 2020-12 components', async () => {
    const res = await fetch(`${stack.apiUrl}/api/v1/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as ReturnType<typeof openApiDocument>;
    expect(doc).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
    expect(doc.openapi).toBe('3.1.0');
    for (const route of ROUTES) {
      const operation = doc.paths[route.path]?.[route.method] as { responses: Record<string, unknown> };
      expect(Object.keys(operation.responses).sort()).toEqual(Object.keys(responsesOf(route)).sort());
    }
    const refs = JSON.stringify(doc.paths).match(/#\/components\/schemas\/\w+/g) ?? [];
    for (const ref of refs) expect(doc.components.schemas).toHaveProperty(ref.split('/').pop()!);
    // One branch per size of minor unit: each states the smallest total its currencies allow.
    const branches = (doc.components.schemas.InvoiceRequest as { oneOf: Array<Record<string, any>> }).oneOf;
    for (const branch of branches) {
      expect(branch).toMatchObject({ type: 'object', required: ['total', 'currency', 'customerEmail'] });
      expect(branch.additionalProperties).toBe(false);
    }
    expect(branches.map((b) => b.properties.total.minimum)).toEqual([1, 0.01, 0.001, 0.0001]);
  });

  test('an answer the document does not declare, or one whose body differs from its schema, is caught', () => {
    const headers = new Headers();
    expect(() => checkDocumented('GET', '/api/v1/contacts/a@b.co', { status: 418, headers, body: {} })).toThrow(
      /lacks/,
    );
    expect(() =>
      checkDocumented('POST', '/api/v1/contacts', { status: 201, headers, body: { status: 'done' } }),
    ).toThrow(/differs from its OpenAPI schema/);
    expect(() =>
      checkDocumented('POST', '/api/v1/contacts', { status: 422, headers, body: { error: 'x', message: 'y' } }),
    ).not.toThrow();
  });
});

// What a schema-driven fuzzer found where the document and the server disagreed, each pinned on its own.
describe('the server answers as the document says', () => {
  let stack: Stack;
  const clients = apiClients([
    {
      name: 'contract',
      scopes: ['orders:write', 'contacts:write', 'contacts:read'],
      system: 'crm',
      ratePerSecond: 1000,
    },
  ]);
  const key = clients.keys.contract!;
  const invoice = (body: unknown) =>
    call(stack.apiUrl, `/api/v1/orders/${uniqueId('ORD-')}/invoice`, { key, idempotencyKey: uniqueId('k-'), body });
  beforeAll(async () => {
    stack = await startStack({ workers: false, env: { API_CLIENTS: clients.env } });
  });
  afterAll(() => stack.stop());

  test('a currency outside the ISO 4217 table is 400 naming currency', async () => {
    const answer = await invoice({ total: 10, currency: 'AAA', customerEmail: 'ada@example.com' });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'invalid_request', field: 'currency' });
  });

  test.each([0, -5, 0.001])('an invoice of %p PLN (less than one minor unit) is 400 naming total', async (total) => {
    const answer = await invoice({ total, currency: 'PLN', customerEmail: 'ada@example.com' });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ field: 'total' });
  });

  test('an address the document’s pattern refuses is refused in a body and in the path; one it allows is read', async () => {
    // A domain label ends in a letter or digit and holds at most 63 characters.
    for (const email of ['ada@example-.com', `ada@${'a'.repeat(64)}.com`, 'ada..b@example.com', 'ada@example']) {
      const body = await invoice({ total: 10, currency: 'PLN', customerEmail: email });
      expect([email, body.status, body.body.field]).toEqual([email, 400, 'customerEmail']);
      const read = await call(stack.apiUrl, `/api/v1/contacts/${encodeURIComponent(email)}`, { key });
      expect([email, read.status, read.body.field]).toEqual([email, 400, 'email']);
    }
    const allowed = await call(stack.apiUrl, `/api/v1/contacts/${encodeURIComponent("o'brien+x@mail.example.co")}`, {
      key,
    });
    expect(allowed.status).toBe(404);
  });

  test('a contact write of the email alone is 400, as the document’s minProperties says', async () => {
    const doc = openApiDocument();
    expect(doc.components.schemas.ContactWrite).toMatchObject({ minProperties: 2 });
    const answer = await call(stack.apiUrl, '/api/v1/contacts', {
      key,
      idempotencyKey: uniqueId('k-'),
      body: { email: 'ada@example.com' },
    });
    expect(answer.status).toBe(400);
  });

  test('a method a path does not declare is 405 with Allow; OPTIONS is 204 with Allow', async () => {
    const del = await call(stack.apiUrl, '/api/v1/contacts', { key, method: 'DELETE' });
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('POST');
    const put = await call(stack.apiUrl, '/api/v1/contacts/ada%40example.com', { key, method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD');
    const options = await fetch(`${stack.apiUrl}/api/v1/operations/abc`, { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
  });
});
