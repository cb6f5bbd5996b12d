import { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;
const HistoryType = temporal.api.history.v1.History;

// The SDK's historyToJSON/historyFromJSON go through a second copy of protobufjs in this install and fail with
// "type must be a Type"; the generated message class's own JSON form round-trips without it.

/** A history as plain JSON (enum names, int64 as strings, bytes as base64), for files under test/replay/. */
export function historyToJson(history: History): unknown {
  return HistoryType.fromObject(history).toJSON();
}

/** A history back from {@link historyToJson}'s JSON. */
export function historyFromJson(json: unknown): temporal.api.history.v1.History {
  if (typeof json !== 'object' || json === null || !Array.isArray((json as { events?: unknown }).events)) {
    throw new TypeError('not a history: expected an object with an array of events');
  }
  return HistoryType.fromObject(json as Record<string, unknown>);
}
