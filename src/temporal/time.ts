import type { Duration } from '@temporalio/common';
import type { google } from '@temporalio/proto';

// Conversions between our durations and Temporal's protobuf Duration/Timestamp, written here instead of importing the
// SDK's internal `lib/time` helpers, which are not part of its public API and may move in any release.

const UNIT_MS: Record<string, number> = {
  ms: 1,
  millisecond: 1,
  milliseconds: 1,
  s: 1000,
  sec: 1000,
  secs: 1000,
  second: 1000,
  seconds: 1000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000,
};

/** Milliseconds of a Temporal Duration: a number of ms, or a string such as "10m", "3 days" or "1.5h". */
export function durationMs(duration: Duration): number {
  if (typeof duration === 'number') return duration;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(duration);
  const unit = match ? UNIT_MS[(match[2] || 'ms').toLowerCase()] : undefined;
  if (!match || unit === undefined) throw new TypeError(`not a duration: "${duration}" (e.g. "30s", "10m", "3 days")`);
  return Math.round(Number(match[1]) * unit);
}

/** A protobuf Duration or Timestamp as it arrives from the SDK's gRPC layer. */
export interface ProtoTime {
  seconds?: number | string | { toNumber(): number } | null;
  nanos?: number | null;
}

/** Milliseconds of a protobuf Duration/Timestamp, or undefined when absent. */
export function protoMs(t: ProtoTime | null | undefined): number | undefined {
  if (!t) return undefined;
  const s = t.seconds;
  const seconds = s === null || s === undefined ? 0 : typeof s === 'object' ? s.toNumber() : Number(s);
  return seconds * 1000 + Math.round((t.nanos ?? 0) / 1e6);
}

/** A protobuf Timestamp as a Date, or undefined when absent. */
export function protoDate(t: ProtoTime | null | undefined): Date | undefined {
  const ms = protoMs(t);
  return ms === undefined ? undefined : new Date(ms);
}

/** A protobuf Duration of `duration` (protobufjs encodes a plain number as int64 seconds). */
export function toProtoDuration(duration: Duration): google.protobuf.IDuration {
  const ms = durationMs(duration);
  const seconds = Math.floor(ms / 1000) as unknown as google.protobuf.IDuration['seconds'];
  return { seconds, nanos: (ms % 1000) * 1e6 };
}
