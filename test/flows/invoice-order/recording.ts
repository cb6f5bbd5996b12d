import { type Harness, defineRecording, runCommandAsApi } from '../recording';

// How `npm run record-histories` drives invoiceOrder through its scenarios (test/flows/recording.ts).

const invoiceCommand = (h: Harness, id: string) =>
  runCommandAsApi(h, 'invoiceOrder', {
    client: 'record',
    bodyHash: `h-${id}`,
    order: { id: `ORD-${id}`, total: 1499, currency: 'PLN', customerEmail: 'k.nowak@example.com' },
  });

export const recording = defineRecording({
  steps: {
    success: (h, id) => invoiceCommand(h, id),
    // One 500 from accounting: the command profile's second attempt succeeds.
    retry: (h, id) => (h.faults('accounting', { failNext: 1 }), invoiceCommand(h, id)),
    // A 400 is final: the command alerts, answers its update with CommandFailed and fails.
    failure: (h, id) => (h.faults('accounting', { respondNext: { status: 400, count: 1 } }), invoiceCommand(h, id)),
  },
});
