import { defineFlow } from '../../kit/declare';
import { credentialCheck } from './workflow';

export const credentialCheckFlow = defineFlow({
  workflow: credentialCheck,
  description:
    'daily: one alert per credential that became expiring, expired or broken, with its owner and runbook (docs/credentials/)',
  trigger: { schedule: 'credential-check' },
  versioning: 'PINNED',
  activities: ['checkCredentials', 'sendCredentialAlert'],
});
