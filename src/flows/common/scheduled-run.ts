import { metricMeter, workflowInfo } from '@temporalio/workflow';

/**
 * Records, for a run that a schedule started, how late it started after its nominal time and when it started, as
 * gauges per workflow type on the worker's /metrics (`switchyard_schedule_lag_seconds`,
 * `switchyard_schedule_last_start_timestamp_seconds`): the dashboard's schedule lag and the "sync did not
 * run" alert. Runs started by hand, and the continued runs of a long one, record nothing. No command: histories do not
 * change.
 */
export function recordScheduledStart(): void {
  const info = workflowInfo();
  const scheduled = info.searchAttributes?.TemporalScheduledStartTime?.[0];
  if (scheduled === undefined || info.continuedFromExecutionRunId !== undefined) return;
  const nominal = new Date(scheduled as string | Date).getTime();
  if (Number.isNaN(nominal)) return;
  const started = info.runStartTime.getTime();
  metricMeter
    .createGauge('switchyard_schedule_lag_seconds', 'float', 's', 'How late the last scheduled run started')
    .set(Math.max(0, started - nominal) / 1000);
  metricMeter
    .createGauge(
      'switchyard_schedule_last_start_timestamp_seconds',
      'float',
      's',
      'When the last scheduled run started, in Unix seconds',
    )
    .set(started / 1000);
}
