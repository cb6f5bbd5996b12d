import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { connectionQuery, connectionWorkflowId } from '../../contracts/connections';
import { CREDENTIAL_KINDS, type CredentialReport, type CredentialStateSource } from '../credentials';

// The OAuth connections in the credential registry: each selected OAuth connector's connection is one credential,
// `connection:<system>`, whose dates are its refresh token's (issued, and when it dies unused) and which is broken when
// its workflow says so, failed, or was never authorised. Read from the connection workflows: never a token.

export function connectionStateSource(deps: { temporal: Client; prefix: string; systems: readonly string[] }) {
  const name = (system: string) => `connection:${system}`;
  const source: CredentialStateSource = {
    name: 'connection workflows',
    declared: () =>
      deps.systems.map((system) => ({
        name: name(system),
        kind: 'oauth-connection' as const,
        scope: 'connection' as const,
        of: system,
        owner: 'integrations team',
        storage: { store: `the workflow ${connectionWorkflowId(deps.prefix, system)}, encrypted by the payload codec` },
        readBy: ['worker' as const],
        runbook: CREDENTIAL_KINDS['oauth-connection'],
        rotation: `re-authorise: GET /connections/${system}/authorize on the operator listener`,
      })),
    async report(): Promise<CredentialReport[]> {
      const out: CredentialReport[] = [];
      for (const system of deps.systems) {
        const handle = deps.temporal.workflow.getHandle(connectionWorkflowId(deps.prefix, system));
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
