import type { LogLevel } from '@temporalio/worker';

export type PinoLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

const LEVELS: Record<LogLevel, PinoLevel> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

// What the SDK says about every worker as it starts and stops, by design rather than by accident: one worker per task
// queue means the orchestration worker has no activities, each system's worker has no workflows, and none has Nexus
// services. At its own level it would be a warning per queue at every start; it is debug here, and still there with
// LOG_LEVEL=debug.
const ROUTINE = [
  /^No (workflows|activities) registered, not polling for (workflow|activity) tasks$/,
  /^No Nexus services registered, not polling for Nexus tasks$/,
  /^Worker state changed$/,
];

/** The level an SDK log line is logged at: its own, except routine start-up and shutdown chatter, which is debug. */
export function sdkLogLevel(level: LogLevel, message: string): PinoLevel {
  if (ROUTINE.some((r) => r.test(message))) return 'debug';
  return LEVELS[level];
}
