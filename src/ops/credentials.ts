import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import { checkCredentials, type CredentialStatus } from '../kit/credentials';
import { credentialStateSources } from '../registry';
import { table } from './format';

// `npm run ops -- credentials`: the credential registry with each one's state, for the person who inherits the
// integration. Names, owners, kinds, dates and runbooks only: no value, nor any part or length of one.

/**
 * The states of every credential this configuration declares, asking the state sources: the selected OAuth
 * connections' workflows, through `temporal` (a client, or a function that makes one only if a connection is selected).
 */
export function credentialReport(
  config: Pick<Config, 'credentials' | 'systems' | 'temporal'>,
  temporal: Client | (() => Promise<Client>),
  now = new Date(),
): Promise<CredentialStatus[]> {
  return checkCredentials(config.credentials, credentialStateSources(config, temporal), now);
}

const LOUD = new Set(['development', 'expired', 'broken']);

/** The table the CLI prints; the states that need a person are in capitals, and counted below it. */
export function credentialsText(states: readonly CredentialStatus[]): string {
  const rows = states.map((s) => [
    s.name,
    LOUD.has(s.state) ? s.state.toUpperCase() : s.state,
    s.kind,
    s.of ?? s.scope,
    s.owner,
    s.expires ?? '',
    s.runbook,
    s.detail,
  ]);
  const text = table(
    [
      { title: 'CREDENTIAL' },
      { title: 'STATE' },
      { title: 'KIND' },
      { title: 'OF' },
      { title: 'OWNER' },
      { title: 'EXPIRES' },
      { title: 'RUNBOOK' },
      { title: 'WHY', max: 120 },
    ],
    rows,
  );
  const count = (state: string) => states.filter((s) => s.state === state).length;
  const lines = [
    `${states.length} credential(s): ${['valid', 'expiring', 'expired', 'broken', 'unused', 'development'].map((s) => `${count(s)} ${s}`).join(', ')}`,
  ];
  if (count('development')) {
    lines.push(
      `WARNING: ${count('development')} credential(s) run on PUBLIC DEVELOPMENT VALUES that anyone with the source code ` +
        'knows: set real ones before this handles real data',
    );
  }
  const attention = states.filter((s) => s.state === 'expired' || s.state === 'broken' || s.state === 'expiring');
  for (const s of attention) lines.push(`${s.state.toUpperCase()}: ${s.name} (owner: ${s.owner}): see ${s.runbook}`);
  return `${text}${lines.join('\n')}\n`;
}
