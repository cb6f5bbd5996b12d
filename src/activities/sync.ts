import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { CONTACT_FIELDS, type ContactSide, type ContactValues } from '../domain/ownership';
import {
  type AdvanceSync,
  advanceSyncUpdate,
  EMPTY_SYNC_STATE,
  type SyncStateSnapshot,
  syncStateQuery,
} from '../workflows/sync-state';
import type { ScheduleObservation, WatchedSchedule } from '../workflows/schedule-watchdog';
import type { DownstreamClient } from './http';

// Activities of the scheduled syncs: paging through the CRM, the email platform and the shop, batch writes, the
// watermark kept in a Temporal workflow, and the schedule inspection the watchdog judges.

export interface SyncActivityDeps {
  crm: DownstreamClient;
  email: DownstreamClient;
  shop: DownstreamClient;
  accounting: DownstreamClient;
  alerts?: DownstreamClient;
  /** A Temporal client on the worker's connection: for the sync-state workflow and the schedules. */
  temporal: Client;
  temporalUiUrl: string;
  namespace: string;
}

interface RawContact {
  id: string;
  external_id?: string | null;
  email: string;
  name: string | null;
  company: string | null;
  consent: { status: 'subscribed' | 'unsubscribed'; at: string } | null;
  updated_at: string;
  field_changes: Record<string, { at: string; by: string }>;
}

interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface ContactPage {
  /** Contacts with at least one field changed by a person since the watermark; the sync's own writes are not. */
  contacts: ContactSide[];
  scanned: number;
  /** Contacts on the email platform without a CRM id: nothing to match them to. */
  unlinked: number;
  maxUpdatedAt: string | null;
  next: string | null;
}

export interface PaidOrder {
  id: string;
  total: number;
  currency: string;
  customerEmail: string;
  paidAt: string | null;
}

function toSide(raw: RawContact, id: string, since: string | null): ContactSide | undefined {
  const changed: ContactSide['changed'] = {};
  for (const field of CONTACT_FIELDS) {
    const change = raw.field_changes[field];
    // Changes the integration made are echoes of an earlier sync, not news.
    if (change && change.by !== 'integration' && (since === null || change.at > since)) changed[field] = change.at;
  }
  if (Object.keys(changed).length === 0) return undefined;
  const values: ContactValues = { email: raw.email, consent: raw.consent };
  if (raw.name !== null) values.name = raw.name;
  values.company = raw.company;
  return { id, values, changed };
}

async function contactPage(
  client: DownstreamClient,
  path: string,
  since: string | null,
  cursor: string | null,
  idOf: (raw: RawContact) => string | null | undefined,
): Promise<ContactPage> {
  const res = await client.request<Page<RawContact>>('GET', path, {
    query: { updated_since: since ?? undefined, cursor: cursor ?? undefined, limit: 100 },
    signal: Context.current().cancellationSignal,
  });
  const contacts: ContactSide[] = [];
  let unlinked = 0;
  let maxUpdatedAt: string | null = null;
  for (const raw of res.body.data) {
    if (maxUpdatedAt === null || raw.updated_at > maxUpdatedAt) maxUpdatedAt = raw.updated_at;
    const id = idOf(raw);
    if (!id) {
      unlinked += 1;
      continue;
    }
    const side = toSide(raw, id, since);
    if (side) contacts.push(side);
  }
  return { contacts, scanned: res.body.data.length, unlinked, maxUpdatedAt, next: res.body.next_cursor };
}

/** Idempotency key from the content: a retried or re-run identical write replays instead of writing twice. */
function contentKey(step: string, body: unknown): string {
  return `${step}:${createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 32)}`;
}

const TERMINAL_FAILURES = new Set(['FAILED', 'TIMED_OUT', 'TERMINATED', 'CANCELLED']);

