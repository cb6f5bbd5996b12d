import { type Harness, defineRecording } from '../recording';

// How `npm run record-histories` drives credentialCheck (test/flows/recording.ts). The recorder's config has one
// credential expiring (test/replay/record-histories.ts), so each run alerts once. No `failure` scenario: the check
// reads only the worker's config, and the alert profile retries an alert inbox outage for an hour.

const runCredentialCheck = async (h: Harness, id: string) => {
  await h.run('credentialCheck', [{}], { workflowId: `credential-check-${id}` });
  return `credential-check-${id}`;
};

export const recording = defineRecording({
  scenarios: ['success', 'retry'],
  steps: {
    success: (h, id) => runCredentialCheck(h, id),
    // The alert webhook answers 500 once: the alert goes out on the second attempt.
    retry: (h, id) => (h.failAlerts(1), runCredentialCheck(h, id)),
  },
});
