import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { connectionQuery, connectionWorkflowId } from '../../contracts/connections';
import {
  CREDENTIAL_KINDS,
  type CredentialReport,
  type CredentialStateSource,
  type DeclaredCredential,
} from '../credentials';

// The OAuth connections in the credential registry: each selected OAuth connector's connection is one credential,
// `connection:<system>`, whose dates are its refresh token's (issued, and when it dies unused) and which is broken when
// its workflow says so, failed, or was never authorised. Read from the connection workflows: never a token.

/** The OAuth connection of `system` as a credential: what the catalog and `ops credentials` show of it. */
export function connectionCredential(
  prefix: string,
  system: string,
  options: { selectedBy?: string; refreshTokenIdleDays?: number } = {},
): DeclaredCredential {
  const { selectedBy, refreshTokenIdleDays } = options;
  return {
    name: `connection:${system}`,
    kind: 'oauth-connection',
    scope: 'connection',
    of: system,
    owner: 'integrations team',
    storage: { store: `the workflow ${connectionWorkflowId(prefix, system)}, encrypted by the payload codec` },
    readBy: ['worker'],
    runbook: CREDENTIAL_KINDS['oauth-connection'],
    rotation:
      `re-authorise: GET /connections/${system}/authorize on the operator listener` +
      (selectedBy ? ` (with ${selectedBy})` : ''),
    expiry:
      (refreshTokenIdleDays ? `its refresh token dies ${refreshTokenIdleDays} days unused; ` : '') +
      'the connection refreshes it ahead and reports the date (ops credentials)',
  };
}

/**
 * The selected OAuth connections' states, from their workflows. `temporal` may be a function: a client is then made
 * only when the report is asked for, and a Temporal that cannot be reached makes each connection `broken` with the
 * reason (checkCredentials), never silently valid.
 */
export function connectionStateSource(deps: {
  temporal: Client | (() => Promise<Client>);
  prefix: string;
  systems: readonly string[];
}) {
  const name = (system: string) => `connection:${system}`;
  const source: CredentialStateSource = {
    name: 'connection workflows',
    declared: () => deps.systems.map((system) => connectionCredential(deps.prefix, system)),
    async report(): Promise<CredentialReport[]> {
      const temporal = typeof deps.temporal === 'function' ? await deps.temporal() : deps.temporal;
      const out: CredentialReport[] = [];
      for (const system of deps.systems) {
        const handle = temporal.workflow.getHandle(connectionWorkflowId(deps.prefix, system));
        try {
          const { status } = await handle.describe();
          if (status.name !== 'RUNNING') {
            out.push({ name: name(system), broken: `its workflow ${status.name.toLowerCase()}: re-authorise it` });
            continue;
          }
          const s = await handle.query(connectionQuery);
          if (s.status === 'connected') {
            out.push({
              name: name(system),
              issued: s.refreshTokenIssuedAt?.slice(0, 10),
              expires: s.refreshTokenExpiresAt?.slice(0, 10),
            });
          } else {
            out.push({ name: name(system), broken: s.brokenReason ?? 'not authorised yet' });
          }
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
          out.push({ name: name(system), broken: `never authorised: open /connections/${system}/authorize` });
        }
      }
      return out;
    },
  };
  return source;
}
