import { defineFlow } from '../../kit/declare';
import { connection } from './workflow';

export const connectionFlow = defineFlow({
  workflow: connection,
  description:
    'one per OAuth connection (a system whose connector authorises with OAuth2): the only writer of its token set; ' +
    'hands out current access tokens, refreshes each refresh token once, and fails with an alert when the provider ' +
    'refuses it (re-authorise to start a new run)',
  trigger: { by: 'GET /connections/<system>/authorize on the operator listener (Update-With-Start, USE_EXISTING)' },
  versioning: 'AUTO_UPGRADE',
  versioningNote: 'a connection lives as long as its authorisation: it must never wait on a drained version',
  activities: [
    'beginConnectionAuthorization',
    'exchangeConnectionCode',
    'findConnectionTenant',
    'refreshConnectionToken',
    'sendAlert',
  ],
});
