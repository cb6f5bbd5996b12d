import { defineSystem } from '../../kit/declare';
import { createAlertActivities } from './activities';

export const alerts = defineSystem({
  name: 'alerts',
  title: 'Alert inbox',
  owns: 'nothing: it receives one message per failure, retrying flow, schedule problem, dead-lettered record and credential problem',
  auth: 'secret-url',
  defaultRatePerSecond: 5,
  deprecatedVariables: { url: 'ALERT_WEBHOOK_URL' },
  activities: createAlertActivities,
  activityDocs: {
    sendAlert: {
      does: 'posts a failure or retrying alert',
      kind: 'write',
      profile: 'alert',
      idempotencyKey: 'alert-<kind>:<workflow id>:<run id>[:<activity id>]',
      perRun: true,
      note: 'keyed per run on purpose: a re-run that fails again alerts again',
    },
    sendDeadLetterAlert: {
      does: 'posts one alert per record new to a sync’s dead-letter list',
      kind: 'write',
      profile: 'alert',
      idempotencyKey: 'dead-letter-alert:<sync state id>:<hash of the records and when they were listed>',
      note: 'a re-run finds the records already listed and alerts nothing; the key covers a retried delivery',
    },
    sendScheduleAlert: {
      does: 'posts one alert per new schedule problem',
      kind: 'write',
      profile: 'alert',
      idempotencyKey: 'schedule-alert:<problem>:<watchdog run>',
      perRun: true,
      note: 'keyed per problem and run: a re-run alerts again on the problems it finds',
    },
    sendCredentialAlert: {
      does: 'posts one alert per credential that became expiring, expired or broken',
      kind: 'write',
      profile: 'alert',
      idempotencyKey: 'credential-alert:<variable>:<state>:<expiry date>:<check run>',
      perRun: true,
      note: 'the check alerts only on problems its previous run did not have: a re-run alerts again on what it finds',
    },
  },
});

/** The declaration's type, for workflows: `systemActivities<Alerts>('alerts', profile)`. */
export type Alerts = typeof alerts;
