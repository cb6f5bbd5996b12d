import { buildCatalog } from '../../src/catalog/catalog';
import { FLOWS } from '../../src/registry';

// The catalog lists the request/response API: each command with its scope and declared workflow, and the variables
// of its clients.
test('the catalog lists each /api/v1 endpoint, the workflow each command runs, and the API client variables', () => {
  const { api, variables } = buildCatalog();
  expect(api.endpoints).toEqual([
    expect.objectContaining({
      method: 'POST',
      path: '/api/v1/orders/{orderId}/invoice',
      scope: 'orders:write',
      workflow: 'invoiceOrder',
    }),
    expect.objectContaining({
      method: 'POST',
      path: '/api/v1/contacts',
      scope: 'contacts:write',
      workflow: 'upsertContact',
    }),
    expect.objectContaining({ method: 'GET', path: '/api/v1/operations/{id}' }),
    expect.objectContaining({ method: 'GET', path: '/api/v1/contacts/{email}', scope: 'contacts:read' }),
  ]);
  for (const e of api.endpoints) if (e.workflow) expect(Object.keys(FLOWS)).toContain(e.workflow);
  expect(api.variables).toEqual(expect.arrayContaining(['API_CLIENTS', 'API_ENABLED', 'API_SYNC_WAIT_MS']));
  expect(variables.find((v) => v.name === 'API_CLIENTS')).toMatchObject({ secret: true, requiredInProduction: true });
});
