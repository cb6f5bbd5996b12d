import { openApiDocument, responsesOf, ROUTES } from '../../../src/api/v1/openapi';
import { type Stack, startStack } from '../../helpers/stack';
import { checkDocumented } from './helpers';

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
