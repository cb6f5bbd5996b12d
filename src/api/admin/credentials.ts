import type { Client } from '@temporalio/client';
import type { Router } from 'express';
import type { Config } from '../../config';
import { credentialReport } from '../../ops/credentials';
import { auditOf } from './audit';

/**
 * GET /credentials: every credential with its owner, kind, storage, dates, state and runbook, as this API process
 * sees them (what it does not read is judged by its dates alone, and says so). Never a value.
 */
export function credentialRoutes(
  router: Router,
  config: Pick<Config, 'credentials' | 'systems' | 'temporal'>,
  client: Client,
): void {
  router.get('/credentials', async (_req, res, next) => {
    try {
      const states = await credentialReport(config, client);
      const count = (state: string) => states.filter((s) => s.state === state).length;
      auditOf(res).result = {
        credentials: states.length,
        expiring: count('expiring'),
        expired: count('expired'),
        broken: count('broken'),
        development: count('development'),
      };
      res.json({ credentials: states });
    } catch (err) {
      next(err);
    }
  });
}
