import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { type OpsContext, decoded } from './context';

export interface ShownEvent {
  eventId: string;
  eventType: string;
  time?: string;
  /** The event's attributes as protobuf JSON, every payload decrypted and shown as its value. */
  attributes: Record<string, unknown>;
}

const HistoryEvent = temporal.api.history.v1.HistoryEvent;

function isPayloadJson(v: Record<string, unknown>): boolean {
  const m = v.metadata;
  return typeof m === 'object' && m !== null && typeof (m as Record<string, unknown>).encoding === 'string';
}

function payloadFromJson(v: Record<string, unknown>): Payload {
  const metadata = Object.fromEntries(
    Object.entries(v.metadata as Record<string, string>).map(([k, b64]) => [k, Buffer.from(b64, 'base64')]),
  );
  return { metadata, data: typeof v.data === 'string' ? Buffer.from(v.data, 'base64') : undefined };
}

/**
 * The history of an execution (its latest run unless `runId`), decrypted with PAYLOAD_KEYS: one entry per event, every
 * payload shown as the value it holds and every failure with its message and stack trace. Fails naming the key id
 * when a payload needs a key that is not configured.
 */
export async function showHistory(ctx: OpsContext, workflowId: string, runId?: string): Promise<ShownEvent[]> {
  const history = await decoded(ctx, await ctx.client.workflow.getHandle(workflowId, runId).fetchHistory());
  const converter = ctx.client.options.loadedDataConverter.payloadConverter;
  const value = (p: Payload): unknown => {
    try {
      return converter.fromPayload(p);
    } catch {
      return `<${p.metadata?.encoding ? Buffer.from(p.metadata.encoding).toString() : 'unknown'} payload>`;
    }
  };
  const render = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(render);
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    if (isPayloadJson(o)) return value(payloadFromJson(o));
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === 'payloads' && Array.isArray(o.payloads)) return render(o.payloads);
    return Object.fromEntries(keys.map((k) => [k, render(o[k])]));
  };
  return (history.events ?? []).map((event) => {
    const json = HistoryEvent.fromObject(event).toJSON() as Record<string, unknown>;
    const key = Object.keys(json).find((k) => k.endsWith('EventAttributes'));
    const seconds = Number((json.eventTime as { seconds?: string } | undefined)?.seconds ?? NaN);
    return {
      eventId: String(json.eventId),
      eventType: String(json.eventType).replace(/^EVENT_TYPE_/, ''),
      time: Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString() : undefined,
      attributes: key ? (render(json[key]) as Record<string, unknown>) : {},
    };
  });
}
