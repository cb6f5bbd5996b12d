import { NON_RETRYABLE_TYPES } from './failures';

// Every activity runs under one of these profiles: its timeouts and retry policy. Workflows take them from here,
// the catalog documents them, and each activity's declaration names its profile. Pure data.

export interface ActivityProfile {
  /** One sentence for the catalog: what kind of call this is and why these numbers. */
  purpose: string;
  startToCloseTimeout: string;
  heartbeatTimeout?: string;
  scheduleToCloseTimeout: string;
  retry: {
    initialInterval: string;
    backoffCoefficient: number;
    maximumInterval: string;
    /** Attempts in all, for calls someone is waiting on; unset: until scheduleToCloseTimeout. */
    maximumAttempts?: number;
    nonRetryableErrorTypes: string[];
  };
}

const nonRetryableErrorTypes = [...NON_RETRYABLE_TYPES];

export const ACTIVITY_PROFILES = {
  call: {
    purpose:
      'one call to a third party on behalf of an event: retried with backoff for up to 3 days, so outages of hours ' +
      'heal by themselves; the client layer heartbeats, so a dead worker is noticed in seconds',
    startToCloseTimeout: '30s',
    heartbeatTimeout: '5s',
    scheduleToCloseTimeout: '3 days',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10m', nonRetryableErrorTypes },
  },
  command: {
    purpose:
      'one call on behalf of an /api/v1 command, whose caller is waiting: three attempts within seconds, then the ' +
      'command fails, alerts and answers 502 (a retry with the same key starts a new run; the writes are keyed)',
    startToCloseTimeout: '15s',
    heartbeatTimeout: '5s',
    scheduleToCloseTimeout: '1m',
    retry: {
      initialInterval: '300ms',
      backoffCoefficient: 2,
      maximumInterval: '2s',
      maximumAttempts: 3,
      nonRetryableErrorTypes,
    },
  },
  batch: {
    purpose:
      'a page read or a batch write of a scheduled sync: longer calls that heartbeat their progress, retried for up ' +
      'to 2 h (the next scheduled run starts from the watermark anyway)',
    startToCloseTimeout: '5m',
    heartbeatTimeout: '30s',
    scheduleToCloseTimeout: '2h',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes },
  },
  alert: {
    purpose: 'posting an alert to a person: short calls, retried for an hour so an alert outage does not lose one',
    startToCloseTimeout: '10s',
    scheduleToCloseTimeout: '1h',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', nonRetryableErrorTypes },
  },
  temporal: {
    purpose: 'a call to Temporal itself (sync state, schedule inspection) on the orchestration queue',
    startToCloseTimeout: '1m',
    scheduleToCloseTimeout: '10m',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s', nonRetryableErrorTypes },
  },
} as const satisfies Record<string, ActivityProfile>;

export type ProfileName = keyof typeof ACTIVITY_PROFILES;
