import { log, workflowInfo } from '@temporalio/workflow';
import type { CredentialProblem } from '../../kit/credentials';
import { systemActivities, temporalActivities } from '../common/activities';
import { recordScheduledStart } from '../common/scheduled-run';
import type { Alerts } from '../../systems/alerts/system';

export type { CredentialProblem };

// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- a schedule passes an input; none is needed yet.
export interface CredentialCheckInput {}

export interface CredentialCheckResult {
  /** Problems found by this check; the next check alerts only on those not in this list. */
  open: Array<CredentialProblem & { key: string }>;
  alerted: string[];
}

/**
 * What makes a problem one alert rather than one a day: the credential, its state and its expiry date, so a credential
 * alerts once when it becomes expiring, once when it expires, and again only once a new date or state is set.
 */
export const problemKey = (p: CredentialProblem) => `${p.name}:${p.state}:${p.expires ?? ''}`;

/** The daily credential check: one alert per credential that became expiring, expired or broken. */
export async function credentialCheck(_input: CredentialCheckInput = {}): Promise<CredentialCheckResult> {
  recordScheduledStart();
  const temporal = temporalActivities();
  const alerts = systemActivities<Alerts>('alerts', 'alert');

  // A schedule hands each run the previous run's result: the problems already alerted on.
  const previous = (workflowInfo().lastResult as CredentialCheckResult | undefined)?.open ?? [];
  const known = new Set(previous.map((p) => p.key));
  const open = (await temporal.checkCredentials()).map((p) => ({ ...p, key: problemKey(p) }));
  const alerted: string[] = [];
  for (const problem of open) {
    if (known.has(problem.key)) continue;
    log.warn('credential problem', { credential: problem.name, state: problem.state, owner: problem.owner });
    await alerts.sendCredentialAlert({
      key: `${problem.key}:${workflowInfo().workflowId}`,
      credential: problem.name,
      state: problem.state,
      kind: problem.kind,
      owner: problem.owner,
      runbook: problem.runbook,
      ...(problem.expires ? { expires: problem.expires } : {}),
      detail: problem.detail,
    });
    alerted.push(problem.key);
  }
  return { open, alerted };
}
