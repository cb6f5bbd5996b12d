import type { Router } from 'express';
import catalog from '../catalog.json';
import { auditOf } from './audit';

/** GET /catalog: what the integration declares, as JSON. */
export function catalogRoutes(router: Router): void {
  // The same JSON as `npm run catalog -- --json`, generated from the declarations into catalog.json (the catalog test
  // fails when it is stale), so serving it needs neither the generator nor the CLI and API tables it reads.
  router.get('/catalog', (_req, res) => {
    auditOf(res).result = { systems: catalog.systems.length, sources: catalog.sources.length };
    res.json(catalog);
  });
}
