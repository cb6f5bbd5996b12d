import { type Harness, defineRecording, runCommandAsApi } from '../recording';

// How `npm run record-histories` drives upsertContact through its scenarios (test/flows/recording.ts).

const contactCommand = (h: Harness, id: string) =>
  runCommandAsApi(h, 'upsertContact', {
    client: 'record',
    bodyHash: `h-${id}`,
    system: 'crm',
    email: `c-${id}@example.com`,
    values: { name: 'Krystyna Nowak', company: 'Acme' },
  });

export const recording = defineRecording({
  steps: {
    success: (h, id) => contactCommand(h, id),
    retry: (h, id) => (h.faults('crm', { failNext: 1 }), contactCommand(h, id)),
    failure: (h, id) => (h.faults('crm', { respondNext: { status: 400, count: 1 } }), contactCommand(h, id)),
  },
});