export function createSyncActivities(deps: SyncActivityDeps) {
  async function stateHandle(workflowId: string, taskQueue: string) {
    const handle = deps.temporal.workflow.getHandle(workflowId);
    let initial = EMPTY_SYNC_STATE;
    try {
      const { status } = await handle.describe();
      if (status.name === 'RUNNING') return handle;
      // The state workflow closed (an operator terminated it, it failed or timed out). Starting it empty would reset
      // the watermark to "never synced": everything would be sent again and old edits reported as conflicts. Its last
      // state is still queryable, so the new run carries it on.
      initial = await handle.query(syncStateQuery);
      Context.current().log.warn('sync state workflow was closed; its last watermark carries into a new run', {
        stateWorkflowId: workflowId,
        closedStatus: status.name,
        watermarks: initial.watermarks,
      });
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    // USE_EXISTING makes concurrent first runs share one.
    await deps.temporal.workflow.start('syncState', {
      workflowId,
      taskQueue,
      args: [initial],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    return handle;
  }

  return {
    async listCrmContactChanges(input: { since: string | null; cursor: string | null }): Promise<ContactPage> {
      return contactPage(deps.crm, '/contacts', input.since, input.cursor, (raw) => raw.id);
    },

    async listEmailContactChanges(input: { since: string | null; cursor: string | null }): Promise<ContactPage> {
      return contactPage(deps.email, '/contacts', input.since, input.cursor, (raw) => raw.external_id);
    },

    /** Upserts up to 100 contacts, keyed by the CRM id, in one call. */
    async upsertEmailContacts(input: {
      contacts: Array<ContactValues & { externalId: string }>;
    }): Promise<{ received: number; created: number; updated: number }> {
      const body = {
        contacts: input.contacts.map(({ externalId, ...values }) => ({ external_id: externalId, ...values })),
      };
      const res = await deps.email.request<{ received: number; created: number; updated: number }>(
        'POST',
        '/contacts/batch',
        { body, idempotencyKey: contentKey('contact-upsert', body), signal: Context.current().cancellationSignal },
      );
      return res.body;
    },

    /** PATCHes each contact in the CRM, heartbeating its position so a retry resumes after the last one done. */
    async patchCrmContacts(input: { patches: Array<{ id: string; values: ContactValues }> }): Promise<number> {
      const ctx = Context.current();
      const done = typeof ctx.info.heartbeatDetails === 'number' ? ctx.info.heartbeatDetails : 0;
      for (let i = done; i < input.patches.length; i += 1) {
        const patch = input.patches[i]!;
        await deps.crm.request('PATCH', `/contacts/${encodeURIComponent(patch.id)}`, {
          body: patch.values,
          idempotencyKey: contentKey(`contact-patch:${patch.id}`, patch.values),
          signal: ctx.cancellationSignal,
        });
        ctx.heartbeat(i + 1);
      }
      return input.patches.length;
    },

    async readSyncState(input: { workflowId: string; taskQueue: string }): Promise<SyncStateSnapshot> {
      const handle = await stateHandle(input.workflowId, input.taskQueue);
      return handle.query(syncStateQuery);
    },

    async advanceSyncState(input: {
      workflowId: string;
      taskQueue: string;
      advance: AdvanceSync;
    }): Promise<SyncStateSnapshot> {
      const handle = await stateHandle(input.workflowId, input.taskQueue);
      return handle.executeUpdate(advanceSyncUpdate, { args: [input.advance] });
    },

    async listPaidOrders(input: {
      since: string;
      until: string;
      cursor: string | null;
    }): Promise<{ orders: PaidOrder[]; next: string | null }> {
      const res = await deps.shop.request<
        Page<{ id: string; total: number; currency: string; customer_email: string; paid_at: string | null }>
      >('GET', '/orders', {
        query: {
          status: 'paid',
          updated_since: input.since,
          updated_until: input.until,
          cursor: input.cursor ?? undefined,
        },
        signal: Context.current().cancellationSignal,
      });
      return {
        orders: res.body.data.map((o) => ({
          id: o.id,
          total: o.total,
          currency: o.currency,
          customerEmail: o.customer_email,
          paidAt: o.paid_at,
        })),
        next: res.body.next_cursor,
      };
    },

    /** The ids among `orderIds` that accounting has no invoice for. */
    async findUninvoicedOrders(input: { orderIds: string[] }): Promise<string[]> {
      const ctx = Context.current();
      const missing: string[] = [];
      for (const [i, orderId] of input.orderIds.entries()) {
        const res = await deps.accounting.request<Page<unknown>>('GET', '/invoices', {
          query: { order_id: orderId },
          signal: ctx.cancellationSignal,
        });
        if (res.body.data.length === 0) missing.push(orderId);
        ctx.heartbeat(i);
      }
      return missing;
    },

    /** What the watchdog needs to know about each schedule: paused state, the last finished run, the last success. */
    async inspectSchedules(input: { schedules: WatchedSchedule[] }): Promise<ScheduleObservation[]> {
      const observations: ScheduleObservation[] = [];
      for (const watched of input.schedules) {
        let description;
        try {
          description = await deps.temporal.schedule.getHandle(watched.id).describe();
        } catch (err) {
          if ((err as Error).name === 'ScheduleNotFoundError') {
            observations.push({
              id: watched.id,
              exists: false,
              paused: false,
              pausedSince: null,
              note: null,
              createdAt: null,
              lastRun: null,
              lastSuccessAt: null,
            });
            continue;
          }
          throw err;
        }
        const actions = [...description.info.recentActions].sort((a, b) => b.takenAt.getTime() - a.takenAt.getTime());
        let lastRun: ScheduleObservation['lastRun'] = null;
        let lastSuccessAt: string | null = null;
        for (const action of actions) {
          let status: string;
          let closedAt: string | null;
          try {
            const wf = await deps.temporal.workflow.getHandle(action.action.workflow.workflowId).describe();
            status = wf.status.name;
            closedAt = wf.closeTime?.toISOString() ?? null;
          } catch (err) {
            if (err instanceof WorkflowNotFoundError) continue;
            throw err;
          }
          if (status === 'RUNNING') continue;
          const outcome = status === 'COMPLETED' ? 'completed' : TERMINAL_FAILURES.has(status) ? 'failed' : 'other';
          lastRun ??= {
            workflowId: action.action.workflow.workflowId,
            outcome,
            at: closedAt ?? action.takenAt.toISOString(),
          };
          if (outcome === 'completed') {
            lastSuccessAt = closedAt ?? action.takenAt.toISOString();
            break;
          }
        }
        if (watched.syncStateId) {
          try {
            const state = await deps.temporal.workflow.getHandle(watched.syncStateId).query(syncStateQuery);
            const at = state.lastSuccess?.finishedAt ?? null;
            if (at && (!lastSuccessAt || at > lastSuccessAt)) lastSuccessAt = at;
          } catch (err) {
            if (!(err instanceof WorkflowNotFoundError)) throw err;
          }
        }
        const note = description.state.note ?? null;
        const pausedAt = note?.match(/\(paused at (\S+)\)$/)?.[1];
        observations.push({
          id: watched.id,
          exists: true,
          paused: description.state.paused,
          pausedSince: description.state.paused
            ? (pausedAt ?? (description.info.lastUpdatedAt ?? description.info.createdAt).toISOString())
            : null,
          note,
          createdAt: description.info.createdAt.toISOString(),
          lastRun,
          lastSuccessAt,
        });
      }
      return observations;
    },

    async sendScheduleAlert(input: {
      key: string;
      scheduleId: string;
      problem: string;
      detail: string;
    }): Promise<void> {
      if (!deps.alerts) throw new Error('ALERT_WEBHOOK_URL is not configured: schedule problems cannot reach a person');
      const link = `${deps.temporalUiUrl}/namespaces/${encodeURIComponent(deps.namespace)}/schedules/${encodeURIComponent(input.scheduleId)}`;
      await deps.alerts.request('POST', '', {
        idempotencyKey: `schedule-alert:${input.key}`,
        body: {
          text: `:rotating_light: schedule ${input.scheduleId}: ${input.detail} <${link}|open in Temporal>`,
          kind: 'schedule',
          schedule_id: input.scheduleId,
          problem: input.problem,
          detail: input.detail,
          link,
        },
      });
    },
  };
}

export type SyncActivities = ReturnType<typeof createSyncActivities>;
