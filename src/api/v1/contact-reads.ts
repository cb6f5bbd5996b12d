import { createHash } from 'node:crypto';
import { createDownstreamClient, type DownstreamClient, downstreamDetails } from '../../kit/http';
import type { ThrottleGate } from '../../kit/throttle';
import type { Config } from '../../config';
import { FailureType } from '../../contracts/failures';
import { CONTACT_FIELDS, CONTACT_OWNERSHIP, CONTACT_SYSTEMS, type ContactSystem } from '../../domain/ownership';
import { HttpError } from '../errors';
import type { Handlers } from './openapi';
import type { contactReadSchema } from './schemas';
import type { z } from 'zod';

// GET /contacts/{email}: the contact as the ownership map defines it, each field read from its owner, in parallel,
// through the same client layer as the activities (timeout, auth, answer classes) and the process's throttle gate.
// Each owner is read at this replica's share of its budget (<SYSTEM>_API_READ_RATE_PER_SECOND, the workers get the
// rest), and a window any replica was told holds the reads off it without a call: its fields come back unavailable,
// or, when every owner is held off, the read answers 503 with Retry-After. No workflow: nothing is recorded.

interface OwnerRecord {
  updated_at?: string;
  field_changes?: Record<string, { at?: string }>;
  [field: string]: unknown;
}

/** `retryInMs`: the owner is held off by a throttle window (or this replica's share), for that long. */
type OwnerRead = { ok: true; record?: OwnerRecord } | { ok: false; reason: string; retryInMs?: number };

const REASONS: Record<string, string> = {
  [FailureType.throttled]: 'throttled',
  [FailureType.unavailable]: 'down',
  [FailureType.timeout]: 'timeout',
  [FailureType.network]: 'unreachable',
};

function reasonOf(err: unknown): string {
  const details = downstreamDetails(err);
  const type = (err as { type?: string }).type ?? '';
  const word = REASONS[type] ?? 'error';
  const message = err instanceof Error ? err.message : String(err);
  if (type === FailureType.throttled && details?.retryAfterMs !== undefined) {
    return `${word}: retry after ${Math.ceil(details.retryAfterMs / 1000)} s (${message})`;
  }
  return `${word}: ${message}`;
}

/** The reads of one API process: one client per contact owner, sharing `gate`. */
export function createContactReader(config: Config, gate: ThrottleGate) {
  const timeoutMs = config.api?.readTimeoutMs ?? 2000;
  const clients = Object.fromEntries(
    CONTACT_SYSTEMS.map((name) => {
      const system = config.systems[name];
      gate.setRate(name, system.readRatePerSecond);
      const client = createDownstreamClient(
        { name, baseUrl: system.url, apiKey: system.apiKey },
        { timeoutMs, gate, maxGateWaitMs: 0, maxQueueWaitMs: timeoutMs },
      );
      return [name, client];
    }),
  ) as Record<ContactSystem, DownstreamClient>;

  async function readOwner(system: ContactSystem, email: string): Promise<OwnerRead> {
    try {
      const path = `/contacts/by-email/${encodeURIComponent(email)}`;
      const res = await clients[system].request<OwnerRecord>('GET', path, { accept: [404] });
      return { ok: true, record: res.status === 404 ? undefined : res.body };
    } catch (err) {
      const throttled = (err as { type?: string }).type === FailureType.throttled;
      return {
        ok: false,
        reason: reasonOf(err),
        retryInMs: throttled ? downstreamDetails(err)?.retryAfterMs : undefined,
      };
    }
  }

  /** The composed contact, or undefined when every owner answered and none knows the address. */
  return async function read(email: string): Promise<z.infer<typeof contactReadSchema> | undefined> {
    const reads = Object.fromEntries(
      await Promise.all(CONTACT_SYSTEMS.map(async (s) => [s, await readOwner(s, email)] as const)),
    ) as Record<ContactSystem, OwnerRead>;
    if (Object.values(reads).every((r) => r.ok && !r.record)) return undefined;
    const waits = Object.values(reads).map((r) => (r.ok ? undefined : r.retryInMs));
    if (waits.every((ms) => ms !== undefined)) {
      // Nothing could be read, and asking again sooner would send nothing either: say when to come back.
      const seconds = Math.max(1, Math.ceil(Math.min(...waits) / 1000));
      throw new HttpError(
        503,
        'owners_throttled',
        `every owner of the contact's fields asked us to wait (${CONTACT_SYSTEMS.join(', ')}): ask again in ${seconds} s`,
        {},
        { 'Retry-After': String(seconds) },
      );
    }
    const fields = Object.fromEntries(
      CONTACT_FIELDS.map((field) => {
        const owner = CONTACT_OWNERSHIP[field].owner;
        const read = reads[owner];
        if (!read.ok) return [field, { unavailable: true as const, owner, reason: read.reason }];
        const record = read.record;
        const updatedAt = record?.field_changes?.[field]?.at ?? record?.updated_at ?? null;
        return [field, { value: record?.[field] ?? null, owner, updatedAt }];
      }),
    ) as z.infer<typeof contactReadSchema>['fields'];
    return { email, partial: Object.values(reads).some((r) => !r.ok), fields };
  };
}

/** A strong ETag of the answer's bytes. */
function etagOf(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
}

/** GET /contacts/{email}, its address validated (openapi.ts). */
export function contactReadHandler(read: ReturnType<typeof createContactReader>): Handlers['getContact'] {
  return async ({ params, req, res }) => {
    const email = params.email.toLowerCase();
    const contact = await read(email);
    if (!contact) throw new HttpError(404, 'not_found', `no owner knows ${email}`);
    const body = JSON.stringify(contact);
    const etag = etagOf(body);
    // Revalidated on every use: a field's owner may change it at any time.
    res.set({ ETag: etag, 'Cache-Control': 'private, no-cache' });
    const match = req.header('if-none-match');
    if (match && match.split(',').some((t) => t.trim() === etag || t.trim() === `W/${etag}`)) {
      res.status(304).end();
      return;
    }
    res.type('application/json').send(body);
  };
}
