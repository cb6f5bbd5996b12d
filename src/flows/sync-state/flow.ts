import { defineFlow } from '../../kit/declare';
import { syncState } from './workflow';

export const syncStateFlow = defineFlow({
  workflow: syncState,
  description: "holds a sync's watermark (read by query, advanced by update, never backwards) and its dead-letter list",
  trigger: { by: 'contactSync, on first use (USE_EXISTING)' },
  versioning: 'AUTO_UPGRADE',
  versioningNote: 'it lives forever',
  activities: [],
});
