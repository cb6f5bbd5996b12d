import { createHash } from 'node:crypto';

/** Idempotency key for a side effect: stable across activity retries, workflow re-runs and duplicate sources. */
export function idempotencyKey(step: string, businessKey: string): string {
  return `${step}:${businessKey}`;
}

/** Idempotency key from the content: a retried or re-run identical write replays instead of writing twice. */
export function contentKey(step: string, body: unknown): string {
  return `${step}:${createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 32)}`;
}
