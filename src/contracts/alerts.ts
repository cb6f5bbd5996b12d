// The kinds of message the alert inbox receives. The activities send them, the worker counts them by kind, and the
// catalog documents them from here. Pure data.

export const ALERT_KINDS = {
  failed:
    'once per failed run (a non-retryable error, or retries exhausted): the workflow, source, event, business key, ' +
    "the downstream's own error message and a link to the execution",
  retrying:
    'once per activity whose attempt RETRYING_ALERT_AFTER_ATTEMPTS failed with another attempt to come, with its ' +
    'last error: an outage is noticed while the retries go on',
  'needs-review':
    'once when a flow finishes without acting because a person must decide (e.g. a payment that does not match its ' +
    'invoice), saying what is wrong; the execution ends IntegrationStatus = "needs-review"',
  'dead-letter':
    'once per record a sync could not deliver (a per-record rejection), when it joins the dead-letter list kept with ' +
    'the sync state: `npm run ops -- sync-dlq list|retry|drop`',
  schedule: 'once per new problem the schedule watchdog finds, with a link to the schedule',
  budget:
    "once per system, tenant and UTC day whose provider reports its daily call budget below a tenth (Xero's " +
    'X-DayLimit-Remaining): the calls left, before they run out and calls fail with 429',
  credential:
    'once per credential whose state becomes expiring, expired or broken (the daily credentialCheck), naming its ' +
    'variable, owner and rotation runbook, never its value; again only when its state or expiry date changes',
} as const;

export type AlertKind = keyof typeof ALERT_KINDS;
