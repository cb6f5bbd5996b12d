import { defineFlow } from '../../kit/declare';
import { throttleGate } from './workflow';

export const throttleGateFlow = defineFlow({
  workflow: throttleGate,
  description:
    'one per downstream system while it has asked us to wait (429, or 503 with Retry-After): keeps the window ' +
    'every worker replica reads before calling it, and completes when the window has passed',
  trigger: { by: 'the client layer, on a 429 (Update-With-Start, USE_EXISTING)' },
  versioning: 'AUTO_UPGRADE',
  versioningNote: 'a throttle gate must never wait on a drained version',
  activities: [],
});
