import { WithStartWorkflowOperation } from '@temporalio/client';
import {
  beginAuthorizationUpdate,
  completeAuthorizationUpdate,
  connectionWorkflowId,
  tokenRejectedUpdate,
  tokenUpdate,
} from '../../../src/contracts/connections';
import { queueFor } from '../../../src/contracts/task-queues';
import { type Harness, defineRecording } from '../recording';

// How `npm run record-histories` drives the accounting connection (ACCOUNTING_CONNECTOR=xero, against the sandbox's
// Xero stand-in) through its scenarios (test/flows/recording.ts): authorised, a token handed out and refreshed once;
// the same with the tenant lookup failing once; and broken by a revoked consent.

const CALLBACK = 'http://127.0.0.1:3001/connections/accounting/callback';

/** A deployment with the xero connector, its connection authorised as the operator's browser would. */
async function authorised(h: Harness, options: { tenantLookupFails?: boolean } = {}) {
  const { config } = await h.deployment({ ACCOUNTING_CONNECTOR: 'xero', ACCOUNTING_XERO_REDIRECT_URL: CALLBACK });
  const prefix = config.temporal.taskQueuePrefix;
  const workflowId = connectionWorkflowId(prefix, 'accounting');
  const { authorizeUrl } = await h.client.workflow.executeUpdateWithStart(beginAuthorizationUpdate, {
    args: [],
    startWorkflowOperation: new WithStartWorkflowOperation('connection', {
      workflowId,
      taskQueue: queueFor(prefix, 'orchestration'),
      args: [{ system: 'accounting' }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    }),
  });
  const consent = await fetch(authorizeUrl, { redirect: 'manual' });
  const back = new URL(consent.headers.get('location')!);
  if (options.tenantLookupFails) h.faults('accounting-xero', { failNext: 1 });
  const handle = h.client.workflow.getHandle(workflowId);
  await handle.executeUpdate(completeAuthorizationUpdate, {
    args: [{ code: back.searchParams.get('code')!, state: back.searchParams.get('state')! }],
  });
  return handle;
}

export const recording = defineRecording({
  steps: {
    // Authorised; a token handed out; a 401 reported for it, so it is refreshed once.
    success: async (h) => {
      const handle = await authorised(h);
      const { accessToken } = await handle.executeUpdate(tokenUpdate, { args: [{}] });
      await handle.executeUpdate(tokenRejectedUpdate, { args: [{ accessToken }] });
      await handle.executeUpdate(tokenUpdate, { args: [{}] });
      return handle.workflowId;
    },
    // The tenant lookup after the code exchange answers 500 once: that activity alone is retried.
    retry: async (h) => {
      const handle = await authorised(h, { tenantLookupFails: true });
      await handle.executeUpdate(tokenUpdate, { args: [{}] });
      return handle.workflowId;
    },
    // The consent is revoked: the refresh answers invalid_grant, one alert goes out, and the run fails.
    failure: async (h) => {
      const handle = await authorised(h);
      const { accessToken } = await handle.executeUpdate(tokenUpdate, { args: [{}] });
      const xero = h.sandbox.data['accounting-xero'] as { identity: { grants: Array<{ revoked: boolean }> } };
      for (const grant of xero.identity.grants) grant.revoked = true;
      await handle.executeUpdate(tokenRejectedUpdate, { args: [{ accessToken }] }).catch(() => undefined);
      await handle.result().catch(() => undefined);
      return handle.workflowId;
    },
  },
});
