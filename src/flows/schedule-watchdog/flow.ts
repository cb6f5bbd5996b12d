import { defineFlow } from '../../kit/declare';
import { scheduleWatchdog } from './workflow';

export const scheduleWatchdogFlow = defineFlow({
  workflow: scheduleWatchdog,
  description: "dead-man's switch: one alert per new problem with any schedule",
  trigger: { schedule: 'schedule-watchdog' },
  versioning: 'PINNED',
  activities: ['inspectSchedules', 'sendScheduleAlert'],
});
